import { and, eq, inArray, sql } from 'drizzle-orm';
import { answered, readTogether } from '../../db/together.ts';
import { isUuid } from '../../domain/customers.ts';
import type { Hundredths } from '../../domain/points.ts';
import {
  type Blocker,
  isVisible,
  memberPeriodStart,
  offerBlockers,
  pointsBlocker,
  type RewardChannel,
  useBlockers,
} from '../../domain/rewards.ts';
import { toLocal } from '../../domain/zoned-time.ts';
import { notFound } from '../../errors.ts';
import { type RewardRow, toTerms } from './catalog.ts';
import { audiencePart, CUSTOMER_INACTIVE, type RewardsContext, timeZoneAt } from './context.ts';
import type { CouponRow, Coupons } from './coupons.ts';
import { rewardCodes, rewards } from './schema.ts';
import { countsPart, usageOf } from './store.ts';

export interface AvailabilityQuery {
  locationId?: string | undefined;
  channel?: RewardChannel | undefined;
  /** Only what can be taken now. */
  redeemable?: boolean | undefined;
  now?: Date | undefined;
}

export interface AvailableReward {
  reward: RewardRow;
  canRedeem: boolean;
  /** Why not, when canRedeem is false. */
  reasons: Blocker[];
  /** Points taking it costs now: 0 when a coupon the member holds is used. */
  pointsRequired: Hundredths;
  pointTypeId: string;
  /** Coupons of this reward the member can use here and now. */
  coupons: CouponRow[];
}

/**
 * What a member can use now, at a location and on a channel: every reward on show (and every
 * reward the member holds a usable coupon of), with `canRedeem` and the reasons when not. On `pos`
 * and `online` it answers "can it be applied to an order now" (directly, or with a coupon); on
 * `shop` and `admin`, "can it be claimed now".
 */
export function createAvailability(
  context: RewardsContext,
  coupons: Coupons,
  sweep: (organizationId: string, now: Date) => Promise<number>,
) {
  const { db, catalog, customers } = context;

  /**
   * Reservations whose time is up must give their points, coupons and slots back before anything
   * is counted. Rather than a sweep statement on every call, the counting statement tells whether
   * any are due; only then are they released and everything read again (`swept`).
   */
  async function list(
    organizationId: string,
    customerId: string,
    query: AvailabilityQuery,
    swept: boolean,
  ): Promise<{ data: AvailableReward[]; balances: Map<string, Hundredths> }> {
    const now = query.now ?? new Date();
    const channel = query.channel ?? 'pos';
    const claiming = channel === 'shop' || channel === 'admin';
    const again = () => list(organizationId, customerId, query, true);
    // The customer id goes into every part below: one that cannot be a member's is answered here.
    if (!isUuid(customerId)) throw notFound('customer');
    const [timeZone, catalogue, defaultType] = await Promise.all([
      timeZoneAt(context, db, organizationId, query.locationId, 'query.locationId'),
      catalog.active(organizationId),
      context.pointTypes.getDefault(organizationId),
    ]);
    const shown = catalogue.filter((row) => isVisible(row, now));
    const shownTerms = shown.map(toTerms);
    // Nothing to count, so nobody asks about expired reservations: the sweep itself does.
    if (shown.length === 0 && !swept && (await sweep(organizationId, now)) > 0) return again();
    // What the member holds, has and has used: one statement (configuration came from the cache).
    const read = await readTogether(db, {
      customer: customers.memberPart(organizationId, customerId),
      held: claiming ? answered([]) : coupons.usablePart(organizationId, customerId, now),
      available: context.ledger.activeBalancesPart(organizationId, customerId),
      counts: countsPart(
        organizationId,
        customerId,
        new Map(shownTerms.map((t) => [t.id, memberPeriodStart(t, now, timeZone)])),
        swept ? undefined : now,
      ),
      audience: await audiencePart(context, db, organizationId, customerId, shownTerms),
    });
    const { customer, held, available, audience } = read;
    if (!customer) throw notFound('customer');
    if (read.counts.reservationsExpired) {
      await sweep(organizationId, now);
      return again();
    }
    const usage = read.counts.counts;
    // Coupons of rewards no longer on show are listed too, as not offered: their rows are read
    // fresh, and neither limits nor audience apply to them.
    const missing = [...new Set(held.map((c) => c.rewardId))].filter(
      (id) => !shown.some((row) => row.id === id),
    );
    const extra = missing.length
      ? await db
          .select()
          .from(rewards)
          .where(and(eq(rewards.organizationId, organizationId), inArray(rewards.id, missing)))
      : [];
    const rows = [...shown, ...extra].sort((a, b) => (a.id < b.id ? -1 : 1));
    const terms = rows.map(toTerms);
    const poolLeft = claiming ? await poolsLeft(organizationId, rows) : new Map<string, number>();
    const defaultTypeId = defaultType.id;
    const occasion = {
      at: now,
      timeZone,
      local: toLocal(now, timeZone),
      locationId: query.locationId ?? null,
      channel,
    };

    const data = rows.map((cached, index): AvailableReward => {
      const reward = terms[index]!;
      // The catalogue is cached: the counter shown and checked is the one just read.
      const taken = usage.get(cached.id)?.taken ?? cached.taken;
      const row = taken === cached.taken ? cached : { ...cached, taken };
      const pointTypeId = reward.pointTypeId ?? defaultTypeId;
      const balance = available.get(pointTypeId) ?? 0;
      const usable = held.filter(
        (coupon) => coupon.rewardId === row.id && useBlockers(reward, occasion, false).length === 0,
      );
      const offered = shown.includes(cached);
      const blockers: Blocker[] = offered
        ? offerBlockers(reward, occasion, audience, usageOf(row, usage), claiming ? 'claim' : 'redeem')
        : [{ code: 'inactive', message: 'the reward is no longer offered' }];
      if (customer.status !== 'active') blockers.unshift(CUSTOMER_INACTIVE);
      // Cashback costs what the order needs: it only needs some points to turn into money.
      const shortage =
        reward.type !== 'cashback'
          ? pointsBlocker(reward.costPoints, balance)
          : balance > 0
            ? null
            : {
                code: 'insufficient_points' as const,
                message: 'the member has no points to turn into money',
              };
      if (shortage) blockers.push(shortage);
      if (
        claiming &&
        (row.type === 'discount_code' || poolLeft.has(row.id)) &&
        (poolLeft.get(row.id) ?? 0) < 1
      ) {
        blockers.push({ code: 'no_codes_left', message: 'the reward has no codes left' });
      }
      const byCoupon = usable.length > 0 && customer.status === 'active';
      const canRedeem = blockers.length === 0 || byCoupon;
      return {
        reward: row,
        canRedeem,
        reasons: canRedeem ? [] : blockers,
        pointsRequired: byCoupon ? 0 : reward.type === 'cashback' ? 0 : reward.costPoints,
        pointTypeId,
        coupons: usable,
      };
    });
    return { data: query.redeemable ? data.filter((item) => item.canRedeem) : data, balances: available };
  }

  /** Free pool codes of the rewards that have a pool at all (one grouped query). */
  async function poolsLeft(organizationId: string, rows: RewardRow[]): Promise<Map<string, number>> {
    if (rows.length === 0) return new Map();
    const counts = await db
      .select({
        rewardId: rewardCodes.rewardId,
        free: sql<string>`count(*) filter (where ${rewardCodes.couponId} is null)`,
      })
      .from(rewardCodes)
      .where(
        and(
          eq(rewardCodes.organizationId, organizationId),
          inArray(
            rewardCodes.rewardId,
            rows.map((row) => row.id),
          ),
        ),
      )
      .groupBy(rewardCodes.rewardId);
    return new Map(counts.map((row) => [row.rewardId, Number(row.free)]));
  }

  return (organizationId: string, customerId: string, query: AvailabilityQuery) =>
    list(organizationId, customerId, query, false);
}
