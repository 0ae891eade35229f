import { and, eq, isNull, lte, type SQL, sql } from 'drizzle-orm';
import { arrayParam, type Executor, periodStartsParam, rawRows, type Tx } from '../../db/connection.ts';
import { answered, type PartRead, readPart } from '../../db/together.ts';
import type { Usage } from '../../domain/rewards.ts';
import { coupons, redemptions, rewardCodes, rewardMemberLocks, rewards, rewardUsages } from './schema.ts';

/**
 * The rewards module's shared SQL: the counters and locks limits rely on. Every statement is
 * scoped to one organization except the scheduler's scans.
 */

/**
 * Takes `quantity` slots of the reward's total limit, in SQL with a guard, so that concurrent
 * takers can never pass the limit (the row lock it takes is held to commit: callers do this last).
 * False when the limit would be passed.
 */
export async function takeSlots(tx: Tx, organizationId: string, rewardId: string, quantity: number) {
  const rows = await rawRows<{ taken: number }>(
    tx,
    sql`update ${rewards} set taken = taken + ${quantity}
        where organization_id = ${organizationId} and id = ${rewardId}
          and (total_limit is null or taken + ${quantity} <= total_limit)
        returning taken`,
  );
  return rows.length > 0;
}

export async function freeSlots(tx: Tx, organizationId: string, rewardId: string, quantity: number) {
  await tx
    .update(rewards)
    .set({ taken: sql`greatest(${rewards.taken} - ${quantity}, 0)` })
    .where(and(eq(rewards.organizationId, organizationId), eq(rewards.id, rewardId)));
}

/**
 * Locks the member × reward row (creating it): whoever holds it is the only one counting and
 * adding this member's usage of this reward until commit.
 */
export async function lockMember(
  tx: Tx,
  organizationId: string,
  rewardId: string,
  customerId: string,
  now: Date,
) {
  await tx
    .insert(rewardMemberLocks)
    .values({ organizationId, rewardId, customerId, lockedAt: now })
    .onConflictDoUpdate({
      target: [rewardMemberLocks.organizationId, rewardMemberLocks.rewardId, rewardMemberLocks.customerId],
      set: { lockedAt: now },
    });
}

/** What limits count, per reward: `taken` (its total) and this member's usage in all and in its period. */
export type Counts = Map<string, { taken: number; member: number; memberInPeriod: number }>;

/** SQL: whether the organization holds reservations whose time is up at `now` (the sweep releases them). */
export function reservationsExpired(organizationId: string, now: Date): SQL {
  return sql`exists (select 1 from ${redemptions} where organization_id = ${organizationId}
    and status = 'reserved' and expires_at <= ${now.toISOString()})`;
}

/**
 * Counts the rewards of `periods` (id → start of the member's period, null = no period limit) in
 * one statement (alone with countsOf, or as a part of a read several modules answer together), written by hand (the builder spent ~0.5 ms making the `or` list of 30 rewards).
 * `taken` is read here because the rows it would come from are the cached definitions. Usages
 * that were released do not count. With `expiredBy`, the same statement also tells whether
 * reservations are due for the sweep (false without it, or without rewards to count).
 */
export function countsPart(
  organizationId: string,
  customerId: string,
  periods: Map<string, Date | null>,
  expiredBy?: Date,
): PartRead<{ counts: Counts; reservationsExpired: boolean }> {
  if (periods.size === 0) return answered({ counts: new Map(), reservationsExpired: false });
  const ids = [...periods.keys()];
  return {
    json: sql`select json_agg(json_build_array(x.id, x.taken, x.member, x.member_in_period, x.expired)) from (
        select r.id, r.taken,
          coalesce(sum(u.quantity), 0) as member,
          coalesce(sum(u.quantity) filter (where u.used_at >= w.since), 0) as member_in_period,
          ${expiredBy ? reservationsExpired(organizationId, expiredBy) : sql`false`} as expired
        from unnest(${arrayParam(ids, 'uuid')}, ${periodStartsParam(ids.map((id) => periods.get(id) ?? null))}) as w(id, since)
        join ${rewards} r on r.organization_id = ${organizationId} and r.id = w.id
        left join ${rewardUsages} u on u.organization_id = ${organizationId} and u.customer_id = ${customerId}
          and u.reward_id = w.id and u.released_at is null
        group by r.id, r.taken) x`,
    decode(value) {
      const rows = (value ?? []) as Array<[string, number, number | string, number | string, boolean]>;
      const counts: Counts = new Map();
      for (const [id, taken, member, memberInPeriod] of rows) {
        counts.set(id, {
          taken: Number(taken),
          member: Number(member),
          memberInPeriod: Number(memberInPeriod),
        });
      }
      return { counts, reservationsExpired: rows.some((row) => row[4]) };
    },
  };
}

export function countsOf(
  executor: Executor,
  organizationId: string,
  customerId: string,
  periods: Map<string, Date | null>,
  expiredBy?: Date,
): Promise<{ counts: Counts; reservationsExpired: boolean }> {
  return readPart(executor, countsPart(organizationId, customerId, periods, expiredBy));
}

/** The usage limits are checked against: from `counts` when the reward was counted (it has limits). */
export function usageOf(reward: { id: string; taken: number }, counts: Counts): Usage {
  const counted = counts.get(reward.id);
  return counted
    ? { total: counted.taken, member: counted.member, memberInPeriod: counted.memberInPeriod }
    : { total: reward.taken, member: 0, memberInPeriod: 0 };
}

/** Whether limits need the reward counted: without limits its usage decides nothing. */
export function isLimited(reward: {
  totalLimit: number | null;
  memberLimit: number | null;
  memberPeriodLimit: unknown;
}): boolean {
  return reward.totalLimit !== null || reward.memberLimit !== null || reward.memberPeriodLimit !== null;
}

export async function insertUsage(tx: Tx, values: typeof rewardUsages.$inferInsert) {
  await tx.insert(rewardUsages).values(values);
}

/** Releases a redemption's usages; returns how many slots each reward gets back. */
export async function releaseUsages(tx: Tx, organizationId: string, redemptionId: string, now: Date) {
  const rows = await tx
    .update(rewardUsages)
    .set({ releasedAt: now })
    .where(
      and(
        eq(rewardUsages.organizationId, organizationId),
        eq(rewardUsages.redemptionId, redemptionId),
        isNull(rewardUsages.releasedAt),
      ),
    )
    .returning({ rewardId: rewardUsages.rewardId, quantity: rewardUsages.quantity });
  const slots = new Map<string, number>();
  for (const row of rows) slots.set(row.rewardId, (slots.get(row.rewardId) ?? 0) + row.quantity);
  return slots;
}

/**
 * Gives `couponIds.length` free pool codes of the reward to those coupons. Rows another claim is
 * taking are skipped, so concurrent claims never get the same code. Fewer codes back = pool empty.
 */
export async function takePoolCodes(tx: Tx, organizationId: string, rewardId: string, couponIds: string[]) {
  const free = await tx
    .select({ id: rewardCodes.id, code: rewardCodes.code })
    .from(rewardCodes)
    .where(
      and(
        eq(rewardCodes.organizationId, organizationId),
        eq(rewardCodes.rewardId, rewardId),
        isNull(rewardCodes.couponId),
      ),
    )
    .orderBy(rewardCodes.id)
    .limit(couponIds.length)
    .for('update', { skipLocked: true });
  for (const [index, row] of free.entries()) {
    await tx
      .update(rewardCodes)
      .set({ couponId: couponIds[index]! })
      .where(and(eq(rewardCodes.organizationId, organizationId), eq(rewardCodes.id, row.id)));
  }
  return free.map((row) => row.code);
}

/** Whether the reward hands out pool codes (it has any), as opposed to generated ones. */
export async function hasPool(executor: Executor, organizationId: string, rewardId: string) {
  const [row] = await executor
    .select({ id: rewardCodes.id })
    .from(rewardCodes)
    .where(and(eq(rewardCodes.organizationId, organizationId), eq(rewardCodes.rewardId, rewardId)))
    .limit(1);
  return row !== undefined;
}

/** Reservations of the organization (or of all, for the scheduler) whose time is up. */
export async function expiredReservations(
  executor: Executor,
  now: Date,
  limit: number,
  organizationId?: string,
): Promise<Array<{ organizationId: string; id: string }>> {
  return executor
    .select({ organizationId: redemptions.organizationId, id: redemptions.id })
    .from(redemptions)
    .where(
      and(
        organizationId ? eq(redemptions.organizationId, organizationId) : undefined,
        eq(redemptions.status, 'reserved'),
        lte(redemptions.expiresAt, now),
      ),
    )
    .limit(limit);
}

/** Marks active coupons past their expiry as expired (any organization); returns how many. */
export async function expireCoupons(executor: Executor, now: Date, limit: number) {
  const rows = await rawRows<{ id: string }>(
    executor,
    sql`update ${coupons} set status = 'expired', updated_at = ${now.toISOString()}
        where (organization_id, id) in (
          select organization_id, id from ${coupons}
          where status = 'active' and expires_at is not null and expires_at <= ${now.toISOString()}
            and redemption_id is null
          limit ${limit} for update skip locked)
        returning id`,
  );
  return rows.length;
}
