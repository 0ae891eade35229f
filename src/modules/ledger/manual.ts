import { and, eq } from 'drizzle-orm';
import type { Tx } from '../../db/connection.ts';
import { conflict, notFound } from '../../errors.ts';
import { pointLots } from './schema.ts';
import { startSession } from './session.ts';
import { type EntryRow, getEntry, type LotRow, lockBalance } from './store.ts';

/**
 * Activating or expiring one credit's points by hand, before their dates (Open Loyalty's
 * "activate / expire a points transfer"). The credit's lots get `now` as their activation or
 * expiry date and the balance is settled as the scheduler would settle it at that date, so the
 * expire entry, the balance and the lots stay what `ledger verify` recomputes.
 */

export type ManualChange = 'activate' | 'expire';

/** A credit's lots that the change applies to: pending ones to activate, active unexpired ones with points left to expire. */
function affected(lots: LotRow[], change: ManualChange, now: Date): LotRow[] {
  if (change === 'activate')
    return lots.filter((lot) => lot.status === 'pending' && lot.activeFrom > now && lot.remaining > 0);
  const pending = lots.some((lot) => lot.status === 'pending' && lot.activeFrom > now);
  if (pending) return [];
  return lots.filter(
    (lot) => lot.status === 'active' && lot.remaining > 0 && (lot.expiresAt === null || lot.expiresAt > now),
  );
}

export async function settleCreditNow(
  tx: Tx,
  organizationId: string,
  entryId: string,
  change: ManualChange,
  now: Date,
): Promise<EntryRow> {
  const entry = await getEntry(tx, organizationId, entryId);
  if (!entry) throw notFound('ledger entry');
  const key = { organizationId, customerId: entry.customerId, pointTypeId: entry.pointTypeId };
  // Under the balance lock, like every operation on these lots.
  const balance = await lockBalance(tx, key);
  const lots = await tx
    .select()
    .from(pointLots)
    .where(and(eq(pointLots.organizationId, organizationId), eq(pointLots.entryId, entry.id)));
  const chosen = affected(lots, change, now);
  if (chosen.length === 0) {
    throw change === 'activate'
      ? conflict('not_pending', 'only pending points can be activated')
      : conflict('not_active', 'only active points with some left can be expired');
  }
  for (const lot of chosen) {
    await tx
      .update(pointLots)
      .set(change === 'activate' ? { activeFrom: now } : { expiresAt: now })
      .where(and(eq(pointLots.organizationId, organizationId), eq(pointLots.id, lot.id)));
  }
  await startSession(tx, key, balance, now, 'due');
  return entry;
}
