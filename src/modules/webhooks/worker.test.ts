import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestContext,
  expectStatus,
  openTestDatabase,
  type TestContext,
  type TestOrganization,
} from '../../../test/support/context.ts';
import { standInDns } from '../../../test/support/dns.ts';
import {
  killStartedProcesses,
  PROCESS_TEST_TIMEOUT_MS,
  startProcess,
} from '../../../test/support/processes.ts';
import { startReceiver, type WebhookReceiver } from '../../../test/support/webhook-receiver.ts';
import { type RunningServer, startServer } from '../../app.ts';
import { loadConfig } from '../../config.ts';
import { type Database, openDatabase } from '../../db/connection.ts';
import { runMigrations } from '../../db/migrate.ts';
import { createServices } from '../../services.ts';
import { createWebhookWorker, type WebhookWorker, type WebhookWorkerOptions } from './worker.ts';

let ctx: TestContext;
const workers: WebhookWorker[] = [];
const receivers: WebhookReceiver[] = [];

beforeAll(async () => {
  ctx = await createTestContext({ webhooks: { allowPrivate: true } });
});
afterEach(async () => {
  await killStartedProcesses();
  await Promise.all(workers.splice(0).map((worker) => worker.stop()));
  await Promise.all(receivers.splice(0).map((receiver) => receiver.close()));
});
afterAll(async () => {
  await killStartedProcesses();
  await ctx.close();
});

function newWorker(options: Partial<WebhookWorkerOptions> = {}, database: Database = ctx.database) {
  const worker = createWebhookWorker(database, {
    allowPrivate: true,
    pollIntervalMs: 20,
    ...options,
  });
  workers.push(worker);
  return worker;
}

async function newReceiver() {
  const receiver = await startReceiver();
  receivers.push(receiver);
  return receiver;
}

async function setUp(receiver: WebhookReceiver) {
  const org = await ctx.createOrganization();
  const response = await ctx.app.inject({
    method: 'POST',
    url: '/v1/webhook-endpoints',
    headers: org.headers,
    payload: { url: receiver.url, eventTypes: ['location.*'] },
  });
  expectStatus(response, 201);
  receiver.secrets.push(response.json().secret);
  return { org, endpointId: response.json().id as string };
}

async function createLocation(org: TestOrganization, name: string): Promise<string> {
  const response = await ctx.app.inject({
    method: 'POST',
    url: '/v1/locations',
    headers: org.headers,
    payload: { name },
  });
  expectStatus(response, 201);
  return response.json().id;
}

async function deliveries(org: TestOrganization, endpointId: string) {
  const response = await ctx.app.inject({
    method: 'GET',
    url: `/v1/webhook-endpoints/${endpointId}/deliveries?limit=100`,
    headers: org.headers,
  });
  expectStatus(response, 200);
  return response.json().data;
}

describe('the webhook worker process', () => {
  it('refuses at delivery loopback in IPv6 clothing, with a trailing dot, or behind a host name, and sends nothing', async () => {
    const receiver = await newReceiver();
    const org = await ctx.createOrganization();
    // Registered while private destinations were allowed; delivered by a worker that refuses them.
    const urls = [
      `http://[::127.0.0.1]:${receiver.port}/`,
      `http://[64:ff9b::7f00:1]:${receiver.port}/`,
      `http://localhost.:${receiver.port}/`,
      `http://loopback.example.test:${receiver.port}/`,
    ];
    const endpointIds: string[] = [];
    for (const url of urls) {
      const response = await ctx.app.inject({
        method: 'POST',
        url: '/v1/webhook-endpoints',
        headers: org.headers,
        payload: { url, eventTypes: ['location.*'] },
      });
      expectStatus(response, 201);
      endpointIds.push(response.json().id);
    }
    await createLocation(org, 'Refused');
    const worker = newWorker({
      allowPrivate: false,
      resolve: standInDns({ 'loopback.example.test': ['127.0.0.1'] }),
    });
    await worker.runOnce();
    for (const [index, endpointId] of endpointIds.entries()) {
      const [delivery] = await deliveries(org, endpointId);
      expect(delivery?.lastError, urls[index]).toMatch(/^blocked_address: /);
    }
    expect(receiver.received).toHaveLength(0);
    // Their retries would otherwise be due during the tests that follow.
    for (const endpointId of endpointIds) await ctx.services.webhooks.remove(org.id, endpointId);
    await worker.runOnce();
  });

  it('finishes a delivery in flight when stopped within the grace period', async () => {
    const receiver = await newReceiver();
    const { org, endpointId } = await setUp(receiver);
    receiver.answer = () => ({ status: 204, delayMs: 300 });
    const worker = newWorker({ shutdownGraceMs: 5000 });
    worker.start();
    await createLocation(org, 'Slow receiver');
    await receiver.waitFor(1);

    await worker.stop();

    const [delivery] = await deliveries(org, endpointId);
    expect(delivery).toMatchObject({ status: 'delivered', attemptCount: 1, lastStatusCode: 204 });
  });

  it('releases a delivery cut short by a shutdown, and the next worker sends it with the same webhook-id', async () => {
    const receiver = await newReceiver();
    const { org, endpointId } = await setUp(receiver);
    receiver.answer = () => 'hang';
    const first = newWorker({ shutdownGraceMs: 100 });
    first.start();
    await createLocation(org, 'Hanging receiver');
    await receiver.waitFor(1);

    await first.stop();
    const [released] = await deliveries(org, endpointId);
    expect(released).toMatchObject({ status: 'pending', attemptCount: 1 });
    expect(released.attempts).toMatchObject([{ outcome: 'released', statusCode: null }]);

    receiver.answer = () => 200;
    await newWorker().drain();
    const [delivered] = await deliveries(org, endpointId);
    expect(delivered).toMatchObject({ status: 'delivered', attemptCount: 2 });
    expect(receiver.received.map((hook) => hook.webhookId)).toEqual([released.eventId, released.eventId]);
    expect(receiver.received.every((hook) => hook.verified)).toBe(true);
  });

  it("takes over a crashed worker's delivery when its lease runs out, and ignores that worker's late result", async () => {
    const receiver = await newReceiver();
    const { org, endpointId } = await setUp(receiver);
    receiver.answer = () => 'hang';
    await createLocation(org, 'Crashed worker');
    // The first worker claims the delivery and then, as far as anyone can tell, dies.
    const stuck = newWorker({ leaseMs: 60_000, timeoutMs: 30_000 });
    const stuckRound = stuck.runOnce();
    await receiver.waitFor(1);
    const [claimed] = await deliveries(org, endpointId);
    expect(claimed).toMatchObject({ status: 'delivering', attemptCount: 1 });

    // Before the lease ends nobody else touches it; after, another worker does.
    receiver.answer = () => 200;
    const early = newWorker({ clock: () => new Date(Date.now() + 30_000) });
    expect((await early.drain()).attempted).toBe(0);
    const later = newWorker({ clock: () => new Date(Date.now() + 61_000) });
    expect((await later.drain()).attempted).toBe(1);

    // The "dead" worker wakes up to a 500: its claim is gone, so its result changes nothing.
    receiver.releaseHanging(500);
    await stuckRound;
    const [delivery] = await deliveries(org, endpointId);
    expect(delivery).toMatchObject({ status: 'delivered', attemptCount: 2, lastStatusCode: 200 });
    expect(delivery.attempts.map((attempt: { statusCode: number }) => attempt.statusCode).sort()).toEqual([
      200, 500,
    ]);
    expect(receiver.received.map((hook) => hook.webhookId)).toEqual([delivery.eventId, delivery.eventId]);
  });

  // PGlite lives inside one process and serializes every query: there is no second worker to race.
  it.runIf(process.env.TEST_DATABASE_URL)(
    'lets two workers on PostgreSQL share the work without ever sending the same attempt twice',
    async () => {
      const receiver = await newReceiver();
      const { org, endpointId } = await setUp(receiver);
      receiver.answer = () => ({ status: 200, delayMs: 15 });
      const locations = await Promise.all(
        Array.from({ length: 10 }, (_, index) => createLocation(org, `Shop ${index}`)),
      );
      for (const round of [1, 2, 3]) {
        for (const id of locations) {
          const renamed = await ctx.app.inject({
            method: 'PATCH',
            url: `/v1/locations/${id}`,
            headers: org.headers,
            payload: { name: `Shop ${id} v${round}` },
          });
          expectStatus(renamed, 200);
        }
      }
      const pools = await Promise.all([
        openDatabase({ url: ctx.url, poolSize: 4 }),
        openDatabase({ url: ctx.url, poolSize: 4 }),
      ]);
      try {
        const [one, two] = pools.map((pool) => newWorker({ concurrency: 4 }, pool)) as [
          WebhookWorker,
          WebhookWorker,
        ];
        one.start();
        two.start();
        await receiver.waitFor(40);
        // Anything sent twice would arrive within a few more polls.
        await new Promise((resolve) => setTimeout(resolve, 200));
        await Promise.all([one.stop(), two.stop()]);

        expect(one.totals.attempted + two.totals.attempted).toBe(40);
        expect(one.totals.attempted).toBeGreaterThan(0);
        expect(two.totals.attempted).toBeGreaterThan(0);
        const ids = receiver.received.map((hook) => hook.webhookId);
        expect(ids).toHaveLength(40);
        expect(new Set(ids).size).toBe(40);
        for (const id of locations) {
          const seen = receiver.received
            .filter((hook) => hook.event.subject.id === id)
            .map((hook) => hook.webhookId);
          expect(seen).toHaveLength(4);
          expect(seen).toEqual([...seen].sort());
        }
        const all = await deliveries(org, endpointId);
        expect(all).toHaveLength(40);
        for (const delivery of all) {
          expect(delivery).toMatchObject({ status: 'delivered', attemptCount: 1 });
          expect(delivery.attempts).toHaveLength(1);
        }
      } finally {
        await Promise.all(workers.splice(0).map((worker) => worker.stop()));
        await Promise.all(pools.map((pool) => pool.close()));
      }
    },
  );
});

describe('regulars serve', { timeout: PROCESS_TEST_TIMEOUT_MS }, () => {
  it('loses nothing when stopped mid-delivery and started again', async () => {
    const receiver = await newReceiver();
    const masterKey = 'rgm_webhooks_restart_test_key_0000';
    const dataDir = mkdtempSync(join(tmpdir(), 'regulars-webhooks-'));
    const test = process.env.TEST_DATABASE_URL ? await openTestDatabase() : undefined;
    const config = loadConfig({
      ...(test?.url ? { DATABASE_URL: test.url } : { DATA_DIR: dataDir }),
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      REGULARS_MASTER_KEY: masterKey,
      WEBHOOKS_ALLOW_PRIVATE: 'true',
      WEBHOOKS_POLL_INTERVAL_MS: '20',
      WEBHOOKS_SHUTDOWN_GRACE_MS: '100',
    });
    let server: RunningServer | undefined = await startServer(config);
    try {
      const call = async (path: string, key: string, body?: unknown) => {
        const response = await fetch(`${server!.url}${path}`, {
          method: body === undefined ? 'GET' : 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        return { status: response.status, json: (await response.json()) as Record<string, unknown> };
      };
      const org = await call('/v1/organizations', masterKey, { name: 'Restart' });
      const key = await call(`/v1/organizations/${org.json.id}/api-keys`, masterKey, {});
      const apiKey = String(key.json.key);
      const endpoint = await call('/v1/webhook-endpoints', apiKey, {
        url: receiver.url,
        eventTypes: ['location.created'],
      });
      expect(endpoint.status).toBe(201);
      receiver.secrets.push(String(endpoint.json.secret));

      receiver.answer = () => 'hang';
      expect((await call('/v1/locations', apiKey, { name: 'Mid-delivery' })).status).toBe(201);
      await receiver.waitFor(1);
      await server.stop();
      server = undefined;

      receiver.answer = () => 200;
      server = await startServer(config);
      await receiver.waitFor(2);
      const [first, second] = receiver.received;
      expect(second!.webhookId).toBe(first!.webhookId);
      expect(second!.verified).toBe(true);
      let delivered: Record<string, unknown> | undefined;
      for (let poll = 0; poll < 100 && delivered?.status !== 'delivered'; poll++) {
        const list = await call(`/v1/webhook-endpoints/${endpoint.json.id}/deliveries`, apiKey);
        delivered = (list.json.data as Record<string, unknown>[])[0];
        if (delivered?.status !== 'delivered') await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(delivered).toMatchObject({ status: 'delivered', attemptCount: 2 });
      expect((delivered!.attempts as { outcome: string }[]).map((attempt) => attempt.outcome)).toEqual([
        'released',
        'delivered',
      ]);
    } finally {
      await server?.stop();
      await test?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('regulars worker', { timeout: PROCESS_TEST_TIMEOUT_MS }, () => {
  it('delivers webhooks without an HTTP server and exits cleanly on SIGTERM', async () => {
    const receiver = await newReceiver();
    const dataDir = mkdtempSync(join(tmpdir(), 'regulars-worker-'));
    const test = process.env.TEST_DATABASE_URL ? await openTestDatabase() : undefined;
    try {
      // Set up through the services, then leave the database to the worker process alone.
      const database = test?.database ?? (await openDatabase({ dataDir }));
      if (!test) await runMigrations(database);
      const services = createServices(database, { webhooks: { allowPrivate: true } });
      const organization = await services.organizations.create({ name: 'Worker only' });
      const endpoint = await services.webhooks.create(organization.id, {
        url: receiver.url,
        eventTypes: ['location.created'],
      });
      receiver.secrets.push(endpoint.secret);
      const location = await services.locations.create(organization.id, { name: 'Queued before start' });
      if (!test) await database.close();

      const worker = startProcess(
        process.execPath,
        [join(import.meta.dirname, '..', '..', '..', 'dist', 'cli.js'), 'worker'],
        {
          PATH: process.env.PATH,
          ...(test?.url ? { DATABASE_URL: test.url } : { DATA_DIR: dataDir }),
          LOG_LEVEL: 'info',
          WEBHOOKS_ALLOW_PRIVATE: 'true',
          WEBHOOKS_POLL_INTERVAL_MS: '50',
        },
      );
      // The worker process loads the embedded engine before its first poll: slow on a busy machine.
      await receiver.waitFor(1, 120_000);
      expect(receiver.received[0]).toMatchObject({ verified: true, event: { subject: { id: location.id } } });
      worker.child.kill('SIGTERM');
      const code = await worker.exited;
      const output = worker.stdout() + worker.stderr();
      expect(code, output).toBe(0);
      expect(output).toContain('webhook worker started');
      expect(output).not.toContain(endpoint.secret);
    } finally {
      // Before its database goes: a worker left running by a failed expectation.
      await killStartedProcesses();
      await test?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
