import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestContext,
  expectStatus,
  type TestContext,
  type TestOrganization,
} from '../../../test/support/context.ts';
import { startSmtpServer, type TestSmtpServer } from '../../../test/support/smtp.ts';
import { addStaff, signInWithToken, someAddress } from '../../../test/support/staff.ts';
import { rawRows } from '../../db/connection.ts';
import { hashSecret } from './secrets.ts';

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

async function headersOf(org: TestOrganization, role: 'manager' | 'cashier', body = {}) {
  return (await signInWithToken(ctx, await addStaff(ctx, smtp, org, role, body))).headers;
}

async function location(org: TestOrganization, name: string): Promise<string> {
  const response = await ctx.app.inject({
    method: 'POST',
    url: '/v1/locations',
    headers: org.headers,
    payload: { name },
  });
  expectStatus(response, 201);
  return response.json().id;
}

function pair(headers: Record<string, string>, payload: Record<string, unknown>) {
  return ctx.app.inject({ method: 'POST', url: '/v1/till-pairings', headers, payload });
}

function claim(code: string, remoteAddress = someAddress()) {
  return ctx.app.inject({ method: 'POST', url: '/v1/till-pairings/claim', payload: { code }, remoteAddress });
}

describe('pairing a device as a till', () => {
  it('gives the device its own till key for a manager’s code, once, and keeps only hashes', async () => {
    const org = await ctx.createOrganization();
    const manager = await headersOf(org, 'manager');
    const paired = await pair(manager, { name: 'Counter tablet' });
    expectStatus(paired, 201);
    const { code } = paired.json();
    expect(code).toMatch(/^[0-9A-Z]{5}-[0-9A-Z]{5}$/);

    // Typed on the tablet in lower case, without the dash.
    const claimed = await claim(code.toLowerCase().replace('-', ''));
    expectStatus(claimed, 201);
    const device = claimed.json();
    expect(device).toMatchObject({
      organizationId: org.id,
      name: 'Till device: Counter tablet',
      locationIds: null,
    });

    const bearer = { authorization: `Bearer ${device.key}` };
    const me = await ctx.app.inject({ method: 'GET', url: '/v1/auth/me', headers: bearer });
    expectStatus(me, 200);
    expect(me.json()).toMatchObject({ reach: ['till'], staff: null, actor: { type: 'api_key' } });
    // A till, nothing more: no settings, no staff.
    const settings = await ctx.app.inject({ method: 'GET', url: '/v1/staff', headers: bearer });
    expectStatus(settings, 403);

    // The code is spent.
    expectStatus(await claim(code), 401);
    const stored = await rawRows<{ code_hash: string; api_key_id: string }>(
      ctx.database.db,
      sql`select code_hash, api_key_id from till_pairings where organization_id = ${org.id}`,
    );
    expect(stored).toEqual([{ code_hash: hashSecret(code.replace('-', '')), api_key_id: device.keyId }]);
    const keys = await rawRows<{ key_hash: string; scopes: string[] }>(
      ctx.database.db,
      sql`select key_hash, scopes from api_keys where id = ${device.keyId}`,
    );
    expect(keys).toEqual([{ key_hash: hashSecret(device.key), scopes: ['till'] }]);
  });

  it('keeps a device to the manager’s locations, and refuses a cashier', async () => {
    const org = await ctx.createOrganization();
    const born = await location(org, 'Born');
    const gracia = await location(org, 'Gràcia');
    const manager = await headersOf(org, 'manager', { locationIds: [born] });
    const cashier = await headersOf(org, 'cashier');

    expectStatus(await pair(cashier, { name: 'Tablet' }), 403);
    const elsewhere = await pair(manager, { name: 'Tablet', locationIds: [gracia] });
    expectStatus(elsewhere, 403);
    const own = await pair(manager, { name: 'Tablet' });
    expectStatus(own, 201);
    expect(own.json().locationIds).toEqual([born]);
    const device = await claim(own.json().code);
    expectStatus(device, 201);
    expect(device.json().locationIds).toEqual([born]);
  });

  it('refuses an expired code, a missing name, and a guesser after ten wrong codes', async () => {
    const org = await ctx.createOrganization();
    const manager = await headersOf(org, 'manager');
    const nameless = await pair(manager, { name: '' });
    expectStatus(nameless, 422);
    expect(nameless.json().errors[0].path).toBe('body.name');

    const stale = await pair(manager, { name: 'Tablet' });
    await rawRows(
      ctx.database.db,
      sql`update till_pairings set expires_at = now() - interval '1 second' where id = ${stale.json().id}`,
    );
    const refused = await claim(stale.json().code);
    expectStatus(refused, 401);
    expect(refused.json().errors[0].path).toBe('body.code');

    const guesser = someAddress();
    for (let attempt = 0; attempt < 10; attempt++) expectStatus(await claim('AAAAA-AAAAA', guesser), 401);
    // The eleventh try is refused before the code is even looked at, right or not.
    const fresh = await pair(manager, { name: 'Tablet' });
    expectStatus(await claim(fresh.json().code, guesser), 429);
    expectStatus(await claim(fresh.json().code), 201);
  });
});
