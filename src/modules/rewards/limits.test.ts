import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext, type TestOrganization } from '../../../test/support/context.ts';
import { dinner, rewardsApi } from '../../../test/support/rewards.ts';
import { verifyLedger } from '../ledger/verify.ts';
import type { RedemptionMode } from './redemptions.ts';

/**
 * Every limit and window with a fake clock: the service takes `now`, so a week of a restaurant's
 * life runs in a second. The organization is in Madrid; one location is in New York.
 */
let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

const actor = { type: 'system' as const, id: null };
let orders = 0;

function till(org: TestOrganization) {
  const { redemptions, coupons } = ctx.services.rewards;
  return {
    redeem(customerId: string, rewardId: string, at: string, mode: RedemptionMode = 'commit', extra = {}) {
      orders++;
      return redemptions.redeem(org.id, {
        customerId,
        order: dinner(`F-${orders}`, extra),
        rewards: [{ rewardId }],
        mode,
        actor,
        now: new Date(at),
      });
    },
    /** The codes of what stops `rewardId` at `at` (empty: it applies). */
    async blockers(customerId: string, rewardId: string, at: string, extra = {}) {
      const result = await this.redeem(customerId, rewardId, at, 'validate', extra);
      return result.items[0]!.reasons.map((reason) => reason.code);
    },
    claim(customerId: string, rewardId: string, at: string) {
      return coupons.claim(org.id, customerId, rewardId, { actor, now: new Date(at) });
    },
  };
}

describe('windows', () => {
  it('start and end', async () => {
    const org = await ctx.createOrganization();
    const api = rewardsApi(ctx, org);
    const member = await api.member();
    const reward = await api.reward({
      type: 'percentage_discount',
      value: 10,
      startsAt: '2026-03-01T00:00:00Z',
      endsAt: '2026-04-01T00:00:00Z',
    });
    const t = till(org);
    expect(await t.blockers(member, reward.id, '2026-02-28T23:59:59Z')).toEqual(['not_started']);
    expect(await t.blockers(member, reward.id, '2026-03-01T00:00:00Z')).toEqual([]);
    expect(await t.blockers(member, reward.id, '2026-03-31T23:59:59Z')).toEqual([]);
    expect(await t.blockers(member, reward.id, '2026-04-01T00:00:00Z')).toEqual(['ended']);
  });

  it('weekdays and hours in the local time zone, the location’s when it has one', async () => {
    const org = await ctx.createOrganization();
    const api = rewardsApi(ctx, org);
    const member = await api.member();
    const newYork = (
      await api.ok(api.post('/v1/locations', { name: 'Soho', timeZone: 'America/New_York' }), 201)
    ).id as string;
    const happyHour = await api.reward({
      type: 'bogo',
      scope: { categories: ['mains'] },
      weekdays: [5, 6],
      hours: { from: '17:00', to: '19:00' },
    });
    const t = till(org);
    // Friday 2026-03-13: 16:59 and 17:00 in Madrid (UTC+1).
    expect(await t.blockers(member, happyHour.id, '2026-03-13T15:59:00Z')).toEqual(['outside_hours']);
    expect(await t.blockers(member, happyHour.id, '2026-03-13T16:00:00Z')).toEqual([]);
    expect(await t.blockers(member, happyHour.id, '2026-03-13T18:00:00Z')).toEqual(['outside_hours']);
    // Thursday at 18:00 in Madrid.
    expect(await t.blockers(member, happyHour.id, '2026-03-12T17:00:00Z')).toEqual(['wrong_day']);
    // 18:00 on Friday in New York is 23:00 in Madrid: happy hour there, not here.
    const nyOrder = { locationId: newYork };
    expect(await t.blockers(member, happyHour.id, '2026-03-13T22:00:00Z', nyOrder)).toEqual([]);
    expect(await t.blockers(member, happyHour.id, '2026-03-13T22:00:00Z')).toEqual(['outside_hours']);
  });

  it('claims need the reward on show; its coupon is then used in its own window', async () => {
    const org = await ctx.createOrganization();
    const api = rewardsApi(ctx, org);
    const member = await api.member();
    const reward = await api.reward({
      type: 'free_product',
      scope: { skus: ['COFFEE'] },
      visibleFrom: '2026-05-01T00:00:00Z',
      visibleTo: '2026-05-08T00:00:00Z',
      couponValidDays: 10,
    });
    const t = till(org);
    await expect(t.claim(member, reward.id, '2026-04-30T12:00:00Z')).rejects.toMatchObject({
      code: 'reward_not_available',
      message: expect.stringContaining('not_visible'),
    });
    const claim = await t.claim(member, reward.id, '2026-05-07T12:00:00Z');
    expect(claim.coupons[0]!.expiresAt).toEqual(new Date('2026-05-17T12:00:00Z'));
    const code = claim.coupons[0]!.code;
    const { redemptions } = ctx.services.rewards;
    const use = (at: string) =>
      redemptions.redeem(org.id, {
        customerId: member,
        order: dinner(`CPN-${at}`),
        rewards: [{ couponCode: code }],
        mode: 'validate',
        actor,
        now: new Date(at),
      });
    // After the reward stopped being on show the coupon still works, until its own expiry.
    expect((await use('2026-05-16T12:00:00Z')).valid).toBe(true);
    expect((await use('2026-05-17T12:00:00Z')).items[0]!.reasons[0]!.code).toBe('coupon_expired');
  });
});

describe('limits', () => {
  it('per member per day counts in the organization’s calendar day', async () => {
    const org = await ctx.createOrganization();
    const api = rewardsApi(ctx, org);
    const member = await api.member(1000);
    const reward = await api.reward({
      type: 'percentage_discount',
      value: 10,
      costPoints: 10,
      memberPeriodLimit: { count: 1, period: 'day' },
    });
    const t = till(org);
    await t.redeem(member, reward.id, '2026-03-10T10:00:00Z');
    // 23:30 in Madrid, still the same day.
    await expect(t.redeem(member, reward.id, '2026-03-10T22:30:00Z')).rejects.toMatchObject({
      code: 'reward_limit_reached',
    });
    // 00:30 in Madrid the next day (still the 10th in UTC).
    await t.redeem(member, reward.id, '2026-03-10T23:30:00Z');
    expect(await api.points(member)).toMatchObject({ spent: 20 });
  });

  it('per member over a forever period counts every use, however long ago', async () => {
    const org = await ctx.createOrganization();
    const api = rewardsApi(ctx, org);
    const member = await api.member();
    const reward = await api.reward({
      type: 'amount_discount',
      value: 100,
      memberPeriodLimit: { count: 1, period: 'forever' },
    });
    const t = till(org);
    await t.redeem(member, reward.id, '2020-01-01T12:00:00Z');
    expect(await t.blockers(member, reward.id, '2027-01-01T12:00:00Z')).toEqual([
      'member_period_limit_reached',
    ]);
  });

  it('per member in all, given back when a redemption is released', async () => {
    const org = await ctx.createOrganization();
    const api = rewardsApi(ctx, org);
    const member = await api.member();
    const other = await api.member();
    const reward = await api.reward({ type: 'amount_discount', value: 100, memberLimit: 2 });
    const t = till(org);
    const first = await t.redeem(member, reward.id, '2026-03-01T12:00:00Z');
    await t.redeem(member, reward.id, '2026-06-01T12:00:00Z');
    expect(await t.blockers(member, reward.id, '2027-01-01T12:00:00Z')).toEqual(['member_limit_reached']);
    expect(await t.blockers(other, reward.id, '2027-01-01T12:00:00Z')).toEqual([]);
    await ctx.services.rewards.redemptions.release(
      org.id,
      first.id!,
      actor,
      new Date('2027-01-01T12:00:00Z'),
    );
    expect(await t.blockers(member, reward.id, '2027-01-01T12:00:00Z')).toEqual([]);
  });

  it('the total limit counts claims and direct redemptions together', async () => {
    const org = await ctx.createOrganization();
    const api = rewardsApi(ctx, org);
    const member = await api.member();
    const reward = await api.reward({ type: 'free_product', scope: { skus: ['COFFEE'] }, totalLimit: 3 });
    const t = till(org);
    const claimedAt = new Date('2026-03-01T11:00:00Z');
    await ctx.services.rewards.coupons.claim(org.id, member, reward.id, {
      quantity: 2,
      actor,
      now: claimedAt,
    });
    await t.redeem(member, reward.id, '2026-03-01T12:00:00Z', 'reserve');
    expect(await t.blockers(member, reward.id, '2026-03-01T12:00:01Z')).toEqual(['limit_reached']);
    await expect(
      ctx.services.rewards.coupons.claim(org.id, member, reward.id, {
        actor,
        now: new Date('2026-03-01T12:00:02Z'),
      }),
    ).rejects.toMatchObject({ code: 'reward_limit_reached' });
    expect((await api.get(`/v1/rewards/${reward.id}`)).json().usage).toEqual({ taken: 3, left: 0 });
    // The reservation lapses after its 15 minutes: one slot comes back, for the list and for a claim.
    const later = new Date('2026-03-01T12:15:00Z');
    const listed = await ctx.services.rewards.available(org.id, member, { now: later });
    expect(listed.data[0]).toMatchObject({ canRedeem: true });
    await ctx.services.rewards.coupons.claim(org.id, member, reward.id, { actor, now: later });
    expect(await t.blockers(member, reward.id, '2026-03-01T12:15:00Z')).toEqual(['limit_reached']);
  });

  it('a total limit set by hand in SQL holds at checkout before the catalogue in memory knows it', async () => {
    const org = await ctx.createOrganization();
    const api = rewardsApi(ctx, org);
    const member = await api.member();
    const reward = await api.reward({ type: 'free_product', scope: { skus: ['COFFEE'] } });
    const t = till(org);
    await t.redeem(member, reward.id, '2026-03-01T12:00:00Z');
    // Behind the API's back: no notification, the cached definition still says "no limit".
    await ctx.database.db.execute(
      sql`update rewards set total_limit = 1 where organization_id = ${org.id} and id = ${reward.id}`,
    );
    await expect(t.redeem(member, reward.id, '2026-03-01T12:01:00Z')).rejects.toMatchObject({
      code: 'reward_limit_reached',
    });
    expect((await api.get(`/v1/rewards/${reward.id}`)).json().usage).toEqual({ taken: 1, left: 0 });
  });

  it('a minimum order', async () => {
    const org = await ctx.createOrganization();
    const api = rewardsApi(ctx, org);
    const member = await api.member();
    const reward = await api.reward({ type: 'amount_discount', value: 500, minimumOrder: 3451 });
    expect(await till(org).blockers(member, reward.id, '2026-03-01T12:00:00Z')).toEqual([
      'minimum_order_not_met',
    ]);
    await api.call('PATCH', `/v1/rewards/${reward.id}`, { minimumOrder: 3450 });
    expect(await till(org).blockers(member, reward.id, '2026-03-01T12:00:00Z')).toEqual([]);
    expect((await verifyLedger(ctx.database.db, { organizationId: org.id })).mismatches).toEqual([]);
  });
});

describe('targeting by tier and segment', () => {
  it('uses the tiers and segments membership, and offers the tier discount as a reward', async () => {
    const org = await ctx.createOrganization();
    const api = rewardsApi(ctx, org);
    const gold = await api.member();
    const plain = await api.member();
    const tier = await api.ok(
      api.post('/v1/tiers', { name: 'Gold', conditionValue: 1_000_000, discountPercent: 12.5 }),
      201,
    );
    await api.ok(api.post(`/v1/customers/${gold}/tier`, { tierId: tier.id }), 200);
    const segment = await api.ok(
      api.post('/v1/segments', {
        name: 'Friends of the house',
        parts: [{ criteria: [{ type: 'customer_list', customers: [gold] }] }],
      }),
      201,
    );
    await api.reward({ type: 'free_delivery', name: 'Gold delivery', tierIds: [tier.id] });
    await api.reward({ type: 'custom', name: 'Chef table', segmentIds: [segment.id] });
    const tierDiscount = await api.reward({
      type: 'percentage_discount',
      name: 'Your tier discount',
      config: { fromTier: true },
    });

    const reasons = async (member: string) => {
      const list = await api.available(member);
      return Object.fromEntries(
        list.data.map((item: { name: string; reasons: { code: string }[] }) => [
          item.name,
          item.reasons.map((r) => r.code),
        ]),
      );
    };
    expect(await reasons(gold)).toEqual({ 'Gold delivery': [], 'Chef table': [], 'Your tier discount': [] });
    expect(await reasons(plain)).toEqual({
      'Gold delivery': ['not_in_tier'],
      'Chef table': ['not_in_segment'],
      'Your tier discount': ['no_tier_discount'],
    });

    const result = await api.ok(
      api.redeem({ customerId: gold, order: dinner('TIER-1'), rewards: [{ rewardId: tierDiscount.id }] }),
      200,
    );
    // 12.5 % of 34.50 = 4.3125 → 4.31.
    expect(result.rewards[0]).toMatchObject({ applied: true, discount: 431, percent: 12.5 });
  });
});
