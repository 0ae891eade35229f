import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestContext,
  expectStatus,
  masterHeaders,
  type TestContext,
} from '../../test/support/context.ts';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

describe('API key authentication', () => {
  it('answers 401 problem+json without a key, with an unknown key and with a malformed header', async () => {
    const attempts = [
      {},
      { authorization: 'Bearer rgl_00000000_0000000000000000000000000000000000000000' },
      { authorization: 'Basic dXNlcjpwYXNz' },
    ];
    const bodies = new Set<string>();
    for (const headers of attempts) {
      const response = await ctx.app.inject({ method: 'GET', url: '/v1/locations', headers });
      expect(response.statusCode).toBe(401);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(response.headers['www-authenticate']).toBe('Bearer');
      bodies.add(response.json().detail);
    }
    // The same answer whatever was wrong, so a caller cannot probe for valid keys.
    expect(bodies.size).toBe(1);
  });

  it('accepts a key until it is revoked, then answers 401 at once', async () => {
    const org = await ctx.createOrganization();
    expectStatus(await ctx.app.inject({ method: 'GET', url: '/v1/locations', headers: org.headers }), 200);

    const revoked = await ctx.app.inject({
      method: 'DELETE',
      url: `/v1/organizations/${org.id}/api-keys/${org.apiKeyId}`,
      headers: masterHeaders,
    });
    expectStatus(revoked, 200);
    expect(revoked.json().revokedAt).not.toBeNull();

    const after = await ctx.app.inject({ method: 'GET', url: '/v1/locations', headers: org.headers });
    expect(after.statusCode).toBe(401);
  });

  it('records when a key was last used and never shows the secret again', async () => {
    const org = await ctx.createOrganization();
    await ctx.app.inject({ method: 'GET', url: '/v1/organization', headers: org.headers });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const keys = await ctx.app.inject({
      method: 'GET',
      url: `/v1/organizations/${org.id}/api-keys`,
      headers: masterHeaders,
    });
    expectStatus(keys, 200);
    const [key] = keys.json().data;
    expect(key.lastUsedAt).not.toBeNull();
    expect(key.prefix).toMatch(/^rgl_[0-9a-f]{8}$/);
    expect(org.apiKey.startsWith(key.prefix)).toBe(true);
    expect(keys.body).not.toContain(org.apiKey);
  });

  it('stores only a hash of each key', async () => {
    const org = await ctx.createOrganization();
    const rows = await ctx.services.apiKeys.list(org.id, { limit: 10, afterId: undefined });
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(org.apiKey);
    expect(rows[0]!.keyHash).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('master key', () => {
  it('is required for platform routes, and an organization key is not enough', async () => {
    const org = await ctx.createOrganization();
    for (const headers of [{}, org.headers, { authorization: 'Bearer not-the-master-key' }]) {
      const list = await ctx.app.inject({ method: 'GET', url: '/v1/organizations', headers });
      expect(list.statusCode).toBe(401);
      const create = await ctx.app.inject({
        method: 'POST',
        url: '/v1/organizations',
        headers,
        payload: { name: 'X' },
      });
      expect(create.statusCode).toBe(401);
      const key = await ctx.app.inject({
        method: 'POST',
        url: `/v1/organizations/${org.id}/api-keys`,
        headers,
      });
      expect(key.statusCode).toBe(401);
    }
  });

  it('does not open tenant routes: they need an organization key', async () => {
    const response = await ctx.app.inject({ method: 'GET', url: '/v1/locations', headers: masterHeaders });
    expect(response.statusCode).toBe(401);
    expect(response.json().detail).toMatch(
      /^this route takes an organization's API key .*master key only reaches/,
    );
  });

  it('says which key a route takes when it is given the other kind', async () => {
    const org = await ctx.createOrganization();
    const platform = await ctx.app.inject({ method: 'GET', url: '/v1/organizations', headers: org.headers });
    expect(platform.statusCode).toBe(401);
    expect(platform.json().detail).toBe(
      "this route takes the platform master key (Authorization: Bearer <REGULARS_MASTER_KEY>): an organization's API key (rgl_…) does not reach the platform routes",
    );
    const none = await ctx.app.inject({ method: 'GET', url: '/v1/organizations' });
    expect(none.json().detail).toBe(
      'this route takes the platform master key (Authorization: Bearer <REGULARS_MASTER_KEY>)',
    );
  });

  it('answers 404 for keys of an organization that does not exist', async () => {
    const response = await ctx.app.inject({
      method: 'POST',
      url: '/v1/organizations/01936f4e-8b1a-7c3d-9e2f-1a2b3c4d5e6f/api-keys',
      headers: masterHeaders,
    });
    expect(response.statusCode).toBe(404);
  });
});
