import { and, asc, eq, gt, inArray, isNull, lte, or, sql } from 'drizzle-orm';
import { type Executor, rowOf } from '../../db/connection.ts';
import { newId } from '../../db/ids.ts';
import { afterCursor, fetchSize, type PageRequest } from '../../db/pagination.ts';
import { type PartRead, readPart } from '../../db/together.ts';
import { sqlState, transaction, UNIQUE_VIOLATION, violatedConstraint } from '../../db/transaction.ts';
import { toPoints } from '../../domain/points.ts';
import {
  type Blocker,
  couponBlockers,
  couponDates,
  couponStatus,
  type DeliveryStatus,
  memberPeriodStart,
  offerBlockers,
  type RewardChannel,
} from '../../domain/rewards.ts';
import { AppError, notFound, nullIfNotFound, validationFailed } from '../../errors.ts';
import { emit } from '../events/service.ts';
import type { Actor } from '../ledger/service.ts';
import { generateCode, type RewardRow, toTerms } from './catalog.ts';
import { audienceOf, blockedError, CUSTOMER_INACTIVE, type RewardsContext } from './context.ts';
import { type CouponStatus, coupons, rewards } from './schema.ts';
import {
  countsOf,
  hasPool,
  insertUsage,
  isLimited,
  lockMember,
  takePoolCodes,
  takeSlots,
  usageOf,
} from './store.ts';

export type CouponRow = typeof coupons.$inferSelect;

/** A coupon with the reward it is for (name and type, for receipts and the cashier screen). */
export interface CouponView extends CouponRow {
  rewardName: string;
  rewardType: RewardRow['type'];
}

export interface ClaimInput {
  quantity?: number | undefined;
  channel?: RewardChannel | undefined;
  actor: Actor;
  now?: Date | undefined;
}

export interface ClaimResult {
  claimId: string;
  reward: RewardRow;
  quantity: number;
  points: number;
  pointTypeId: string | null;
  coupons: CouponView[];
}

export interface CouponFilter {
  customerId?: string | undefined;
  rewardId?: string | undefined;
  code?: string | undefined;
  status?: CouponStatus | undefined;
  deliveryStatus?: DeliveryStatus | undefined;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CODE_ATTEMPTS = 3;

/** Whether the coupon can be used at `now` (ignoring where: see the reward's locations and hours). */
export function isUsable(coupon: CouponRow, now: Date): boolean {
  return couponStatus(coupon, now) === 'active' && coupon.activeFrom <= now && coupon.redemptionId === null;
}

export function couponBlockersOf(
  coupon: CouponRow,
  customerId: string | null,
  now: Date,
  redemptionId?: string,
) {
  return couponBlockers(
    {
      customerId: coupon.customerId,
      status: coupon.status,
      activeFrom: coupon.activeFrom,
      expiresAt: coupon.expiresAt,
      held: coupon.redemptionId !== null && coupon.redemptionId !== redemptionId,
    },
    customerId,
    now,
  );
}

/**
 * The member's coupons usable at `now`, in id order, as a part of a read several modules answer
 * together (every member's list of rewards asks).
 */
function usablePart(organizationId: string, customerId: string, now: Date): PartRead<CouponRow[]> {
  return {
    json: sql`select json_agg(row_to_json(c) order by c.id) from ${coupons} c
        where c.organization_id = ${organizationId} and c.customer_id = ${customerId} and c.status = 'active'
          and c.redemption_id is null and c.active_from <= ${now.toISOString()}
          and (c.expires_at is null or c.expires_at > ${now.toISOString()})`,
    decode: (value) => ((value ?? []) as Array<Record<string, unknown>>).map((row) => rowOf(coupons, row)),
  };
}

/**
 * `sweep` releases reservations whose time is up (they hold limits and coupons): claims and uses
 * run it first, so what they count never depends on the scheduler having run.
 */
export function createCoupons(
  context: RewardsContext,
  sweep: (organizationId: string, now: Date) => Promise<unknown>,
) {
  const { db, catalog, ledger, customers, organizations } = context;

  async function withReward(
    executor: Executor,
    organizationId: string,
    rows: CouponRow[],
  ): Promise<CouponView[]> {
    if (rows.length === 0) return [];
    const ids = [...new Set(rows.map((row) => row.rewardId))];
    const found = await executor
      .select({ id: rewards.id, name: rewards.name, type: rewards.type })
      .from(rewards)
      .where(and(eq(rewards.organizationId, organizationId), inArray(rewards.id, ids)));
    const byId = new Map(found.map((reward) => [reward.id, reward]));
    return rows.map((row) => ({
      ...row,
      rewardName: byId.get(row.rewardId)?.name ?? '',
      rewardType: byId.get(row.rewardId)?.type ?? 'custom',
    }));
  }

  async function get(
    organizationId: string,
    id: string,
    executor: Executor = db,
    options: { forUpdate?: boolean } = {},
  ): Promise<CouponView> {
    if (!UUID.test(id)) throw notFound('coupon');
    const query = executor
      .select()
      .from(coupons)
      .where(and(eq(coupons.organizationId, organizationId), eq(coupons.id, id)));
    const [row] = await (options.forUpdate ? query.for('update') : query);
    if (!row) throw notFound('coupon');
    return (await withReward(executor, organizationId, [row]))[0]!;
  }

  async function claimOnce(
    organizationId: string,
    customerId: string,
    rewardId: string,
    input: ClaimInput,
  ): Promise<ClaimResult> {
    const now = input.now ?? new Date();
    const quantity = input.quantity ?? 1;
    const channel = input.channel ?? 'shop';
    return transaction(db, async (tx) => {
      const customer = await customers.get(organizationId, customerId, tx);
      const row = await catalog.get(organizationId, rewardId, tx);
      const terms = toTerms(row);
      const organization = await organizations.get(organizationId, tx);
      const timeZone = organization.timeZone;
      const audience = await audienceOf(context, tx, organizationId, customer.id, [terms]);
      if (terms.memberLimit !== null || terms.memberPeriodLimit !== null) {
        await lockMember(tx, organizationId, terms.id, customer.id, now);
      }
      const { counts: usage } = isLimited(terms)
        ? await countsOf(
            tx,
            organizationId,
            customer.id,
            new Map([[terms.id, memberPeriodStart(terms, now, timeZone)]]),
          )
        : { counts: new Map() };
      const blockers: Blocker[] = offerBlockers(
        terms,
        { at: now, timeZone, locationId: null, channel },
        audience,
        usageOf(row, usage),
        'claim',
        quantity,
      );
      if (customer.status !== 'active') blockers.unshift(CUSTOMER_INACTIVE);
      if (blockers.length > 0) {
        throw blockedError(
          blockers.map((blocker) => ({ path: 'reward', blocker })),
          'reward_not_available',
        );
      }

      const claimId = newId();
      const points = terms.costPoints * quantity;
      let pointTypeId = terms.pointTypeId;
      if (points > 0) {
        const spent = await ledger.spend(
          {
            organizationId,
            customerId: customer.id,
            pointTypeId: terms.pointTypeId ?? undefined,
            points,
            reason: quantity > 1 ? `reward ${row.name} ×${quantity}` : `reward ${row.name}`,
            actor: input.actor,
            source: { type: 'reward_claim', id: claimId },
            now,
          },
          tx,
        );
        pointTypeId = spent.entry.pointTypeId;
      }

      const couponIds = Array.from({ length: quantity }, () => newId());
      let codes: string[];
      if (row.type === 'discount_code' || (await hasPool(tx, organizationId, row.id))) {
        codes = await takePoolCodes(tx, organizationId, row.id, couponIds);
        if (codes.length < quantity) {
          throw blockedError(
            [{ path: 'reward', blocker: { code: 'no_codes_left', message: 'the reward has no codes left' } }],
            'no_codes_left',
          );
        }
      } else codes = couponIds.map(() => generateCode());

      const { activeFrom, expiresAt } = couponDates(terms, now, timeZone);
      const issued = await tx
        .insert(coupons)
        .values(
          couponIds.map((id, index) => ({
            organizationId,
            id,
            code: codes[index]!,
            rewardId: row.id,
            customerId: customer.id,
            claimId,
            status: 'active' as const,
            activeFrom,
            expiresAt,
            costPoints: terms.costPoints,
            deliveryStatus: row.type === 'gift' ? ('ordered' as const) : null,
            createdAt: now,
            updatedAt: now,
          })),
        )
        .returning();
      await insertUsage(tx, {
        organizationId,
        id: claimId,
        rewardId: row.id,
        customerId: customer.id,
        kind: 'claim',
        quantity,
        points,
        pointTypeId,
        usedAt: now,
      });
      await emit(tx, {
        organizationId,
        type: 'reward.claimed',
        subject: { type: 'customer', id: customer.id },
        payload: {
          claimId,
          rewardId: row.id,
          customerId: customer.id,
          quantity,
          points: toPoints(points),
          pointTypeId,
          couponIds,
        },
      });
      for (const coupon of issued) {
        await emit(tx, {
          organizationId,
          type: 'coupon.issued',
          subject: { type: 'coupon', id: coupon.id },
          payload: {
            couponId: coupon.id,
            code: coupon.code,
            rewardId: row.id,
            customerId: customer.id,
            activeFrom: coupon.activeFrom.toISOString(),
            expiresAt: coupon.expiresAt?.toISOString() ?? null,
          },
        });
      }
      // Last: the reward row stays locked from here to commit, so claims of one reward queue briefly.
      if (!(await takeSlots(tx, organizationId, row.id, quantity))) {
        throw blockedError(
          [
            {
              path: 'reward',
              blocker: {
                code: 'limit_reached',
                message: `the reward has been taken its ${row.totalLimit} times`,
              },
            },
          ],
          'reward_limit_reached',
        );
      }
      return {
        claimId,
        reward: row,
        quantity,
        points,
        pointTypeId,
        coupons: await withReward(tx, organizationId, issued),
      };
    });
  }

  return {
    get,

    /** Spends the reward's points and issues `quantity` coupons (Open Loyalty's "buy"). */
    async claim(organizationId: string, customerId: string, rewardId: string, input: ClaimInput) {
      await sweep(organizationId, input.now ?? new Date());
      for (let attempt = 1; ; attempt++) {
        try {
          return await claimOnce(organizationId, customerId, rewardId, input);
        } catch (error) {
          // A generated code that someone already has: rare; a new claim draws new codes.
          const clash =
            sqlState(error) === UNIQUE_VIOLATION && violatedConstraint(error) === 'coupons_code_unique';
          if (!clash || attempt >= CODE_ATTEMPTS) throw error;
        }
      }
    },

    async list(organizationId: string, filter: CouponFilter, page: PageRequest, now = new Date()) {
      const status = filter.status;
      // `expired` and `active` are what a reader sees, whether or not the scheduler ran yet.
      const expiredNow = and(
        eq(coupons.status, 'active'),
        sql`${coupons.expiresAt} is not null`,
        lte(coupons.expiresAt, now),
      );
      const statusCondition =
        status === 'expired'
          ? or(eq(coupons.status, 'expired'), expiredNow)
          : status === 'active'
            ? and(eq(coupons.status, 'active'), or(isNull(coupons.expiresAt), gt(coupons.expiresAt, now)))
            : status
              ? eq(coupons.status, status)
              : undefined;
      const rows = await db
        .select()
        .from(coupons)
        .where(
          and(
            eq(coupons.organizationId, organizationId),
            filter.customerId ? eq(coupons.customerId, filter.customerId) : undefined,
            filter.rewardId ? eq(coupons.rewardId, filter.rewardId) : undefined,
            filter.code ? eq(coupons.code, filter.code) : undefined,
            filter.deliveryStatus ? eq(coupons.deliveryStatus, filter.deliveryStatus) : undefined,
            statusCondition,
            afterCursor(coupons.id, page),
          ),
        )
        .orderBy(asc(coupons.id))
        .limit(fetchSize(page));
      return withReward(db, organizationId, rows);
    },

    /** The member's coupons that could be used now (where: the caller checks the reward's rules). */
    usableOf(organizationId: string, customerId: string, now: Date, executor: Executor = db) {
      return readPart(executor, usablePart(organizationId, customerId, now));
    },

    usablePart,

    async findByCode(organizationId: string, code: string, executor: Executor = db) {
      const [row] = await executor
        .select()
        .from(coupons)
        .where(and(eq(coupons.organizationId, organizationId), eq(coupons.code, code)));
      return row;
    },

    /** Marks a coupon used by hand (outside a checkout redemption), optionally naming where. */
    async use(
      organizationId: string,
      id: string,
      input: {
        usedOn?: string | null | undefined;
        locationId?: string | null | undefined;
        now?: Date | undefined;
      },
    ): Promise<CouponView> {
      const now = input.now ?? new Date();
      await sweep(organizationId, now);
      return transaction(db, async (tx) => {
        const current = await get(organizationId, id, tx);
        if (input.locationId) {
          const location = await nullIfNotFound(context.locations.get(organizationId, input.locationId, tx));
          if (!location) throw validationFailed('body.locationId', 'is not a location of this organization');
        }
        const [row] = await tx
          .update(coupons)
          .set({
            status: 'used',
            usedAt: now,
            usedOn: input.usedOn ?? null,
            locationId: input.locationId ?? null,
            updatedAt: now,
          })
          .where(
            and(
              eq(coupons.organizationId, organizationId),
              eq(coupons.id, id),
              eq(coupons.status, 'active'),
              isNull(coupons.redemptionId),
              lte(coupons.activeFrom, now),
              or(isNull(coupons.expiresAt), gt(coupons.expiresAt, now)),
            ),
          )
          .returning();
        if (!row) {
          const [blocker] = couponBlockersOf(current, null, now);
          throw new AppError('coupon_not_usable', blocker?.message ?? 'the coupon cannot be used', {
            errors: [
              { path: 'coupon', message: `${blocker?.code ?? 'coupon_not_usable'}: ${blocker?.message}` },
            ],
          });
        }
        await emit(tx, {
          organizationId,
          type: 'coupon.used',
          subject: { type: 'coupon', id },
          payload: {
            couponId: id,
            code: row.code,
            rewardId: row.rewardId,
            customerId: row.customerId,
            usedOn: row.usedOn,
            locationId: row.locationId,
            redemptionId: null,
          },
        });
        return { ...current, ...row };
      });
    },

    /** Undoes a use by hand. A coupon used by a checkout redemption comes back when that is released. */
    async unuse(organizationId: string, id: string, now = new Date()): Promise<CouponView> {
      if (!UUID.test(id)) throw notFound('coupon');
      return transaction(db, async (tx) => {
        // The write checks what it needs (used, by hand): two calls at once give it back once.
        const [row] = await tx
          .update(coupons)
          .set({ status: 'active', usedAt: null, usedOn: null, locationId: null, updatedAt: now })
          .where(
            and(
              eq(coupons.organizationId, organizationId),
              eq(coupons.id, id),
              eq(coupons.status, 'used'),
              isNull(coupons.redemptionId),
            ),
          )
          .returning();
        const current = await get(organizationId, id, tx);
        if (!row && current.redemptionId !== null) {
          throw new AppError(
            'coupon_not_usable',
            `the coupon was used by redemption ${current.redemptionId}: release that redemption instead`,
            { status: 409 },
          );
        }
        if (!row) {
          throw new AppError('coupon_not_usable', `the coupon is ${couponStatus(current, now)}, not used`, {
            status: 409,
          });
        }
        await emit(tx, {
          organizationId,
          type: 'coupon.unused',
          subject: { type: 'coupon', id },
          payload: {
            couponId: id,
            code: current.code,
            rewardId: current.rewardId,
            customerId: current.customerId,
          },
        });
        return { ...current, ...row };
      });
    },

    /** Gifts only: ordered → shipped → delivered, or cancelled. */
    async setDeliveryStatus(organizationId: string, id: string, status: DeliveryStatus): Promise<CouponView> {
      return transaction(db, async (tx) => {
        // Locked: two changes at once each report the status the other left (`from`).
        const current = await get(organizationId, id, tx, { forUpdate: true });
        if (current.deliveryStatus === null) {
          throw validationFailed('body.status', 'only coupons of gift rewards have a delivery status');
        }
        const [row] = await tx
          .update(coupons)
          .set({ deliveryStatus: status, updatedAt: new Date() })
          .where(and(eq(coupons.organizationId, organizationId), eq(coupons.id, id)))
          .returning();
        await emit(tx, {
          organizationId,
          type: 'coupon.delivery_status_changed',
          subject: { type: 'coupon', id },
          payload: {
            couponId: id,
            rewardId: current.rewardId,
            customerId: current.customerId,
            from: current.deliveryStatus,
            to: status,
          },
        });
        return { ...current, ...row! };
      });
    },

    withReward,
  };
}

export type Coupons = ReturnType<typeof createCoupons>;
