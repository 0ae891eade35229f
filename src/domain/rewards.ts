import type { DiscountRule, DiscountScope, Minor } from './discounts.ts';
import { periodStart } from './earning/limits.ts';
import type { LimitPeriod } from './earning/types.ts';
import { formatPoints, type Hundredths } from './points.ts';
import { type Schedule, scheduleMiss } from './schedule.ts';
import { addLocalDays, type LocalDateTime } from './zoned-time.ts';

/**
 * Who may take a reward, where, when and how often: the rules behind `canRedeem` and its reasons.
 * Pure: counts, balances and the member's audience are gathered by the caller.
 */

export const REWARD_TYPES = [
  'percentage_discount',
  'amount_discount',
  'free_product',
  'bogo',
  'discount_code',
  'free_delivery',
  'gift',
  'cashback',
  'custom',
] as const;
export type RewardType = (typeof REWARD_TYPES)[number];

/** Where a reward is taken: at the till, online, in the rewards shop (claimed for points), by staff. */
export const REWARD_CHANNELS = ['pos', 'online', 'shop', 'admin'] as const;
export type RewardChannel = (typeof REWARD_CHANNELS)[number];

export const DELIVERY_STATUSES = ['ordered', 'shipped', 'delivered', 'cancelled'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** Types that exist only as claimed coupons (a code from a pool, a physical gift). */
const CLAIM_ONLY: RewardType[] = ['discount_code', 'gift'];
/** Types that cannot be claimed in advance: cashback converts points at the till. */
const NOT_CLAIMABLE: RewardType[] = ['cashback'];

export interface RewardConfig {
  /** percentage_discount: cap on the amount, minor units. */
  maxAmount?: Minor | null;
  /** percentage_discount: the percent is the member's tier discount benefit. */
  fromTier?: boolean;
  /** bogo: group size and free units per group (2 and 1 = 2x1; 3 and 1 = 3x2). */
  buy?: number;
  free?: number;
  /** discount_code: what `value` is when the code also gives a discount at the till. */
  discountType?: 'percentage' | 'amount';
}

export interface PeriodLimit {
  count: number;
  period: LimitPeriod;
}

/** A reward as the rules read it. Points in hundredths, money in minor units, percent in hundredths. */
export interface RewardTerms extends Schedule {
  id: string;
  name: string;
  type: RewardType;
  active: boolean;
  /** percentage: hundredths of a percent; amount/cashback: minor units; free_product: units. */
  value: number | null;
  config: RewardConfig;
  scope: DiscountScope;
  costPoints: Hundredths;
  pointTypeId: string | null;
  locationIds: string[];
  channels: RewardChannel[];
  tierIds: string[];
  segmentIds: string[];
  customerIds: string[];
  visibleFrom: Date | null;
  visibleTo: Date | null;
  totalLimit: number | null;
  memberLimit: number | null;
  memberPeriodLimit: PeriodLimit | null;
  allowRepeat: boolean;
  stackable: boolean;
  minimumOrder: Minor;
  /** Days a claimed coupon waits before it can be used (0 = at once). */
  couponDelayDays: number;
  /** Days a coupon stays valid once usable; null = forever. */
  couponValidDays: number | null;
}

/** Tier and segments of the member (the tiers/segments module provides them). */
export interface Audience {
  customerId: string;
  tierId: string | null;
  segmentIds: string[];
  /** The tier's discount benefit in hundredths of a percent, if it has one. */
  tierDiscountPercent: number | null;
}

/** How often the reward has been taken: by everyone, by this member, by this member this period. */
export interface Usage {
  total: number;
  member: number;
  memberInPeriod: number;
}

export interface RewardOccasion {
  at: Date;
  timeZone: string;
  /** The local wall clock at `at`, when the caller has it already. */
  local?: LocalDateTime;
  locationId: string | null;
  channel: RewardChannel;
}

export type BlockerCode =
  | 'inactive'
  | 'not_visible'
  | 'not_started'
  | 'ended'
  | 'wrong_day'
  | 'outside_hours'
  | 'location_not_allowed'
  | 'channel_not_allowed'
  | 'not_in_tier'
  | 'not_in_segment'
  | 'not_targeted'
  | 'limit_reached'
  | 'member_limit_reached'
  | 'member_period_limit_reached'
  | 'insufficient_points'
  | 'no_codes_left'
  | 'claim_required'
  | 'not_claimable'
  | 'no_tier_discount'
  | 'customer_inactive'
  | 'minimum_order_not_met'
  | 'no_eligible_lines'
  | 'nothing_left_to_discount'
  | 'not_enough_units'
  | 'no_delivery_fee'
  | 'not_stackable'
  | 'repeat_not_allowed'
  | 'reward_not_found'
  | 'coupon_not_found'
  | 'coupon_of_another_member'
  | 'coupon_not_active_yet'
  | 'coupon_expired'
  | 'coupon_used'
  | 'coupon_cancelled'
  | 'coupon_held';

export interface Blocker {
  code: BlockerCode;
  message: string;
}

const blocker = (code: BlockerCode, message: string): Blocker => ({ code, message });

export function isVisible(reward: Pick<RewardTerms, 'visibleFrom' | 'visibleTo'>, at: Date): boolean {
  return !(reward.visibleFrom && at < reward.visibleFrom) && !(reward.visibleTo && at >= reward.visibleTo);
}

/** Where and when a reward may be used: its window, weekdays, hours and locations. */
export function useBlockers(reward: RewardTerms, occasion: RewardOccasion, checkWindow = true): Blocker[] {
  const blockers: Blocker[] = [];
  const schedule = checkWindow ? reward : { ...reward, startsAt: null, endsAt: null };
  const miss = scheduleMiss(schedule, occasion.at, occasion.timeZone, occasion.local);
  if (miss === 'not_started') blockers.push(blocker(miss, 'the reward is not available yet'));
  if (miss === 'ended') blockers.push(blocker(miss, 'the reward is no longer available'));
  if (miss === 'wrong_day')
    blockers.push(blocker(miss, 'the reward is not available on this day of the week'));
  if (miss === 'outside_hours') {
    blockers.push(blocker(miss, `the reward is available from ${reward.hours!.from} to ${reward.hours!.to}`));
  }
  if (
    reward.locationIds.length > 0 &&
    !(occasion.locationId && reward.locationIds.includes(occasion.locationId))
  ) {
    blockers.push(blocker('location_not_allowed', 'the reward is not available at this location'));
  }
  return blockers;
}

/** Whether the member is one the reward is meant for. */
export function audienceBlockers(reward: RewardTerms, audience: Audience): Blocker[] {
  const blockers: Blocker[] = [];
  if (reward.tierIds.length > 0 && !(audience.tierId && reward.tierIds.includes(audience.tierId))) {
    blockers.push(blocker('not_in_tier', "the reward is for other tiers than the member's"));
  }
  if (reward.segmentIds.length > 0 && !audience.segmentIds.some((id) => reward.segmentIds.includes(id))) {
    blockers.push(blocker('not_in_segment', 'the member is in none of the segments the reward is for'));
  }
  if (reward.customerIds.length > 0 && !reward.customerIds.includes(audience.customerId)) {
    blockers.push(blocker('not_targeted', 'the reward is reserved for other members'));
  }
  return blockers;
}

export function limitBlockers(reward: RewardTerms, usage: Usage, quantity = 1): Blocker[] {
  const blockers: Blocker[] = [];
  if (reward.totalLimit !== null && usage.total + quantity > reward.totalLimit) {
    blockers.push(blocker('limit_reached', `the reward has been taken its ${reward.totalLimit} times`));
  }
  if (reward.memberLimit !== null && usage.member + quantity > reward.memberLimit) {
    blockers.push(
      blocker(
        'member_limit_reached',
        `the member has taken this reward ${usage.member} of ${reward.memberLimit} times`,
      ),
    );
  }
  const period = reward.memberPeriodLimit;
  if (period !== null && usage.memberInPeriod + quantity > period.count) {
    blockers.push(
      blocker(
        'member_period_limit_reached',
        `the member has taken this reward ${usage.memberInPeriod} of ${period.count} times this ${period.period.replace('_', ' ')}`,
      ),
    );
  }
  return blockers;
}

export function pointsBlocker(needed: Hundredths, available: Hundredths): Blocker | null {
  if (needed <= available) return null;
  return blocker(
    'insufficient_points',
    `the reward costs ${formatPoints(needed)} points and the member has ${formatPoints(available)} available`,
  );
}

export type Purpose = 'claim' | 'redeem';

/**
 * Everything about the reward itself that stops this member from taking it now: claiming it in the
 * shop (`claim`), or redeeming it directly at the till (`redeem`). Points, codes and the order are
 * checked separately. Coupons already claimed are checked with `couponBlockers` instead.
 */
export function offerBlockers(
  reward: RewardTerms,
  occasion: RewardOccasion,
  audience: Audience,
  usage: Usage,
  purpose: Purpose,
  quantity = 1,
): Blocker[] {
  const blockers: Blocker[] = [];
  if (!reward.active) blockers.push(blocker('inactive', 'the reward is not active'));
  if (purpose === 'claim' && NOT_CLAIMABLE.includes(reward.type)) {
    blockers.push(blocker('not_claimable', 'cashback is redeemed at the till, not claimed in advance'));
  }
  if (purpose === 'redeem' && CLAIM_ONLY.includes(reward.type)) {
    blockers.push(blocker('claim_required', 'this reward is used through a claimed coupon'));
  }
  if (purpose === 'claim') {
    if (!isVisible(reward, occasion.at))
      blockers.push(blocker('not_visible', 'the reward is not on show now'));
    const miss = scheduleMiss(
      { startsAt: reward.startsAt, endsAt: reward.endsAt, weekdays: [], hours: null },
      occasion.at,
      occasion.timeZone,
    );
    if (miss === 'not_started') blockers.push(blocker(miss, 'the reward is not available yet'));
    if (miss === 'ended') blockers.push(blocker(miss, 'the reward is no longer available'));
  } else {
    blockers.push(...useBlockers(reward, occasion));
  }
  if (reward.channels.length > 0 && !reward.channels.includes(occasion.channel)) {
    blockers.push(
      blocker('channel_not_allowed', `the reward is not offered on the ${occasion.channel} channel`),
    );
  }
  blockers.push(...audienceBlockers(reward, audience));
  if (purpose === 'redeem' && reward.config.fromTier && !audience.tierDiscountPercent) {
    blockers.push(blocker('no_tier_discount', "the member's tier gives no discount"));
  }
  blockers.push(...limitBlockers(reward, usage, quantity));
  return blockers;
}

export interface CouponState {
  customerId: string;
  status: 'active' | 'used' | 'expired' | 'cancelled';
  activeFrom: Date;
  expiresAt: Date | null;
  /** A reservation of another order holds it. */
  held: boolean;
}

/** Effective status: an active coupon past its expiry is expired, whether or not the scheduler ran. */
export function couponStatus(
  coupon: Pick<CouponState, 'status' | 'expiresAt'>,
  at: Date,
): CouponState['status'] {
  if (coupon.status === 'active' && coupon.expiresAt !== null && at >= coupon.expiresAt) return 'expired';
  return coupon.status;
}

export function couponBlockers(coupon: CouponState, customerId: string | null, at: Date): Blocker[] {
  if (customerId !== null && coupon.customerId !== customerId) {
    return [blocker('coupon_of_another_member', 'the coupon belongs to another member')];
  }
  const status = couponStatus(coupon, at);
  if (status === 'used') return [blocker('coupon_used', 'the coupon has been used')];
  if (status === 'cancelled') return [blocker('coupon_cancelled', 'the coupon was cancelled')];
  if (status === 'expired') return [blocker('coupon_expired', 'the coupon has expired')];
  if (at < coupon.activeFrom) {
    return [
      blocker('coupon_not_active_yet', `the coupon can be used from ${coupon.activeFrom.toISOString()}`),
    ];
  }
  if (coupon.held) return [blocker('coupon_held', 'the coupon is reserved for another order')];
  return [];
}

/** When a coupon claimed at `claimedAt` becomes usable and when it stops being so (local days). */
export function couponDates(
  reward: Pick<RewardTerms, 'couponDelayDays' | 'couponValidDays'>,
  claimedAt: Date,
  timeZone: string,
): { activeFrom: Date; expiresAt: Date | null } {
  const activeFrom =
    reward.couponDelayDays > 0 ? addLocalDays(claimedAt, reward.couponDelayDays, timeZone) : claimedAt;
  const expiresAt =
    reward.couponValidDays !== null && reward.couponValidDays > 0
      ? addLocalDays(activeFrom, reward.couponValidDays, timeZone)
      : null;
  return { activeFrom, expiresAt };
}

/** Start of the period the member's per-period limit counts in (null: no period limit / forever). */
export function memberPeriodStart(reward: RewardTerms, at: Date, timeZone: string): Date | null {
  return reward.memberPeriodLimit ? periodStart(reward.memberPeriodLimit.period, at, timeZone) : null;
}

/** What the reward takes off an order. `cashbackPoints`: the points the member turns into money. */
export function discountRule(
  reward: RewardTerms,
  audience: Audience,
  cashbackPoints: Hundredths,
): DiscountRule {
  const value = reward.value ?? 0;
  switch (reward.type) {
    case 'percentage_discount':
      return {
        kind: 'percentage',
        percent: reward.config.fromTier ? (audience.tierDiscountPercent ?? 0) : value,
        maxAmount: reward.config.maxAmount ?? null,
      };
    case 'amount_discount':
      return { kind: 'amount', amount: value };
    case 'free_product':
      return { kind: 'free_units', units: Math.max(value, 1) };
    case 'bogo':
      return { kind: 'buy_x_get_y', buy: reward.config.buy ?? 2, free: reward.config.free ?? 1 };
    case 'free_delivery':
      return { kind: 'delivery' };
    case 'cashback':
      return { kind: 'points_value', pointValue: value, points: cashbackPoints };
    case 'discount_code':
      if (reward.value === null) return { kind: 'none' };
      return reward.config.discountType === 'amount'
        ? { kind: 'amount', amount: value }
        : { kind: 'percentage', percent: value, maxAmount: reward.config.maxAmount ?? null };
    case 'gift':
    case 'custom':
      return { kind: 'none' };
  }
}

export interface StackingCandidate {
  key: string;
  rewardId: string;
  name: string;
  stackable: boolean;
  allowRepeat: boolean;
}

/**
 * Which of the rewards asked for on one order may go together, in the order they were asked: a
 * reward that is not stackable goes alone (the first one asked wins), and a reward appears twice
 * only when it allows repeats. Returns the blocker of each candidate that must be left out.
 */
export function stackingBlockers(candidates: StackingCandidate[]): Map<string, Blocker> {
  const blocked = new Map<string, Blocker>();
  const accepted: StackingCandidate[] = [];
  for (const candidate of candidates) {
    const exclusive = accepted.find((other) => !other.stackable && other.rewardId !== candidate.rewardId);
    const repeated = accepted.find((other) => other.rewardId === candidate.rewardId);
    if (repeated && !candidate.allowRepeat) {
      blocked.set(
        candidate.key,
        blocker('repeat_not_allowed', `"${candidate.name}" can be used only once per order`),
      );
    } else if (exclusive) {
      blocked.set(
        candidate.key,
        blocker('not_stackable', `"${exclusive.name}" cannot be combined with other rewards`),
      );
    } else if (!candidate.stackable && accepted.some((other) => other.rewardId !== candidate.rewardId)) {
      blocked.set(
        candidate.key,
        blocker('not_stackable', `"${candidate.name}" cannot be combined with other rewards`),
      );
    } else accepted.push(candidate);
  }
  return blocked;
}
