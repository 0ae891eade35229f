import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestContext,
  expectStatus,
  type TestContext,
  type TestOrganization,
} from '../../../test/support/context.ts';
import { dinner, rewardsApi } from '../../../test/support/rewards.ts';

let ctx: TestContext;
let owner: TestOrganization;
let intruder: TestOrganization;
const ids = {
  member: '',
  reward: '',
  category: '',
  coupon: '',
  code: '',
  redemption: '',
  intruderMember: '',
};

beforeAll(async () => {
  ctx = await createTestContext();
  owner = await ctx.createOrganization();
  intruder = await ctx.createOrganization();
  const api = rewardsApi(ctx, owner);
  ids.member = await api.member(500);
  ids.category = (await api.ok(api.post('/v1/reward-categories', { name: 'Drinks' }), 201)).id;
  ids.reward = (
    await api.reward({
      type: 'free_product',
      scope: { skus: ['COFFEE'] },
      costPoints: 10,
      categoryIds: [ids.category],
    })
  ).id;
  const claim = await api.ok(api.post(`/v1/customers/${ids.member}/rewards/${ids.reward}/claim`, {}), 201);
  ids.coupon = claim.coupons[0].id;
  ids.code = claim.coupons[0].code;
  ids.redemption = (
    await api.ok(
      api.redeem({
        customerId: ids.member,
        order: dinner('SEC-1'),
        rewards: [{ rewardId: ids.reward }],
        mode: 'reserve',
      }),
      201,
    )
  ).id;
  ids.intruderMember = await rewardsApi(ctx, intruder).member(500);
});
afterAll(() => ctx.close());

/** Every rewards route that names a resource of the owner's organization. */
const foreignRoutes = () =>
  [
    { method: 'GET', url: `/v1/rewards/${ids.reward}` },
    { method: 'PATCH', url: `/v1/rewards/${ids.reward}`, payload: { name: 'Hacked' } },
    { method: 'DELETE', url: `/v1/rewards/${ids.reward}` },
    { method: 'POST', url: `/v1/rewards/${ids.reward}/activate` },
    { method: 'POST', url: `/v1/rewards/${ids.reward}/deactivate` },
    { method: 'POST', url: `/v1/rewards/${ids.reward}/codes`, payload: { generate: 1 } },
    { method: 'GET', url: `/v1/rewards/${ids.reward}/codes` },
    { method: 'GET', url: `/v1/reward-categories/${ids.category}` },
    { method: 'PATCH', url: `/v1/reward-categories/${ids.category}`, payload: { name: 'Hacked' } },
    { method: 'DELETE', url: `/v1/reward-categories/${ids.category}` },
    { method: 'GET', url: `/v1/customers/${ids.member}/rewards` },
    { method: 'POST', url: `/v1/customers/${ids.member}/rewards/${ids.reward}/claim`, payload: {} },
    { method: 'POST', url: `/v1/customers/${ids.intruderMember}/rewards/${ids.reward}/claim`, payload: {} },
    { method: 'GET', url: `/v1/coupons/${ids.coupon}` },
    { method: 'POST', url: `/v1/coupons/${ids.coupon}/use`, payload: {} },
    { method: 'POST', url: `/v1/coupons/${ids.coupon}/unuse` },
    { method: 'POST', url: `/v1/coupons/${ids.coupon}/delivery-status`, payload: { status: 'shipped' } },
    { method: 'GET', url: `/v1/redemptions/${ids.redemption}` },
    { method: 'POST', url: `/v1/redemptions/${ids.redemption}/commit` },
    { method: 'POST', url: `/v1/redemptions/${ids.redemption}/release` },
    {
      method: 'POST',
      url: '/v1/redemptions',
      payload: {
        customerId: ids.member,
        order: dinner('SEC-2'),
        rewards: [{ rewardId: ids.reward }],
        mode: 'commit',
      },
    },
  ] as const;

describe('rewards routes and another organization', () => {
  it('answer 404 for every route naming another organization’s reward, member, coupon or redemption', async () => {
    for (const route of foreignRoutes()) {
      const response = await ctx.app.inject({ ...route, headers: intruder.headers });
      expect(`${route.method} ${route.url} → ${response.statusCode}`).toBe(
        `${route.method} ${route.url} → 404`,
      );
      expect(response.json().code).toBe('not_found');
    }
    const api = rewardsApi(ctx, owner);
    expect((await api.get(`/v1/rewards/${ids.reward}`)).json()).toMatchObject({
      active: true,
      name: 'Reward',
    });
    expect((await api.get(`/v1/coupons/${ids.coupon}`)).json()).toMatchObject({ status: 'active' });
    expect((await api.get(`/v1/redemptions/${ids.redemption}`)).json()).toMatchObject({ status: 'reserved' });
  });

  it('a foreign reward or coupon cannot be redeemed by the intruder’s own members', async () => {
    const api = rewardsApi(ctx, intruder);
    const result = await api.ok(
      api.redeem({
        customerId: ids.intruderMember,
        order: dinner('SEC-3'),
        rewards: [{ rewardId: ids.reward }, { couponCode: ids.code }],
      }),
      200,
    );
    expect(result.rewards.map((r: { reasons: { code: string }[] }) => r.reasons[0]!.code)).toEqual([
      'reward_not_found',
      'coupon_not_found',
    ]);
  });

  it('never list another organization’s rewards, categories, coupons or redemptions', async () => {
    for (const url of [
      '/v1/rewards',
      `/v1/rewards?posCode=x`,
      '/v1/reward-categories',
      '/v1/coupons',
      `/v1/coupons?code=${ids.code}`,
      '/v1/redemptions',
      '/v1/redemptions?orderId=SEC-1',
    ]) {
      const response = await ctx.app.inject({ method: 'GET', url, headers: intruder.headers });
      expectStatus(response, 200);
      expect(response.json().data).toEqual([]);
    }
  });

  it('answer 401 without an API key', async () => {
    for (const route of [
      ...foreignRoutes(),
      { method: 'POST', url: '/v1/rewards', payload: { type: 'gift', name: 'x' } },
      { method: 'GET', url: '/v1/rewards' },
      { method: 'GET', url: '/v1/coupons' },
      { method: 'GET', url: '/v1/redemptions' },
    ] as const) {
      const response = await ctx.app.inject({ ...route });
      expect(`${route.method} ${route.url} → ${response.statusCode}`).toBe(
        `${route.method} ${route.url} → 401`,
      );
    }
  });

  it('replay a retried claim with the same Idempotency-Key instead of claiming twice', async () => {
    const api = rewardsApi(ctx, owner);
    const member = await api.member(100);
    const send = () =>
      ctx.app.inject({
        method: 'POST',
        url: `/v1/customers/${member}/rewards/${ids.reward}/claim`,
        headers: { ...owner.headers, 'idempotency-key': 'kiosk-3-claim-9' },
        payload: { quantity: 2 },
      });
    const first = await send();
    const retry = await send();
    expectStatus(first, 201);
    expectStatus(retry, 201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.json()).toEqual(first.json());
    expect(await api.points(member)).toMatchObject({ active: 80, spent: 20 });
  });
});
