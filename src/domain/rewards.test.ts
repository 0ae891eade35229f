import { describe, expect, it } from 'vitest';
import {
  type Audience,
  couponBlockers,
  couponDates,
  couponStatus,
  discountRule,
  memberPeriodStart,
  offerBlockers,
  type RewardOccasion,
  type RewardTerms,
  stackingBlockers,
  type Usage,
} from './rewards.ts';
import { scheduleMiss } from './schedule.ts';

const MADRID = 'Europe/Madrid';

const reward = (overrides: Partial<RewardTerms> = {}): RewardTerms => ({
  id: 'r1',
  name: 'Free coffee',
  type: 'free_product',
  active: true,
  value: 1,
  config: {},
  scope: { skus: ['COFFEE'], categories: [] },
  costPoints: 5000,
  pointTypeId: null,
  startsAt: null,
  endsAt: null,
  weekdays: [],
  hours: null,
  locationIds: [],
  channels: [],
  tierIds: [],
  segmentIds: [],
  customerIds: [],
  visibleFrom: null,
  visibleTo: null,
  totalLimit: null,
  memberLimit: null,
  memberPeriodLimit: null,
  allowRepeat: false,
  stackable: true,
  minimumOrder: 0,
  couponDelayDays: 0,
  couponValidDays: null,
  ...overrides,
});

const member: Audience = { customerId: 'c1', tierId: null, segmentIds: [], tierDiscountPercent: null };
const unused: Usage = { total: 0, member: 0, memberInPeriod: 0 };
// Wednesday 2026-03-11, 13:30 in Madrid (12:30 UTC).
const lunch: RewardOccasion = {
  at: new Date('2026-03-11T12:30:00Z'),
  timeZone: MADRID,
  locationId: 'loc-1',
  channel: 'pos',
};
const codes = (blockers: { code: string }[]) => blockers.map((b) => b.code);

describe('when and where a reward can be taken', () => {
  it('a plain active reward has nothing in its way', () => {
    expect(offerBlockers(reward(), lunch, member, unused, 'redeem')).toEqual([]);
  });

  it('before its start and after its end', () => {
    const window = { startsAt: new Date('2026-03-12T00:00:00Z'), endsAt: null };
    expect(codes(offerBlockers(reward(window), lunch, member, unused, 'redeem'))).toEqual(['not_started']);
    const ended = { startsAt: null, endsAt: new Date('2026-03-11T12:30:00Z') };
    expect(codes(offerBlockers(reward(ended), lunch, member, unused, 'claim'))).toEqual(['ended']);
  });

  it('on other weekdays and outside its hours, in the local time zone', () => {
    expect(codes(offerBlockers(reward({ weekdays: [6, 7] }), lunch, member, unused, 'redeem'))).toEqual([
      'wrong_day',
    ]);
    expect(codes(offerBlockers(reward({ weekdays: [3] }), lunch, member, unused, 'redeem'))).toEqual([]);
    const happyHour = reward({ hours: { from: '17:00', to: '19:00' } });
    expect(codes(offerBlockers(happyHour, lunch, member, unused, 'redeem'))).toEqual(['outside_hours']);
    const at18 = { ...lunch, at: new Date('2026-03-11T17:00:00Z') }; // 18:00 in Madrid
    expect(offerBlockers(happyHour, at18, member, unused, 'redeem')).toEqual([]);
  });

  it('hours may cross midnight', () => {
    const night = { from: '22:00', to: '02:00' };
    expect(
      scheduleMiss(
        { startsAt: null, endsAt: null, weekdays: [], hours: night },
        new Date('2026-03-11T00:30:00Z'),
        MADRID,
      ),
    ).toBeNull();
    expect(
      scheduleMiss(
        { startsAt: null, endsAt: null, weekdays: [], hours: night },
        new Date('2026-03-11T02:30:00Z'),
        MADRID,
      ),
    ).toBe('outside_hours');
  });

  it('claims ignore weekdays, hours and locations: those are for using it', () => {
    const restricted = reward({
      weekdays: [7],
      hours: { from: '08:00', to: '09:00' },
      locationIds: ['loc-2'],
    });
    expect(offerBlockers(restricted, { ...lunch, channel: 'shop' }, member, unused, 'claim')).toEqual([]);
    expect(codes(offerBlockers(restricted, lunch, member, unused, 'redeem'))).toEqual([
      'wrong_day',
      'location_not_allowed',
    ]);
  });

  it('claims respect the visibility window', () => {
    const hidden = reward({ visibleFrom: new Date('2026-04-01T00:00:00Z') });
    expect(codes(offerBlockers(hidden, { ...lunch, channel: 'shop' }, member, unused, 'claim'))).toEqual([
      'not_visible',
    ]);
  });

  it('channels: a till-only reward is not claimable in the shop', () => {
    const tillOnly = reward({ channels: ['pos'] });
    expect(codes(offerBlockers(tillOnly, { ...lunch, channel: 'shop' }, member, unused, 'claim'))).toEqual([
      'channel_not_allowed',
    ]);
  });

  it('gifts and codes are claimed first; cashback is never claimed', () => {
    expect(codes(offerBlockers(reward({ type: 'gift' }), lunch, member, unused, 'redeem'))).toEqual([
      'claim_required',
    ]);
    expect(
      codes(
        offerBlockers(reward({ type: 'cashback' }), { ...lunch, channel: 'shop' }, member, unused, 'claim'),
      ),
    ).toEqual(['not_claimable']);
  });
});

describe('who a reward is for', () => {
  it('tiers, segments and explicit members', () => {
    const gold = { ...member, tierId: 'gold', segmentIds: ['regulars'] };
    expect(codes(offerBlockers(reward({ tierIds: ['gold'] }), lunch, member, unused, 'redeem'))).toEqual([
      'not_in_tier',
    ]);
    expect(offerBlockers(reward({ tierIds: ['gold'] }), lunch, gold, unused, 'redeem')).toEqual([]);
    expect(codes(offerBlockers(reward({ segmentIds: ['vip'] }), lunch, gold, unused, 'redeem'))).toEqual([
      'not_in_segment',
    ]);
    expect(offerBlockers(reward({ segmentIds: ['vip', 'regulars'] }), lunch, gold, unused, 'redeem')).toEqual(
      [],
    );
    expect(codes(offerBlockers(reward({ customerIds: ['c2'] }), lunch, member, unused, 'redeem'))).toEqual([
      'not_targeted',
    ]);
  });

  it('a tier-discount reward needs a tier with a discount', () => {
    const tierDiscount = reward({ type: 'percentage_discount', value: null, config: { fromTier: true } });
    expect(codes(offerBlockers(tierDiscount, lunch, member, unused, 'redeem'))).toEqual(['no_tier_discount']);
    const silver = { ...member, tierId: 'silver', tierDiscountPercent: 500 };
    expect(offerBlockers(tierDiscount, lunch, silver, unused, 'redeem')).toEqual([]);
    expect(discountRule(tierDiscount, silver, 0)).toEqual({
      kind: 'percentage',
      percent: 500,
      maxAmount: null,
    });
  });
});

describe('limits', () => {
  it('total, per member and per member per period', () => {
    const limited = reward({
      totalLimit: 5,
      memberLimit: 2,
      memberPeriodLimit: { count: 1, period: 'week' },
    });
    expect(
      offerBlockers(limited, lunch, member, { total: 4, member: 1, memberInPeriod: 0 }, 'redeem'),
    ).toEqual([]);
    expect(
      codes(offerBlockers(limited, lunch, member, { total: 5, member: 2, memberInPeriod: 1 }, 'redeem')),
    ).toEqual(['limit_reached', 'member_limit_reached', 'member_period_limit_reached']);
  });

  it('a claim of several counts them all', () => {
    const limited = reward({ totalLimit: 5 });
    expect(codes(offerBlockers(limited, lunch, member, { ...unused, total: 3 }, 'claim', 3))).toEqual([
      'limit_reached',
    ]);
  });

  it('the period starts on the local calendar (ISO week from Monday)', () => {
    const weekly = reward({ memberPeriodLimit: { count: 1, period: 'week' } });
    expect(memberPeriodStart(weekly, lunch.at, MADRID)).toEqual(new Date('2026-03-08T23:00:00Z'));
    expect(memberPeriodStart(reward(), lunch.at, MADRID)).toBeNull();
  });
});

describe('coupons', () => {
  const coupon = {
    customerId: 'c1',
    status: 'active' as const,
    activeFrom: new Date('2026-03-10T00:00:00Z'),
    expiresAt: new Date('2026-03-20T00:00:00Z'),
    held: false,
  };

  it('is usable by its member between its dates', () => {
    expect(couponBlockers(coupon, 'c1', lunch.at)).toEqual([]);
    expect(codes(couponBlockers(coupon, 'c2', lunch.at))).toEqual(['coupon_of_another_member']);
    expect(codes(couponBlockers(coupon, 'c1', new Date('2026-03-09T00:00:00Z')))).toEqual([
      'coupon_not_active_yet',
    ]);
    expect(codes(couponBlockers(coupon, 'c1', new Date('2026-03-20T00:00:00Z')))).toEqual(['coupon_expired']);
    expect(codes(couponBlockers({ ...coupon, held: true }, 'c1', lunch.at))).toEqual(['coupon_held']);
    expect(codes(couponBlockers({ ...coupon, status: 'used' }, 'c1', lunch.at))).toEqual(['coupon_used']);
  });

  it('reads as expired past its date whether or not the scheduler ran', () => {
    expect(couponStatus(coupon, new Date('2026-03-21T00:00:00Z'))).toBe('expired');
    expect(couponStatus({ ...coupon, status: 'used' }, new Date('2026-03-21T00:00:00Z'))).toBe('used');
  });

  it('waits couponDelayDays and lasts couponValidDays, in local days across a DST change', () => {
    // Claimed Saturday 28 March 2026, 10:00 in Madrid; clocks go forward on the 29th.
    const claimedAt = new Date('2026-03-28T09:00:00Z');
    const dates = couponDates({ couponDelayDays: 1, couponValidDays: 2 }, claimedAt, MADRID);
    expect(dates.activeFrom).toEqual(new Date('2026-03-29T08:00:00Z')); // still 10:00 local
    expect(dates.expiresAt).toEqual(new Date('2026-03-31T08:00:00Z'));
    expect(couponDates({ couponDelayDays: 0, couponValidDays: null }, claimedAt, MADRID)).toEqual({
      activeFrom: claimedAt,
      expiresAt: null,
    });
  });
});

describe('stacking', () => {
  const candidate = (key: string, rewardId: string, stackable = true, allowRepeat = false) => ({
    key,
    rewardId,
    name: rewardId,
    stackable,
    allowRepeat,
  });

  it('stackable rewards go together', () => {
    expect(stackingBlockers([candidate('0', 'a'), candidate('1', 'b')]).size).toBe(0);
  });

  it('a non-stackable reward goes alone: the first asked wins, with a clear reason', () => {
    const blocked = stackingBlockers([
      candidate('0', 'a', false),
      candidate('1', 'b'),
      candidate('2', 'c', false),
    ]);
    expect([...blocked.keys()]).toEqual(['1', '2']);
    expect(blocked.get('1')).toEqual({
      code: 'not_stackable',
      message: '"a" cannot be combined with other rewards',
    });
    const late = stackingBlockers([candidate('0', 'b'), candidate('1', 'a', false)]);
    expect(late.get('1')?.code).toBe('not_stackable');
  });

  it('the same reward twice only with allowRepeat', () => {
    expect(stackingBlockers([candidate('0', 'a'), candidate('1', 'a')]).get('1')?.code).toBe(
      'repeat_not_allowed',
    );
    expect(stackingBlockers([candidate('0', 'a', false, true), candidate('1', 'a', false, true)]).size).toBe(
      0,
    );
  });
});

describe('what each type takes off', () => {
  it('maps every type to a discount rule', () => {
    expect(discountRule(reward({ type: 'percentage_discount', value: 1000 }), member, 0)).toMatchObject({
      kind: 'percentage',
      percent: 1000,
    });
    expect(discountRule(reward({ type: 'amount_discount', value: 500 }), member, 0)).toEqual({
      kind: 'amount',
      amount: 500,
    });
    expect(discountRule(reward({ type: 'bogo', value: null }), member, 0)).toEqual({
      kind: 'buy_x_get_y',
      buy: 2,
      free: 1,
    });
    expect(discountRule(reward({ type: 'free_delivery' }), member, 0)).toEqual({ kind: 'delivery' });
    expect(discountRule(reward({ type: 'cashback', value: 5 }), member, 700)).toEqual({
      kind: 'points_value',
      pointValue: 5,
      points: 700,
    });
    expect(discountRule(reward({ type: 'gift' }), member, 0)).toEqual({ kind: 'none' });
    expect(discountRule(reward({ type: 'discount_code', value: null }), member, 0)).toEqual({ kind: 'none' });
    expect(
      discountRule(
        reward({ type: 'discount_code', value: 300, config: { discountType: 'amount' } }),
        member,
        0,
      ),
    ).toEqual({ kind: 'amount', amount: 300 });
  });
});
