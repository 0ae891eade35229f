import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Executor } from '../src/db/connection.ts';
import {
  createTestContext,
  expectStatus,
  type TestContext,
  type TestOrganization,
} from './support/context.ts';
import { lockTimeoutOn } from './support/failures.ts';
import { rewardsApi } from './support/rewards.ts';

/**
 * A lookup that fails because the database did (a lock timeout, a lost connection) says nothing
 * about the id looked up. The request must answer 5xx, which an Idempotency-Key never keeps, so
 * the till's retry runs again and succeeds; a 4xx ("is not a location of this organization")
 * would be stored and replayed for a day.
 */

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());
afterEach(() => {
  vi.restoreAllMocks();
});

/** Every read of a location fails as the database fails it, on the caller's transaction. */
function locationsTimeOut() {
  const { db } = ctx.database;
  vi.spyOn(ctx.services.locations, 'get').mockImplementation(
    async (_organizationId, _id, executor?: Executor) => {
      throw await lockTimeoutOn(executor ?? db);
    },
  );
  vi.spyOn(ctx.services.locations, 'ownIds').mockImplementation(
    async (_organizationId, _ids, executor?: Executor) => {
      throw await lockTimeoutOn(executor ?? db);
    },
  );
}

/** A POST sent twice with one Idempotency-Key, the database failing the first time only. */
async function postAcrossAGlitch(
  org: TestOrganization,
  url: string,
  payload: Record<string, unknown>,
  glitch: () => void,
) {
  const headers = { ...org.headers, 'idempotency-key': `retry-${randomBytes(4).toString('hex')}` };
  glitch();
  const first = await ctx.app.inject({ method: 'POST', url, headers, payload });
  vi.restoreAllMocks();
  const retry = await ctx.app.inject({ method: 'POST', url, headers, payload });
  return { first, retry };
}

describe('a database failure while checking a referenced id', () => {
  it('answers a ticket 5xx, not 422, so that its retry under the same Idempotency-Key is recorded', async () => {
    const org = await ctx.createOrganization();
    const api = rewardsApi(ctx, org);
    const shop = await api.location();
    const { first, retry } = await postAcrossAGlitch(
      org,
      '/v1/transactions',
      {
        documentNumber: 'T-GLITCH-1',
        locationId: shop,
        totals: { total: 1200 },
        lines: [{ sku: 'MENU', name: 'Menu del día', total: 1200 }],
      },
      locationsTimeOut,
    );
    expect(first.statusCode).toBe(500);
    expectStatus(retry, 201);
    expect(retry.json().transaction).toMatchObject({ documentNumber: 'T-GLITCH-1', locationId: shop });
  });

  it('answers a coupon used at a location 5xx, and its retry uses it', async () => {
    const org = await ctx.createOrganization();
    const api = rewardsApi(ctx, org);
    const member = await api.member();
    const shop = await api.location();
    const reward = await api.reward({ type: 'custom', name: 'Meet the chef' });
    const [coupon] = (await api.ok(api.post(`/v1/customers/${member}/rewards/${reward.id}/claim`, {}), 201))
      .coupons;
    const { first, retry } = await postAcrossAGlitch(
      org,
      `/v1/coupons/${coupon.id}/use`,
      { usedOn: 'T-2026-000123', locationId: shop },
      locationsTimeOut,
    );
    expect(first.statusCode).toBe(500);
    expectStatus(retry, 200);
    expect(retry.json()).toMatchObject({ status: 'used', locationId: shop });
  });

  it("answers the rewards available at a location 5xx when the location's time zone cannot be read", async () => {
    const org = await ctx.createOrganization();
    const api = rewardsApi(ctx, org);
    const member = await api.member();
    const shop = await api.location();
    locationsTimeOut();
    const listed = await api.get(`/v1/customers/${member}/rewards?locationId=${shop}`);
    expect(listed.statusCode).toBe(500);
    vi.restoreAllMocks();
    expectStatus(await api.get(`/v1/customers/${member}/rewards?locationId=${shop}`), 200);
  });

  it('answers a segment bought at a location 5xx, and its retry creates it', async () => {
    const org = await ctx.createOrganization();
    const shop = await rewardsApi(ctx, org).location();
    const { first, retry } = await postAcrossAGlitch(
      org,
      '/v1/segments',
      {
        name: 'Gran Vía regulars',
        parts: [{ criteria: [{ type: 'bought_at_locations', locationIds: [shop] }] }],
      },
      locationsTimeOut,
    );
    expect(first.statusCode).toBe(500);
    expectStatus(retry, 201);
  });

  it('answers a segment on the balance of a point type 5xx, and its retry creates it', async () => {
    const org = await ctx.createOrganization();
    const api = rewardsApi(ctx, org);
    const [points] = (await api.ok(api.get('/v1/point-types'), 200)).data;
    const { db } = ctx.database;
    const { first, retry } = await postAcrossAGlitch(
      org,
      '/v1/segments',
      { name: 'Rich', parts: [{ criteria: [{ type: 'points_balance', min: 10, pointTypeId: points.id }] }] },
      () =>
        vi
          .spyOn(ctx.services.pointTypes, 'get')
          .mockImplementation(async (_organizationId, _id, executor?: Executor) => {
            throw await lockTimeoutOn(executor ?? db);
          }),
    );
    expect(first.statusCode).toBe(500);
    expectStatus(retry, 201);
  });

  it('answers points added to a named point type 5xx when the point types cannot be read, and its retry adds them', async () => {
    const org = await ctx.createOrganization();
    const api = rewardsApi(ctx, org);
    const member = await api.member();
    const [points] = (await api.ok(api.get('/v1/point-types'), 200)).data;
    // The point types come from the configuration cache, whose loader holds the caller's executor:
    // the failure is one the database raised a moment before.
    const failure = await lockTimeoutOn(ctx.database.db);
    const { configCache } = ctx.services;
    const read = configCache.read.bind(configCache);
    const { first, retry } = await postAcrossAGlitch(
      org,
      `/v1/customers/${member}/points/add`,
      { points: 10, reason: 'welcome', pointTypeId: points.id },
      () =>
        vi
          .spyOn(configCache, 'read')
          .mockImplementation((organizationId, kind, load) =>
            kind === 'point-types' ? Promise.reject(failure) : read(organizationId, kind, load),
          ),
    );
    expect(first.statusCode).toBe(500);
    expectStatus(retry, 201);
    expect((await api.points(member)).active).toBe(10);
  });
});

describe('recomputing a segment on the points balance', () => {
  it('fails, changing no membership, when the default point type cannot be read', async () => {
    const org = await ctx.createOrganization();
    const api = rewardsApi(ctx, org);
    const rich = await api.member(100);
    const segment = await api.ok(
      api.post('/v1/segments', {
        name: 'Few points',
        parts: [{ criteria: [{ type: 'points_balance', max: 5 }] }],
      }),
      201,
    );
    expect(segment.customersCount).toBe(0);
    // Raised a moment before rather than on the recompute's transaction, which it would abort
    // anyway: what decides here is only whether the service swallows it. Read as "no default
    // type", the member's 100 points would count as 0 and put them in.
    const failure = await lockTimeoutOn(ctx.database.db);
    vi.spyOn(ctx.services.pointTypes, 'getDefault').mockRejectedValue(failure);
    const recomputed = await api.post(`/v1/segments/${segment.id}/recompute`);
    expect(recomputed.statusCode).toBe(500);
    vi.restoreAllMocks();
    const members = await api.ok(api.get(`/v1/segments/${segment.id}/customers`), 200);
    expect(members.data.map((row: { customerId: string }) => row.customerId)).not.toContain(rich);
  });
});
