import { sql } from 'drizzle-orm';
import { formatPoints } from '../../domain/points.ts';
import { addLocalDays, endOfLocalDay } from '../../domain/zoned-time.ts';
import { AppError } from '../../errors.ts';
import type { ManualAddGuard } from '../ledger/service.ts';
import { manualAddsBy } from '../ledger/store.ts';
import { effectiveSettings } from '../organizations/settings.ts';
import { getUser } from './store.ts';

/**
 * The cashier daily cap: a cashier's manual adds in one local day of the organization, this one
 * included, may not pass `cashierDailyPointsCap`. Summed from the ledger (entries record their
 * actor) in the add's own transaction, under an advisory lock per cashier, so that two adds at
 * once cannot both see room for themselves. The lock is taken after the balance row's (the ledger
 * locks it first), always in that order, so two adds cannot wait on each other.
 */
export const cashierDailyCap: ManualAddGuard = async (tx, input, { organization, now }) => {
  const { actor } = input;
  if (actor.type !== 'staff' || !actor.id) return;
  const cap = effectiveSettings(organization.settings).cashierDailyPointsCap;
  if (cap === null) return;
  const user = await getUser(tx, input.organizationId, actor.id);
  if (user?.role !== 'cashier') return;
  await tx.execute(
    sql`select pg_advisory_xact_lock(hashtextextended(${`cashier-cap:${input.organizationId}:${actor.id}`}, 0))`,
  );
  const dayStart = addLocalDays(endOfLocalDay(now, organization.timeZone), -1, organization.timeZone);
  const added = await manualAddsBy(tx, input.organizationId, actor.id, dayStart);
  const capHundredths = cap * 100;
  if (added + input.points <= capHundredths) return;
  const left = Math.max(0, capHundredths - added);
  const message =
    `a cashier adds at most ${cap} points a day (the organization's cashierDailyPointsCap): ` +
    `${formatPoints(added)} added today, so at most ${formatPoints(left)} more`;
  throw new AppError('forbidden', message, { errors: [{ path: 'body.points', message }] });
};
