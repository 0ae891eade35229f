import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../src/db/ids.ts';
import { generateApiKey, hashSecret } from '../src/modules/api-keys/secrets.ts';
import {
  createTestContext,
  expectStatus,
  masterHeaders,
  type TestContext,
  type TestOrganization,
} from './support/context.ts';
import { servedRoutes } from './support/routes.ts';
import { startSmtpServer, type TestSmtpServer } from './support/smtp.ts';
import { addStaff, signInWithToken } from './support/staff.ts';

type KeyScope = 'till' | 'integration' | 'read' | 'admin';
/** A key's scopes, and `access` (staff and keys), which admin keys and owners reach. */
type Scope = KeyScope | 'access';

/**
 * The routes a till or an integration reaches: the specification this file checks the server
 * against. Every other route under /v1 needs `read` when it is a GET and `admin` otherwise.
 */
const DECLARED: Record<string, Scope> = {
  'POST /v1/customers': 'till',
  'GET /v1/customers/lookup': 'till',
  'GET /v1/customers/:id': 'till',
  'GET /v1/customers/:id/points': 'till',
  'POST /v1/customers/:id/points/add': 'till',
  'POST /v1/customers/:id/points/spend': 'till',
  'POST /v1/customers/:id/points/block': 'till',
  'GET /v1/customers/:id/rewards': 'till',
  'POST /v1/customers/:id/rewards/:rewardId/claim': 'till',
  'GET /v1/customers/:id/tier': 'till',
  'GET /v1/customers/:id/passes/apple': 'till',
  'GET /v1/customers/:id/passes/google': 'till',
  'POST /v1/transactions': 'till',
  'POST /v1/transactions/simulate': 'till',
  'POST /v1/transactions/:id/assign': 'till',
  'GET /v1/transactions/:id': 'till',
  'PATCH /v1/transactions/:id/labels': 'till',
  'GET /v1/coupons/:id': 'till',
  'POST /v1/coupons/:id/use': 'till',
  'POST /v1/redemptions': 'till',
  'GET /v1/redemptions/:id': 'till',
  'POST /v1/redemptions/:id/commit': 'till',
  'POST /v1/redemptions/:id/release': 'till',
  'GET /v1/events': 'integration',
  'GET /v1/customers/export.csv': 'integration',
  'POST /v1/customers/import': 'integration',
  'GET /v1/customer-imports': 'integration',
  'GET /v1/customer-imports/:id': 'integration',
  'GET /v1/customer-imports/:id/errors.csv': 'integration',
  'POST /v1/customers/:id/custom-events': 'integration',
  'POST /v1/customers/:id/qr-codes': 'integration',
  'POST /v1/customers/:id/check-ins': 'integration',
  'GET /v1/api-keys': 'access',
  'POST /v1/api-keys': 'access',
  'PATCH /v1/api-keys/:keyId': 'access',
  'POST /v1/api-keys/:keyId/revoke': 'access',
  'GET /v1/auth/me': 'till',
  'GET /v1/locations': 'till',
  'GET /v1/staff': 'access',
  'POST /v1/staff': 'access',
  'GET /v1/staff/:id': 'access',
  'PATCH /v1/staff/:id': 'access',
  'DELETE /v1/staff/:id': 'access',
  'POST /v1/staff/:id/invite': 'access',
  // Open Loyalty's admin actions: deleting and anonymizing members, levels set by hand.
  'DELETE /compat/openloyalty/api/:storeCode/customer/:customer': 'admin',
  'POST /compat/openloyalty/api/:storeCode/admin/customer/:customer/anonymize': 'admin',
  'POST /compat/openloyalty/api/:storeCode/customer/:customer/level': 'admin',
  'POST /compat/openloyalty/api/:storeCode/customer/:customer/remove-manually-level': 'admin',
  // … and activating or expiring a points transfer by hand.
  'POST /compat/openloyalty/api/:storeCode/points/transfer/:transfer/activate': 'admin',
  'POST /compat/openloyalty/api/:storeCode/points/transfer/:transfer/expire': 'admin',
};

/** Dialect routes that take no key: Open Loyalty's sign-ins (a staff account's, a member's) and its version. */
const DIALECT_PUBLIC = new Set([
  'POST /compat/openloyalty/api/admin/login_check',
  'POST /compat/openloyalty/api/:storeCode/customer/login_check',
  'POST /compat/openloyalty/api/token/refresh',
  'GET /compat/openloyalty/api/',
]);

/**
 * Routes under /v1 that no organization key calls: staff sign-in (public), and what any signed-in
 * staff user does for themselves (their session authenticates them, whatever their role).
 */
const NOT_FOR_KEYS = new Set([
  'POST /v1/auth/accept-invite',
  'POST /v1/auth/sign-in',
  'POST /v1/auth/refresh',
  'POST /v1/auth/sign-out',
  'POST /v1/auth/password-reset',
  'POST /v1/auth/password-reset/complete',
  'POST /v1/auth/totp/enrol',
  'POST /v1/auth/totp/confirm',
  'POST /v1/auth/totp/disable',
  // A device trading its pairing code for its till key: the code is its only credential.
  'POST /v1/till-pairings/claim',
]);

/** The scopes each key scope reaches (admin ⊇ integration ⊇ till; admin ⊇ read). */
const REACHES: Record<KeyScope, Scope[]> = {
  till: ['till'],
  integration: ['integration', 'till'],
  read: ['read'],
  admin: ['admin', 'integration', 'till', 'read', 'access'],
};

interface ScopedRoute {
  method: string;
  path: string;
  scope: Scope;
  dialect: boolean;
}

/** The routes an organization's key calls, each with the scope it should need. */
function scopedRoutes(ctx: TestContext): ScopedRoute[] {
  return servedRoutes(ctx.app).flatMap(({ method, path }) => {
    const dialect = path.startsWith('/compat/');
    // Platform routes take the master key; members' own and public routes, and staff sign-in, take no organization key.
    const tenant =
      path.startsWith('/v1/') &&
      !/^\/v1\/(organizations|me|public)(\/|$)/.test(path) &&
      !NOT_FOR_KEYS.has(`${method} ${path}`);
    if ((!dialect && !tenant) || DIALECT_PUBLIC.has(`${method} ${path}`)) return [];
    const scope = DECLARED[`${method} ${path}`] ?? (dialect ? 'till' : method === 'GET' ? 'read' : 'admin');
    return [{ method, path, scope, dialect }];
  });
}

type Role = 'owner' | 'manager' | 'analyst' | 'cashier';

/** What each staff role reaches, as the README's table says (written out, not read from roles.ts). */
const ROLE_REACHES: Record<Role, Scope[]> = {
  owner: ['admin', 'integration', 'till', 'read', 'access'],
  manager: ['admin', 'integration', 'till', 'read'],
  analyst: ['read'],
  cashier: ['till'],
};

/**
 * A key reaches a route when one of its scopes includes the route's, or it reads and the route is
 * a /v1 GET other than the keys' and staff's own (`access`). A role reaches what its scopes would.
 */
function reaches(keyScope: KeyScope, route: ScopedRoute): boolean {
  return reachesWith(REACHES[keyScope], route);
}

function reachesWith(held: readonly Scope[], route: ScopedRoute): boolean {
  const readable = !route.dialect && route.method === 'GET' && route.scope !== 'access';
  return held.includes(route.scope) || (readable && held.includes('read'));
}

const someId = '01936f4e-8b1a-7c3d-9e2f-1a2b3c4d5e6f';

let ctx: TestContext;
let smtp: TestSmtpServer;
let org: TestOrganization;
const keys = {} as Record<KeyScope, string>;
let routes: ScopedRoute[];

async function createKey(organizationId: string, body: object) {
  const response = await ctx.app.inject({
    method: 'POST',
    url: `/v1/organizations/${organizationId}/api-keys`,
    headers: masterHeaders,
    payload: body,
  });
  return response;
}

function call(route: ScopedRoute, key: string) {
  // Cheerfy authenticates with `Token <key>`; the others take a bearer key.
  const scheme = route.path.startsWith('/compat/cheerfy') ? 'Token' : 'Bearer';
  return ctx.app.inject({
    method: route.method,
    url: route.path.replace(/:\w+/g, someId),
    headers: { authorization: `${scheme} ${key}` },
  });
}

beforeAll(async () => {
  smtp = await startSmtpServer();
  ctx = await createTestContext({ messaging: { smtpUrl: smtp.url } });
  org = await ctx.createOrganization();
  // The organization's first key was created without scopes: it is the admin key.
  keys.admin = org.apiKey;
  for (const scope of ['till', 'integration', 'read'] as const) {
    const created = await createKey(org.id, { name: scope, scopes: [scope] });
    expectStatus(created, 201);
    keys[scope] = created.json().key;
  }
  routes = scopedRoutes(ctx);
});
afterAll(async () => {
  await ctx.close();
  await smtp.close();
});

describe('the scope matrix', () => {
  it('covers every organization and dialect route the server answers', () => {
    expect(routes.length).toBeGreaterThan(120);
    expect(routes.filter((route) => route.dialect).length).toBeGreaterThanOrEqual(15);
    const served = new Set(routes.map((route) => `${route.method} ${route.path}`));
    expect(Object.keys(DECLARED).filter((route) => !served.has(route))).toEqual([]);
  });

  for (const keyScope of ['till', 'integration', 'read', 'admin'] as const) {
    it(`${keyScope === 'till' || keyScope === 'read' ? 'a' : 'an'} ${keyScope} key gets 403 naming the missing scope exactly where its scopes do not reach`, async () => {
      const wrong: string[] = [];
      for (const route of routes) {
        const response = await call(route, keys[keyScope]);
        const shown = `${route.method} ${route.path}`;
        if (!reaches(keyScope, route)) {
          const named = `this API key lacks the '${route.scope}' scope needed by ${route.method} ${route.path.replace(/:(\w+)/g, '{$1}')}`;
          if (response.statusCode !== 403 || !response.body.includes(named)) {
            wrong.push(`${shown}: ${response.statusCode} ${response.body.slice(0, 200)} (expected 403)`);
          } else if (!route.dialect && response.json().code !== 'forbidden') {
            wrong.push(`${shown}: code ${response.json().code}`);
          }
        } else if (response.statusCode === 403 || response.statusCode === 401 || response.statusCode >= 500) {
          wrong.push(`${shown}: ${response.statusCode} ${response.body.slice(0, 200)}`);
        }
      }
      expect(wrong).toEqual([]);
    });
  }

  for (const role of ['owner', 'manager', 'analyst', 'cashier'] as const) {
    it(`a signed-in ${role} gets 403 naming the missing scope exactly where the role does not reach`, async () => {
      const staff = await addStaff(ctx, smtp, org, role);
      const { accessToken } = await signInWithToken(ctx, staff);
      const wrong: string[] = [];
      // Dialects authenticate with the vendor's own credential (a key), never a staff session.
      for (const route of routes.filter((candidate) => !candidate.dialect)) {
        const response = await call(route, accessToken);
        const shown = `${route.method} ${route.path}`;
        if (!reachesWith(ROLE_REACHES[role], route)) {
          const named = `this staff user's role lacks the '${route.scope}' scope needed by ${route.method} ${route.path.replace(/:(\w+)/g, '{$1}')}`;
          if (response.statusCode !== 403 || !response.body.includes(named))
            wrong.push(`${shown}: ${response.statusCode} ${response.body.slice(0, 200)} (expected 403)`);
        } else if (response.statusCode === 403 || response.statusCode === 401 || response.statusCode >= 500) {
          wrong.push(`${shown}: ${response.statusCode} ${response.body.slice(0, 200)}`);
        }
      }
      expect(wrong).toEqual([]);
    });
  }

  it('shows each operation its scope in the OpenAPI document', async () => {
    const document = (await ctx.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    const wrong: string[] = [];
    for (const route of routes) {
      const operation = document.paths[route.path.replace(/:(\w+)/g, '{$1}')]?.[route.method.toLowerCase()];
      const said = operation?.description?.split(`Needs the \`${route.scope}\` scope`) ?? [];
      if (operation?.['x-scope'] !== route.scope || said.length !== 2)
        wrong.push(`${route.method} ${route.path}: ${operation?.['x-scope']}`);
    }
    expect(wrong).toEqual([]);
    expect(document.paths['/v1/organizations'].post['x-scope']).toBeUndefined();
  });
});

describe('a till key', () => {
  it('cannot create or change an earning rule', async () => {
    const headers = { authorization: `Bearer ${keys.till}` };
    const create = await ctx.app.inject({
      method: 'POST',
      url: '/v1/earning-rules',
      headers,
      payload: { name: 'Double points', type: 'spend', config: { pointsPerUnit: 2 } },
    });
    expect(create.statusCode).toBe(403);
    expect(create.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(create.json()).toMatchObject({
      code: 'forbidden',
      detail: "this API key lacks the 'admin' scope needed by POST /v1/earning-rules",
    });
    const patch = await ctx.app.inject({
      method: 'PATCH',
      url: `/v1/earning-rules/${someId}`,
      headers,
      payload: { name: 'Triple points' },
    });
    expect(patch.statusCode).toBe(403);
    expect(patch.json().detail).toBe(
      "this API key lacks the 'admin' scope needed by PATCH /v1/earning-rules/{id}",
    );
  });

  it('posts a ticket for a member it created and looks the member up', async () => {
    const headers = { authorization: `Bearer ${keys.till}` };
    const member = await ctx.app.inject({
      method: 'POST',
      url: '/v1/customers',
      headers,
      payload: { email: 'till-scope@example.com', firstName: 'Ana' },
    });
    expectStatus(member, 201);
    const lookup = await ctx.app.inject({
      method: 'GET',
      url: '/v1/customers/lookup?identifier=till-scope@example.com',
      headers,
    });
    expectStatus(lookup, 200);
    expect(lookup.json().id).toBe(member.json().id);
    const ticket = await ctx.app.inject({
      method: 'POST',
      url: '/v1/transactions',
      headers,
      payload: {
        documentNumber: 'T-1',
        totals: { total: 1250 },
        lines: [{ sku: 'MENU', total: 1250 }],
        customer: { customerId: member.json().id },
      },
    });
    expectStatus(ticket, 201);
  });
});

describe('keys without scopes', () => {
  it('a key stored before scopes existed still reaches configuration', async () => {
    // What migration 0013 leaves an existing row: no scopes written, the column's default.
    const { key, prefix } = generateApiKey();
    await ctx.database.db.execute(
      sql`insert into api_keys (organization_id, id, prefix, key_hash) values (${org.id}, ${newId()}, ${prefix}, ${hashSecret(key)})`,
    );
    const response = await ctx.app.inject({
      method: 'POST',
      url: '/v1/point-types',
      headers: { authorization: `Bearer ${key}` },
      payload: { name: 'Stars' },
    });
    expect(response.statusCode).not.toBe(403);
    expect(response.statusCode).toBeLessThan(500);
  });
});

describe('creating keys with scopes', () => {
  it('answers the scopes given, admin when none, and lists them', async () => {
    const scoped = await createKey(org.id, { scopes: ['till', 'read'] });
    expectStatus(scoped, 201);
    expect(scoped.json().scopes).toEqual(['till', 'read']);
    const plain = await createKey(org.id, {});
    expect(plain.json().scopes).toEqual(['admin']);
    const list = await ctx.app.inject({
      method: 'GET',
      url: `/v1/organizations/${org.id}/api-keys?limit=100`,
      headers: masterHeaders,
    });
    const listed = new Map(
      list.json().data.map((key: { id: string; scopes: string[] }) => [key.id, key.scopes]),
    );
    expect(listed.get(scoped.json().id)).toEqual(['till', 'read']);
    expect(listed.get(plain.json().id)).toEqual(['admin']);
  });

  it('refuses unknown, repeated and empty scopes with 422 naming the field', async () => {
    for (const scopes of [['cashier'], ['till', 'till'], []]) {
      const response = await createKey(org.id, { scopes });
      expect(response.statusCode).toBe(422);
      expect(JSON.stringify(response.json().errors)).toContain('body.scopes');
    }
  });
});
