import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestContext,
  expectStatus,
  masterHeaders,
  type TestContext,
} from '../../test/support/context.ts';
import { currentRequest } from './request-context.ts';
import { buildServer } from './server.ts';
import type { App } from './types.ts';

let ctx: TestContext;
let app: App;

/** What a service deep in a request sees of it: read after awaits, as the audit log reads it. */
async function seenByService(executor: TestContext['database']['db']) {
  await sleep(1);
  await executor.execute(sql`select 1`);
  const context = currentRequest();
  return context
    ? {
        requestId: context.requestId,
        caller: context.caller(),
        ip: context.ip,
        userAgent: context.userAgent,
        auditMode: context.auditMode(),
      }
    : null;
}

beforeAll(async () => {
  ctx = await createTestContext();
  // The real server's hooks, with probe routes in place of the modules'.
  app = await buildServer(ctx.services, {
    routes: async (probe) => {
      probe.post('/v1/probe', async () => ({ seen: await seenByService(ctx.database.db) }));
      probe.get('/v1/probe', { config: { audit: 'all-events' } }, async () => ({
        seen: await seenByService(ctx.database.db),
      }));
      probe.post('/v1/organizations/probe', { config: { auth: 'master' } }, async () => ({
        seen: await seenByService(ctx.database.db),
      }));
      // A dialect authenticates in its own hook, after the context opened.
      probe.register(async (dialect) => {
        dialect.addHook('preHandler', async (request) => {
          request.tenant = {
            organizationId: '00000000-0000-7000-8000-000000000000',
            actor: { type: 'api_key', id: '00000000-0000-7000-8000-00000000000d' },
            reach: ['till'],
            locationIds: null,
          };
        });
        dialect.post('/compat/probe', { config: { auth: 'dialect' } }, async () => ({
          seen: await seenByService(ctx.database.db),
        }));
      });
    },
  });
  await app.ready();
});
afterAll(async () => {
  await app.close();
  await ctx.close();
});

describe('request context', () => {
  it('is seen by services a handler calls, after the body is parsed and across awaits, with the caller', async () => {
    const org = await ctx.createOrganization();
    const response = await app.inject({
      method: 'POST',
      url: '/v1/probe',
      headers: { ...org.headers, 'user-agent': 'till/1.0', 'x-request-id': 'req-from-the-till' },
      payload: { some: 'body' },
    });
    expectStatus(response, 200);
    expect(response.json().seen).toEqual({
      requestId: 'req-from-the-till',
      caller: { type: 'api_key', id: org.apiKeyId },
      ip: '127.0.0.1',
      userAgent: 'till/1.0',
      auditMode: 'changes',
    });
  });

  it('is seen after a body is read from a real socket in several chunks', async () => {
    const org = await ctx.createOrganization();
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    const response = await fetch(`${address}/v1/probe`, {
      method: 'POST',
      headers: { ...org.headers, 'content-type': 'application/json', 'x-request-id': 'over-the-wire' },
      // Large enough to arrive in several chunks.
      body: JSON.stringify({ filler: 'x'.repeat(200_000) }),
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { seen: unknown }).seen).toMatchObject({
      requestId: 'over-the-wire',
      caller: { type: 'api_key', id: org.apiKeyId },
    });
  });

  it("says what the route's audit setting is", async () => {
    const org = await ctx.createOrganization();
    const response = await app.inject({ method: 'GET', url: '/v1/probe', headers: org.headers });
    expect(response.json().seen).toMatchObject({ auditMode: 'all-events', userAgent: 'lightMyRequest' });
  });

  it('names the master key as the caller of a platform route', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/v1/organizations/probe',
      headers: masterHeaders,
    });
    expect(response.json().seen.caller).toEqual({ type: 'master', id: null });
  });

  it('sees the tenant a dialect sets in its own hook, after the context opened', async () => {
    const response = await app.inject({ method: 'POST', url: '/compat/probe', payload: {} });
    expect(response.json().seen.caller).toEqual({
      type: 'api_key',
      id: '00000000-0000-7000-8000-00000000000d',
    });
  });

  it('keeps concurrent requests apart', async () => {
    const [a, b] = await Promise.all([ctx.createOrganization(), ctx.createOrganization()]);
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        app.inject({
          method: 'POST',
          url: '/v1/probe',
          headers: { ...(index % 2 ? a : b).headers, 'x-request-id': `req-${index}` },
          payload: {},
        }),
      ),
    );
    responses.forEach((response, index) => {
      expect(response.json().seen).toMatchObject({
        requestId: `req-${index}`,
        caller: { id: (index % 2 ? a : b).apiKeyId },
      });
    });
  });

  it('is absent outside a request', async () => {
    expect(await seenByService(ctx.database.db)).toBeNull();
  });
});
