import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, expectStatus, type TestContext } from '../../../test/support/context.ts';
import { dinner, rewardsApi } from '../../../test/support/rewards.ts';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

describe('the reward catalogue', () => {
  it('creates a reward of every type and reads it back in API units', async () => {
    const org = await ctx.createOrganization();
    const api = rewardsApi(ctx, org);
    const bodies = [
      {
        type: 'percentage_discount',
        name: '10 % off',
        value: 12.5,
        config: { maxAmount: 1000 },
        costPoints: 20.5,
      },
      { type: 'amount_discount', name: '3 € off', value: 300, costPoints: 30 },
      { type: 'free_product', name: 'Free coffee', scope: { skus: ['COFFEE'] }, costPoints: 50 },
      { type: 'bogo', name: '2x1 pizzas', scope: { categories: ['pizza'] }, config: { buy: 2, free: 1 } },
      { type: 'discount_code', name: 'Partner code' },
      { type: 'free_delivery', name: 'Free delivery', channels: ['online'] },
      { type: 'gift', name: 'Tote bag', value: 1500, costPoints: 200 },
      { type: 'cashback', name: 'Points as money', value: 5 },
      { type: 'custom', name: 'Meet the chef' },
    ];
    for (const body of bodies) {
      const created = await api.reward(body);
      expect(created).toMatchObject({ ...body, active: true, stackable: true, allowRepeat: false });
      expect(created.usage).toEqual({ taken: 0, left: null });
    }
    const list = (await api.get('/v1/rewards?type=gift')).json();
    expect(list.data.map((r: { name: string }) => r.name)).toEqual(['Tote bag']);
  });

  it('rejects what does not fit the type, naming the field', async () => {
    const org = await ctx.createOrganization();
    const api = rewardsApi(ctx, org);
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ type: 'percentage_discount', name: 'x' }, 'body.value'],
      [{ type: 'percentage_discount', name: 'x', value: 150 }, 'body.value'],
      [{ type: 'percentage_discount', name: 'x', value: 10.555 }, 'body.value'],
      [{ type: 'amount_discount', name: 'x', value: 2.5 }, 'body.value'],
      [{ type: 'free_product', name: 'x' }, 'body.scope'],
      [{ type: 'bogo', name: 'x', config: { buy: 2, free: 2 } }, 'body.config.free'],
      [{ type: 'bogo', name: 'x', config: { colour: 'red' } }, 'body.config.colour'],
      [{ type: 'cashback', name: 'x' }, 'body.value'],
      [{ type: 'gift', name: 'x', costPoints: 1.234 }, 'body.costPoints'],
      [
        { type: 'gift', name: 'x', startsAt: '2026-02-01T00:00:00Z', endsAt: '2026-01-01T00:00:00Z' },
        'body.endsAt',
      ],
      [
        { type: 'gift', name: 'x', categoryIds: ['01936f4e-8b1a-7c3d-9e2f-1a2b3c4d5e6f'] },
        'body.categoryIds.0',
      ],
      [{ type: 'lottery', name: 'x' }, 'body.type'],
    ];
    for (const [body, path] of cases) {
      const response = await api.post('/v1/rewards', body);
      expectStatus(response, 422);
      expect(response.json().errors.map((e: { path: string }) => e.path)).toContain(path);
    }
  });

  it('updates, deactivates, deletes; posCode is unique per organization', async () => {
    const org = await ctx.createOrganization();
    const api = rewardsApi(ctx, org);
    const reward = await api.reward({ type: 'percentage_discount', value: 10, posCode: 'TEN' });
    const duplicate = await api.post('/v1/rewards', {
      type: 'amount_discount',
      name: 'y',
      value: 1,
      posCode: 'TEN',
    });
    expectStatus(duplicate, 409);
    expect(duplicate.json().code).toBe('pos_code_taken');

    const patched = await api.ok(
      api.call('PATCH', `/v1/rewards/${reward.id}`, { value: 15, costPoints: 12 }),
      200,
    );
    expect(patched).toMatchObject({ value: 15, costPoints: 12, posCode: 'TEN' });
    expectStatus(await api.call('PATCH', `/v1/rewards/${reward.id}`, { value: 101 }), 422);
    expectStatus(await api.call('PATCH', `/v1/rewards/${reward.id}`, { config: { buy: 3 } }), 422);
    const stranger = await api.call('PATCH', `/v1/rewards/${reward.id}`, {
      categoryIds: ['01936f4e-8b1a-7c3d-9e2f-1a2b3c4d5e6f'],
    });
    expectStatus(stranger, 422);
    expect(stranger.json().errors[0].path).toBe('body.categoryIds.0');
    // PATCH fills in no defaults: what was not sent stays.
    const renamed = await api.ok(api.call('PATCH', `/v1/rewards/${reward.id}`, { name: 'Fifteen' }), 200);
    expect(renamed).toMatchObject({ name: 'Fifteen', value: 15, stackable: true });

    expect((await api.ok(api.post(`/v1/rewards/${reward.id}/deactivate`), 200)).active).toBe(false);
    expect((await api.ok(api.post(`/v1/rewards/${reward.id}/activate`), 200)).active).toBe(true);
    expectStatus(await api.call('DELETE', `/v1/rewards/${reward.id}`), 204);
    expectStatus(await api.get(`/v1/rewards/${reward.id}`), 404);
    // The code is free again once its reward is gone.
    await api.reward({ type: 'amount_discount', value: 1, posCode: 'TEN' });
  });

  it("answers 404 for another organization's reward", async () => {
    const mine = rewardsApi(ctx, await ctx.createOrganization());
    const theirs = rewardsApi(ctx, await ctx.createOrganization());
    const reward = await mine.reward({ type: 'gift' });
    expectStatus(await theirs.get(`/v1/rewards/${reward.id}`), 404);
    expectStatus(await theirs.call('PATCH', `/v1/rewards/${reward.id}`, { name: 'mine now' }), 404);
    expectStatus(await theirs.post(`/v1/rewards/${reward.id}/codes`, { generate: 2 }), 404);
    expect((await theirs.get('/v1/rewards')).json().data).toEqual([]);
  });
});

describe('reward categories', () => {
  it('are listed by sort order, filter rewards, and leave their rewards when deleted', async () => {
    const api = rewardsApi(ctx, await ctx.createOrganization());
    const drinks = await api.ok(api.post('/v1/reward-categories', { name: 'Drinks', sortOrder: 2 }), 201);
    const food = await api.ok(
      api.post('/v1/reward-categories', {
        name: 'Food',
        sortOrder: 1,
        translations: { es: { name: 'Comida' } },
      }),
      201,
    );
    const list = (await api.get('/v1/reward-categories')).json().data;
    expect(list.map((c: { name: string }) => c.name)).toEqual(['Food', 'Drinks']);

    const coffee = await api.reward({
      type: 'free_product',
      scope: { skus: ['COFFEE'] },
      categoryIds: [drinks.id],
    });
    await api.reward({ type: 'gift', categoryIds: [food.id] });
    const inDrinks = (await api.get(`/v1/rewards?categoryId=${drinks.id}`)).json().data;
    expect(inDrinks.map((r: { id: string }) => r.id)).toEqual([coffee.id]);

    const renamed = await api.ok(
      api.call('PATCH', `/v1/reward-categories/${drinks.id}`, { active: false }),
      200,
    );
    expect(renamed).toMatchObject({ name: 'Drinks', active: false, sortOrder: 2 });
    expectStatus(await api.call('DELETE', `/v1/reward-categories/${drinks.id}`), 204);
    expect((await api.get(`/v1/rewards/${coffee.id}`)).json().categoryIds).toEqual([]);
  });
});

describe('code pools', () => {
  it('imports and generates codes, skipping known ones', async () => {
    const api = rewardsApi(ctx, await ctx.createOrganization());
    const reward = await api.reward({ type: 'discount_code' });
    const imported = await api.ok(
      api.post(`/v1/rewards/${reward.id}/codes`, { codes: ['A-1', 'A-2', 'A-2'] }),
      200,
    );
    expect(imported).toEqual({ added: 2, skipped: 0, codes: 2, available: 2 });
    const again = await api.ok(
      api.post(`/v1/rewards/${reward.id}/codes`, { codes: ['A-2'], generate: 3 }),
      200,
    );
    expect(again).toEqual({ added: 3, skipped: 1, codes: 5, available: 5 });
    expect(await api.ok(api.get(`/v1/rewards/${reward.id}/codes`), 200)).toEqual({ codes: 5, available: 5 });
  });
});

describe('what a member can use now', () => {
  it('lists every reward on show with canRedeem and the reasons', async () => {
    const org = await ctx.createOrganization();
    const api = rewardsApi(ctx, org);
    const here = await api.location('Gran Vía');
    const there = await api.location('Sol');
    const member = await api.member(60);
    const other = await api.member();
    const affordable = await api.reward({
      type: 'free_product',
      name: 'Free coffee',
      scope: { skus: ['COFFEE'] },
      costPoints: 50,
    });
    const dear = await api.reward({ type: 'amount_discount', name: '5 € off', value: 500, costPoints: 100 });
    const elsewhere = await api.reward({
      type: 'percentage_discount',
      name: 'Sol only',
      value: 10,
      locationIds: [there],
    });
    const forOthers = await api.reward({
      type: 'percentage_discount',
      name: 'Just for one',
      value: 10,
      customerIds: [other],
    });
    const online = await api.reward({ type: 'free_delivery', name: 'Free delivery', channels: ['online'] });
    await api.reward({ type: 'gift', name: 'Hidden', visibleFrom: '2099-01-01T00:00:00Z' });
    const inactive = await api.reward({ type: 'gift', name: 'Off' });
    await api.post(`/v1/rewards/${inactive.id}/deactivate`);

    const result = await api.available(member, `?locationId=${here}&channel=pos`);
    const byId = new Map(result.data.map((item: { reward: { id: string } }) => [item.reward.id, item]));
    expect(byId.size).toBe(5);
    expect(byId.get(affordable.id)).toMatchObject({ canRedeem: true, reasons: [], pointsRequired: 50 });
    expect(byId.get(dear.id)).toMatchObject({ canRedeem: false, reasons: [{ code: 'insufficient_points' }] });
    expect(byId.get(elsewhere.id)).toMatchObject({
      canRedeem: false,
      reasons: [{ code: 'location_not_allowed' }],
    });
    expect(byId.get(forOthers.id)).toMatchObject({ canRedeem: false, reasons: [{ code: 'not_targeted' }] });
    expect(byId.get(online.id)).toMatchObject({
      canRedeem: false,
      reasons: [{ code: 'channel_not_allowed' }],
    });
    expect(result.balances).toEqual([{ pointTypeId: expect.any(String), points: 60 }]);

    const onlyRedeemable = await api.available(member, `?locationId=${there}&redeemable=true`);
    expect(onlyRedeemable.data.map((i: { reward: { id: string } }) => i.reward.id).sort()).toEqual(
      [affordable.id, elsewhere.id].sort(),
    );
    const onlineList = await api.available(member, '?channel=online&redeemable=true');
    expect(onlineList.data.map((i: { reward: { id: string } }) => i.reward.id)).toContain(online.id);
  });

  it('shows a change of the catalogue at once, in the list and at checkout', async () => {
    const api = rewardsApi(ctx, await ctx.createOrganization());
    const member = await api.member(200);
    const drinks = await api.ok(api.post('/v1/reward-categories', { name: 'Drinks' }), 201);
    const coffee = await api.reward({
      type: 'free_product',
      scope: { skus: ['COFFEE'] },
      costPoints: 50,
      posCode: 'COF',
      categoryIds: [drinks.id],
    });
    const listed = async () =>
      (await api.available(member)).data.map(
        (item: { reward: { id: string; costPoints: number; categoryIds: string[]; usage: object } }) => ({
          id: item.reward.id,
          costPoints: item.reward.costPoints,
          categoryIds: item.reward.categoryIds,
          usage: item.reward.usage,
        }),
      );
    const usage = { taken: 0, left: null };
    expect(await listed()).toEqual([{ id: coffee.id, costPoints: 50, categoryIds: [drinks.id], usage }]);

    await api.ok(api.call('PATCH', `/v1/rewards/${coffee.id}`, { costPoints: 80 }), 200);
    expectStatus(await api.call('DELETE', `/v1/reward-categories/${drinks.id}`), 204);
    expect(await listed()).toEqual([{ id: coffee.id, costPoints: 80, categoryIds: [], usage }]);
    const committed = await api.ok(
      api.redeem({ customerId: member, order: dinner('C-1'), rewards: [{ posCode: 'COF' }], mode: 'commit' }),
      201,
    );
    expect(committed.pointsCharged).toBe(80);
    expect(await listed()).toEqual([
      { id: coffee.id, costPoints: 80, categoryIds: [], usage: { taken: 1, left: null } },
    ]);

    await api.ok(api.post(`/v1/rewards/${coffee.id}/deactivate`), 200);
    expect(await listed()).toEqual([]);
    const refused = await api.ok(
      api.redeem({ customerId: member, order: dinner('C-2'), rewards: [{ posCode: 'COF' }] }),
      200,
    );
    expect(refused.rewards[0].reasons.map((r: { code: string }) => r.code)).toEqual(['inactive']);
    const gift = await api.reward({ type: 'gift' });
    expect((await listed()).map((item: { id: string }) => item.id)).toEqual([gift.id]);
  });

  it('cashback needs some points, whatever the order', async () => {
    const api = rewardsApi(ctx, await ctx.createOrganization());
    const rich = await api.member(10);
    const broke = await api.member();
    await api.reward({ type: 'cashback', value: 5 });
    expect((await api.available(rich)).data[0]).toMatchObject({ canRedeem: true, pointsRequired: 0 });
    expect((await api.available(broke)).data[0]).toMatchObject({
      canRedeem: false,
      reasons: [{ code: 'insufficient_points' }],
    });
  });

  it('names rewards in the locale asked for', async () => {
    const api = rewardsApi(ctx, await ctx.createOrganization());
    const member = await api.member();
    await api.reward({
      type: 'custom',
      name: 'Meet the chef',
      translations: { es: { name: 'Conoce al chef', description: 'Una visita a la cocina' } },
    });
    const spanish = await api.available(member, '?locale=es-ES');
    expect(spanish.data[0]).toMatchObject({ name: 'Conoce al chef', description: 'Una visita a la cocina' });
    expect((await api.available(member, '?locale=fr')).data[0].name).toBe('Meet the chef');
  });

  it('answers 404 for an unknown member and 422 for a foreign location', async () => {
    const api = rewardsApi(ctx, await ctx.createOrganization());
    const elsewhere = rewardsApi(ctx, await ctx.createOrganization());
    const member = await api.member();
    const foreign = await elsewhere.location();
    expectStatus(await api.get('/v1/customers/01936f4e-8b1a-7c3d-9e2f-1a2b3c4d5e6f/rewards'), 404);
    const bad = await api.get(`/v1/customers/${member}/rewards?locationId=${foreign}`);
    expectStatus(bad, 422);
    expect(bad.json().errors[0].path).toBe('query.locationId');
  });
});
