import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestContext,
  expectStatus,
  type TestContext,
  type TestOrganization,
} from '../../../test/support/context.ts';

let ctx: TestContext;
let owner: TestOrganization;
let intruder: TestOrganization;
let member: { id: string; loyaltyCardNumber: string; email: string };
let importId: string;

beforeAll(async () => {
  ctx = await createTestContext();
  owner = await ctx.createOrganization({ country: 'ES' });
  intruder = await ctx.createOrganization({ country: 'ES' });
  const created = await ctx.app.inject({
    method: 'POST',
    url: '/v1/customers',
    headers: owner.headers,
    payload: { firstName: 'Owned', email: 'owned@test.com', phone: '+34 644 555 666', externalId: 'own-1' },
  });
  expectStatus(created, 201);
  member = created.json();
  const imported = await ctx.app.inject({
    method: 'POST',
    url: '/v1/customers/import',
    headers: { ...owner.headers, 'content-type': 'text/csv' },
    payload: 'email\nbad-email\n',
  });
  expectStatus(imported, 201);
  importId = imported.json().id;
});
afterAll(() => ctx.close());

/** Every customer route that names a resource of the owner's organization. */
const foreignRoutes = () =>
  [
    { method: 'GET', url: `/v1/customers/${member.id}` },
    { method: 'PATCH', url: `/v1/customers/${member.id}`, payload: { firstName: 'Hacked' } },
    { method: 'DELETE', url: `/v1/customers/${member.id}` },
    { method: 'POST', url: `/v1/customers/${member.id}/activate` },
    { method: 'POST', url: `/v1/customers/${member.id}/deactivate` },
    { method: 'POST', url: `/v1/customers/${member.id}/block` },
    { method: 'POST', url: `/v1/customers/${member.id}/anonymize` },
    { method: 'GET', url: `/v1/customers/${member.id}/card.svg` },
    { method: 'GET', url: `/v1/customers/${member.id}/card.png` },
    { method: 'GET', url: `/v1/customers/lookup?identifier=${member.id}` },
    { method: 'GET', url: `/v1/customers/lookup?identifier=${member.loyaltyCardNumber}` },
    { method: 'GET', url: '/v1/customers/lookup?identifier=owned%40test.com' },
    { method: 'GET', url: '/v1/customers/lookup?identifier=644555666' },
    { method: 'GET', url: `/v1/customer-imports/${importId}` },
    { method: 'GET', url: `/v1/customer-imports/${importId}/errors.csv` },
  ] as const;

describe('customer routes and another organization', () => {
  it('answer 404 for every route naming another organization’s member or import, and change nothing', async () => {
    const before = await ctx.app.inject({
      method: 'GET',
      url: `/v1/customers/${member.id}`,
      headers: owner.headers,
    });
    for (const route of foreignRoutes()) {
      const response = await ctx.app.inject({ ...route, headers: intruder.headers });
      expect(`${route.method} ${route.url} → ${response.statusCode}`).toBe(
        `${route.method} ${route.url} → 404`,
      );
      expect(response.json().code).toBe('not_found');
    }
    const after = await ctx.app.inject({
      method: 'GET',
      url: `/v1/customers/${member.id}`,
      headers: owner.headers,
    });
    expect(after.json()).toEqual(before.json());
    const events = await ctx.app.inject({
      method: 'GET',
      url: `/v1/events?subjectType=customer&subjectId=${member.id}`,
      headers: owner.headers,
    });
    expect(events.json().data.map((event: { type: string }) => event.type)).toEqual(['customer.created']);
  });

  it('never list, export or count another organization’s members and imports', async () => {
    for (const url of [
      '/v1/customers',
      '/v1/customers?email=owned%40test.com',
      '/v1/customers?externalId=own-1',
      '/v1/customer-imports',
    ]) {
      const response = await ctx.app.inject({ method: 'GET', url, headers: intruder.headers });
      expectStatus(response, 200);
      expect(response.json().data).toEqual([]);
    }
    const exported = await ctx.app.inject({
      method: 'GET',
      url: '/v1/customers/export.csv',
      headers: intruder.headers,
    });
    expectStatus(exported, 200);
    expect(exported.body).not.toContain(member.id);
    expect(exported.body.trim().split('\n')).toHaveLength(1);
  });

  it('import into the caller’s organization only, even with another organization’s identifiers', async () => {
    const response = await ctx.app.inject({
      method: 'POST',
      url: '/v1/customers/import?mode=upsert',
      headers: { ...intruder.headers, 'content-type': 'text/csv' },
      payload: `email,externalId,firstName\nowned@test.com,own-1,Hacked\n`,
    });
    expect(response.json()).toMatchObject({ created: 1, updated: 0 });
    const owned = await ctx.app.inject({
      method: 'GET',
      url: `/v1/customers/${member.id}`,
      headers: owner.headers,
    });
    expect(owned.json().firstName).toBe('Owned');
  });

  it('answer 401 without an API key', async () => {
    const routes = [
      ...foreignRoutes(),
      { method: 'POST', url: '/v1/customers', payload: {} },
      { method: 'GET', url: '/v1/customers' },
      { method: 'GET', url: '/v1/customers/export.csv' },
      { method: 'GET', url: '/v1/customer-imports' },
    ];
    for (const route of routes) {
      const response = await ctx.app.inject({ ...route });
      expect(`${route.method} ${route.url} → ${response.statusCode}`).toBe(
        `${route.method} ${route.url} → 401`,
      );
    }
    const upload = await ctx.app.inject({
      method: 'POST',
      url: '/v1/customers/import',
      headers: { 'content-type': 'text/csv' },
      payload: 'email\nx@test.com\n',
    });
    expectStatus(upload, 401);
  });

  it('replay a retried create with the same Idempotency-Key instead of creating a second member', async () => {
    const org = await ctx.createOrganization();
    const send = () =>
      ctx.app.inject({
        method: 'POST',
        url: '/v1/customers',
        headers: { ...org.headers, 'idempotency-key': 'till-7-ticket-42' },
        payload: { phone: '+34 633 444 555' },
      });
    const first = await send();
    const retry = await send();
    expectStatus(first, 201);
    expectStatus(retry, 201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.json()).toEqual(first.json());
    const list = await ctx.app.inject({ method: 'GET', url: '/v1/customers', headers: org.headers });
    expect(list.json().data).toHaveLength(1);
  });
});
