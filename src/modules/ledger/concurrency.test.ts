import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestContext,
  expectStatus,
  type TestContext,
  type TestOrganization,
} from '../../../test/support/context.ts';
import { createCustomer } from '../../../test/support/ledger.ts';

/**
 * Many tills hitting one member at once. On PostgreSQL the requests really run in parallel (a
 * pool of 10 connections) and serialize on the balance row lock; on PGlite they run one after
 * another. Both must give the same answers.
 */
let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

function post(org: TestOrganization, url: string, payload: object) {
  return ctx.app.inject({ method: 'POST', url, headers: org.headers, payload });
}

async function pointsOf(org: TestOrganization, customerId: string) {
  const response = await ctx.app.inject({
    method: 'GET',
    url: `/v1/customers/${customerId}/points`,
    headers: org.headers,
  });
  expectStatus(response, 200);
  return response.json().balances[0];
}

describe('concurrent operations on one member', () => {
  it('100 concurrent spends of 10 on 500 points: exactly 50 succeed, 50 get 422, balance 0', async () => {
    const org = await ctx.createOrganization();
    const customer = await createCustomer(ctx, org.id);
    expectStatus(
      await post(org, `/v1/customers/${customer.id}/points/add`, { points: 500, reason: 'opening' }),
      201,
    );

    const responses = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        post(org, `/v1/customers/${customer.id}/points/spend`, { points: 10, reason: `till ${i}` }),
      ),
    );
    const statuses = responses.map((response) => response.statusCode);
    expect(statuses.filter((status) => status === 201)).toHaveLength(50);
    expect(statuses.filter((status) => status === 422)).toHaveLength(50);
    for (const response of responses.filter((r) => r.statusCode === 422)) {
      expect(response.json().code).toBe('insufficient_points');
    }
    expect(await pointsOf(org, customer.id)).toMatchObject({ active: 0, spent: 500, earned: 500 });

    const report = await ctx.services.ledger.verify({ organizationId: org.id });
    expect(report.mismatches).toEqual([]);
    expect(report.entries).toBe(51);
  });

  it('opposite transfers at the same time neither deadlock nor lose a point', async () => {
    const org = await ctx.createOrganization();
    const a = await createCustomer(ctx, org.id);
    const b = await createCustomer(ctx, org.id);
    for (const customer of [a, b]) {
      expectStatus(
        await post(org, `/v1/customers/${customer.id}/points/add`, { points: 500, reason: 'opening' }),
        201,
      );
    }
    const responses = await Promise.all(
      Array.from({ length: 60 }, (_, i) => {
        const [from, to] = i % 2 === 0 ? [a, b] : [b, a];
        return post(org, `/v1/customers/${from.id}/points/transfer`, { to: to.id, points: 5 });
      }),
    );
    expect(responses.map((response) => response.statusCode)).toEqual(Array(60).fill(201));
    const [balanceA, balanceB] = [await pointsOf(org, a.id), await pointsOf(org, b.id)];
    expect(balanceA.active + balanceB.active).toBe(1000);
    expect(balanceA.active).toBe(500);
    expect((await ctx.services.ledger.verify({ organizationId: org.id })).mismatches).toEqual([]);
  });

  it('the same ticket sent by several tills at once credits once', async () => {
    const org = await ctx.createOrganization();
    const customer = await createCustomer(ctx, org.id);
    const payload = { points: 42, reason: 'ticket', source: { type: 'transaction', id: 'ticket-77' } };
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => post(org, `/v1/customers/${customer.id}/points/add`, payload)),
    );
    const statuses = responses.map((response) => response.statusCode).sort();
    expect(statuses).toEqual([...Array(19).fill(200), 201]);
    expect(new Set(responses.map((response) => response.json().entry.id)).size).toBe(1);
    expect(await pointsOf(org, customer.id)).toMatchObject({ active: 42 });
  });

  // The embedded engine runs one statement at a time: nobody can change lots while a spend waits.
  it.runIf(process.env.TEST_DATABASE_URL)(
    'a spend that waited for the balance lock sees what the holder changed meanwhile',
    async () => {
      const org = await ctx.createOrganization();
      const customer = await createCustomer(ctx, org.id);
      expectStatus(
        await post(org, `/v1/customers/${customer.id}/points/add`, { points: 100, reason: 'opening' }),
        201,
      );
      const holder = new pg.Client({ connectionString: ctx.url });
      await holder.connect();
      try {
        const where = 'organization_id = $1 and customer_id = $2';
        await holder.query('begin');
        await holder.query(`select * from point_balances where ${where} for update`, [org.id, customer.id]);
        // The till's spend takes its snapshot now and waits for the lock.
        const spend = post(org, `/v1/customers/${customer.id}/points/spend`, { points: 50, reason: 'till' });
        await waitForLockWaiter(holder);
        // Meanwhile the holder spends 60 of the 100, as a spend does: the lot and the balance.
        await holder.query(`update point_lots set remaining = remaining - 6000 where ${where}`, [
          org.id,
          customer.id,
        ]);
        await holder.query(
          `update point_balances set active = active - 6000, spent = spent + 6000 where ${where}`,
          [org.id, customer.id],
        );
        await holder.query('commit');

        const response = await spend;
        expectStatus(response, 422);
        expect(response.json().code).toBe('insufficient_points');
        expect(await pointsOf(org, customer.id)).toMatchObject({ active: 40 });
      } finally {
        await holder.end();
      }
    },
  );
});

async function waitForLockWaiter(client: pg.Client): Promise<void> {
  for (let attempt = 0; attempt < 500; attempt++) {
    const { rows } = await client.query(
      `select count(*)::int as waiting from pg_stat_activity
       where datname = current_database() and wait_event_type = 'Lock'`,
    );
    if (rows[0].waiting > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('no statement started waiting for the lock');
}
