import { and, desc, eq, gt, isNull, lte, or, type SQL, sql } from 'drizzle-orm';
import { arrayParam, type Executor, rawRows, rowOf, type Tx, tableRows } from '../../db/connection.ts';
import { newId } from '../../db/ids.ts';
import { afterCursor, fetchSize, type PageRequest } from '../../db/pagination.ts';
import { type PartRead, readTogether } from '../../db/together.ts';
import { sqlState, transaction, UNIQUE_VIOLATION, violatedConstraint } from '../../db/transaction.ts';
import type { GivenDiscount } from '../../domain/discounts.ts';
import { toPoints } from '../../domain/points.ts';
import type { RewardChannel } from '../../domain/rewards.ts';
import { AppError, notFound } from '../../errors.ts';
import { emit } from '../events/service.ts';
import { type Actor, SYSTEM } from '../ledger/service.ts';
import { blockedError, pointsOf, pointsPart, type RewardsContext, timeZoneAt } from './context.ts';
import { normalizeOrder, type OrderInput, rewardChannelOf } from './order.ts';
import type { Planner, RequestedReward } from './planner.ts';
import { coupons, type RedemptionStatus, redemptions, rewards, rewardUsages } from './schema.ts';
import {
  expiredReservations,
  freeSlots,
  lockMember,
  releaseUsages,
  reservationsExpired,
  takeSlots,
} from './store.ts';
import type { RedemptionItem, RedemptionPoints } from './types.ts';

export type RedemptionRow = typeof redemptions.$inferSelect;
export type RedemptionMode = 'validate' | 'reserve' | 'commit';

export interface RedeemInput {
  /** The member: id, card number, phone, email or external id. */
  customerId: string;
  order: OrderInput;
  rewards: RequestedReward[];
  mode: RedemptionMode;
  /** Reserve only: how long the reservation holds (default 15 minutes). */
  ttlSeconds?: number | undefined;
  /** Where the rewards are taken; default from the order's channel (pos, or online). */
  channel?: RewardChannel | undefined;
  actor: Actor;
  now?: Date | undefined;
}

/** A redemption as the API shows it; `id` is null for a validation (nothing was written). */
export interface RedemptionView {
  id: string | null;
  orderId: string;
  customerId: string;
  status: RedemptionStatus | 'validated';
  valid: boolean;
  /** True when an earlier request for this order had already done it: nothing changed now. */
  replayed: boolean;
  locationId: string | null;
  channel: RewardChannel;
  currency: string;
  orderTotal: number;
  totalDiscount: number;
  items: RedemptionItem[];
  points: Array<{ pointTypeId: string; points: number }>;
  expiresAt: Date | null;
  reservedAt: Date | null;
  committedAt: Date | null;
  releasedAt: Date | null;
  releaseReason: string | null;
  transactionId: string | null;
  createdAt: Date | null;
}

export interface RedemptionFilter {
  customerId?: string | undefined;
  orderId?: string | undefined;
  status?: RedemptionStatus | undefined;
}

const DEFAULT_TTL_SECONDS = 15 * 60;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SWEEP_BATCH = 50;

/** A reserve or commit found reservations whose time is up: release them, then start again. */
class SweepFirst extends Error {}

function view(row: RedemptionRow, replayed = false): RedemptionView {
  return {
    id: row.id,
    orderId: row.orderId,
    customerId: row.customerId,
    status: row.status,
    valid: true,
    replayed,
    locationId: row.locationId,
    channel: row.channel,
    currency: row.currency,
    orderTotal: row.order.totals.total,
    totalDiscount: row.totalDiscount,
    items: row.items,
    points: row.points.map(({ pointTypeId, points }) => ({ pointTypeId, points })),
    expiresAt: row.expiresAt,
    reservedAt: row.reservedAt,
    committedAt: row.committedAt,
    releasedAt: row.releasedAt,
    releaseReason: row.releaseReason,
    transactionId: row.transactionId,
    createdAt: row.createdAt,
  };
}

function eventPayload(row: RedemptionRow) {
  return {
    redemptionId: row.id,
    orderId: row.orderId,
    customerId: row.customerId,
    locationId: row.locationId,
    status: row.status,
    totalDiscount: row.totalDiscount,
    rewards: row.items
      .filter((item) => item.applied)
      .map((item) => ({
        rewardId: item.rewardId,
        couponId: item.couponId,
        couponCode: item.couponCode,
        type: item.type,
        discount: item.discount,
        points: toPoints(item.points),
        pointTypeId: item.pointTypeId,
      })),
    // Points as decimals, as in every event payload.
    points: row.points.map(({ pointTypeId, points }) => ({ pointTypeId, points: toPoints(points) })),
  };
}

/**
 * Checkout: rewards applied to one order, exactly once. A reservation holds the points (a ledger
 * block), the limits (usage rows and the reward counter) and the coupons until it is committed
 * (the block is spent, the coupons are used) or released (everything given back), by hand, by
 * its ticket being cancelled, or by its time running out.
 */
export function createRedemptions(context: RewardsContext, planner: Planner) {
  const { db, ledger, customers, organizations } = context;

  /** Every ticket asks (to link its reservation): written by hand, see tableRows. */
  function activeForOrderQuery(organizationId: string, orderId: string, lock: boolean) {
    return sql`select * from ${redemptions}
               where organization_id = ${organizationId} and order_id = ${orderId} and status <> 'released'
               ${lock ? sql`for update` : sql``}`;
  }

  async function activeForOrder(executor: Executor, organizationId: string, orderId: string, lock: boolean) {
    const [row] = await tableRows(executor, redemptions, activeForOrderQuery(organizationId, orderId, lock));
    return row;
  }

  /**
   * activeForOrder (locked) as a part of a read the ticket sends anyway: what `syncTicket` is
   * then handed as `known`, saving every sale a statement.
   */
  function orderPart(organizationId: string, orderId: string): PartRead<RedemptionRow | undefined> {
    return {
      json: sql`select row_to_json(found) from (${activeForOrderQuery(organizationId, orderId, true)}) found`,
      decode: (value) => (value ? rowOf(redemptions, value as Record<string, unknown>) : undefined),
    };
  }

  /** The member named by any identifier; 404 (not 422) when there is none, as for a path id. */
  function findMember(organizationId: string, identifier: string, executor: Executor = db) {
    return customers.lookup(organizationId, identifier, executor).catch((error: unknown) => {
      if (error instanceof AppError && error.status === 404) throw notFound('customer');
      throw error;
    });
  }

  async function lockRow(tx: Tx, organizationId: string, id: string) {
    if (!UUID.test(id)) throw notFound('redemption');
    const [row] = await tx
      .select()
      .from(redemptions)
      .where(and(eq(redemptions.organizationId, organizationId), eq(redemptions.id, id)))
      .for('update');
    if (!row) throw notFound('redemption');
    return row;
  }

  async function save(tx: Tx, row: RedemptionRow, values: Partial<RedemptionRow>) {
    const [updated] = await tx
      .update(redemptions)
      .set({ ...values, updatedAt: values.updatedAt ?? new Date() })
      .where(and(eq(redemptions.organizationId, row.organizationId), eq(redemptions.id, row.id)))
      .returning();
    return updated!;
  }

  async function couponEvents(tx: Tx, row: RedemptionRow, type: 'coupon.used' | 'coupon.unused') {
    for (const item of row.items) {
      if (!item.couponId) continue;
      await emit(tx, {
        organizationId: row.organizationId,
        type,
        subject: { type: 'coupon', id: item.couponId },
        payload: {
          couponId: item.couponId,
          code: item.couponCode,
          rewardId: item.rewardId,
          customerId: row.customerId,
          redemptionId: row.id,
          orderId: row.orderId,
          locationId: row.locationId,
        },
      });
    }
  }

  /** Turns a reservation into a sale: its blocks are spent, its coupons used. Row locked by the caller. */
  async function commitLocked(tx: Tx, row: RedemptionRow, actor: Actor, now: Date): Promise<RedemptionRow> {
    const points: RedemptionPoints[] = [];
    for (const held of row.points) {
      if (!held.blockEntryId) {
        points.push(held);
        continue;
      }
      const spent = await ledger.spend(
        {
          organizationId: row.organizationId,
          customerId: row.customerId,
          pointTypeId: held.pointTypeId,
          points: held.points,
          blockEntryId: held.blockEntryId,
          reason: `rewards on order ${row.orderId}`,
          actor,
          source: { type: 'redemption', id: row.id },
          locationId: row.locationId,
          now,
        },
        tx,
      );
      points.push({ ...held, spendEntryId: spent.entry.id });
    }
    await tx
      .update(coupons)
      .set({ status: 'used', usedAt: now, locationId: row.locationId, updatedAt: now })
      .where(and(eq(coupons.organizationId, row.organizationId), eq(coupons.redemptionId, row.id)));
    const committed = await save(tx, row, { status: 'committed', committedAt: now, points, updatedAt: now });
    await emit(tx, {
      organizationId: row.organizationId,
      type: 'redemption.committed',
      subject: { type: 'redemption', id: row.id },
      payload: eventPayload(committed),
    });
    await couponEvents(tx, committed, 'coupon.used');
    return committed;
  }

  /** Gives everything back: points (unblocked, or refunded if spent), coupons, limits. Row locked. */
  async function releaseLocked(
    tx: Tx,
    row: RedemptionRow,
    reason: 'released' | 'expired' | 'ticket_cancelled',
    actor: Actor,
    now: Date,
  ): Promise<RedemptionRow> {
    for (const held of row.points) {
      const entryId = held.spendEntryId ?? held.blockEntryId;
      if (!entryId) continue;
      await ledger.cancel(
        {
          organizationId: row.organizationId,
          entryId,
          reason: `rewards on order ${row.orderId} ${reason.replace('_', ' ')}`,
          actor,
          now,
        },
        tx,
      );
    }
    const released = await tx
      .update(coupons)
      .set({ status: 'active', usedAt: null, redemptionId: null, updatedAt: now })
      .where(and(eq(coupons.organizationId, row.organizationId), eq(coupons.redemptionId, row.id)))
      .returning({ id: coupons.id });
    const slots = await releaseUsages(tx, row.organizationId, row.id, now);
    for (const rewardId of [...slots.keys()].sort()) {
      await freeSlots(tx, row.organizationId, rewardId, slots.get(rewardId)!);
    }
    const wasCommitted = row.status === 'committed';
    const updated = await save(tx, row, {
      status: 'released',
      releasedAt: now,
      releaseReason: reason,
      updatedAt: now,
    });
    await emit(tx, {
      organizationId: row.organizationId,
      type: 'redemption.released',
      subject: { type: 'redemption', id: row.id },
      payload: { ...eventPayload(updated), reason, refunded: wasCommitted },
    });
    if (wasCommitted && released.length > 0) await couponEvents(tx, updated, 'coupon.unused');
    return updated;
  }

  async function releaseById(
    organizationId: string,
    id: string,
    reason: 'released' | 'expired',
    actor: Actor,
    now: Date,
  ): Promise<RedemptionRow> {
    return transaction(db, async (tx) => {
      const row = await lockRow(tx, organizationId, id);
      if (row.status === 'released') return row;
      if (reason === 'expired' && !(row.status === 'reserved' && row.expiresAt && row.expiresAt <= now))
        return row;
      return releaseLocked(tx, row, reason, actor, now);
    });
  }

  /** Releases reservations whose time is up: before anything that counts limits, points or coupons. */
  async function sweep(organizationId: string | undefined, now: Date): Promise<number> {
    let released = 0;
    for (;;) {
      const due = await expiredReservations(db, now, SWEEP_BATCH, organizationId);
      for (const { organizationId: org, id } of due) {
        const row = await releaseById(org, id, 'expired', SYSTEM, now);
        if (row.releaseReason === 'expired') released++;
      }
      if (due.length < SWEEP_BATCH) return released;
    }
  }

  /**
   * Reserve or commit, in one transaction; the first request for an order wins, later ones get its
   * result. Reservations whose time is up must be released before anything is counted; unless
   * `swept` (just now), the transaction checks for them on its way, without a statement of its
   * own, and throws SweepFirst when there are. `within`: a transaction the caller opened instead.
   */
  async function writeOnce(
    organizationId: string,
    input: RedeemInput,
    now: Date,
    swept: boolean,
    within?: Tx,
  ): Promise<RedemptionView> {
    const work = async (tx: Tx): Promise<RedemptionView> => {
      // The order locked and the member read in one statement (the member is not needed on a replay).
      const read = await readTogether(tx, {
        existing: orderPart(organizationId, input.order.documentNumber),
        member: await customers.lookupPart(organizationId, input.customerId, tx),
      });
      const { existing } = read;
      const lapsed =
        existing?.status === 'reserved' && existing.expiresAt !== null && existing.expiresAt <= now;
      if (lapsed && !swept) {
        throw new SweepFirst();
      }
      if (existing) {
        if (existing.status === 'reserved' && input.mode === 'commit') {
          return view(await commitLocked(tx, existing, input.actor, now));
        }
        return view(existing, true);
      }
      const customer = read.member;
      if (!customer) throw notFound('customer');
      const organization = await organizations.get(organizationId, tx);
      const order = normalizeOrder(input.order, { currency: organization.currency, now });
      const timeZone = await timeZoneAt(
        context,
        tx,
        organizationId,
        order.locationId,
        'body.order.locationId',
      );
      const channel = input.channel ?? rewardChannelOf(order.channel);
      const id = newId();
      const reserve = input.mode === 'reserve';
      const expiresAt = reserve
        ? new Date(now.getTime() + (input.ttlSeconds ?? DEFAULT_TTL_SECONDS) * 1000)
        : null;
      // The row first: a second request for the same order waits here, then finds this one.
      // The member's balances ride on it (a plain read: the ledger checks again under its lock).
      const balances = await pointsPart(context, organizationId, customer.id, tx);
      const [inserted] = await rawRows<{ expired: boolean; balances: unknown }>(
        tx,
        sql`insert into ${redemptions} (organization_id, id, order_id, customer_id, status, location_id,
              channel, currency, "order", expires_at, reserved_at, committed_at, created_at, updated_at)
            values (${organizationId}, ${id}, ${order.documentNumber}, ${customer.id},
              ${reserve ? 'reserved' : 'committed'}, ${order.locationId}, ${channel}, ${order.currency},
              ${JSON.stringify(order)}::jsonb, ${expiresAt?.toISOString() ?? null},
              ${reserve ? now.toISOString() : null}, ${reserve ? null : now.toISOString()},
              ${now.toISOString()}, ${now.toISOString()})
            returning ${swept ? sql`false` : reservationsExpired(organizationId, now)} as expired,
              (${balances.json ?? sql`null`}) as balances`,
      );
      if (inserted!.expired) throw new SweepFirst();

      const resolved = await planner.resolve(tx, organizationId, input.rewards);
      // Members' limits are counted under their lock, rewards in id order (no deadlock between tills).
      const limited = [
        ...new Set(
          resolved
            .filter((item) => item.terms && !item.coupon)
            .filter((item) => item.terms!.memberLimit !== null || item.terms!.memberPeriodLimit !== null)
            .map((item) => item.terms!.id),
        ),
      ].sort();
      for (const rewardId of limited) await lockMember(tx, organizationId, rewardId, customer.id, now);
      const plan = await planner.plan(
        tx,
        {
          organizationId,
          customer,
          order,
          channel,
          timeZone,
          requested: input.rewards,
          now,
          redemptionId: id,
          points: balances.decode(inserted!.balances),
        },
        resolved,
      );
      if (!plan.valid) {
        throw blockedError(
          plan.items.flatMap((item) =>
            item.reasons.map((blocker) => ({ path: `body.rewards.${item.index}`, blocker })),
          ),
          'redemption_not_applicable',
        );
      }

      const points: RedemptionPoints[] = [];
      for (const pointTypeId of [...plan.points.keys()].sort()) {
        const operation = {
          organizationId,
          customerId: customer.id,
          pointTypeId,
          points: plan.points.get(pointTypeId)!,
          reason: `rewards on order ${order.documentNumber}`,
          actor: input.actor,
          source: { type: 'redemption', id },
          locationId: order.locationId,
          now,
          // The redemption was created by this transaction: nothing can have spent for it yet.
          known: { customer, organization, newSource: true },
        };
        const result = reserve ? await ledger.block(operation, tx) : await ledger.spend(operation, tx);
        points.push({
          pointTypeId,
          points: operation.points,
          blockEntryId: reserve ? result.entry.id : null,
          spendEntryId: reserve ? null : result.entry.id,
        });
      }

      const couponItems = plan.items
        .filter((item) => item.couponId)
        .sort((a, b) => (a.couponId! < b.couponId! ? -1 : 1));
      for (const item of couponItems) {
        const [taken] = await tx
          .update(coupons)
          .set(
            reserve
              ? { redemptionId: id, updatedAt: now }
              : {
                  redemptionId: id,
                  status: 'used',
                  usedAt: now,
                  locationId: order.locationId,
                  updatedAt: now,
                },
          )
          .where(
            and(
              eq(coupons.organizationId, organizationId),
              eq(coupons.id, item.couponId!),
              eq(coupons.status, 'active'),
              // Another till took it since the plan was made: the whole redemption fails.
              isNull(coupons.redemptionId),
              lte(coupons.activeFrom, now),
              or(isNull(coupons.expiresAt), gt(coupons.expiresAt, now)),
            ),
          )
          .returning({ id: coupons.id });
        if (!taken) {
          throw new AppError(
            'coupon_not_usable',
            `coupon ${item.couponCode} was just used on another order`,
            {
              errors: [
                { path: `body.rewards.${item.index}`, message: 'coupon_held: the coupon was just used' },
              ],
            },
          );
        }
      }

      const items = plan.items.map((item) => ({ ...item }));
      const slots = new Map<string, number>();
      const usages: SQL[] = [];
      for (const item of items) {
        if (!item.rewardId || item.couponId) continue;
        item.usageId = newId();
        usages.push(
          sql`(${organizationId}, ${item.usageId}, ${item.rewardId}, ${customer.id}, 'redemption', 1,
               ${item.points}, ${item.pointTypeId}, ${id}, ${now.toISOString()})`,
        );
        slots.set(item.rewardId, (slots.get(item.rewardId) ?? 0) + 1);
      }
      const limitless = new Set(
        resolved.flatMap((item) => (item.terms && item.terms.totalLimit === null ? [item.terms.id] : [])),
      );
      const ordered = [...slots.keys()].sort();
      // Counters of rewards without a total limit are only counted (for the API), never refused.
      const counted = ordered.filter((rewardId) => limitless.has(rewardId));
      const guarded = ordered.filter((rewardId) => !limitless.has(rewardId));
      const refused = (rewardId: string) => {
        const item = items.find((i) => i.rewardId === rewardId)!;
        return blockedError(
          [
            {
              path: `body.rewards.${item.index}`,
              blocker: {
                code: 'limit_reached',
                message: `"${item.name}" has been taken as often as it can be`,
              },
            },
          ],
          'reward_limit_reached',
        );
      };
      // The usages (limits count them), the limitless counters and what the plan gave: one statement.
      const writes: SQL[] = [];
      if (usages.length > 0) {
        writes.push(sql`usage as (
          insert into ${rewardUsages} (organization_id, id, reward_id, customer_id, kind, quantity, points,
            point_type_id, redemption_id, used_at)
          values ${sql.join(usages, sql`, `)})`);
      }
      if (counted.length > 0) {
        // Still guarded: a limit set since the catalogue was read holds all the same.
        writes.push(sql`counted as (
          update ${rewards} r set taken = r.taken + s.quantity::int
          from unnest(${arrayParam(counted, 'uuid')}, ${arrayParam(
            counted.map((rewardId) => String(slots.get(rewardId))),
            'text',
          )}) as s(id, quantity)
          where r.organization_id = ${organizationId} and r.id = s.id
            and (r.total_limit is null or r.taken + s.quantity::int <= r.total_limit)
          returning r.id)`);
      }
      const [saved] = await tableRows(
        tx,
        redemptions,
        sql`${writes.length > 0 ? sql`with ${sql.join(writes, sql`, `)}` : sql``}
            update ${redemptions}
            set items = ${JSON.stringify(items)}::jsonb, points = ${JSON.stringify(points)}::jsonb,
              total_discount = ${plan.totalDiscount}, updated_at = ${now.toISOString()}
            where organization_id = ${organizationId} and id = ${id}
              ${counted.length > 0 ? sql`and (select count(*) from counted) = ${counted.length}` : sql``}
            returning *`,
      );
      // Only when one of them was given a total limit meanwhile, and it is reached.
      if (!saved) throw refused(counted[0]!);
      await emit(tx, {
        organizationId,
        type: reserve ? 'redemption.reserved' : 'redemption.committed',
        subject: { type: 'redemption', id },
        payload: { ...eventPayload(saved), expiresAt: expiresAt?.toISOString() ?? null },
      });
      if (!reserve) await couponEvents(tx, saved, 'coupon.used');
      // Last, in id order: the guarded counters whose row locks are held to commit.
      for (const rewardId of guarded) {
        if (!(await takeSlots(tx, organizationId, rewardId, slots.get(rewardId)!))) throw refused(rewardId);
      }
      return view(saved);
    };
    return within ? work(within) : transaction(db, work);
  }

  return {
    sweep,

    /**
     * Validate (nothing written), reserve (held for a TTL) or commit rewards on an order. One
     * redemption per order: asking again returns the first one (`replayed`) and charges nothing.
     */
    async redeem(organizationId: string, input: RedeemInput): Promise<RedemptionView> {
      const now = input.now ?? new Date();
      if (input.mode !== 'validate') {
        let swept = false;
        for (let attempt = 1; ; attempt++) {
          try {
            return await writeOnce(organizationId, input, now, swept);
          } catch (error) {
            if (error instanceof SweepFirst) {
              await sweep(organizationId, now);
              swept = true;
              continue;
            }
            // Two tills sent the same order at once: the loser finds the winner's redemption.
            const race =
              sqlState(error) === UNIQUE_VIOLATION &&
              violatedConstraint(error) === 'redemptions_order_unique';
            if (!race || attempt >= 3) throw error;
          }
        }
      }
      await sweep(organizationId, now);
      const existing = await activeForOrder(db, organizationId, input.order.documentNumber, false);
      if (existing) return view(existing, true);
      const customer = await findMember(organizationId, input.customerId);
      const organization = await organizations.get(organizationId);
      const order = normalizeOrder(input.order, { currency: organization.currency, now });
      const timeZone = await timeZoneAt(
        context,
        db,
        organizationId,
        order.locationId,
        'body.order.locationId',
      );
      const channel = input.channel ?? rewardChannelOf(order.channel);
      const plan = await planner.plan(db, {
        organizationId,
        customer,
        order,
        channel,
        timeZone,
        requested: input.rewards,
        now,
        points: await pointsOf(context, organizationId, customer.id),
      });
      return {
        id: null,
        orderId: order.documentNumber,
        customerId: customer.id,
        status: 'validated',
        valid: plan.valid,
        replayed: false,
        locationId: order.locationId,
        channel,
        currency: order.currency,
        orderTotal: order.totals.total,
        totalDiscount: plan.totalDiscount,
        items: plan.items,
        points: [...plan.points].map(([pointTypeId, points]) => ({ pointTypeId, points })),
        expiresAt: null,
        reservedAt: null,
        committedAt: null,
        releasedAt: null,
        releaseReason: null,
        transactionId: null,
        createdAt: null,
      };
    },

    /**
     * Commits rewards on an order inside the caller's transaction, so that what else it writes
     * (the order's ticket) and the charge are kept together or not at all. Like `redeem`, one
     * redemption per order: asking again charges nothing. Reservations whose time is up must have
     * been released just before, outside the transaction (`sweep`).
     */
    redeemIn(tx: Tx, organizationId: string, input: Omit<RedeemInput, 'mode' | 'ttlSeconds'>) {
      const now = input.now ?? new Date();
      return writeOnce(organizationId, { ...input, mode: 'commit' }, now, true, tx);
    },

    /** Commits a reservation. Committing twice is harmless; an expired or released one answers 409. */
    async commit(
      organizationId: string,
      id: string,
      actor: Actor,
      now = new Date(),
    ): Promise<RedemptionView> {
      await sweep(organizationId, now);
      const row = await transaction(db, async (tx) => {
        const current = await lockRow(tx, organizationId, id);
        if (current.status !== 'reserved') return { row: current, replayed: true };
        return { row: await commitLocked(tx, current, actor, now), replayed: false };
      });
      if (row.row.status === 'released') {
        throw new AppError(
          'redemption_released',
          row.row.releaseReason === 'expired'
            ? `the reservation expired at ${row.row.expiresAt?.toISOString()} and was released`
            : 'the redemption was released',
        );
      }
      return view(row.row, row.replayed);
    },

    /** Gives back what a redemption holds or charged. Releasing twice is harmless. */
    async release(
      organizationId: string,
      id: string,
      actor: Actor,
      now = new Date(),
    ): Promise<RedemptionView> {
      await sweep(organizationId, now);
      return transaction(db, async (tx) => {
        const current = await lockRow(tx, organizationId, id);
        if (current.status === 'released') return view(current, true);
        return view(await releaseLocked(tx, current, 'released', actor, now));
      });
    },

    async get(organizationId: string, id: string, now = new Date()): Promise<RedemptionView> {
      await sweep(organizationId, now);
      if (!UUID.test(id)) throw notFound('redemption');
      const [row] = await db
        .select()
        .from(redemptions)
        .where(and(eq(redemptions.organizationId, organizationId), eq(redemptions.id, id)));
      if (!row) throw notFound('redemption');
      return view(row);
    },

    async list(organizationId: string, filter: RedemptionFilter, page: PageRequest, now = new Date()) {
      await sweep(organizationId, now);
      const rows = await db
        .select()
        .from(redemptions)
        .where(
          and(
            eq(redemptions.organizationId, organizationId),
            filter.customerId ? eq(redemptions.customerId, filter.customerId) : undefined,
            filter.orderId ? eq(redemptions.orderId, filter.orderId) : undefined,
            filter.status ? eq(redemptions.status, filter.status) : undefined,
            afterCursor(redemptions.id, page, 'desc'),
          ),
        )
        .orderBy(desc(redemptions.id))
        .limit(fetchSize(page));
      return rows.map((row) => view(row));
    },

    /**
     * The ticket of an order arrived or changed: link it to the order's redemption, commit a
     * reservation when the ticket completes, release the redemption when it is cancelled. Returns
     * the discounts the redemption gave once committed. Runs in the ticket's transaction.
     * `known.order` is the order's redemption as orderPart read and locked it, if the ticket did.
     */
    orderPart,

    async syncTicket(
      tx: Tx,
      ticket: { organizationId: string; id: string; documentNumber: string; status: string },
      known?: { order: RedemptionRow | undefined },
      now = new Date(),
    ): Promise<GivenDiscount[]> {
      const row = known
        ? known.order
        : await activeForOrder(tx, ticket.organizationId, ticket.documentNumber, true);
      if (!row) return [];
      let current = row.transactionId === null ? await save(tx, row, { transactionId: ticket.id }) : row;
      if (ticket.status === 'cancelled') {
        await releaseLocked(tx, current, 'ticket_cancelled', SYSTEM, now);
        return [];
      }
      if (ticket.status === 'completed' && current.status === 'reserved') {
        if (current.expiresAt && current.expiresAt <= now) {
          await releaseLocked(tx, current, 'expired', SYSTEM, now);
          return [];
        }
        current = await commitLocked(tx, current, SYSTEM, now);
      }
      if (current.status !== 'committed') return [];
      return current.items.flatMap((item) => item.parts);
    },
  };
}

export type Redemptions = ReturnType<typeof createRedemptions>;
