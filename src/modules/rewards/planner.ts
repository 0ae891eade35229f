import { and, eq } from 'drizzle-orm';
import type { Executor } from '../../db/connection.ts';
import { computeDiscounts, type DiscountRequest } from '../../domain/discounts.ts';
import { type Hundredths, parsePoints } from '../../domain/points.ts';
import {
  type Blocker,
  discountRule,
  memberPeriodStart,
  offerBlockers,
  pointsBlocker,
  type RewardChannel,
  type RewardTerms,
  stackingBlockers,
  useBlockers,
} from '../../domain/rewards.ts';
import { type RewardRow, toTerms } from './catalog.ts';
import {
  audienceOf,
  CUSTOMER_INACTIVE,
  type Customer,
  type pointsOf,
  type RewardsContext,
} from './context.ts';
import { type CouponRow, type Coupons, couponBlockersOf } from './coupons.ts';
import { discountOrderOf } from './order.ts';
import { rewards } from './schema.ts';
import { countsOf, isLimited, usageOf } from './store.ts';
import type { RedemptionItem, RedemptionOrder } from './types.ts';

/** One reward asked for at checkout: a reward (by id or POS code) or a claimed coupon. */
export interface RequestedReward {
  rewardId?: string | undefined;
  posCode?: string | undefined;
  couponCode?: string | undefined;
  /** Cashback only: points (decimal) to turn into money; default as many as the order needs. */
  points?: number | undefined;
}

interface Resolved {
  index: number;
  request: RequestedReward;
  row: RewardRow | null;
  terms: RewardTerms | null;
  coupon: CouponRow | null;
  blockers: Blocker[];
}

export interface PlanInput {
  organizationId: string;
  customer: Customer;
  order: RedemptionOrder;
  channel: RewardChannel;
  timeZone: string;
  requested: RequestedReward[];
  now: Date;
  /** The redemption being (re)computed: coupons it already holds are not "held by another order". */
  redemptionId?: string | undefined;
  /** The member's active points (as stored: the ledger re-checks under the balance lock). */
  points: MemberPoints;
}

export type MemberPoints = Awaited<ReturnType<typeof pointsOf>>;

export interface Plan {
  items: RedemptionItem[];
  /** Points to hold or charge, per point type. */
  points: Map<string, Hundredths>;
  totalDiscount: number;
  valid: boolean;
}

const blocked = (code: Blocker['code'], message: string): Blocker => ({ code, message });

/**
 * What each reward asked for gives on this order and costs this member, with the reasons of those
 * that cannot be applied. Reads only; reserve and commit act on the plan inside their transaction.
 */
export function createPlanner(context: RewardsContext, coupons: Coupons) {
  const { catalog } = context;

  async function rewardById(executor: Executor, organizationId: string, id: string) {
    const [row] = await executor
      .select()
      .from(rewards)
      .where(and(eq(rewards.organizationId, organizationId), eq(rewards.id, id)));
    return row;
  }

  /** Finds what each request names. Coupons lead to their reward even if it was retired since. */
  async function resolve(
    executor: Executor,
    organizationId: string,
    requested: RequestedReward[],
  ): Promise<Resolved[]> {
    const resolved: Resolved[] = [];
    for (const [index, request] of requested.entries()) {
      const item: Resolved = { index, request, row: null, terms: null, coupon: null, blockers: [] };
      resolved.push(item);
      if (request.couponCode) {
        const coupon = await coupons.findByCode(organizationId, request.couponCode, executor);
        const row = coupon ? await rewardById(executor, organizationId, coupon.rewardId) : undefined;
        const named = request.rewardId ?? request.posCode;
        if (!coupon || !row || (named && named !== row.id && named !== row.posCode)) {
          item.blockers.push(blocked('coupon_not_found', 'no coupon of this organization has this code'));
          continue;
        }
        Object.assign(item, { coupon, row, terms: toTerms(row) });
        // A coupon was paid for: it stays good even if the reward was retired since.
        item.terms!.active = true;
        continue;
      }
      const key = request.rewardId ?? request.posCode;
      const row = key ? await catalog.find(organizationId, key, executor) : undefined;
      if (!row) {
        item.blockers.push(
          blocked('reward_not_found', 'no reward of this organization has this id or posCode'),
        );
        continue;
      }
      Object.assign(item, { row, terms: toTerms(row) });
    }
    return resolved;
  }

  async function plan(executor: Executor, input: PlanInput, resolved?: Resolved[]): Promise<Plan> {
    const { organizationId, customer, order, now } = input;
    const items = resolved ?? (await resolve(executor, organizationId, input.requested));
    const terms = items.flatMap((item) => (item.terms ? [item.terms] : []));
    const audience = await audienceOf(context, executor, organizationId, customer.id, terms);
    const limited = items.filter((item) => item.terms && !item.coupon && isLimited(item.terms));
    const periods = new Map(
      limited.map((item) => [item.terms!.id, memberPeriodStart(item.terms!, now, input.timeZone)]),
    );
    const { counts: usage } = await countsOf(executor, organizationId, customer.id, periods);
    const { available, defaultTypeId } = input.points;
    const occasion = {
      at: now,
      timeZone: input.timeZone,
      locationId: order.locationId,
      channel: input.channel,
    };

    // 1. What stops each reward on its own: the member, the coupon, the reward's rules, points.
    const takenHere = new Map<string, number>();
    const pointsLeft = new Map(available);
    const pointTypeOf = (item: Resolved) => item.terms!.pointTypeId ?? defaultTypeId;
    for (const item of items) {
      if (!item.terms || item.blockers.length > 0) continue;
      if (customer.status !== 'active') item.blockers.push(CUSTOMER_INACTIVE);
      if (item.coupon) {
        item.blockers.push(...couponBlockersOf(item.coupon, customer.id, now, input.redemptionId));
        item.blockers.push(...useBlockers(item.terms, occasion, false));
        if (item.terms.config.fromTier && !audience.tierDiscountPercent) {
          item.blockers.push(blocked('no_tier_discount', "the member's tier gives no discount"));
        }
      } else {
        const earlier = takenHere.get(item.terms.id) ?? 0;
        item.blockers.push(
          ...offerBlockers(item.terms, occasion, audience, usageOf(item.row!, usage), 'redeem', earlier + 1),
        );
        if (item.blockers.length === 0) {
          takenHere.set(item.terms.id, earlier + 1);
          const type = pointTypeOf(item);
          const left = pointsLeft.get(type) ?? 0;
          const cost = item.terms.type === 'cashback' ? 0 : item.terms.costPoints;
          const shortage =
            item.terms.type === 'cashback'
              ? left > 0
                ? null
                : blocked('insufficient_points', 'the member has no points to turn into money')
              : pointsBlocker(cost, left);
          if (shortage) item.blockers.push(shortage);
          else pointsLeft.set(type, left - cost);
        }
      }
    }

    // 2. The order: each reward alone must find something to take off.
    const discountOrder = discountOrderOf(order);
    const requestOf = (item: Resolved): DiscountRequest => {
      let points = 0;
      if (item.terms!.type === 'cashback') {
        const left = pointsLeft.get(pointTypeOf(item)) ?? 0;
        const asked =
          item.request.points !== undefined
            ? parsePoints(item.request.points, `body.rewards.${item.index}.points`)
            : left;
        points = Math.min(asked, left);
      }
      return {
        key: String(item.index),
        rule: discountRule(item.terms!, audience, points),
        scope: item.terms!.scope,
        minimumOrder: item.terms!.minimumOrder,
      };
    };
    for (const item of items) {
      if (!item.terms || item.blockers.length > 0) continue;
      const [alone] = computeDiscounts(discountOrder, [requestOf(item)]);
      if (alone?.reason) item.blockers.push(blocked(alone.reason, reasonText(alone.reason)));
    }

    // 3. Stacking and repeats, in the order asked; then everything that is left, together.
    const candidates = items.filter((item) => item.terms && item.blockers.length === 0);
    const stacking = stackingBlockers(
      candidates.map((item) => ({
        key: String(item.index),
        rewardId: item.terms!.id,
        name: item.terms!.name,
        stackable: item.terms!.stackable,
        allowRepeat: item.terms!.allowRepeat,
      })),
    );
    for (const item of candidates) {
      const blocker = stacking.get(String(item.index));
      if (blocker) item.blockers.push(blocker);
    }
    const applied = candidates.filter((item) => item.blockers.length === 0);
    const results = computeDiscounts(discountOrder, applied.map(requestOf));
    const resultOf = new Map(applied.map((item, index) => [item.index, results[index]!]));
    for (const item of applied) {
      const result = resultOf.get(item.index)!;
      if (result.reason) item.blockers.push(blocked(result.reason, reasonText(result.reason)));
    }

    const points = new Map<string, Hundredths>();
    const planned: RedemptionItem[] = items.map((item) => {
      const result = item.blockers.length === 0 ? resultOf.get(item.index) : undefined;
      const isDirect = item.terms !== null && item.coupon === null;
      const cost =
        !result || !isDirect
          ? 0
          : item.terms!.type === 'cashback'
            ? result.pointsUsed
            : item.terms!.costPoints;
      const pointTypeId = item.terms ? pointTypeOf(item) : null;
      if (cost > 0 && pointTypeId) points.set(pointTypeId, (points.get(pointTypeId) ?? 0) + cost);
      return {
        index: item.index,
        rewardId: item.terms?.id ?? null,
        couponId: item.coupon?.id ?? null,
        couponCode: item.coupon?.code ?? null,
        name: item.terms?.name ?? null,
        type: item.terms?.type ?? null,
        applied: result !== undefined,
        reasons: item.blockers,
        discount: result?.amount ?? 0,
        percent: result?.percent ?? null,
        parts: result?.parts ?? [],
        pointTypeId: cost > 0 ? pointTypeId : item.coupon ? null : pointTypeId,
        points: cost,
        usageId: null,
      };
    });
    const totalDiscount = planned.reduce((sum, item) => sum + item.discount, 0);
    return { items: planned, points, totalDiscount, valid: planned.every((item) => item.applied) };
  }

  return { resolve, plan };
}

function reasonText(reason: string): string {
  switch (reason) {
    case 'minimum_order_not_met':
      return 'the order does not reach the minimum the reward needs';
    case 'no_eligible_lines':
      return 'no line of the order is one the reward applies to';
    case 'not_enough_units':
      return 'the order does not have enough eligible units';
    case 'no_delivery_fee':
      return 'the order has no delivery fee';
    default:
      return 'other rewards already took off everything this one could';
  }
}

export type Planner = ReturnType<typeof createPlanner>;
