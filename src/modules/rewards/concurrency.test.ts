import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../../../test/support/context.ts';
import { dinner, rewardsApi } from '../../../test/support/rewards.ts';
import { verifyLedger } from '../ledger/verify.ts';

/**
 * Many tills at once. On PostgreSQL the requests really run in parallel (a pool of 10
 * connections) and meet on row locks and guarded counters; on PGlite they run one after another.
 * Both must give the same answers.
 */
let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

const statuses = (responses: Array<{ statusCode: number }>) => {
  const counts: Record<number, number> = {};
  for (const response of responses) counts[response.statusCode] = (counts[response.statusCode] ?? 0) + 1;
  return counts;
};

describe('limits under concurrency', () => {
  it('a reward limited to 5, 50 members redeeming at once: exactly 5 succeed', async () => {
    const org = await ctx.createOrganization();
    const api = rewardsApi(ctx, org);
    const reward = await api.reward({ type: 'amount_discount', value: 500, costPoints: 10, totalLimit: 5 });
    const members = await Promise.all(Array.from({ length: 50 }, () => api.member(10)));
    const responses = await Promise.all(
      members.map((member, i) =>
        api.redeem({
          customerId: member,
          order: dinner(`O-${i}`),
          rewards: [{ rewardId: reward.id }],
          mode: 'commit',
        }),
      ),
    );
    expect(statuses(responses)).toEqual({ 201: 5, 409: 45 });
    for (const response of responses.filter((r) => r.statusCode === 409)) {
      expect(response.json().code).toBe('reward_limit_reached');
    }
    expect((await api.get(`/v1/rewards/${reward.id}`)).json().usage).toEqual({ taken: 5, left: 0 });
    const committed = (await api.get('/v1/redemptions?status=committed&limit=100')).json().data;
    expect(committed).toHaveLength(5);
    const balances = await Promise.all(members.map((member) => api.points(member)));
    expect(balances.filter((b) => b.spent === 10)).toHaveLength(5);
    expect(balances.filter((b) => b.active === 10 && b.blocked === 0)).toHaveLength(45);
    expect((await verifyLedger(ctx.database.db, { organizationId: org.id })).mismatches).toEqual([]);
  });

  it('the same limit holds for claims', async () => {
    const org = await ctx.createOrganization();
    const api = rewardsApi(ctx, org);
    const reward = await api.reward({ type: 'gift', costPoints: 10, totalLimit: 5 });
    const members = await Promise.all(Array.from({ length: 30 }, () => api.member(10)));
    const responses = await Promise.all(
      members.map((member) => api.post(`/v1/customers/${member}/rewards/${reward.id}/claim`, {})),
    );
    expect(statuses(responses)).toEqual({ 201: 5, 409: 25 });
    expect((await api.get(`/v1/coupons?rewardId=${reward.id}&limit=100`)).json().data).toHaveLength(5);
    expect((await verifyLedger(ctx.database.db, { organizationId: org.id })).mismatches).toEqual([]);
  });

  it('a member with points for one claim sending 10 claims at once: exactly 1', async () => {
    const org = await ctx.createOrganization();
    const api = rewardsApi(ctx, org);
    const member = await api.member(50);
    const reward = await api.reward({ type: 'free_product', scope: { skus: ['COFFEE'] }, costPoints: 50 });
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => api.post(`/v1/customers/${member}/rewards/${reward.id}/claim`, {})),
    );
    expect(statuses(responses)).toEqual({ 201: 1, 422: 9 });
    for (const response of responses.filter((r) => r.statusCode === 422)) {
      expect(response.json().code).toBe('insufficient_points');
    }
    expect(await api.points(member)).toMatchObject({ active: 0, spent: 50 });
    expect((await api.get(`/v1/coupons?customerId=${member}`)).json().data).toHaveLength(1);
    expect((await api.get(`/v1/rewards/${reward.id}`)).json().usage.taken).toBe(1);
    expect((await verifyLedger(ctx.database.db, { organizationId: org.id })).mismatches).toEqual([]);
  });

  it('a once-per-member reward, 10 orders of one member at once: exactly 1', async () => {
    const org = await ctx.createOrganization();
    const api = rewardsApi(ctx, org);
    const member = await api.member(1000);
    const reward = await api.reward({ type: 'percentage_discount', value: 10, memberLimit: 1 });
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        api.redeem({
          customerId: member,
          order: dinner(`M-${i}`),
          rewards: [{ rewardId: reward.id }],
          mode: 'reserve',
        }),
      ),
    );
    expect(statuses(responses)).toEqual({ 201: 1, 409: 9 });
    for (const response of responses.filter((r) => r.statusCode === 409)) {
      expect(response.json().errors[0].message).toMatch(/^member_limit_reached/);
    }
  });

  it('the same order from 10 tills at once: one redemption, points charged once', async () => {
    const org = await ctx.createOrganization();
    const api = rewardsApi(ctx, org);
    const member = await api.member(100);
    const reward = await api.reward({ type: 'free_product', scope: { skus: ['COFFEE'] }, costPoints: 30 });
    const body = {
      customerId: member,
      order: dinner('SAME-1'),
      rewards: [{ rewardId: reward.id }],
      mode: 'commit',
    };
    const responses = await Promise.all(Array.from({ length: 10 }, () => api.redeem(body)));
    expect(statuses(responses)).toEqual({ 200: 9, 201: 1 });
    expect(new Set(responses.map((r) => r.json().id)).size).toBe(1);
    expect(await api.points(member)).toMatchObject({ active: 70, spent: 30 });
    expect((await verifyLedger(ctx.database.db, { organizationId: org.id })).mismatches).toEqual([]);
  });

  it('a reservation that expires frees its slot for exactly one of the tills waiting', async () => {
    const org = await ctx.createOrganization();
    const api = rewardsApi(ctx, org);
    const reward = await api.reward({ type: 'amount_discount', value: 300, costPoints: 10, totalLimit: 1 });
    const [first, ...others] = await Promise.all(Array.from({ length: 11 }, () => api.member(10)));
    const { redemptions } = ctx.services.rewards;
    const actor = { type: 'system' as const, id: null };
    const t0 = new Date('2026-07-01T20:00:00Z');
    const reserve = (customerId: string, orderId: string, now: Date) =>
      redemptions.redeem(org.id, {
        customerId,
        order: dinner(orderId),
        rewards: [{ rewardId: reward.id }],
        mode: 'reserve',
        ttlSeconds: 600,
        actor,
        now,
      });
    await reserve(first!, 'EXP-0', t0);
    const tooSoon = await Promise.allSettled(others.map((member, i) => reserve(member, `EXP-${i + 1}`, t0)));
    expect(tooSoon.every((result) => result.status === 'rejected')).toBe(true);

    const later = new Date(t0.getTime() + 600_000);
    const results = await Promise.allSettled(
      others.map((member, i) => reserve(member, `EXP-${i + 1}`, later)),
    );
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    for (const result of results) {
      if (result.status === 'rejected') expect(result.reason).toMatchObject({ code: 'reward_limit_reached' });
    }
    expect(await api.points(first!)).toMatchObject({ active: 10, blocked: 0 });
    expect((await api.get(`/v1/rewards/${reward.id}`)).json().usage.taken).toBe(1);
    expect((await verifyLedger(ctx.database.db, { organizationId: org.id })).mismatches).toEqual([]);
  });
});
