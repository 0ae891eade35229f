import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { realGatewayOrder } from '../../../test/fixtures/pos-gateway/real-order.ts';
import { createTestContext, type TestContext, type TestOrganization } from '../../../test/support/context.ts';
import { rewardsApi } from '../../../test/support/rewards.ts';
import { verifyLedger } from '../../modules/ledger/verify.ts';

/** The gateway document's request, its 200 answer and its error bodies, verbatim. */
const fixtures = join(import.meta.dirname, '..', '..', '..', 'test', 'fixtures', 'pos-gateway');
const read = (name: string) => JSON.parse(readFileSync(join(fixtures, name), 'utf8'));
const example = read('redeem-request.json');
const documented = read('redeem-response.json');
const errors = read('errors.json');

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

function redeem(
  org: TestOrganization,
  body: unknown,
  headers: Record<string, string> = { authorization: `Bearer ${org.apiKey}` },
) {
  return ctx.app.inject({
    method: 'POST',
    url: '/compat/pos-gateway/v1/benefits/redeem',
    headers,
    payload: body as object,
  });
}

/**
 * The example order made real (test/fixtures/pos-gateway/real-order.ts), asking for the three
 * rewards of the documented answer.
 */
function realOrder(customerId: string, orderId: string) {
  return {
    ...realGatewayOrder(customerId, orderId),
    rewards: [{ rewardId: 'rew_3377badde0' }, { rewardId: 'rew_cb8ca87fe1' }, { rewardId: 'rew_cb8ca87fe2' }],
  };
}

/** The three rewards of the documented answer, as the restaurant would set them up. */
async function setup() {
  const org = await ctx.createOrganization();
  const api = rewardsApi(ctx, org);
  await api.reward({
    name: 'popina reward 1',
    type: 'amount_discount',
    value: 300,
    posCode: 'rew_3377badde0',
    costPoints: 10,
  });
  await api.reward({
    name: 'popina reward 2',
    type: 'percentage_discount',
    value: 2,
    posCode: 'rew_cb8ca87fe1',
  });
  await api.reward({
    name: 'popina reward 3',
    type: 'free_product',
    scope: { skus: ['SKU-001'] },
    posCode: 'rew_cb8ca87fe2',
    costPoints: 5,
  });
  const member = await api.member(100);
  return { org, api, member };
}

describe('POS gateway POST /v1/benefits/redeem', () => {
  it('answers the verbatim example, whose customer does not exist, with the documented 404', async () => {
    const org = await ctx.createOrganization();
    const response = await redeem(org, example);
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual(errors.notFound);
  });

  it('answers the documented discount list for an amount, a percentage and a product reward, and charges their points', async () => {
    const { org, api, member } = await setup();
    const response = await redeem(org, realOrder(member, 'order-1'));
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual(documented);
    expect((await api.points(member)).active).toBe(85);
  });

  it('locks the rewards to the order: calling again returns the same discounts and charges nothing', async () => {
    const { org, api, member } = await setup();
    const first = await redeem(org, realOrder(member, 'order-2'));
    const again = await redeem(org, realOrder(member, 'order-2'), { 'x-api-key': org.apiKey });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual(first.json());
    expect((await api.points(member)).active).toBe(85);
  });

  it('releases the rewards when the ticket for that order is cancelled', async () => {
    const { org, api, member } = await setup();
    expect((await redeem(org, realOrder(member, 'order-3'))).statusCode).toBe(200);
    const cancelled = await api.post('/v1/transactions', {
      documentNumber: 'order-3',
      status: 'cancelled',
      totals: { total: 3000 },
      lines: [{ sku: 'SKU-002', total: 3000 }],
      customer: { customerId: member },
    });
    expect(cancelled.statusCode).toBe(201);
    expect((await api.points(member)).active).toBe(100);
    expect((await verifyLedger(ctx.database.db, { organizationId: org.id })).mismatches).toEqual([]);
  });

  it('answers 501 NOT_IMPLEMENTED for a reward the gateway cannot express, charging nothing', async () => {
    const { org, api, member } = await setup();
    await api.reward({ name: 'Tote bag', type: 'gift', value: 1500, posCode: 'GIFT-1', costPoints: 20 });
    const body = realOrder(member, 'order-4');
    body.rewards = [{ rewardId: 'GIFT-1' }];
    const response = await redeem(org, body);
    expect(response.statusCode).toBe(501);
    expect(response.json()).toEqual(errors.notImplemented);
    expect((await api.points(member)).active).toBe(100);
  });

  it('answers 400 with a code for an invalid body, and 401 without a valid key', async () => {
    const { org, member } = await setup();
    const noRewards = { ...realOrder(member, 'order-5'), rewards: [] };
    const invalid = await redeem(org, noRewards);
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json()).toMatchObject({ code: 'INVALID_REQUEST', message: expect.any(String) });
    const unauthorized = await redeem(org, realOrder(member, 'order-5'), { authorization: 'Bearer nope' });
    expect(unauthorized.statusCode).toBe(401);
    expect(unauthorized.json()).toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it('answers 500 UNEXPECTED_ERROR when the database is gone', async () => {
    const isolated = await createTestContext();
    try {
      const org = await isolated.createOrganization();
      // The key is verified (and cached) first; then the database disappears under the request.
      await isolated.app.inject({ method: 'GET', url: '/v1/organization', headers: org.headers });
      await isolated.database.close();
      const response = await isolated.app.inject({
        method: 'POST',
        url: '/compat/pos-gateway/v1/benefits/redeem',
        headers: org.headers,
        payload: realOrder('01936f4e-8b1a-7c3d-9e2f-1a2b3c4d5e6f', 'order-6'),
      });
      expect(response.statusCode).toBe(500);
      expect(response.json()).toEqual(errors.unexpected);
    } finally {
      // Drops its PostgreSQL test database too (closing the pool again is harmless).
      await isolated.close();
    }
  });
});
