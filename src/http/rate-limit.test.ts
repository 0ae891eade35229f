import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, masterHeaders, type TestContext } from '../../test/support/context.ts';
import { buildApp } from '../app.ts';
import type { RateLimitOptions } from './server.ts';
import type { App } from './types.ts';

/** The Redis the suite needs (CI runs one); a test that needs it fails, never skips, when it is down. */
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

let ctx: TestContext;
const apps: App[] = [];

beforeAll(async () => {
  ctx = await createTestContext();
});
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});
afterAll(() => ctx.close());

/** A server on the test's services with a rate limit of its own. */
async function limitedApp(rateLimit: RateLimitOptions): Promise<App> {
  const app = await buildApp(ctx.services, { rateLimit });
  apps.push(app);
  await app.ready();
  return app;
}

const listLocations = (app: App, headers: Record<string, string>) =>
  app.inject({ method: 'GET', url: '/v1/locations', headers });

/** A key prefix no other test or run uses, so counters never collide on a shared Redis. */
const uniquePrefix = () => `regulars-test-${randomBytes(6).toString('hex')}:`;

async function redisClient(): Promise<Redis> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 5_000 });
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    redis.disconnect();
    throw new Error(
      `the rate-limit tests need Redis at ${REDIS_URL} (set TEST_REDIS_URL to use another): ${String(error)}`,
    );
  }
  return redis;
}

const stores = [
  { store: 'memory', options: () => ({}) },
  { store: 'Redis', options: () => ({ redisUrl: REDIS_URL, redisKeyPrefix: uniquePrefix() }) },
];

describe.each(stores)('the rate limit, counting in $store', ({ store, options }) => {
  beforeAll(async () => {
    if (store === 'Redis') (await redisClient()).disconnect();
  });

  it('answers 429 problem+json with Retry-After once a key spent its requests', async () => {
    const app = await limitedApp({ max: 3, windowMs: 60_000, ...options() });
    const organization = await ctx.createOrganization();
    for (let request = 1; request <= 3; request++) {
      const allowed = await listLocations(app, organization.headers);
      expect(allowed.statusCode).toBe(200);
      expect(allowed.headers['x-ratelimit-remaining']).toBe(String(3 - request));
    }

    const refused = await listLocations(app, organization.headers);
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.json()).toMatchObject({
      status: 429,
      code: 'rate_limited',
      type: 'https://regulars.dev/problems/rate_limited',
      detail: 'rate limit of 3 requests per 1 minute exceeded',
    });
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
  });

  it('gives each API key a budget of its own', async () => {
    const app = await limitedApp({ max: 2, windowMs: 60_000, ...options() });
    const busy = await ctx.createOrganization();
    const quiet = await ctx.createOrganization();
    const sameOrganizationsOtherKey = await ctx.app.inject({
      method: 'POST',
      url: `/v1/organizations/${busy.id}/api-keys`,
      headers: masterHeaders,
    });
    const otherKeyHeaders = { authorization: `Bearer ${sameOrganizationsOtherKey.json().key}` };

    for (let request = 0; request < 2; request++) await listLocations(app, busy.headers);
    expect((await listLocations(app, busy.headers)).statusCode).toBe(429);
    expect((await listLocations(app, quiet.headers)).statusCode).toBe(200);
    expect((await listLocations(app, otherKeyHeaders)).statusCode).toBe(200);
  });
});

describe('the rate limit on Redis', () => {
  let redis: Redis;
  beforeAll(async () => {
    redis = await redisClient();
  });
  afterAll(() => redis?.disconnect());

  it('shares one budget between the processes that use the same Redis', async () => {
    const shared = { max: 2, windowMs: 60_000, redisUrl: REDIS_URL, redisKeyPrefix: uniquePrefix() };
    const [first, second] = [await limitedApp(shared), await limitedApp(shared)];
    const organization = await ctx.createOrganization();
    expect((await listLocations(first, organization.headers)).statusCode).toBe(200);
    expect((await listLocations(second, organization.headers)).statusCode).toBe(200);
    expect((await listLocations(first, organization.headers)).statusCode).toBe(429);
    expect(await redis.get(`${shared.redisKeyPrefix}api_key:${organization.apiKeyId}`)).toBe('3');
  });

  it('closes its Redis connection when the app closes', async () => {
    const prefix = uniquePrefix();
    const app = await limitedApp({ max: 5, windowMs: 60_000, redisUrl: REDIS_URL, redisKeyPrefix: prefix });
    const organization = await ctx.createOrganization();
    expect((await listLocations(app, organization.headers)).statusCode).toBe(200);
    const connectionsNamed = async () =>
      String(await redis.call('CLIENT', 'LIST'))
        .split('\n')
        .filter((line) => line.includes(` name=${prefix} `)).length;
    expect(await connectionsNamed()).toBe(1);

    apps.splice(apps.indexOf(app), 1);
    await app.close();
    await expect.poll(connectionsNamed, { timeout: 5_000 }).toBe(0);
  });
});
