import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { type Database, openDatabase } from '../src/db/connection.ts';
import type { App } from '../src/http/types.ts';
import { createServices } from '../src/services.ts';
import {
  createTestContext,
  expectStatus,
  type TestContext,
  type TestOrganization,
} from './support/context.ts';

/**
 * Every process caches organizations' configuration (organization, point types, locations, rules,
 * tiers, segments). These tests run a second API process beside the test context's — on
 * PostgreSQL with its own pool and listening connection — and check that a change made through one
 * is what the other uses next.
 */

let ctx: TestContext;
let secondDatabase: Database;
let second: App;

beforeAll(async () => {
  ctx = await createTestContext();
  secondDatabase = ctx.url ? await openDatabase({ url: ctx.url, poolSize: 4 }) : ctx.database;
  second = await buildApp(createServices(secondDatabase));
  await second.ready();
});

afterAll(async () => {
  await second.close();
  if (secondDatabase !== ctx.database) await secondDatabase.close();
  await ctx.close();
});

let ticketNumber = 0;

async function pointsEarnedThrough(app: App, org: TestOrganization, customerId: string): Promise<number> {
  const response = await app.inject({
    method: 'POST',
    url: '/v1/transactions',
    headers: org.headers,
    payload: {
      documentNumber: `C-${ticketNumber++}`,
      totals: { total: 1000 },
      lines: [{ sku: 'MENU', total: 1000 }],
      customer: { customerId },
    },
  });
  expectStatus(response, 201);
  return response.json().pointsEarned as number;
}

/** Polls until check passes, for what travels between processes (a notification) rather than within one. */
async function eventually(check: () => Promise<boolean>, withinMs = 3_000): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > withinMs) throw new Error(`not seen within ${withinMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return Date.now() - started;
}

async function newMember(org: TestOrganization): Promise<string> {
  const response = await ctx.app.inject({
    method: 'POST',
    url: '/v1/customers',
    headers: org.headers,
    payload: { firstName: 'Ana', email: `ana${ticketNumber++}@example.com` },
  });
  expectStatus(response, 201);
  return response.json().id as string;
}

describe('configuration cache', () => {
  it('a rule created through one process earns on the next tickets another process takes', async () => {
    const org = await ctx.createOrganization();
    const ana = await newMember(org);
    // The second process has the organization's (empty) rule set in memory now.
    expect(await pointsEarnedThrough(second, org, ana)).toBe(0);
    const created = await ctx.app.inject({
      method: 'POST',
      url: '/v1/earning-rules',
      headers: org.headers,
      payload: { name: 'Per euro', type: 'spend', config: { pointsPerUnit: 1 } },
    });
    expectStatus(created, 201);
    const waitedMs = await eventually(async () => (await pointsEarnedThrough(second, org, ana)) === 10);
    expect(waitedMs).toBeLessThan(3_000);
  });

  it('a change is used by the very next request of the process that made it', async () => {
    const org = await ctx.createOrganization();
    const ana = await newMember(org);
    expect(await pointsEarnedThrough(ctx.app, org, ana)).toBe(0);
    const created = await ctx.app.inject({
      method: 'POST',
      url: '/v1/earning-rules',
      headers: org.headers,
      payload: { name: 'Per euro', type: 'spend', config: { pointsPerUnit: 2 } },
    });
    expectStatus(created, 201);
    expect(await pointsEarnedThrough(ctx.app, org, ana)).toBe(20);
    const paused = await ctx.app.inject({
      method: 'PATCH',
      url: `/v1/earning-rules/${created.json().id}`,
      headers: org.headers,
      payload: { active: false },
    });
    expectStatus(paused, 200);
    expect(await pointsEarnedThrough(ctx.app, org, ana)).toBe(0);
  });

  it('an organization change made through one process is what the other answers next', async () => {
    const org = await ctx.createOrganization({ country: 'ES' });
    const read = async () =>
      (await second.inject({ method: 'GET', url: '/v1/organization', headers: org.headers })).json();
    expect((await read()).country).toBe('ES');
    const patched = await ctx.app.inject({
      method: 'PATCH',
      url: '/v1/organization',
      headers: org.headers,
      payload: { country: 'FR' },
    });
    expectStatus(patched, 200);
    await eventually(async () => (await read()).country === 'FR');
  });

  it('a change made by hand in SQL applies at once when announced on the channel, as the README says', async () => {
    const org = await ctx.createOrganization({ country: 'ES' });
    const read = async () =>
      (await second.inject({ method: 'GET', url: '/v1/organization', headers: org.headers })).json();
    expect((await read()).country).toBe('ES');
    await ctx.database.db.execute(sql`update organizations set country = 'IT' where id = ${org.id}`);
    await ctx.database.db.execute(sql`select pg_notify('regulars_configuration', ${`sql ${org.id}`})`);
    await eventually(async () => (await read()).country === 'IT');
  });

  it.runIf(process.env.TEST_DATABASE_URL)(
    'a process whose listening connection dropped reads changes it could not hear about',
    async () => {
      // PostgreSQL only: the embedded database lives inside its one process and has no connection to lose.
      const org = await ctx.createOrganization({ country: 'ES' });
      const read = async () =>
        (await second.inject({ method: 'GET', url: '/v1/organization', headers: org.headers })).json();
      expect((await read()).country).toBe('ES');
      const admin = new pg.Client({ connectionString: ctx.url });
      await admin.connect();
      try {
        // Cut every listening connection: neither process hears the change below.
        await admin.query(
          `select pg_terminate_backend(pid) from pg_stat_activity
           where datname = current_database() and query ilike 'listen %'`,
        );
        await admin.query(`update organizations set country = 'PT' where id = $1`, [org.id]);
      } finally {
        await admin.end();
      }
      await eventually(async () => (await read()).country === 'PT');
    },
  );
});
