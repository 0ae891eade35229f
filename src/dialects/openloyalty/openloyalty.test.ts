import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestContext,
  expectStatus,
  type TestContext,
  type TestOrganization,
} from '../../../test/support/context.ts';
import { startSmtpServer, type TestSmtpServer } from '../../../test/support/smtp.ts';
import { addFirstOwner } from '../../../test/support/staff.ts';
import { verifyLedger } from '../../modules/ledger/verify.ts';

/**
 * The examples of Open Loyalty's document (test/fixtures/openloyalty, verbatim; the two broken
 * ones fixed by hand, see its README), replayed through /compat/openloyalty against a fresh
 * organization, and each answer checked against the example: status, field names, JSON types.
 */

const fixtures = join(import.meta.dirname, '..', '..', '..', 'test', 'fixtures', 'openloyalty');
const read = (name: string) => readFileSync(join(fixtures, name), 'utf8');

/** The `-d` lines of an example as the body curl sends (raw spaces escaped, as a browser would). */
function formOf(name: string, replace: Record<string, string> = {}): string {
  let body = read(`${name}.request.txt`).trim().split('\n').join('&').replaceAll(' ', '%20');
  for (const [from, to] of Object.entries(replace)) body = body.replaceAll(from, to);
  return body;
}

interface Example {
  status: number;
  body: unknown;
}

/** An example answer: its status and its body (the fixed `.json` copy when the printed one is broken). */
function exampleOf(name: string): Example {
  const [statusLine = '', ...rest] = read(`${name}.response.txt`).split('\n');
  const status = Number(/STATUS: (\d+)/.exec(statusLine)?.[1] ?? 200);
  const fixed = join(fixtures, `${name}.response.json`);
  const text = existsSync(fixed) ? readFileSync(fixed, 'utf8') : rest.join('\n').trim();
  return { status, body: text === '' || text === '(no content)' ? undefined : JSON.parse(text) };
}

const kind = (value: unknown) => (value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value);

/**
 * The contract: every field of the example is there (but those named, which Regulars documents
 * as not kept) with the example's JSON type, and nothing is there that the document does not
 * name (`extra` lists the fields OL's other examples show).
 */
function expectShape(
  actual: unknown,
  example: unknown,
  options: { absent?: string[]; extra?: string[] } = {},
): void {
  expect(kind(actual)).toBe(kind(example));
  if (kind(example) !== 'object') return;
  const got = actual as Record<string, unknown>;
  const want = example as Record<string, unknown>;
  for (const [key, value] of Object.entries(want)) {
    if (options.absent?.includes(key)) continue;
    expect(got, `field ${key}`).toHaveProperty(key);
    expect(kind(got[key]), `type of ${key}`).toBe(kind(value));
  }
  for (const key of Object.keys(got)) {
    expect([...Object.keys(want), ...(options.extra ?? [])], `field ${key} is not in the document`).toContain(
      key,
    );
  }
}

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
/** Real numbers in place of the register examples' 000000005000 and 000000004000 (see below). */
const REAL_PHONES = { '=000000005000': '=%2B48600000500', '=000000004000': '=%2B48600000400' };

let ctx: TestContext;
let smtp: TestSmtpServer;
beforeAll(async () => {
  smtp = await startSmtpServer();
  ctx = await createTestContext({ messaging: { smtpUrl: smtp.url } });
});
afterAll(async () => {
  await ctx.close();
  await smtp.close();
});

/** An organization set up like OL's demo: a 2.3-points-per-euro spend rule and two levels. */
async function demoStore(): Promise<TestOrganization & { levels: { level1: string; level2: string } }> {
  const org = await ctx.createOrganization({ timeZone: 'Europe/Warsaw', country: 'PL', currency: 'EUR' });
  const native = (url: string, payload: object) =>
    ctx.app.inject({ method: 'POST', url, headers: org.headers, payload });
  expectStatus(
    await native('/v1/earning-rules', {
      name: 'General spending rule',
      type: 'spend',
      config: { pointsPerUnit: 2.3 },
    }),
    201,
  );
  const level1 = await native('/v1/tiers', { name: 'level1', conditionValue: 2000, discountPercent: 15 });
  const level2 = await native('/v1/tiers', { name: 'level2', conditionValue: 20000, discountPercent: 20 });
  expectStatus(level1, 201);
  expectStatus(level2, 201);
  return { ...org, levels: { level1: level1.json().id, level2: level2.json().id } };
}

/** A client of the dialect with a permanent token (the organization's API key in X-AUTH-TOKEN). */
function client(org: TestOrganization, headers: Record<string, string> = { 'x-auth-token': org.apiKey }) {
  return (
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    url: string,
    form?: string,
  ): Promise<LightMyRequestResponse> =>
    ctx.app.inject({
      method,
      url: `/compat/openloyalty${url}`,
      headers: form === undefined ? headers : { ...headers, ...FORM },
      ...(form === undefined ? {} : { payload: form }),
    });
}

async function register(ol: ReturnType<typeof client>, fields: Record<string, string>): Promise<string> {
  const form = Object.entries({ agreement1: '1', ...fields })
    .map(([key, value]) => `customer[${key}]=${encodeURIComponent(value)}`)
    .join('&');
  const response = await ol('POST', '/api/DEFAULT/customer/register', form);
  expectStatus(response, 200);
  return response.json().customerId;
}

describe('Open Loyalty auth', () => {
  it('signs a staff account in at login_check with the document’s JSON body and uses, refreshes and revokes its JWT', async () => {
    const org = await demoStore();
    const owner = await addFirstOwner(ctx, smtp, org.id, `admin-${org.id.slice(0, 8)}@latasca.test`);
    const login = JSON.parse(read('login.request.txt')) as { _username: string; _password: string };
    const response = await ctx.app.inject({
      method: 'POST',
      url: '/compat/openloyalty/api/admin/login_check',
      headers: { 'content-type': 'application/json;charset=UTF-8' },
      payload: JSON.stringify({ ...login, _username: owner.email, _password: owner.password }),
    });
    expectStatus(response, 200);
    expectShape(response.json(), exampleOf('login').body);
    const { token, refresh_token: refreshToken } = response.json() as {
      token: string;
      refresh_token: string;
    };
    const ol = client(org, { authorization: `Bearer ${token}` });
    expectStatus(await ol('GET', '/api/DEFAULT/customer'), 200);

    const refreshed = await ctx.app.inject({
      method: 'POST',
      url: '/compat/openloyalty/api/token/refresh',
      headers: FORM,
      payload: `refresh_token=${encodeURIComponent(refreshToken)}`,
    });
    expectStatus(refreshed, 200);
    const next = client(org, { authorization: `Bearer ${refreshed.json().token}` });
    expectStatus(await next('GET', '/api/token/revoke'), 200);
    const after = await next('GET', '/api/DEFAULT/customer');
    expect(after.statusCode).toBe(401);
    expect(after.json()).toEqual({ code: 401, message: 'Invalid JWT Token' });
  });

  it('answers the document’s default admin, a wrong password and a missing token with 401 and Lexik’s bodies', async () => {
    const login = await ctx.app.inject({
      method: 'POST',
      url: '/compat/openloyalty/api/admin/login_check',
      headers: { 'content-type': 'application/json' },
      payload: read('login.request.txt'),
    });
    expect(login.statusCode).toBe(401);
    expect(login.json()).toEqual({ code: 401, message: 'Bad credentials' });
    const none = await ctx.app.inject({ method: 'GET', url: '/compat/openloyalty/api/DEFAULT/customer' });
    expect(none.statusCode).toBe(401);
    expect(none.json()).toEqual({ code: 401, message: 'JWT Token not found' });
    const garbage = await client({} as TestOrganization, {
      authorization: 'Bearer eyJhbGciOiJSUzI1NiIsInR5cCI6...',
    })('GET', '/api/DEFAULT/customer');
    expect(garbage.json()).toEqual({ code: 401, message: 'Invalid JWT Token' });
  });

  it('takes a permanent token in X-AUTH-TOKEN or ?auth_token=, and 404s another store code', async () => {
    const org = await ctx.createOrganization();
    expectStatus(await client(org)('GET', '/api/DEFAULT/customer'), 200);
    expectStatus(await client(org, {})('GET', `/api/DEFAULT/customer?auth_token=${org.apiKey}`), 200);
    expectStatus(await client(org)('GET', `/api/${org.id}/customer`), 200);
    const wrong = await client(org, { 'x-auth-token': 'nope' })('GET', '/api/DEFAULT/customer');
    expect(wrong.statusCode).toBe(401);
    const otherStore = await client(org)('GET', '/api/ANOTHER/customer');
    expect(otherStore.statusCode).toBe(404);
    expect(otherStore.json()).toEqual({ error: { code: 404, message: 'Not Found' } });
  });
});

describe('Open Loyalty stores', () => {
  it('shows the caller’s organization as its one store, by DEFAULT or its id, and 404s any other', async () => {
    const org = await ctx.createOrganization({ currency: 'EUR' });
    const ol = client(org);
    const list = await ol('GET', '/api/store');
    expectStatus(list, 200);
    const store = { id: org.id, code: 'DEFAULT', currency: 'EUR', active: true };
    expect(list.json()).toMatchObject({ total: 1, stores: [store] });
    expect(typeof list.json().stores[0].name).toBe('string');
    expect((await ol('GET', '/api/store?page=2')).json()).toEqual({ stores: [], total: 1 });
    expect((await ol('GET', `/api/store/${org.id}`)).json()).toMatchObject(store);
    expect((await ol('GET', '/api/store/DEFAULT')).json()).toMatchObject(store);
    const other = await ctx.createOrganization();
    expect((await ol('GET', `/api/store/${other.id}`)).statusCode).toBe(404);
  });
});

describe('Open Loyalty customer login', () => {
  it('signs a member in at customer/login_check with a one-time code as _password, by email or loyalty card number', async () => {
    const org = await ctx.createOrganization();
    const ol = client(org);
    const id = await register(ol, {
      firstName: 'Ana',
      lastName: 'García',
      email: 'ana.login@example.com',
      loyaltyCardNumber: 'CARD-LOGIN',
    });
    const login = (store: string, body: object) =>
      ctx.app.inject({
        method: 'POST',
        url: `/compat/openloyalty/api/${store}/customer/login_check`,
        payload: body,
      });
    // Without _password: a code is sent, and the answer is every failed login's.
    const asked = await login(org.id, { _username: 'ana.login@example.com' });
    expect(asked.statusCode).toBe(401);
    expect(asked.json()).toEqual({ code: 401, message: 'Bad credentials' });
    const code = /\b(\d{6})\b/.exec((await smtp.waitForMessage('ana.login@example.com')).text)?.[1];
    expect(
      (await login(org.id, { _username: 'ana.login@example.com', _password: '000000' })).statusCode,
    ).toBe(401);
    const signedIn = await login(org.id, { _username: 'ana.login@example.com', _password: code });
    expectStatus(signedIn, 200);
    const me = await ctx.app.inject({
      method: 'GET',
      url: '/v1/me',
      headers: { authorization: `Bearer ${signedIn.json().token}` },
    });
    expectStatus(me, 200);
    expect(JSON.stringify(me.json())).toContain(id);
    // A loyalty card number names the member; the code goes to their own email.
    expect((await login(org.id, { _username: 'CARD-LOGIN' })).statusCode).toBe(401);
    const second = /\b(\d{6})\b/.exec((await smtp.waitForMessage('ana.login@example.com')).text)?.[1];
    expectStatus(await login(org.id, { _username: 'CARD-LOGIN', _password: second }), 200);
    // Nobody, or no program: the same 401; DEFAULT names no program without a credential.
    expect((await login(org.id, { _username: 'nobody@example.com', _password: '123456' })).statusCode).toBe(
      401,
    );
    expect((await login('DEFAULT', { _username: 'ana.login@example.com' })).statusCode).toBe(404);
  });
});

describe('Open Loyalty customers', () => {
  it('registers the document’s two customers and answers its empty form as it does', async () => {
    const org = await demoStore();
    const ol = client(org);
    // The examples' phones (000000004000, 000000005000) are no country's numbers: Regulars keeps
    // phones in E.164 and refuses them with OL's own message; the replay sends real numbers.
    const unreal = await ol('POST', '/api/DEFAULT/customer/register', formOf('customer-register'));
    expect(unreal.statusCode).toBe(400);
    expect(unreal.json().form.children.phone).toEqual({
      errors: ['This value is not a valid phone number.'],
    });
    for (const name of ['customer-register', 'customer-register-full']) {
      const response = await ol('POST', '/api/DEFAULT/customer/register', formOf(name, REAL_PHONES));
      const example = exampleOf(name);
      expectStatus(response, example.status);
      expectShape(response.json(), example.body);
      expect(response.json().email).toBe((example.body as { email: string }).email);
    }
    const empty = await ol('POST', '/api/DEFAULT/customer/register', '');
    expect(empty.statusCode).toBe(400);
    expect(empty.json()).toEqual(exampleOf('customer-register-empty').body);
    const clash = await ol(
      'POST',
      '/api/DEFAULT/customer/register',
      formOf('customer-register', REAL_PHONES),
    );
    expect(clash.statusCode).toBe(400);
    expect(clash.json().form.children.email).toEqual({ errors: ['This value is already used.'] });
  });

  it('shows a customer with the fields, types and values of the document’s example', async () => {
    const org = await demoStore();
    const ol = client(org);
    const id = (
      await ol('POST', '/api/DEFAULT/customer/register', formOf('customer-register-full', REAL_PHONES))
    ).json().customerId;
    const response = await ol('GET', `/api/DEFAULT/customer/${id}`);
    expectStatus(response, 200);
    const example = exampleOf('customer').body as Record<string, unknown>;
    // No level is held yet, nor any transaction: those fields are left out, as OL leaves out nulls.
    expectShape(response.json(), example, {
      absent: [
        'id',
        'levelId',
        'level',
        'lastLevelRecalculation',
        'lastTransactionDate',
        'gender',
        'version',
      ],
      extra: ['address', 'company'],
    });
    expect(response.json()).toMatchObject({
      customerId: id,
      active: true,
      firstName: 'John',
      lastName: 'Kowalski',
      email: 'john3@example.com',
      loyaltyCardNumber: '00000000000000002',
      agreement1: true,
      agreement2: true,
      agreement3: true,
      address: {
        street: 'Street',
        postal: '00-000',
        city: 'Wroclaw',
        province: 'Dolnoslaskie',
        country: 'PL',
      },
      company: { name: 'Company name', nip: '111-222-33-44' },
      currency: 'eur',
      levelPercent: '0.00%',
      status: { type: 'active', state: 'no-card' },
    });
    expect(response.json().birthDate).toBe('1990-01-01T00:00:00+0100');
    const missing = await ol('GET', '/api/DEFAULT/customer/00000000-0000-474c-b092-b0dd880c07e1');
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({ error: { code: 404, message: 'Not Found' } });
  });

  it('updates as the document says: omitted fields stay, empty ones are cleared, a bad phone is a form error', async () => {
    const org = await demoStore();
    const ol = client(org);
    const id = await register(ol, {
      firstName: 'John',
      lastName: 'Kowalski',
      email: 'john@example.com',
      phone: '+48600100200',
    });
    const update = await ol('PUT', `/api/DEFAULT/customer/${id}`, formOf('customer-update'));
    const example = exampleOf('customer-update');
    expectStatus(update, example.status);
    expect(update.json()).toEqual({ ...(example.body as object), customerId: id });
    const after = (await ol('GET', `/api/DEFAULT/customer/${id}`)).json();
    expect(after).toMatchObject({ email: 'john4@example.com', agreement2: true, firstName: 'John' });
    expect(after).not.toHaveProperty('phone');
    // curl sends the example's `+440000000` unescaped, which a form reads as ` 440000000`: a valid
    // number in this Polish store. The replay sends the number the example means, +44 0000000.
    const bad = await ol(
      'PUT',
      `/api/DEFAULT/customer/${id}`,
      formOf('customer-update-bad-phone', { '=+44': '=%2B44' }),
    );
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toEqual(exampleOf('customer-update-bad-phone').body);
  });

  it('lists customers with page, perPage, sort and direction, and the document’s strict search finds nobody', async () => {
    const org = await demoStore();
    const ol = client(org);
    for (const name of ['Carla', 'Ana', 'Bea'])
      await register(ol, { firstName: name, lastName: 'Test', email: `${name}@example.com` });
    const list = await ol('GET', '/api/DEFAULT/customer?sort=firstName&direction=DESC&perPage=2&page=1');
    expectStatus(list, 200);
    const example = exampleOf('customers').body as { customers: object[] };
    expectShape(list.json(), example, { absent: ['scrollId'] });
    expect(list.json().total).toBe(3);
    expect(list.json().customers.map((c: { firstName: string }) => c.firstName)).toEqual(['Carla', 'Bea']);
    expectShape(list.json().customers[0], example.customers[0], {
      absent: ['levelId'],
      extra: ['status', 'labels', 'segments', 'loyaltyCardNumber'],
    });
    const second = await ol('GET', '/api/DEFAULT/customer?sort=firstName&direction=DESC&perPage=2&page=2');
    expect(second.json().customers.map((c: { firstName: string }) => c.firstName)).toEqual(['Ana']);
    const strictQuery = formOf('customers-strict');
    const strict = await ol('GET', `/api/DEFAULT/customer?${strictQuery}`);
    expectStatus(strict, 200);
    expect(strict.json()).toEqual(exampleOf('customers-strict').body);
    const like = await ol('GET', '/api/DEFAULT/customer?firstName=an&strict=0');
    expect(like.json().customers.map((c: { firstName: string }) => c.firstName)).toEqual(['Ana']);
    const check = await ol('GET', '/api/DEFAULT/customer/check?emailOrPhone=bea@example.com');
    expect(check.json()).toEqual({ total: 1 });
  });

  it('finds the document’s John Doe at the POS, activates, deactivates and reports his status', async () => {
    const org = await demoStore();
    const ol = client(org);
    const id = await register(ol, { firstName: 'John', lastName: 'Doe', email: 'user@example.com' });
    await register(ol, { firstName: 'Jane', lastName: 'Doe', email: 'jane@example.com' });
    const search = await ol('POST', '/api/DEFAULT/pos/search/customer', formOf('pos-search'));
    expectStatus(search, 200);
    const example = exampleOf('pos-search').body as { customers: object[] };
    expect(search.json().customers.map((c: { customerId: string }) => c.customerId)).toEqual([id]);
    expectShape(search.json(), example);

    for (const [action, active] of [
      ['deactivate', false],
      ['activate', true],
    ] as const) {
      const response = await ol('POST', `/api/DEFAULT/admin/customer/${id}/${action}`);
      expectStatus(response, exampleOf(`customer-${action}`).status);
      expect(response.body).toBe('');
      expect((await ol('GET', `/api/DEFAULT/customer/${id}`)).json().active).toBe(active);
    }

    const status = await ol('GET', `/api/DEFAULT/admin/customer/${id}/status`);
    expectStatus(status, 200);
    expectShape(status.json(), exampleOf('customer-status').body, {
      // No level yet; points are the basis of no level here (OL's example mixes both kinds).
      absent: [
        'level',
        'levelName',
        'levelConditionValue',
        'pointsToNextLevel',
        'levelWillExpireInDays',
        'pointsSinceLastLevelRecalculation',
        'pointsRequiredToRetainLevel',
      ],
      extra: ['blockedPoints', 'pointsExpiringBreakdown', 'transactionsAmountToNextLevel'],
    });
    expect(status.json()).toMatchObject({
      points: 0,
      nextLevelName: 'level1',
      nextLevel: '15.00%',
      nextLevelConditionValue: 20,
      currency: 'eur',
    });
  });

  it('assigns a level by hand as the document does, lists the levels and a level’s customers', async () => {
    const org = await demoStore();
    const ol = client(org);
    const id = await register(ol, { firstName: 'John', lastName: 'Doe', email: 'user@example.com' });
    const assign = await ol(
      'POST',
      `/api/DEFAULT/customer/${id}/level`,
      formOf('customer-level', { 'e82c96cf-32a3-43bd-9034-4df343e52222': org.levels.level2 }),
    );
    const example = exampleOf('customer-level');
    expectStatus(assign, example.status);
    expect(assign.json()).toEqual(example.body);
    const customer = (await ol('GET', `/api/DEFAULT/customer/${id}`)).json();
    expect(customer).toMatchObject({
      levelId: org.levels.level2,
      manuallyAssignedLevelId: { levelId: org.levels.level2 },
      level: { name: 'level2', levelId: { id: org.levels.level2 } },
      levelPercent: '20.00%',
    });
    const unknown = await ol(
      'POST',
      `/api/DEFAULT/customer/${id}/level`,
      'levelId=e82c96cf-32a3-43bd-9034-4df343e52222',
    );
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().form.children.levelId.errors).toHaveLength(1);

    const levels = await ol('GET', '/api/DEFAULT/customer/level');
    expectStatus(levels, 200);
    expect(levels.json()).toEqual({
      levels: [
        { name: 'level1', description: '', conditionValue: 20, hasPhoto: false },
        { name: 'level2', description: '', conditionValue: 200, hasPhoto: false },
      ],
      total: 2,
    });
    expectShape(levels.json().levels[0], (exampleOf('levels').body as { levels: object[] }).levels[0]);
    const members = await ol('GET', `/api/DEFAULT/level/${org.levels.level2}/customers`);
    expect(members.json()).toEqual({
      customers: [{ customerId: id, firstName: 'John', lastName: 'Doe', email: 'user@example.com' }],
      total: 1,
    });
    expectStatus(await ol('POST', `/api/DEFAULT/customer/${id}/remove-manually-level`), 204);
    expect((await ol('GET', `/api/DEFAULT/customer/${id}`)).json()).not.toHaveProperty(
      'manuallyAssignedLevelId',
    );
  });
});

describe('Open Loyalty transactions', () => {
  it('registers the document’s transaction for the customer its customerData names, and shows it as the list does', async () => {
    const org = await demoStore();
    const ol = client(org);
    const id = await register(ol, { firstName: 'Tomasz', lastName: 'Test', email: 'tomasztest8@wp.pl' });
    const response = await ol('POST', '/api/DEFAULT/transaction', formOf('transaction-register'));
    expectStatus(response, 200);
    expectShape(response.json(), exampleOf('transaction-register').body);
    const transactionId = response.json().transactionId;
    const retry = await ol('POST', '/api/DEFAULT/transaction', formOf('transaction-register'));
    expect(retry.json()).toEqual(response.json());

    const shown = (await ol('GET', `/api/DEFAULT/transaction/${transactionId}`)).json();
    const example = exampleOf('transactions').body as { transactions: Record<string, unknown>[] };
    expectShape(shown, example.transactions[0], { absent: ['purchasePlace'] });
    expect(shown).toMatchObject({
      grossValue: 1500,
      documentNumber: '214124124125',
      documentType: 'sell',
      purchaseDate: '2019-02-20T09:28:00+0100',
      customerId: id,
      pointsEarned: 3450,
      currency: 'eur',
      items: [
        {
          sku: { code: 'test0101' },
          name: 'Product name',
          quantity: 1,
          grossValue: 1500,
          category: 'Category Name',
          maker: 'Marker name',
          labels: [{ key: 'Label key', value: 'Label value' }],
        },
      ],
      customerData: {
        email: 'tomasztest8@wp.pl',
        loyaltyCardNumber: '11111111111',
        address: { city: 'Wroclaw' },
      },
    });
    const item = (example.transactions[0]!.items as object[])[0]!;
    expectShape(shown.items[0], item);

    const list = await ol('GET', `/api/DEFAULT/transaction?customerId=${id}`);
    expectShape(list.json(), example);
    expect(list.json().total).toBe(1);
    expect((await ol('GET', '/api/DEFAULT/transaction?documentType=return')).json()).toEqual({
      transactions: [],
      total: 0,
    });
  });

  it('simulates the document’s basket: 2.3 points, as OL’s demo', async () => {
    const org = await demoStore();
    const response = await client(org)(
      'POST',
      '/api/DEFAULT/transaction/simulate',
      formOf('transaction-simulate'),
    );
    const example = exampleOf('transaction-simulate');
    expectStatus(response, example.status);
    expect(response.json()).toEqual(example.body);
  });

  it('assigns an unassigned transaction by document number once, then answers the document’s form error', async () => {
    const org = await demoStore();
    const ol = client(org);
    const id = await register(ol, { firstName: 'John', lastName: 'Doe', email: 'user@example.com' });
    const sale = [
      'transaction[transactionData][documentType]=sell',
      'transaction[transactionData][documentNumber]=888',
      'transaction[customerData][name]=Walk-in',
      'transaction[items][0][sku][code]=SKU1',
      'transaction[items][0][name]=item',
      'transaction[items][0][quantity]=1',
      'transaction[items][0][grossValue]=10',
    ].join('&');
    const registered = await ol('POST', '/api/DEFAULT/transaction', sale);
    expectStatus(registered, 200);
    const form = formOf('transaction-assign', { '57524216-c059-405a-b951-3ab5c49bae14': id });
    const assigned = await ol('POST', '/api/DEFAULT/admin/transaction/customer/assign', form);
    expectStatus(assigned, 200);
    expect(assigned.json()).toEqual({ transactionId: registered.json().transactionId });
    expectShape(assigned.json(), exampleOf('transaction-assign').body);
    const status = (await ol('GET', `/api/DEFAULT/admin/customer/${id}/status`)).json();
    expect(status.points).toBe(23);
    const again = await ol('POST', '/api/DEFAULT/admin/transaction/customer/assign', form);
    const taken = exampleOf('transaction-assign-taken');
    expect(again.statusCode).toBe(taken.status);
    expect(again.json()).toEqual(taken.body);
  });

  it('takes back the points of a returned sale (documentType return with revisedDocument)', async () => {
    const org = await demoStore();
    const ol = client(org);
    const id = await register(ol, { firstName: 'John', lastName: 'Doe', email: 'user@example.com' });
    const document = (type: string, number: string, extra = '') =>
      `transaction[transactionData][documentType]=${type}&transaction[transactionData][documentNumber]=${number}` +
      '&transaction[customerData][name]=John&transaction[customerData][email]=user@example.com' +
      `&transaction[items][0][sku][code]=SKU1&transaction[items][0][quantity]=1&transaction[items][0][grossValue]=10${extra}`;
    expectStatus(await ol('POST', '/api/DEFAULT/transaction', document('sell', 'S-1')), 200);
    const missing = await ol('POST', '/api/DEFAULT/transaction', document('return', 'R-1'));
    expect(missing.statusCode).toBe(400);
    expect(missing.json().form.children.revisedDocument.errors).toEqual(['This value should not be blank.']);
    const returned = await ol(
      'POST',
      '/api/DEFAULT/transaction',
      document('return', 'R-1', '&transaction[revisedDocument]=S-1'),
    );
    expectStatus(returned, 200);
    expect((await ol('GET', `/api/DEFAULT/admin/customer/${id}/status`)).json().points).toBe(0);
    const shown = (await ol('GET', `/api/DEFAULT/transaction/${returned.json().transactionId}`)).json();
    expect(shown).toMatchObject({ documentType: 'return', revisedDocument: 'S-1' });
  });
});

describe('Open Loyalty transaction labels', () => {
  it('replaces, appends, adds and removes labels as the document’s examples, leaving the points alone', async () => {
    const org = await demoStore();
    const ol = client(org);
    await register(ol, { firstName: 'John', lastName: 'Doe', email: 'user@example.com' });
    const sale = [
      'transaction[transactionData][documentType]=sell',
      'transaction[transactionData][documentNumber]=123',
      'transaction[customerData][name]=John',
      'transaction[customerData][email]=user@example.com',
      'transaction[items][0][sku][code]=SKU1',
      'transaction[items][0][quantity]=1',
      'transaction[items][0][grossValue]=10',
      'transaction[labels][0][key]=scan_id',
      'transaction[labels][0][value]=1',
    ].join('&');
    const registered = await ol('POST', '/api/DEFAULT/transaction', sale);
    expectStatus(registered, 200);
    const id = registered.json().transactionId as string;
    const labelsNow = async () => (await ol('GET', `/api/DEFAULT/transaction/${id}`)).json();
    const send = (method: 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, payload: string, json = false) =>
      ctx.app.inject({
        method,
        url: `/compat/openloyalty${url}`,
        headers: {
          'x-auth-token': org.apiKey,
          'content-type': json ? 'application/json' : FORM['content-type'],
        },
        payload,
      });

    // POST replaces (the example's `transaction_labels[label]`, where the definition says `labels`).
    const replaced = await send(
      'POST',
      '/api/DEFAULT/admin/transaction/labels',
      formOf('transaction-labels', { '00000000-0000-1111-0000-000000000000': id }),
    );
    const replacedExample = exampleOf('transaction-labels');
    expect(replaced.statusCode).toBe(replacedExample.status);
    expectShape(replaced.json(), replacedExample.body);
    expect(replaced.json()).toEqual({ transactionId: id });
    expect((await labelsNow()).labels).toEqual([{ key: 'some label', value: 'some value' }]);

    // PATCH appends, by document number (the example's `123`, verbatim): no duplicate.
    const appended = await send(
      'PATCH',
      '/api/DEFAULT/admin/transaction/labels',
      formOf('transaction-labels-append'),
    );
    const appendedExample = exampleOf('transaction-labels-append');
    expect(appended.statusCode).toBe(appendedExample.status);
    expectShape(appended.json(), appendedExample.body);
    expect((await labelsNow()).labels).toEqual([{ key: 'some label', value: 'some value' }]);

    // PUT adds, DELETE removes: the JSON examples, at the definition's method and path.
    const added = await send(
      'PUT',
      `/api/DEFAULT/transaction/${id}/label`,
      read('transaction-label-add.request.txt'),
      true,
    );
    expect(added.statusCode).toBe(exampleOf('transaction-label-add').status);
    expect(added.body).toBe('');
    expect((await labelsNow()).labels).toEqual([
      { key: 'some label', value: 'some value' },
      { key: 'keyA', value: 'valueA' },
      { key: 'keyB', value: 'valueB' },
    ]);
    const removed = await send(
      'DELETE',
      `/api/DEFAULT/transaction/${id}/label`,
      read('transaction-label-remove.request.txt'),
      true,
    );
    expect(removed.statusCode).toBe(exampleOf('transaction-label-remove').status);
    const after = await labelsNow();
    expect(after.labels).toEqual([{ key: 'some label', value: 'some value' }]);
    // 10.00 at 2.3 per unit, earned when registered; relabelling does not re-evaluate it.
    expect(after.pointsEarned).toBe(23);

    const unknown = await send(
      'PUT',
      '/api/DEFAULT/transaction/00000000-0000-1111-0000-000000000000/label',
      read('transaction-label-add.request.txt'),
      true,
    );
    expect(unknown.statusCode).toBe(404);
    // 36 characters that are not a UUID: 404 as any unknown id, never a database error.
    for (const notAnId of ['-'.repeat(36), 'abcdefab-cdef-abcd-efab-cdefabcd-ef1']) {
      expect((await ol('GET', `/api/DEFAULT/transaction/${notAnId}`)).statusCode).toBe(404);
      const relabelled = await send(
        'PUT',
        `/api/DEFAULT/transaction/${notAnId}/label`,
        read('transaction-label-add.request.txt'),
        true,
      );
      expect(relabelled.statusCode).toBe(404);
    }
    const blank = await send(
      'POST',
      '/api/DEFAULT/admin/transaction/labels',
      'transaction_labels[labels][0][key]=a',
    );
    expect(blank.statusCode).toBe(400);
    expect(blank.json().form.children.transactionId.errors).toEqual(['This value should not be blank.']);
  });
});

describe('Open Loyalty points transfers', () => {
  it('adds, spends, blocks and cancels as the document’s examples, and lists transfers in its shape', async () => {
    const org = await demoStore();
    const ol = client(org);
    const id = await register(ol, {
      firstName: 'John',
      lastName: 'Doe',
      email: 'user@example.com',
      loyaltyCardNumber: '47834433524',
      phone: '+48234234000',
    });
    const customer = { 'b9af6a8c-9cc5-4924-989c-e4af614ab2a3': id };
    const ids: Record<string, string> = {};
    expectStatus(await ol('POST', '/api/DEFAULT/points/transfer/add', formOf('points-add', customer)), 200);
    for (const name of ['points-add', 'points-spend', 'points-block']) {
      const response = await ol(
        'POST',
        `/api/DEFAULT/points/transfer/${name.slice(7)}`,
        formOf(name, customer),
      );
      const example = exampleOf(name);
      expectStatus(response, example.status);
      expectShape(response.json(), example.body);
      ids[name] = response.json().pointsTransferId;
    }
    // 18 added, 1 spent, 9 blocked: 8 left.
    const status = (await ol('GET', `/api/DEFAULT/admin/customer/${id}/status`)).json();
    expect(status).toMatchObject({ points: 8, totalEarnedPoints: 18, usedPoints: 1, blockedPoints: 9 });
    const cancel = await ol('POST', `/api/DEFAULT/points/transfer/${ids['points-spend']}/cancel`);
    expectStatus(cancel, exampleOf('points-cancel').status);
    expect(cancel.body).toBe('');
    const tooMuch = await ol(
      'POST',
      '/api/DEFAULT/points/transfer/spend',
      `transfer[customer]=${id}&transfer[points]=1000`,
    );
    expect(tooMuch.statusCode).toBe(400);
    expect(tooMuch.json()).toEqual({ error: 'Not enough points' });

    const list = await ol('GET', `/api/DEFAULT/points/transfer?customerId=${id}`);
    expectStatus(list, 200);
    const example = exampleOf('transfers').body as { transfers: object[] };
    expectShape(list.json(), example);
    const transfers = list.json().transfers as {
      pointsTransferId: string;
      type: string;
      state: string;
      value: number;
    }[];
    expect(transfers.map((t) => [t.type, t.state, t.value])).toEqual([
      ['adding', 'active', 9],
      ['adding', 'active', 9],
      ['spending', 'canceled', 1],
      ['spending', 'blocked', 9],
    ]);
    // A manual add has no ticket (nor comment here); the default point type never expires.
    expectShape(list.json().transfers[0], example.transfers[0], {
      absent: ['transactionId', 'transactionDocumentNumber', 'transaction', 'comment', 'expiresAt'],
    });
    const blocked = await ol('GET', `/api/DEFAULT/points/transfer?customerId=${id}&state[]=blocked`);
    expect(blocked.json().total).toBe(1);
    const all = await ol('GET', '/api/DEFAULT/points/transfer?type=adding&perPage=1&page=2');
    expect(all.json()).toMatchObject({ total: 2, transfers: [{ type: 'adding' }] });
    const report = await verifyLedger(ctx.database.db, { organizationId: org.id });
    expect(report.mismatches).toEqual([]);
  });
});

describe('Open Loyalty manual activate and expire', () => {
  it('activates a pending transfer and expires an active one as the document’s examples, refusing other states', async () => {
    const org = await demoStore();
    const ol = client(org);
    const types = await ctx.app.inject({ method: 'GET', url: '/v1/point-types', headers: org.headers });
    expectStatus(
      await ctx.app.inject({
        method: 'PATCH',
        url: `/v1/point-types/${types.json().data[0].id}`,
        headers: org.headers,
        payload: { pendingDays: 14 },
      }),
      200,
    );
    const id = await register(ol, { firstName: 'John', lastName: 'Doe', email: 'john@example.com' });
    const sale = [
      'transaction[transactionData][documentType]=sell',
      'transaction[transactionData][documentNumber]=P/1',
      'transaction[transactionData][purchaseDate]=2026-12-01 12:30',
      'transaction[customerData][name]=John',
      'transaction[customerData][email]=john@example.com',
      'transaction[items][0][sku][code]=A',
      'transaction[items][0][name]=A',
      'transaction[items][0][quantity]=1',
      'transaction[items][0][grossValue]=10',
    ].join('&');
    expectStatus(await ol('POST', '/api/DEFAULT/transaction', sale), 200);
    const list = async (query = '') =>
      (await ol('GET', `/api/DEFAULT/points/transfer?customerId=${id}${query}`)).json() as {
        transfers: { pointsTransferId: string; state: string; value: number }[];
        total: number;
      };
    const [earned] = (await list()).transfers;
    expect(earned).toMatchObject({ state: 'pending', value: 23 });
    const status = async () => (await ol('GET', `/api/DEFAULT/admin/customer/${id}/status`)).json();
    expect(await status()).toMatchObject({ points: 0, lockedPoints: 23 });

    // Only an active transfer expires; only a pending one activates.
    const early = await ol('POST', `/api/DEFAULT/points/transfer/${earned!.pointsTransferId}/expire`);
    expect(early.statusCode).toBe(400);
    expect(early.json()).toEqual({ error: expect.any(String) });
    const activated = await ol('POST', `/api/DEFAULT/points/transfer/${earned!.pointsTransferId}/activate`);
    expectStatus(activated, exampleOf('points-activate').status);
    expect(activated.body).toBe('');
    expect(await status()).toMatchObject({ points: 23, lockedPoints: 0 });
    expect((await list('&state=active')).transfers).toMatchObject([{ state: 'active' }]);
    expect(
      (await ol('POST', `/api/DEFAULT/points/transfer/${earned!.pointsTransferId}/activate`)).statusCode,
    ).toBe(400);

    expectStatus(
      await ol('POST', '/api/DEFAULT/points/transfer/add', `transfer[customer]=${id}&transfer[points]=5`),
      200,
    );
    const expired = await ol('POST', `/api/DEFAULT/points/transfer/${earned!.pointsTransferId}/expire`);
    expectStatus(expired, exampleOf('points-expire').status);
    expect(await status()).toMatchObject({ points: 5, expiredPoints: 23 });
    expect((await list('&state[]=expired')).transfers).toMatchObject([
      { pointsTransferId: earned!.pointsTransferId, state: 'expired' },
    ]);
    // Sorted and paged by the ledger: by value, largest first; the expire entry itself is not a transfer.
    expect(await list('&sort=value&direction=DESC&perPage=1')).toMatchObject({
      total: 2,
      transfers: [{ value: 23 }],
    });
    expect((await list('&sort=value&direction=DESC&perPage=1&page=2')).transfers).toMatchObject([
      { value: 5 },
    ]);
    expect((await ol('POST', '/api/DEFAULT/points/transfer/not-an-id/activate')).statusCode).toBe(404);
    const report = await verifyLedger(ctx.database.db, { organizationId: org.id });
    expect(report.mismatches).toEqual([]);
  });
});

describe('Open Loyalty tenancy and bad input', () => {
  it('answers another organization’s ids with 404 and bad values with form errors naming the field', async () => {
    const org = await demoStore();
    const other = await demoStore();
    const ol = client(org);
    const theirs = client(other);
    const stranger = await register(theirs, {
      firstName: 'Eve',
      lastName: 'Other',
      email: 'eve@example.com',
    });
    const added = await theirs(
      'POST',
      '/api/DEFAULT/points/transfer/add',
      `transfer[customer]=${stranger}&transfer[points]=5`,
    );
    const notFound = { error: { code: 404, message: 'Not Found' } };
    for (const [method, url, form] of [
      ['GET', `/api/DEFAULT/customer/${stranger}`, undefined],
      ['GET', `/api/DEFAULT/admin/customer/${stranger}/status`, undefined],
      ['POST', '/api/DEFAULT/points/transfer/add', `transfer[customer]=${stranger}&transfer[points]=5`],
      ['POST', `/api/DEFAULT/points/transfer/${added.json().pointsTransferId}/cancel`, undefined],
      ['GET', `/api/DEFAULT/level/${other.levels.level1}`, undefined],
    ] as const) {
      const response = await ol(method, url, form);
      expect(response.statusCode, `${method} ${url}`).toBe(404);
      expect(response.json()).toEqual(notFound);
    }
    const id = await register(ol, { firstName: 'Ana', lastName: 'Test', email: 'ana@example.com' });
    const points = await ol(
      'POST',
      '/api/DEFAULT/points/transfer/add',
      `transfer[customer]=${id}&transfer[points]=abc`,
    );
    expect(points.statusCode).toBe(400);
    expect(points.json()).toEqual({
      form: { children: { customer: {}, points: { errors: ['This value is not valid.'] }, comment: {} } },
      errors: [],
    });
    const blank = await ol('POST', '/api/DEFAULT/points/transfer/add', 'transfer[comment]=x');
    expect(blank.json().form.children).toMatchObject({
      customer: { errors: ['This value should not be blank.'] },
      points: { errors: ['This value should not be blank.'] },
    });
    const gross = await ol(
      'POST',
      '/api/DEFAULT/transaction',
      'transaction[transactionData][documentType]=sell&transaction[transactionData][documentNumber]=1' +
        '&transaction[customerData][name]=A&transaction[items][0][grossValue]=1.234',
    );
    expect(gross.statusCode).toBe(400);
    expect(gross.json().form.children.items).toEqual({
      children: { 0: { children: { grossValue: { errors: ['This value is not valid.'] } } } },
    });
  });
});

describe('an Open Loyalty client end to end', () => {
  it('logs in, registers a member, registers a transaction, reads the points and transfers some', async () => {
    const org = await demoStore();
    const owner = await addFirstOwner(ctx, smtp, org.id, `owner-${org.id.slice(0, 8)}@latasca.test`);
    const login = await ctx.app.inject({
      method: 'POST',
      url: '/compat/openloyalty/api/admin/login_check',
      headers: FORM,
      payload: `_username=${encodeURIComponent(owner.email)}&_password=${encodeURIComponent(owner.password)}`,
    });
    expectStatus(login, 200);
    const ol = client(org, { authorization: `Bearer ${login.json().token}` });
    const ana = await register(ol, {
      firstName: 'Ana',
      lastName: 'García',
      email: 'ana@example.com',
      loyaltyCardNumber: 'CARD-1',
    });
    const bea = await register(ol, { firstName: 'Bea', lastName: 'López', phone: '+48600100200' });
    const ticket = [
      'transaction[transactionData][documentType]=sell',
      'transaction[transactionData][documentNumber]=FV/2026/1',
      'transaction[transactionData][purchaseDate]=2026-12-01 12:30',
      'transaction[customerData][name]=Ana',
      'transaction[customerData][loyaltyCardNumber]=CARD-1',
      'transaction[items][0][sku][code]=COFFEE',
      'transaction[items][0][name]=Coffee',
      'transaction[items][0][quantity]=2',
      'transaction[items][0][grossValue]=10.00',
      'transaction[items][1][sku][code]=CAKE',
      'transaction[items][1][quantity]=1',
      'transaction[items][1][grossValue]=5.50',
    ].join('&');
    const transaction = await ol('POST', '/api/DEFAULT/transaction', ticket);
    expectStatus(transaction, 200);
    const status = await ol('GET', `/api/DEFAULT/admin/customer/${ana}/status`);
    expect(status.json()).toMatchObject({
      points: 35.65,
      totalEarnedPoints: 35.65,
      transactionsCount: 1,
      transactionsAmount: 15.5,
    });
    const p2p = await ol(
      'POST',
      '/api/DEFAULT/admin/p2p-points-transfer',
      formOf('points-p2p', {
        'b9af6a8c-9cc5-4924-989c-e4af614ab2a3': ana,
        'b9af6a8c-9cc5-4924-989c-e4af614ab3c5': '+48600100200',
      }).replace('transfer[points]=100', 'transfer[points]=10.65'),
    );
    expectStatus(p2p, 200);
    expectShape(p2p.json(), exampleOf('points-p2p').body);
    expect((await ol('GET', `/api/DEFAULT/admin/customer/${ana}/status`)).json().points).toBe(25);
    expect((await ol('GET', `/api/DEFAULT/admin/customer/${bea}/status`)).json().points).toBe(10.65);
    const transfers = (await ol('GET', `/api/DEFAULT/points/transfer?customerId=${ana}`)).json();
    expect(transfers.transfers).toMatchObject([
      {
        type: 'adding',
        value: 35.65,
        transactionId: { transactionId: transaction.json().transactionId },
        transactionDocumentNumber: 'FV/2026/1',
        issuer: 'admin',
      },
      { pointsTransferId: p2p.json().pointsTransferId, type: 'p2p_spending', value: 10.65 },
    ]);
    const tooMuch = await ol(
      'POST',
      '/api/DEFAULT/admin/p2p-points-transfer',
      `transfer[sender]=${ana}&transfer[receiver]=${bea}&transfer[points]=1000`,
    );
    expect(tooMuch.statusCode).toBe(400);
    expect(tooMuch.json()).toEqual({ error: 'Not enough points' });
  });
});
