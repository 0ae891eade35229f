import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, expectStatus, type TestContext } from '../../../test/support/context.ts';
import { standInDns } from '../../../test/support/dns.ts';
import { webhookEndpoints } from './schema.ts';

let ctx: TestContext;
beforeAll(async () => {
  // The default: endpoints must be on the public internet.
  ctx = await createTestContext({
    webhooks: { resolve: standInDns({ 'loopback.example.test': ['127.0.0.1', '93.184.215.14'] }) },
  });
});
afterAll(() => ctx.close());

const URL = 'https://crm.example.com/hooks/regulars';

async function createEndpoint(headers: { authorization: string }, payload: Record<string, unknown> = {}) {
  const response = await ctx.app.inject({
    method: 'POST',
    url: '/v1/webhook-endpoints',
    headers,
    payload: { url: URL, ...payload },
  });
  expectStatus(response, 201);
  return response.json();
}

describe('webhook endpoints API', () => {
  it('creates an endpoint that hears every event by default, and shows its secret only once', async () => {
    const org = await ctx.createOrganization();
    const created = await createEndpoint(org.headers, {
      description: 'CRM sync',
      headers: { 'X-Api-Token': 'vendor-token-123' },
    });
    expect(created).toMatchObject({
      url: URL,
      description: 'CRM sync',
      enabled: true,
      disabledReason: null,
      eventTypes: ['*'],
      format: 'native',
      headerNames: ['X-Api-Token'],
      previousSecretExpiresAt: null,
    });
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);

    const read = await ctx.app.inject({
      method: 'GET',
      url: `/v1/webhook-endpoints/${created.id}`,
      headers: org.headers,
    });
    expectStatus(read, 200);
    expect(read.json()).not.toHaveProperty('secret');
    expect(read.body).not.toContain(created.secret);
    expect(read.body).not.toContain('vendor-token-123');

    const list = await ctx.app.inject({ method: 'GET', url: '/v1/webhook-endpoints', headers: org.headers });
    expect(list.json().data.map((endpoint: { id: string }) => endpoint.id)).toEqual([created.id]);
    expect(list.body).not.toContain(created.secret);
  });

  it('changes the URL, filter, headers and enabled flag, and records each change as an event', async () => {
    const org = await ctx.createOrganization();
    const { id } = await createEndpoint(org.headers);
    const patched = await ctx.app.inject({
      method: 'PATCH',
      url: `/v1/webhook-endpoints/${id}`,
      headers: org.headers,
      payload: {
        url: 'https://pos.example.com/in',
        eventTypes: ['points.*', 'location.created'],
        headers: {},
        enabled: false,
      },
    });
    expectStatus(patched, 200);
    expect(patched.json()).toMatchObject({
      url: 'https://pos.example.com/in',
      eventTypes: ['points.*', 'location.created'],
      headerNames: [],
      enabled: false,
      disabledReason: null,
    });
    const events = await ctx.app.inject({
      method: 'GET',
      url: `/v1/events?subjectType=webhook_endpoint&subjectId=${id}`,
      headers: org.headers,
    });
    expect(events.json().data).toMatchObject([
      { type: 'webhook_endpoint.created', payload: { endpointId: id } },
      { type: 'webhook_endpoint.updated', payload: { changed: ['url', 'eventTypes', 'headers', 'enabled'] } },
    ]);
    expect(JSON.stringify(events.json())).not.toMatch(/whsec_/);
  });

  it.each([
    [{ url: 'ftp://example.com/x' }, 'body.url', /only http and https/],
    [{ url: 'http://127.0.0.1:8080/hook' }, 'body.url', /not a public address/],
    [{ url: 'http://[::ffff:10.0.0.1]/hook' }, 'body.url', /not a public address/],
    [{ url: 'http://localhost:3000/hook' }, 'body.url', /not a public address/],
    [{ url: 'http://169.254.169.254/latest/meta-data' }, 'body.url', /not a public address/],
    [{ url: 'http://[::127.0.0.1]/' }, 'body.url', /not a public address.*WEBHOOKS_ALLOW_PRIVATE=true/],
    [{ url: 'http://[64:ff9b::7f00:1]/' }, 'body.url', /not a public address.*WEBHOOKS_ALLOW_PRIVATE=true/],
    [{ url: 'http://localhost./hook' }, 'body.url', /not a public address.*WEBHOOKS_ALLOW_PRIVATE=true/],
    [
      { url: 'https://loopback.example.test/hook' },
      'body.url',
      /resolves to a non-public address \(127\.0\.0\.1\).*WEBHOOKS_ALLOW_PRIVATE=true/,
    ],
    [{ url: 'https://user:pw@example.com/' }, 'body.url', /credentials/],
    [{ eventTypes: ['points*'] }, 'body.eventTypes.0', /pattern/],
    [{ eventTypes: [] }, 'body.eventTypes', /at least 1 item/],
    [{ format: 'xml' }, 'body.format', /./],
    [{ headers: { 'Webhook-Signature': 'forged' } }, 'body.headers.Webhook-Signature', /set by Regulars/],
    [{ headers: { Host: 'evil.example' } }, 'body.headers.Host', /set by Regulars/],
    [{ headers: { 'X-Token': 'a\r\nX-Injected: 1' } }, 'body.headers.X-Token', /one line/],
    [{ secret: 'whsec_mine' }, 'body.secret', /not a known field/],
  ])('refuses %j, naming %s', async (payload, path, message) => {
    const org = await ctx.createOrganization();
    const response = await ctx.app.inject({
      method: 'POST',
      url: '/v1/webhook-endpoints',
      headers: org.headers,
      payload: { url: URL, ...payload },
    });
    expectStatus(response, 422);
    const error = response.json().errors.find((entry: { path: string }) => entry.path === path);
    expect(error?.message, response.body).toMatch(message);
  });

  it('refuses to move an endpoint to a loopback address, naming the setting that would allow it', async () => {
    const org = await ctx.createOrganization();
    const { id } = await createEndpoint(org.headers);
    const response = await ctx.app.inject({
      method: 'PATCH',
      url: `/v1/webhook-endpoints/${id}`,
      headers: org.headers,
      payload: { url: 'http://[::127.0.0.1]:8080/' },
    });
    expectStatus(response, 422);
    expect(response.json().errors).toEqual([
      { path: 'body.url', message: expect.stringMatching(/WEBHOOKS_ALLOW_PRIVATE=true/) },
    ]);
  });

  it('rotates the secret: the new one is shown once, the old one keeps signing during the overlap', async () => {
    const org = await ctx.createOrganization();
    const { id, secret } = await createEndpoint(org.headers);
    const before = Date.now();
    const rotated = await ctx.app.inject({
      method: 'POST',
      url: `/v1/webhook-endpoints/${id}/rotate-secret`,
      headers: org.headers,
      payload: { overlapSeconds: 3600 },
    });
    expectStatus(rotated, 200);
    expect(rotated.json().secret).toMatch(/^whsec_/);
    expect(rotated.json().secret).not.toBe(secret);
    const until = Date.parse(rotated.json().previousSecretExpiresAt);
    expect(until - before).toBeGreaterThanOrEqual(3_599_000);
    expect(until - before).toBeLessThan(3_660_000);

    const withoutBody = await ctx.app.inject({
      method: 'POST',
      url: `/v1/webhook-endpoints/${id}/rotate-secret`,
      headers: org.headers,
    });
    expectStatus(withoutBody, 200);
    expect(Date.parse(withoutBody.json().previousSecretExpiresAt) - before).toBeGreaterThan(86_000_000);
  });

  it('two rotations at once leave both new secrets signing: the later one, and the earlier as the previous', async () => {
    const org = await ctx.createOrganization();
    const endpoints = await Promise.all(Array.from({ length: 20 }, () => createEndpoint(org.headers)));
    const rotate = (id: string) =>
      ctx.app.inject({
        method: 'POST',
        url: `/v1/webhook-endpoints/${id}/rotate-secret`,
        headers: org.headers,
      });
    const pairs = await Promise.all(endpoints.map(({ id }) => Promise.all([rotate(id), rotate(id)])));
    for (const [i, { id }] of endpoints.entries()) {
      for (const response of pairs[i]!) expectStatus(response, 200);
      const [stored] = await ctx.database.db
        .select()
        .from(webhookEndpoints)
        .where(and(eq(webhookEndpoints.organizationId, org.id), eq(webhookEndpoints.id, id)));
      const signing = [stored!.secret, stored!.previousSecret];
      for (const response of pairs[i]!) expect(signing).toContain(response.json().secret);
    }
  });

  it('deletes an endpoint', async () => {
    const org = await ctx.createOrganization();
    const { id } = await createEndpoint(org.headers);
    expectStatus(
      await ctx.app.inject({ method: 'DELETE', url: `/v1/webhook-endpoints/${id}`, headers: org.headers }),
      204,
    );
    expectStatus(
      await ctx.app.inject({ method: 'GET', url: `/v1/webhook-endpoints/${id}`, headers: org.headers }),
      404,
    );
  });

  it("answers 404 for another organization's endpoint and its deliveries, and changes nothing", async () => {
    const owner = await ctx.createOrganization();
    const other = await ctx.createOrganization();
    const { id } = await createEndpoint(owner.headers);
    const attempts = [
      { method: 'GET' as const, url: `/v1/webhook-endpoints/${id}` },
      { method: 'PATCH' as const, url: `/v1/webhook-endpoints/${id}`, payload: { enabled: false } },
      { method: 'POST' as const, url: `/v1/webhook-endpoints/${id}/rotate-secret` },
      { method: 'GET' as const, url: `/v1/webhook-endpoints/${id}/deliveries` },
      {
        method: 'POST' as const,
        url: `/v1/webhook-endpoints/${id}/deliveries/01936f4e-8b1a-7c3d-9e2f-1a2b3c4d5e6f/retry`,
      },
      {
        method: 'POST' as const,
        url: `/v1/webhook-endpoints/${id}/replay`,
        payload: { sinceEventId: '01936f4e-8b1a-7c3d-9e2f-1a2b3c4d5e6f' },
      },
      { method: 'DELETE' as const, url: `/v1/webhook-endpoints/${id}` },
    ];
    for (const request of attempts) {
      const response = await ctx.app.inject({ ...request, headers: other.headers });
      expect(response.statusCode, `${request.method} ${request.url}`).toBe(404);
    }
    const list = await ctx.app.inject({
      method: 'GET',
      url: '/v1/webhook-endpoints',
      headers: other.headers,
    });
    expect(list.json().data).toEqual([]);
    const still = await ctx.app.inject({
      method: 'GET',
      url: `/v1/webhook-endpoints/${id}`,
      headers: owner.headers,
    });
    expect(still.json().enabled).toBe(true);
  });

  it('requires an API key', async () => {
    const response = await ctx.app.inject({ method: 'GET', url: '/v1/webhook-endpoints' });
    expectStatus(response, 401);
  });

  it('replays an endpoint creation retried with the same Idempotency-Key instead of creating two', async () => {
    const org = await ctx.createOrganization();
    const request = {
      method: 'POST' as const,
      url: '/v1/webhook-endpoints',
      headers: { ...org.headers, 'idempotency-key': 'create-crm-hook' },
      payload: { url: URL },
    };
    const first = await ctx.app.inject(request);
    const second = await ctx.app.inject(request);
    expectStatus(second, 201);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(second.json().id).toBe(first.json().id);
    const list = await ctx.app.inject({ method: 'GET', url: '/v1/webhook-endpoints', headers: org.headers });
    expect(list.json().data).toHaveLength(1);
  });
});
