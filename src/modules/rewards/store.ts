import { and, eq, inArray, isNull, lte, sql } from 'drizzle-orm';
import { type Executor, rawRows, type Tx } from '../../db/connection.ts';
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
  const rows = await tx
    .update(rewards)
    .set({ taken: sql`${rewards.taken} + ${quantity}` })
    .where(
      and(
        eq(rewards.organizationId, organizationId),
        eq(rewards.id, rewardId),
        sql`(${rewards.totalLimit} is null or ${rewards.taken} + ${quantity} <= ${rewards.totalLimit})`,
      ),
    )
    .returning({ taken: rewards.taken });
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

/**
 * How much the member has used each reward: in all, and since each reward's period start. One
 * query, counted in SQL; usages that were released do not count.
 */
export async function memberUsage(
  executor: Executor,
  organizationId: string,
  customerId: string,
  periods: Map<string, Date | null>,
): Promise<Map<string, { member: number; memberInPeriod: number }>> {
  const ids = [...periods.keys()];
  const result = new Map(ids.map((id) => [id, { member: 0, memberInPeriod: 0 }]));
  if (ids.length === 0) return result;
  const inPeriod = sql.join(
    ids.map((id) => {
      const since = periods.get(id);
      return since
        ? sql`(${rewardUsages.rewardId} = ${id} and ${rewardUsages.usedAt} >= ${since.toISOString()})`
        : sql`${rewardUsages.rewardId} = ${id}`;
    }),
    sql` or `,
  );
  const rows = await executor
    .select({
      rewardId: rewardUsages.rewardId,
      member: sql<string>`coalesce(sum(${rewardUsages.quantity}), 0)`,
      memberInPeriod: sql<string>`coalesce(sum(case when ${inPeriod} then ${rewardUsages.quantity} else 0 end), 0)`,
    })
    .from(rewardUsages)
    .where(
      and(
        eq(rewardUsages.organizationId, organizationId),
        eq(rewardUsages.customerId, customerId),
        inArray(rewardUsages.rewardId, ids),
        isNull(rewardUsages.releasedAt),
      ),
    )
    .groupBy(rewardUsages.rewardId);
  for (const row of rows) {
    result.set(row.rewardId, { member: Number(row.member), memberInPeriod: Number(row.memberInPeriod) });
  }
  return result;
}

export function usageOf(
  reward: { id: string; taken: number },
  member: Map<string, { member: number; memberInPeriod: number }>,
): Usage {
  const counts = member.get(reward.id) ?? { member: 0, memberInPeriod: 0 };
  return { total: reward.taken, ...counts };
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
