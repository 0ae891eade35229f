import { count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, expectStatus, type TestContext } from '../../test/support/context.ts';
import { locations } from '../modules/locations/schema.ts';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

async function locationCount(organizationId: string) {
  const [row] = await ctx.database.db
    .select({ n: count() })
    .from(locations)
    .where(eq(locations.organizationId, organizationId));
  return row!.n;
}

describe('Idempotency-Key', () => {
  it('replays the first response to a retry and writes one row', async () => {
    const org = await ctx.createOrganization();
    const request = {
      method: 'POST' as const,
      url: '/v1/locations',
      headers: { ...org.headers, 'idempotency-key': 'till-7-order-1234' },
      payload: { name: 'Gràcia' },
    };
    const first = await ctx.app.inject(request);
    const retry = await ctx.app.inject(request);
    expectStatus(first, 201);
    expect(retry.statusCode).toBe(201);
    expect(retry.body).toBe(first.body);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(await locationCount(org.id)).toBe(1);
  });

  it('answers 422 when the same key comes back with a different body', async () => {
    const org = await ctx.createOrganization();
    const headers = { ...org.headers, 'idempotency-key': 'k-1' };
    expectStatus(
      await ctx.app.inject({ method: 'POST', url: '/v1/locations', headers, payload: { name: 'A' } }),
      201,
    );
    const reused = await ctx.app.inject({
      method: 'POST',
      url: '/v1/locations',
      headers,
      payload: { name: 'B' },
    });
    expect(reused.statusCode).toBe(422);
    expect(reused.json().code).toBe('idempotency_conflict');
    expect(await locationCount(org.id)).toBe(1);
  });

  it('keeps keys apart per organization', async () => {
    const a = await ctx.createOrganization();
    const b = await ctx.createOrganization();
    for (const org of [a, b]) {
      const response = await ctx.app.inject({
        method: 'POST',
        url: '/v1/locations',
        headers: { ...org.headers, 'idempotency-key': 'shared-key' },
        payload: { name: 'Same' },
      });
      expectStatus(response, 201);
      expect(response.headers['idempotent-replayed']).toBeUndefined();
    }
    expect(await locationCount(a.id)).toBe(1);
    expect(await locationCount(b.id)).toBe(1);
  });

  it('replays a client error too, so a retry cannot turn a refusal into a success later', async () => {
    const org = await ctx.createOrganization();
    const headers = { ...org.headers, 'idempotency-key': 'k-404' };
    const url = '/v1/locations/01936f4e-8b1a-7c3d-9e2f-1a2b3c4d5e6f/brands';
    const first = await ctx.app.inject({ method: 'POST', url, headers, payload: { name: 'x' } });
    const retry = await ctx.app.inject({ method: 'POST', url, headers, payload: { name: 'x' } });
    expect(first.statusCode).toBe(404);
    expect(retry.statusCode).toBe(404);
    expect(retry.headers['idempotent-replayed']).toBe('true');
  });

  it('runs concurrent retries of one key once: one 201, the others replay it or see 409 in progress', async () => {
    const org = await ctx.createOrganization();
    const request = {
      method: 'POST' as const,
      url: '/v1/locations',
      headers: { ...org.headers, 'idempotency-key': 'burst' },
      payload: { name: 'Burst' },
    };
    const responses = await Promise.all(Array.from({ length: 5 }, () => ctx.app.inject(request)));
    const statuses = responses.map((r) => r.statusCode);
    expect(statuses.every((s) => s === 201 || s === 409)).toBe(true);
    expect(responses.filter((r) => r.statusCode === 201 && !r.headers['idempotent-replayed'])).toHaveLength(
      1,
    );
    expect(await locationCount(org.id)).toBe(1);
  });

  it('rejects an oversized key with 422 naming the header', async () => {
    const org = await ctx.createOrganization();
    const response = await ctx.app.inject({
      method: 'POST',
      url: '/v1/locations',
      headers: { ...org.headers, 'idempotency-key': 'x'.repeat(300) },
      payload: { name: 'A' },
    });
    expect(response.statusCode).toBe(422);
    expect(response.json().errors[0].path).toBe('headers.idempotency-key');
  });
});
