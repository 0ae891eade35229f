import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestContext,
  expectStatus,
  type TestContext,
  type TestOrganization,
} from '../../../test/support/context.ts';
import { startSmtpServer, type TestSmtpServer } from '../../../test/support/smtp.ts';
import { addStaff, signInWithToken } from '../../../test/support/staff.ts';
import { rawRows } from '../../db/connection.ts';

let smtp: TestSmtpServer;
let ctx: TestContext;
beforeAll(async () => {
  smtp = await startSmtpServer();
  ctx = await createTestContext({ messaging: { smtpUrl: smtp.url } });
});
afterAll(async () => {
  await ctx.close();
  await smtp.close();
});

async function setCap(org: TestOrganization, cap: number | null) {
  const response = await ctx.app.inject({
    method: 'PATCH',
    url: '/v1/organization',
    headers: org.headers,
    payload: { settings: { cashierDailyPointsCap: cap } },
  });
  expectStatus(response, 200);
}

async function newMember(org: TestOrganization): Promise<string> {
  const response = await ctx.app.inject({
    method: 'POST',
    url: '/v1/customers',
    headers: org.headers,
    payload: { email: `member-${Math.random().toString(36).slice(2)}@example.com` },
  });
  expectStatus(response, 201);
  return response.json().id;
}

function add(headers: { authorization: string }, memberId: string, points: number | string) {
  return ctx.app.inject({
    method: 'POST',
    url: `/v1/customers/${memberId}/points/add`,
    headers,
    payload: { points, reason: 'Goodwill' },
  });
}

async function cashierOf(org: TestOrganization) {
  return (await signInWithToken(ctx, await addStaff(ctx, smtp, org, 'cashier'))).headers;
}

describe('the cashier daily points cap', () => {
  it('lets a cashier add up to the cap in a local day, then answers 403 naming it', async () => {
    const org = await ctx.createOrganization();
    await setCap(org, 50);
    const cashier = await cashierOf(org);
    const member = await newMember(org);
    expectStatus(await add(cashier, member, 30), 201);
    expectStatus(await add(cashier, member, '19.99'), 201);
    const over = await add(cashier, member, '0.02');
    expect(over.statusCode).toBe(403);
    expect(over.json()).toMatchObject({
      code: 'forbidden',
      errors: [{ path: 'body.points' }],
    });
    expect(over.json().detail).toContain('at most 50 points a day (the organization');
    expect(over.json().detail).toContain('49.99 added today, so at most 0.01 more');
    expectStatus(await add(cashier, member, '0.01'), 201);
    // Nothing was written by the refused add.
    const balance = await ctx.app.inject({
      method: 'GET',
      url: `/v1/customers/${member}/points`,
      headers: org.headers,
    });
    expect(balance.json().balances[0].active).toBe(50);
  });

  it('counts each cashier on their own, and leaves other roles and API keys alone', async () => {
    const org = await ctx.createOrganization();
    await setCap(org, 10);
    const member = await newMember(org);
    const first = await cashierOf(org);
    const second = await cashierOf(org);
    const manager = (await signInWithToken(ctx, await addStaff(ctx, smtp, org, 'manager'))).headers;
    expectStatus(await add(first, member, 10), 201);
    expectStatus(await add(second, member, 10), 201);
    expectStatus(await add(manager, member, 1000), 201);
    expectStatus(await add(org.headers, member, 1000), 201);
    expect((await add(first, member, 1)).statusCode).toBe(403);
  });

  it("counts only the organization's current local day", async () => {
    const org = await ctx.createOrganization({ timeZone: 'Pacific/Auckland' });
    await setCap(org, 10);
    const member = await newMember(org);
    const cashier = await cashierOf(org);
    const added = await add(cashier, member, 10);
    expectStatus(added, 201);
    expect((await add(cashier, member, 1)).statusCode).toBe(403);
    // Yesterday's adds (in Auckland) no longer count.
    await ctx.database.db.execute(
      sql`update ledger_entries set created_at = created_at - interval '1 day' where id = ${added.json().entry.id}`,
    );
    expectStatus(await add(cashier, member, 10), 201);
  });

  it('no cap (null, the default) lets a cashier add freely', async () => {
    const org = await ctx.createOrganization();
    const cashier = await cashierOf(org);
    expectStatus(await add(cashier, await newMember(org), 100000), 201);
  });

  it('two adds at once cannot both pass the cap, even to different members', async () => {
    const org = await ctx.createOrganization();
    await setCap(org, 100);
    const cashier = await cashierOf(org);
    const members = await Promise.all(Array.from({ length: 6 }, () => newMember(org)));
    const answers = await Promise.all(members.map((member) => add(cashier, member, 30)));
    const statuses = answers.map((answer) => answer.statusCode).sort();
    expect(statuses).toEqual([201, 201, 201, 403, 403, 403]);
    const [row] = await rawRows<{ total: number }>(
      ctx.database.db,
      sql`select coalesce(sum(points), 0)::int as total from ledger_entries
          where organization_id = ${org.id} and actor_type = 'staff' and kind = 'add'`,
    );
    expect(Number(row!.total)).toBe(9000);
  });
});
