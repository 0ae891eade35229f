import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  expectStatus,
  masterHeaders,
  openTestDatabase,
  TEST_MASTER_KEY,
} from '../../../test/support/context.ts';
import { standInDns } from '../../../test/support/dns.ts';
import { serializationFailureOn } from '../../../test/support/failures.ts';
import { startReceiver, type WebhookReceiver } from '../../../test/support/webhook-receiver.ts';
import { buildApp } from '../../app.ts';
import { type Database, rawRows } from '../../db/connection.ts';
import { transaction } from '../../db/transaction.ts';
import type { App } from '../../http/types.ts';
import { startPeriodicJob } from '../../jobs.ts';
import { createServices } from '../../services.ts';
import { createWebhookWorker } from '../webhooks/worker.ts';
import { createMetrics, type Metrics } from './registry.ts';
import { listenForMetrics } from './routes.ts';

const TOKEN = 'metrics-test-token-0123456789';
const scraper = { authorization: `Bearer ${TOKEN}` };

let database: Database;
let drop: () => Promise<void>;
let metrics: Metrics;
let app: App;
let receiver: WebhookReceiver;

beforeAll(async () => {
  ({ database, drop } = await openTestDatabase());
  metrics = createMetrics(database);
  const services = createServices(database, {
    masterKey: TEST_MASTER_KEY,
    webhooks: { allowPrivate: true, resolve: standInDns() },
  });
  app = await buildApp(services, { metrics: { metrics, token: TOKEN } });
  receiver = await startReceiver();
});
afterAll(async () => {
  await app.close();
  await receiver.close();
  metrics.close();
  await drop();
});

async function scrape(): Promise<string> {
  const response = await app.inject({ method: 'GET', url: '/metrics', headers: scraper });
  expectStatus(response, 200);
  expect(response.headers['content-type']).toContain('text/plain');
  return response.body;
}

/** The value of one series, found by its name and exact label set as Prometheus writes them. */
function seriesValue(body: string, series: string): number | undefined {
  const line = body.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function newOrganization() {
  const created = await app.inject({
    method: 'POST',
    url: '/v1/organizations',
    headers: masterHeaders,
    payload: { name: `Metrics ${randomBytes(3).toString('hex')}` },
  });
  expectStatus(created, 201);
  const key = await app.inject({
    method: 'POST',
    url: `/v1/organizations/${created.json().id}/api-keys`,
    headers: masterHeaders,
  });
  expectStatus(key, 201);
  return { authorization: `Bearer ${key.json().key as string}` };
}

describe('GET /metrics', () => {
  it('counts requests by route template, never by the id in the URL, and shows a webhook delivery', async () => {
    const headers = await newOrganization();
    const endpoint = await app.inject({
      method: 'POST',
      url: '/v1/webhook-endpoints',
      headers,
      payload: { url: receiver.url, eventTypes: ['location.*'] },
    });
    expectStatus(endpoint, 201);
    receiver.secrets.push(endpoint.json().secret);
    const location = await app.inject({
      method: 'POST',
      url: '/v1/locations',
      headers,
      payload: { name: 'Centro' },
    });
    expectStatus(location, 201);
    const id = location.json().id as string;
    for (let i = 0; i < 3; i++) {
      expectStatus(await app.inject({ method: 'GET', url: `/v1/locations/${id}`, headers }), 200);
    }
    await app.inject({ method: 'GET', url: '/no/such/route/123' });
    // The outbox holds the location's event until the worker takes it: the lag shows it.
    const waiting = await scrape();
    expect(seriesValue(waiting, 'regulars_outbox_lag_seconds{consumer="webhooks"}')).toBeGreaterThan(0);

    const worker = createWebhookWorker(database, { allowPrivate: true, onAttempt: metrics.webhookAttempt });
    await worker.drain();
    await worker.stop();
    expect(receiver.received.map((webhook) => webhook.event.type)).toContain('location.created');

    const body = await scrape();
    expect(
      seriesValue(body, 'regulars_http_requests_total{route="/v1/locations/:id",method="GET",status="200"}'),
    ).toBe(3);
    expect(
      seriesValue(body, 'regulars_http_requests_total{route="/v1/locations",method="POST",status="201"}'),
    ).toBe(1);
    expect(
      seriesValue(body, 'regulars_http_requests_total{route="(unmatched)",method="GET",status="404"}'),
    ).toBe(1);
    expect(body).toContain(
      'regulars_http_request_duration_seconds_bucket{le="0.005",route="/v1/locations/:id",method="GET"}',
    );
    expect(body).not.toContain(id);
    expect(body).not.toContain('/no/such/route');
    expect(seriesValue(body, 'regulars_webhook_attempts_total{outcome="delivered"}')).toBe(1);
    expect(seriesValue(body, 'regulars_webhook_queue_deliveries')).toBe(0);
    expect(seriesValue(body, 'regulars_webhook_queue_oldest_age_seconds')).toBe(0);
    expect(seriesValue(body, 'regulars_outbox_lag_seconds{consumer="webhooks"}')).toBe(0);
    expect(seriesValue(body, 'regulars_db_pool_size')).toBe(database.kind === 'embedded' ? 1 : 10);
    expect(seriesValue(body, 'regulars_db_pool_waiting')).toBe(0);
    expect(body).toContain('regulars_db_pool_connections{state="idle"}');
    // Process metrics in the same registry.
    expect(body).toContain('process_cpu_user_seconds_total');
    expect(body).toContain('nodejs_heap_size_used_bytes');
  });

  it('counts a transaction retried after a serialization failure', async () => {
    const series = 'regulars_db_transaction_retries_total{reason="serialization_failure"}';
    const before = seriesValue(await scrape(), series) ?? 0;
    let attempts = 0;
    const answer = await transaction(database.db, async (tx) => {
      attempts++;
      if (attempts === 1) throw await serializationFailureOn(tx);
      const [row] = await rawRows<{ one: number }>(tx, sql`select 1 as one`);
      return row;
    });
    expect(answer).toEqual({ one: 1 });
    expect(attempts).toBe(2);
    expect(seriesValue(await scrape(), series)).toBe(before + 1);
  });

  it('shows each background job run by outcome, and when it last succeeded', async () => {
    let runs = 0;
    const job = startPeriodicJob(
      async () => {
        runs++;
        if (runs === 2) throw new Error('the second run fails');
      },
      { intervalMs: 5, onError: () => {}, observe: metrics.job('points_processing') },
    );
    await expect.poll(() => runs, { timeout: 5_000 }).toBeGreaterThanOrEqual(3);
    await job.stop();
    const body = await scrape();
    expect(seriesValue(body, 'regulars_job_runs_total{job="points_processing",outcome="failure"}')).toBe(1);
    expect(seriesValue(body, 'regulars_job_runs_total{job="points_processing",outcome="success"}')).toBe(
      runs - 1,
    );
    const lastSuccess = seriesValue(
      body,
      'regulars_job_last_success_timestamp_seconds{job="points_processing"}',
    );
    expect(lastSuccess).toBeGreaterThan(Date.now() / 1000 - 60);
  });

  it('answers 401 without the token or with a wrong one', async () => {
    const none = await app.inject({ method: 'GET', url: '/metrics' });
    expectStatus(none, 401);
    expect(none.headers['www-authenticate']).toContain('Bearer');
    expect(none.body).not.toContain('regulars_http_requests_total');
    const wrong = await app.inject({
      method: 'GET',
      url: '/metrics',
      headers: { authorization: `Bearer ${TOKEN.slice(0, -1)}x` },
    });
    expectStatus(wrong, 401);
    const longer = await app.inject({
      method: 'GET',
      url: '/metrics',
      headers: { authorization: `Bearer ${TOKEN}0` },
    });
    expectStatus(longer, 401);
  });

  it('is not there (404) when neither a token nor a port of its own is configured', async () => {
    const services = createServices(database, { masterKey: TEST_MASTER_KEY });
    const plain = await buildApp(services);
    try {
      expectStatus(await plain.inject({ method: 'GET', url: '/metrics', headers: scraper }), 404);
    } finally {
      await plain.close();
    }
  });

  it('is served alone on a port of its own, and asks for the token there too when one is set', async () => {
    const open = await listenForMetrics(metrics, { port: 0, host: '127.0.0.1', token: undefined });
    const guarded = await listenForMetrics(metrics, { port: 0, host: '127.0.0.1', token: TOKEN });
    try {
      const scraped = await fetch(`${open.url}/metrics`);
      expect(scraped.status).toBe(200);
      expect(await scraped.text()).toContain('regulars_http_requests_total');
      expect((await fetch(`${open.url}/v1/locations`)).status).toBe(404);
      expect((await fetch(`${open.url}/healthz`)).status).toBe(404);
      const refused = await fetch(`${guarded.url}/metrics`);
      expect(refused.status).toBe(401);
      expect(await refused.json()).toMatchObject({ status: 401, code: 'unauthorized' });
      expect((await fetch(`${guarded.url}/metrics`, { headers: scraper })).status).toBe(200);
    } finally {
      await open.close();
      await guarded.close();
    }
  });

  it('uses in the Grafana dashboard only metric names a scrape has', async () => {
    const dashboard = readFileSync(
      join(import.meta.dirname, '..', '..', '..', 'docs', 'grafana-regulars.json'),
      'utf8',
    );
    const queried = new Set(dashboard.match(/\b(?:regulars|process|nodejs)_\w+/g));
    expect(queried.size).toBeGreaterThan(10);
    const body = await scrape();
    // Declared (# TYPE), whether or not anything has been counted yet in this test file.
    const declared = (name: string) =>
      body.includes(`# TYPE ${name} `) ||
      body.includes(`# TYPE ${name.replace(/_(bucket|sum|count)$/, '')} histogram`);
    const missing = [...queried].filter((name) => !declared(name));
    expect(missing).toEqual([]);
  });
});
