import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestContext,
  expectStatus,
  masterHeaders,
  type TestContext,
  type TestOrganization,
} from './support/context.ts';

/**
 * API keys restricted to some locations (`locationIds`), changing keys, and the organization's own
 * key routes (/v1/api-keys): a restricted key acts only at its locations, on native routes and
 * through the dialects alike; a change to a key holds from the next request.
 */

const cheerfyTicket = JSON.parse(
  readFileSync(join(import.meta.dirname, 'fixtures', 'cheerfy', 'ticket-request.json'), 'utf8'),
);

let ctx: TestContext;
let org: TestOrganization;
let other: TestOrganization;
/** Two locations of `org` (external ids `gv` and `ml`), and one of the other organization. */
let locationA: string;
let locationB: string;
let foreignLocation: string;
let memberId: string;

type Json = Record<string, unknown>;

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

function call(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, key: string, payload?: object) {
  return ctx.app.inject({ method, url, headers: bearer(key), ...(payload ? { payload } : {}) });
}

async function ok(response: ReturnType<typeof call>, status: number): Promise<Json> {
  const answered = await response;
  expectStatus(answered, status);
  return answered.json();
}

/** A key made with the master key: its secret and id. */
async function masterKey(organizationId: string, body: Json): Promise<{ key: string; id: string }> {
  const created = await ctx.app.inject({
    method: 'POST',
    url: `/v1/organizations/${organizationId}/api-keys`,
    headers: masterHeaders,
    payload: body,
  });
  expectStatus(created, 201);
  return created.json();
}

function changeByMaster(keyId: string, body: Json, organizationId = org.id) {
  return ctx.app.inject({
    method: 'PATCH',
    url: `/v1/organizations/${organizationId}/api-keys/${keyId}`,
    headers: masterHeaders,
    payload: body,
  });
}

async function location(owner: TestOrganization, name: string, externalId: string): Promise<string> {
  return (await ok(call('POST', '/v1/locations', owner.apiKey, { name, externalId }), 201)).id as string;
}

let tickets = 0;
function ticket(extra: Json = {}): Json {
  tickets += 1;
  return {
    documentNumber: `LA-${tickets}`,
    totals: { total: 1250 },
    lines: [{ sku: 'MENU', total: 1250 }],
    customer: { customerId: memberId },
    ...extra,
  };
}

beforeAll(async () => {
  ctx = await createTestContext();
  org = await ctx.createOrganization();
  other = await ctx.createOrganization();
  locationA = await location(org, 'Gran Vía', 'gv');
  locationB = await location(org, 'Malasaña', 'ml');
  foreignLocation = await location(other, 'Elsewhere', 'gv');
  const member = await ok(
    call('POST', '/v1/customers', org.apiKey, { firstName: 'Ana', email: 'ana@example.com' }),
    201,
  );
  memberId = member.id as string;
  await ok(
    call('POST', `/v1/customers/${memberId}/points/add`, org.apiKey, { points: 100, reason: 'opening' }),
    201,
  );
});
afterAll(() => ctx.close());

describe('a key restricted to one location', () => {
  let till: string;
  beforeAll(async () => {
    till = (await masterKey(org.id, { name: 'Gran Vía till', scopes: ['till'], locationIds: [locationA] }))
      .key;
  });

  it('posts a ticket at its location and gets 403 naming the restriction at another', async () => {
    const here = await ok(call('POST', '/v1/transactions', till, ticket({ locationId: locationA })), 201);
    expect((here.transaction as Json).locationId).toBe(locationA);

    const there = await call('POST', '/v1/transactions', till, ticket({ locationId: locationB }));
    expect(there.statusCode).toBe(403);
    expect(there.json()).toMatchObject({
      code: 'forbidden',
      detail: `this API key is restricted to location ${locationA}; body.locationId ${locationB} is not one of them`,
      errors: [
        { path: 'body.locationId', message: 'is not one of the locations this API key is restricted to' },
      ],
    });
    const atB = await ok(call('GET', `/v1/transactions?locationId=${locationB}`, org.apiKey), 200);
    expect(atB.data).toEqual([]);
  });

  it('records a ticket sent without a location at its one location', async () => {
    const sent = await ok(call('POST', '/v1/transactions', till, ticket()), 201);
    expect((sent.transaction as Json).locationId).toBe(locationA);
  });

  it('cannot redeem, add points or report an event at another location', async () => {
    const redeem = await call('POST', '/v1/redemptions', till, {
      customerId: memberId,
      order: { documentNumber: 'R-1', locationId: locationB, lines: [{ sku: 'MENU', total: 1250 }] },
      rewards: [{ posCode: 'COFFEE' }],
    });
    expect(redeem.statusCode).toBe(403);
    expect(redeem.json().errors[0].path).toBe('body.order.locationId');

    const add = (locationId: string) =>
      call('POST', `/v1/customers/${memberId}/points/add`, till, {
        points: 5,
        reason: 'goodwill',
        locationId,
      });
    expect((await add(locationB)).statusCode).toBe(403);
    const added = await ok(add(locationA), 201);
    expect((added.entry as Json).locationId).toBe(locationA);

    const integration = (
      await masterKey(org.id, { scopes: ['integration'], locationIds: [locationA.toUpperCase()] })
    ).key;
    const event = (locationId: string) =>
      call('POST', `/v1/customers/${memberId}/custom-events`, integration, {
        name: 'left_review',
        locationId,
      });
    expect((await event(locationB)).statusCode).toBe(403);
    expectStatus(await event(locationA), 200);
  });

  it("cannot assign another location's ticket to a member, and assigns its own", async () => {
    const unassigned = async (locationId: string) =>
      (
        (
          await ok(
            call('POST', '/v1/transactions', org.apiKey, ticket({ locationId, customer: undefined })),
            201,
          )
        ).transaction as Json
      ).id as string;
    const atB = await unassigned(locationB);
    const refused = await call('POST', `/v1/transactions/${atB}/assign`, till, { identifier: memberId });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().detail).toBe(
      `this API key is restricted to location ${locationA}; params.id ${locationB} is not one of them`,
    );
    const atA = await unassigned(locationA);
    const assigned = await ok(
      call('POST', `/v1/transactions/${atA}/assign`, till, { identifier: memberId }),
      200,
    );
    expect(assigned.customerId).toBe(memberId);
  });

  it("still finds members and reads the organization's tickets: reads are not restricted", async () => {
    const found = await ok(call('GET', '/v1/customers/lookup?identifier=ana@example.com', till), 200);
    expect(found.id).toBe(memberId);
    const atB = await ok(
      call('POST', '/v1/transactions', org.apiKey, ticket({ locationId: locationB })),
      201,
    );
    const read = await ok(call('GET', `/v1/transactions/${(atB.transaction as Json).id}`, till), 200);
    expect(read.locationId).toBe(locationB);
    expectStatus(await call('GET', `/v1/customers/${memberId}/rewards?locationId=${locationB}`, till), 200);
  });
});

describe('a key restricted to several locations', () => {
  it('names the location of each ticket: leaving it out answers 422 naming body.locationId', async () => {
    const till = (await masterKey(org.id, { scopes: ['till'], locationIds: [locationA, locationB] })).key;
    const unnamed = await call('POST', '/v1/transactions', till, ticket());
    expect(unnamed.statusCode).toBe(422);
    expect(unnamed.json().errors).toEqual([
      {
        path: 'body.locationId',
        message: `is required: this API key is restricted to locations ${locationA}, ${locationB}; name the one this happens at`,
      },
    ]);
    expectStatus(await call('POST', '/v1/transactions', till, ticket({ locationId: locationB })), 201);
  });
});

describe('an admin key restricted to a location', () => {
  it('changes its location and its brands, not another location', async () => {
    const admin = (await masterKey(org.id, { scopes: ['admin'], locationIds: [locationA] })).key;
    expectStatus(await call('PATCH', `/v1/locations/${locationA}`, admin, { city: 'Madrid' }), 200);
    const refused = await call('PATCH', `/v1/locations/${locationB}`, admin, { city: 'Madrid' });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().errors[0].path).toBe('params.id');
    expect(
      (await call('POST', `/v1/locations/${locationB}/brands`, admin, { name: 'Pizza' })).statusCode,
    ).toBe(403);
    expect((await call('DELETE', `/v1/locations/${locationB}`, admin)).statusCode).toBe(403);
  });
});

describe('the dialects', () => {
  let till: string;
  beforeAll(async () => {
    till = (await masterKey(org.id, { scopes: ['till'], locationIds: [locationA] })).key;
  });

  it("Comeback: an order at another location is refused in Comeback's error shape", async () => {
    const order = (externalId: string, locationId: string) =>
      ctx.app.inject({
        method: 'POST',
        url: '/compat/comeback/v1/orders',
        headers: { authorization: till },
        payload: { externalId, amount: 1250, locationId },
      });
    // Comeback names locations by their id or by the external id carried over (`ml` is B's).
    const refused = await order('CB-1', 'ml');
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toEqual({
      statusCode: 403,
      error: 'Forbidden',
      message: 'locationId is not one of the locations this API key is restricted to',
    });
    expectStatus(await order('CB-2', 'gv'), 200);
    const recorded = await ok(
      call('GET', `/v1/transactions?locationId=${locationA}&limit=100`, org.apiKey),
      200,
    );
    expect((recorded.data as Json[]).map((row) => row.documentNumber)).toContain('CB-2');
  });

  it("Cheerfy: a ticket from another location's scope is refused in Cheerfy's error shape", async () => {
    const send = (id: string, scope: string) =>
      ctx.app.inject({
        method: 'POST',
        url: '/compat/cheerfy/ticket/',
        headers: { authorization: `Token ${till}` },
        payload: {
          ...cheerfyTicket,
          id,
          rectification_id: null,
          scope: { ...cheerfyTicket.scope, locations: [scope] },
        },
      });
    const refused = await send('CH-1', 'ml');
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toEqual({
      detail: `this API key is restricted to location ${locationA}; body.scope.locations.0 ${locationB} is not one of them`,
    });
    expectStatus(await send('CH-2', 'gv'), 200);
  });
});

describe('changing a key', () => {
  const rule = { name: 'Double points', type: 'spend', config: { pointsPerUnit: 2 } };

  it('takes effect at once: a till key upgraded to admin changes a rule, downgraded again it cannot', async () => {
    const { key, id } = await masterKey(org.id, { name: 'Bar till', scopes: ['till'] });
    expect((await call('POST', '/v1/earning-rules', key, rule)).statusCode).toBe(403);

    const upgraded = await changeByMaster(id, { scopes: ['admin'] });
    expectStatus(upgraded, 200);
    expect(upgraded.json()).toMatchObject({ id, name: 'Bar till', scopes: ['admin'], locationIds: null });
    expectStatus(await call('POST', '/v1/earning-rules', key, rule), 201);

    // The id as a client may write it: the cached key is still the one dropped.
    expectStatus(await changeByMaster(id.toUpperCase(), { scopes: ['till'] }), 200);
    expect((await call('POST', '/v1/earning-rules', key, rule)).statusCode).toBe(403);
  });

  it('restricts a key to locations at once, and lifts the restriction with null', async () => {
    const { key, id } = await masterKey(org.id, { scopes: ['till'] });
    expectStatus(await call('POST', '/v1/transactions', key, ticket({ locationId: locationB })), 201);
    expectStatus(await changeByMaster(id, { locationIds: [locationA] }), 200);
    expect((await call('POST', '/v1/transactions', key, ticket({ locationId: locationB }))).statusCode).toBe(
      403,
    );
    const lifted = await changeByMaster(id, { locationIds: null, name: 'Anywhere' });
    expect(lifted.json()).toMatchObject({ name: 'Anywhere', scopes: ['till'], locationIds: null });
    expectStatus(await call('POST', '/v1/transactions', key, ticket({ locationId: locationB })), 201);
  });

  it("refuses another organization's location, or none at all, with 422 naming the field", async () => {
    const create = await ctx.app.inject({
      method: 'POST',
      url: `/v1/organizations/${org.id}/api-keys`,
      headers: masterHeaders,
      payload: { scopes: ['till'], locationIds: [locationA, foreignLocation] },
    });
    expect(create.statusCode).toBe(422);
    expect(create.json().errors).toEqual([
      { path: 'body.locationIds.1', message: 'is not a location of this organization' },
    ]);
    const own = await ok(call('POST', '/v1/api-keys', org.apiKey, { locationIds: [foreignLocation] }), 422);
    expect(own.errors).toEqual([
      { path: 'body.locationIds.0', message: 'is not a location of this organization' },
    ]);

    const { id } = await masterKey(org.id, { scopes: ['till'] });
    const changed = await changeByMaster(id, { locationIds: [foreignLocation] });
    expect(changed.statusCode).toBe(422);
    expect(changed.json().errors[0].path).toBe('body.locationIds.0');
    const empty = await changeByMaster(id, { locationIds: [] });
    expect(empty.statusCode).toBe(422);
    expect(JSON.stringify(empty.json().errors)).toContain('body.locationIds');
  });

  it("answers 404 for another organization's key and 409 for a revoked one", async () => {
    const { id } = await masterKey(other.id, { scopes: ['till'] });
    expect((await changeByMaster(id, { name: 'Mine now' })).statusCode).toBe(404);
    await ctx.app.inject({
      method: 'DELETE',
      url: `/v1/organizations/${other.id}/api-keys/${id}`,
      headers: masterHeaders,
    });
    const revoked = await changeByMaster(id, { name: 'Back' }, other.id);
    expect(revoked.statusCode).toBe(409);
  });
});

describe("the organization's own keys under /v1/api-keys", () => {
  it('an admin key creates a key shown once, lists it, changes it and revokes it', async () => {
    const created = await ctx.app.inject({
      method: 'POST',
      url: '/v1/api-keys',
      headers: { ...org.headers, 'idempotency-key': 'own-key-1' },
      payload: { name: 'Kitchen display', scopes: ['read'] },
    });
    expectStatus(created, 201);
    const { key, id } = created.json();
    expect(key).toMatch(/^rgl_/);
    const replayed = await ctx.app.inject({
      method: 'POST',
      url: '/v1/api-keys',
      headers: { ...org.headers, 'idempotency-key': 'own-key-1' },
      payload: { name: 'Kitchen display', scopes: ['read'] },
    });
    expect(replayed.headers['idempotent-secret-withheld']).toBe('key');
    expect(replayed.json()).toMatchObject({ id, key: null });

    const listed = await ok(call('GET', '/v1/api-keys?limit=100', org.apiKey), 200);
    expect((listed.data as Json[]).find((row) => row.id === id)).toMatchObject({ scopes: ['read'] });

    expectStatus(await call('GET', '/v1/rewards', key), 200);
    const changed = await ok(call('PATCH', `/v1/api-keys/${id}`, org.apiKey, { scopes: ['till'] }), 200);
    expect(changed.scopes).toEqual(['till']);
    expect((await call('GET', '/v1/rewards', key)).statusCode).toBe(403);

    const revoked = await ok(call('POST', `/v1/api-keys/${id}/revoke`, org.apiKey), 200);
    expect(revoked.revokedAt).not.toBeNull();
    expect((await call('GET', '/v1/customers/lookup?identifier=ana@example.com', key)).statusCode).toBe(401);
  });

  it('till and read keys get 403 naming the access scope', async () => {
    const { id } = await masterKey(org.id, { scopes: ['till'] });
    for (const scope of ['till', 'read', 'integration'] as const) {
      const { key } = await masterKey(org.id, { scopes: [scope] });
      for (const [method, url] of [
        ['GET', '/v1/api-keys'],
        ['POST', '/v1/api-keys'],
        ['PATCH', `/v1/api-keys/${id}`],
        ['POST', `/v1/api-keys/${id}/revoke`],
      ] as const) {
        const response = await call(method, url, key, method === 'PATCH' ? { name: 'x' } : undefined);
        expect(response.statusCode, `${scope} ${method} ${url}`).toBe(403);
        expect(response.json().detail).toContain("lacks the 'access' scope");
      }
    }
  });

  it("answers 404 for another organization's key id", async () => {
    const { id } = await masterKey(other.id, { scopes: ['till'] });
    expect((await call('PATCH', `/v1/api-keys/${id}`, org.apiKey, { name: 'Mine now' })).statusCode).toBe(
      404,
    );
    expect((await call('POST', `/v1/api-keys/${id}/revoke`, org.apiKey)).statusCode).toBe(404);
    const still = await ctx.app.inject({
      method: 'GET',
      url: `/v1/organizations/${other.id}/api-keys?limit=100`,
      headers: masterHeaders,
    });
    expect(still.json().data.find((row: Json) => row.id === id)).toMatchObject({ revokedAt: null });
  });

  it('a key does not change or revoke itself', async () => {
    const revoke = await call('POST', `/v1/api-keys/${org.apiKeyId}/revoke`, org.apiKey);
    expect(revoke.statusCode).toBe(403);
    expect(revoke.json().detail).toMatch(/^an API key cannot change or revoke itself/);
    const change = await call('PATCH', `/v1/api-keys/${org.apiKeyId}`, org.apiKey, { scopes: ['till'] });
    expect(change.statusCode).toBe(403);
    expectStatus(await call('GET', '/v1/api-keys', org.apiKey), 200);
  });

  it('a caller restricted to a location gives keys of that location only, and manages no wider key', async () => {
    const restricted = (await masterKey(org.id, { scopes: ['admin'], locationIds: [locationA] })).key;
    const inherited = await ok(call('POST', '/v1/api-keys', restricted, { scopes: ['till'] }), 201);
    expect(inherited.locationIds).toEqual([locationA]);

    const everywhere = await call('POST', '/v1/api-keys', restricted, {
      scopes: ['till'],
      locationIds: null,
    });
    expect(everywhere.statusCode).toBe(403);
    expect(everywhere.json().errors[0].path).toBe('body.locationIds');
    const elsewhere = await call('POST', '/v1/api-keys', restricted, { locationIds: [locationB] });
    expect(elsewhere.statusCode).toBe(403);
    expect(elsewhere.json().errors[0].path).toBe('body.locationIds.0');

    const widen = await call('PATCH', `/v1/api-keys/${inherited.id}`, restricted, {
      locationIds: [locationA, locationB],
    });
    expect(widen.statusCode).toBe(403);
    const unrestricted = await masterKey(org.id, { scopes: ['till'] });
    const revokeWider = await call('POST', `/v1/api-keys/${unrestricted.id}/revoke`, restricted);
    expect(revokeWider.statusCode).toBe(403);
    expect(revokeWider.json().errors[0].path).toBe('params.keyId');
    expectStatus(await call('POST', `/v1/api-keys/${inherited.id}/revoke`, restricted), 200);
  });
});
