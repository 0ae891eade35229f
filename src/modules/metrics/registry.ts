import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Database } from '../../db/connection.ts';
import { onTransactionRetry } from '../../db/transaction.ts';
import { oldestQueued } from '../events/service.ts';
import { queuedDeliveries } from '../webhooks/store.ts';

/** How a background job's run ended. */
export type JobOutcome = 'success' | 'failure';

/** What a webhook attempt came to (src/modules/webhooks/worker.ts `onAttempt`). */
export type AttemptOutcome = 'delivered' | 'failed' | 'dead' | 'released';

const SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** Requests that matched no route share one label: raw URLs would make a series per id. */
export const UNMATCHED_ROUTE = '(unmatched)';

/**
 * The metrics of one running app: a registry of its own (tests run several apps in one process,
 * so never prom-client's global one), the instruments the HTTP hooks, the transaction helper, the
 * webhook worker and the periodic jobs report to, and the gauges read from the database at scrape.
 */
export function createMetrics(database: Database) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const httpRequests = new Counter({
    name: 'regulars_http_requests_total',
    help: 'HTTP requests answered, by route template, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    registers,
  });
  const httpDuration = new Histogram({
    name: 'regulars_http_request_duration_seconds',
    help: 'Time from receiving a request to sending its response, by route template and method',
    labelNames: ['route', 'method'] as const,
    buckets: SECONDS_BUCKETS,
    registers,
  });
  const retries = new Counter({
    name: 'regulars_db_transaction_retries_total',
    help: 'Transactions rolled back and run again (serialization failure, deadlock, stale plan)',
    labelNames: ['reason'] as const,
    registers,
  });
  const webhookAttempts = new Counter({
    name: 'regulars_webhook_attempts_total',
    help: 'Webhook delivery attempts by outcome (dead: failed with no retry left; released: cut by a shutdown)',
    labelNames: ['outcome'] as const,
    registers,
  });
  const webhookDuration = new Histogram({
    name: 'regulars_webhook_attempt_duration_seconds',
    help: 'Time a webhook attempt took, sending to response or failure',
    buckets: SECONDS_BUCKETS,
    registers,
  });
  const jobRuns = new Counter({
    name: 'regulars_job_runs_total',
    help: 'Runs of the background jobs, by job and outcome',
    labelNames: ['job', 'outcome'] as const,
    registers,
  });
  const jobDuration = new Histogram({
    name: 'regulars_job_duration_seconds',
    help: 'Time a background job run took',
    labelNames: ['job'] as const,
    buckets: [0.01, 0.1, 0.5, 1, 5, 15, 60, 300],
    registers,
  });
  const jobLastSuccess = new Gauge({
    name: 'regulars_job_last_success_timestamp_seconds',
    help: 'When each background job last ran without an error (Unix time)',
    labelNames: ['job'] as const,
    registers,
  });
  const queueGauges = queueMetrics(database, registers);

  // Known from the start, so that a rate over them is 0 rather than nothing.
  for (const outcome of ['delivered', 'failed', 'dead', 'released'] as const)
    webhookAttempts.inc({ outcome }, 0);
  const stopCountingRetries = onTransactionRetry(database.db, (reason) => retries.inc({ reason }));

  return {
    registry,
    /** One answered request; route is the matched template (`/v1/customers/:id`), never the URL. */
    request(route: string | undefined, method: string, status: number, seconds: number) {
      const template = route ?? UNMATCHED_ROUTE;
      httpRequests.inc({ route: template, method, status: String(status) });
      httpDuration.observe({ route: template, method }, seconds);
    },
    webhookAttempt(outcome: AttemptOutcome, durationMs: number) {
      webhookAttempts.inc({ outcome });
      webhookDuration.observe(durationMs / 1000);
    },
    /** What a periodic job (src/jobs.ts) reports each run to. */
    job(name: string) {
      // Known from the start, so a job that never ran shows as 0 runs rather than as nothing.
      for (const outcome of ['success', 'failure'] as const) jobRuns.inc({ job: name, outcome }, 0);
      return (outcome: JobOutcome, durationMs: number) => {
        jobRuns.inc({ job: name, outcome });
        jobDuration.observe({ job: name }, durationMs / 1000);
        if (outcome === 'success') jobLastSuccess.set({ job: name }, Date.now() / 1000);
      };
    },
    /** The Prometheus text exposition, database gauges read now. */
    async scrape(): Promise<{ contentType: string; body: string }> {
      await queueGauges.refresh();
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
    close() {
      stopCountingRetries();
      registry.clear();
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/** Gauges of what waits: the pool's connections, the outbox's consumers, the webhook queue. */
function queueMetrics(database: Database, registers: Registry[]) {
  const poolSize = new Gauge({
    name: 'regulars_db_pool_size',
    help: 'Database connections the pool may open (embedded: 1, one session)',
    registers,
  });
  const poolConnections = new Gauge({
    name: 'regulars_db_pool_connections',
    help: 'Database connections by state (embedded: the one session, busy while a statement or transaction runs)',
    labelNames: ['state'] as const,
    registers,
  });
  const poolWaiting = new Gauge({
    name: 'regulars_db_pool_waiting',
    help: 'Callers waiting for a database connection (embedded: statements and transactions queued for the session)',
    registers,
  });
  const outboxLag = new Gauge({
    name: 'regulars_outbox_lag_seconds',
    help: 'Age of the oldest event a consumer of the outbox has not handled yet (0 when none waits)',
    labelNames: ['consumer'] as const,
    registers,
  });
  const webhookQueued = new Gauge({
    name: 'regulars_webhook_queue_deliveries',
    help: 'Webhook deliveries not finished yet (pending or being sent)',
    registers,
  });
  const webhookOldest = new Gauge({
    name: 'regulars_webhook_queue_oldest_age_seconds',
    help: 'Age of the oldest webhook delivery not finished yet (0 when none)',
    registers,
  });
  const ageOf = (at: Date | null, now: number) => (at ? Math.max(0, (now - at.getTime()) / 1000) : 0);
  const fromDatabase = [outboxLag, webhookQueued, webhookOldest];

  return {
    async refresh() {
      const usage = database.usage();
      poolSize.set(usage.size);
      poolConnections.set({ state: 'busy' }, usage.busy);
      poolConnections.set({ state: 'idle' }, usage.idle);
      poolWaiting.set(usage.waiting);
      try {
        const { db } = database;
        const [dispatch, rollup, passes, webhooks] = await Promise.all([
          oldestQueued(db, 'dispatch'),
          oldestQueued(db, 'rollup'),
          oldestQueued(db, 'passes'),
          queuedDeliveries(db),
        ]);
        const now = Date.now();
        outboxLag.set({ consumer: 'webhooks' }, ageOf(dispatch, now));
        outboxLag.set({ consumer: 'analytics' }, ageOf(rollup, now));
        outboxLag.set({ consumer: 'wallet' }, ageOf(passes, now));
        webhookQueued.set(webhooks.count);
        webhookOldest.set(ageOf(webhooks.oldest, now));
      } catch {
        // The database does not answer: no value rather than a stale one (readyz says why).
        for (const gauge of fromDatabase) gauge.reset();
      }
    },
  };
}
