import { sql } from 'drizzle-orm';
import type { Database } from '../../db/connection.ts';
import { transaction } from '../../db/transaction.ts';
import {
  createOutboundClient,
  DEFAULT_TIMEOUT_MS,
  OutboundError,
  type OutboundResponse,
  type Resolver,
} from '../../http/outbound.ts';
import { claimUndispatched, emit, markDispatched } from '../events/service.ts';
import { renderBodies, type WebhookFormatters } from './formats.ts';
import { DEFAULT_RETRY_SCHEDULE_MS, retryDelayMs } from './retry-schedule.ts';
import { signatureHeader } from './signing.ts';
import {
  type AttemptRecord,
  claimDue,
  type DeliveryRow,
  deleteFinishedBefore,
  deliveriesFor,
  enabledEndpointsOf,
  finishClaim,
  holdBackSuccessors,
  insertAttempt,
  insertDeliveries,
  loadSendable,
  markEndpointFailing,
  markEndpointHealthy,
  type Sendable,
  wakeNext,
} from './store.ts';

export interface WorkerLogger {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

export interface WebhookWorkerOptions {
  /** WEBHOOKS_ALLOW_PRIVATE. */
  allowPrivate: boolean;
  /** Where receivers' host names are resolved (tests: a stand-in DNS); checked at connect time. */
  resolve?: Resolver;
  retrySchedule?: number[];
  /** Deliveries in flight at once in this process. */
  concurrency?: number;
  /** How long an idle worker waits before looking for work again. */
  pollIntervalMs?: number;
  /** Per attempt: connect, send, response headers and the first bytes of the body. */
  timeoutMs?: number;
  /** How long a claim is exclusive; after that another worker may take the delivery over. */
  leaseMs?: number;
  /** An endpoint failing without a single success for this long is disabled. */
  disableAfterMs?: number;
  /** On stop, in-flight deliveries get this long to finish before they are cut and released. */
  shutdownGraceMs?: number;
  /** Finished deliveries (and their attempts) older than this are deleted. */
  retentionMs?: number;
  dispatchBatchSize?: number;
  /** Formatters of the dialect formats endpoints may choose (`native` is built in). */
  formats?: WebhookFormatters;
  /** Injectable for tests: "now" and [0, 1) randomness for jitter. */
  clock?: () => Date;
  random?: () => number;
  logger?: WorkerLogger;
  /**
   * Told of every attempt's outcome and how long it took (src/modules/metrics counts them):
   * `dead` is a failure with no retry left.
   */
  onAttempt?: (outcome: AttemptRecord['outcome'] | 'dead', durationMs: number) => void;
}

export interface RoundResult {
  /** Events fanned out to endpoints. */
  dispatched: number;
  /** Deliveries attempted. */
  attempted: number;
}

/** "The dispatcher": one at a time, so that deliveries are created in event order. */
const DISPATCH_LOCK_ID = 725_100_008;
const SNIPPET_CHARS = 1024;
const USER_AGENT = 'Regulars-Webhooks/1';
const SWEEP_EVERY_MS = 3_600_000;

const quietLogger: WorkerLogger = { info() {}, warn() {}, error() {} };

function errorText(error: unknown): string {
  if (error instanceof OutboundError) return `${error.kind}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

/**
 * Delivers webhooks: fans committed events out to subscribed endpoints (dispatch), then claims
 * due deliveries and sends them, signed, recording every attempt. Any number of workers may run
 * against one PostgreSQL database; rows are claimed with FOR UPDATE SKIP LOCKED and each claim
 * has a lease, so a crashed worker's deliveries come back when its lease ends.
 */
export function createWebhookWorker(database: Database, options: WebhookWorkerOptions) {
  const { db } = database;
  const schedule = options.retrySchedule ?? DEFAULT_RETRY_SCHEDULE_MS;
  const concurrency = options.concurrency ?? 8;
  const pollIntervalMs = options.pollIntervalMs ?? 1000;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const leaseMs = options.leaseMs ?? timeoutMs + 50_000;
  const disableAfterMs = options.disableAfterMs ?? 5 * 86_400_000;
  const shutdownGraceMs = options.shutdownGraceMs ?? 5_000;
  const retentionMs = options.retentionMs ?? 30 * 86_400_000;
  const dispatchBatchSize = options.dispatchBatchSize ?? 200;
  const clock = options.clock ?? (() => new Date());
  const random = options.random ?? Math.random;
  const logger = options.logger ?? quietLogger;
  const formats = options.formats ?? {};
  const outbound = createOutboundClient({
    allowPrivate: options.allowPrivate,
    timeoutMs,
    ...(options.resolve ? { resolve: options.resolve } : {}),
  });

  const inFlight = new Set<Promise<void>>();
  const shutdown = new AbortController();
  let running = false;
  let loop: Promise<void> | undefined;
  let wake: (() => void) | undefined;
  let lastSweep = 0;
  let stopping: Promise<void> | undefined;
  const totals: RoundResult = { dispatched: 0, attempted: 0 };

  /** Fans one batch of undispatched events out; 0 when there was none (or another worker is at it). */
  async function dispatchBatch(): Promise<number> {
    return transaction(db, async (tx) => {
      // Exclusive: deliveries are created in event order, and no wake-up (shared) runs meanwhile.
      await tx.execute(sql`select pg_advisory_xact_lock(${DISPATCH_LOCK_ID})`);
      const batch = await claimUndispatched(tx, dispatchBatchSize);
      if (batch.length === 0) return 0;
      const organizationIds = [...new Set(batch.map((event) => event.organizationId))];
      const endpoints = await enabledEndpointsOf(tx, organizationIds);
      await insertDeliveries(tx, deliveriesFor(batch, endpoints, clock(), schedule.length));
      await markDispatched(tx, batch);
      return batch.length;
    });
  }

  async function dispatchAll(): Promise<number> {
    let total = 0;
    for (let round = 0; round < 50; round++) {
      const count = await dispatchBatch();
      total += count;
      if (count < dispatchBatchSize) break;
    }
    return total;
  }

  async function claim(limit: number): Promise<Sendable[]> {
    if (limit <= 0) return [];
    const now = clock();
    const claimed = await transaction(db, (tx) =>
      claimDue(tx, now, new Date(now.getTime() + leaseMs), limit),
    );
    return loadSendable(db, claimed);
  }

  function headersFor({ endpoint }: Sendable, body: string, now: Date, messageId: string) {
    const timestamp = Math.floor(now.getTime() / 1000);
    const secrets = [endpoint.secret];
    if (
      endpoint.previousSecret &&
      endpoint.previousSecretExpiresAt &&
      endpoint.previousSecretExpiresAt > now
    ) {
      secrets.push(endpoint.previousSecret);
    }
    return {
      ...endpoint.headers,
      'content-type': 'application/json',
      'user-agent': USER_AGENT,
      // The event id (`<id>.n` for a later message of the same event): the same for every attempt
      // and replay, so receivers can drop duplicates.
      'webhook-id': messageId,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signatureHeader(secrets, messageId, timestamp, body),
    };
  }

  async function attempt(sendable: Sendable): Promise<void> {
    const { delivery, endpoint, event } = sendable;
    const attemptedAt = clock();
    let bodies: string[] = [];
    let response: OutboundResponse | undefined;
    let failure: unknown;
    const started = performance.now();
    try {
      bodies = await renderBodies(endpoint.format, event, formats);
      for (const [index, body] of bodies.entries()) {
        // An event a format sends as several messages: the event id, then `<id>.1`, `<id>.2`…
        const messageId = index === 0 ? event.id : `${event.id}.${index}`;
        response = await outbound.send({
          method: 'POST',
          url: endpoint.url,
          headers: headersFor(sendable, body, attemptedAt, messageId),
          body,
          signal: shutdown.signal,
        });
        if (response.status < 200 || response.status >= 300) break;
      }
    } catch (error) {
      failure = error;
    }
    const durationMs =
      bodies.length === 1 && response ? response.durationMs : Math.round(performance.now() - started);
    const released = failure instanceof OutboundError && failure.kind === 'aborted';
    // Nothing to send in this format counts as delivered: the subscriber has all there is.
    const delivered =
      failure === undefined &&
      (bodies.length === 0 || (response !== undefined && response.status >= 200 && response.status < 300));
    const answered = failure === undefined ? response : undefined;
    const record: AttemptRecord = {
      attemptedAt,
      outcome: released ? 'released' : delivered ? 'delivered' : 'failed',
      statusCode: answered?.status ?? null,
      durationMs,
      error:
        failure !== undefined
          ? errorText(failure)
          : delivered || !answered
            ? null
            : answered.status >= 300 && answered.status < 400
              ? `HTTP ${answered.status}: redirects are not followed`
              : `HTTP ${answered.status}`,
      responseSnippet: answered ? answered.body.slice(0, SNIPPET_CHARS) : null,
    };
    const dead = record.outcome === 'failed' && delivery.retriesLeft <= 0;
    options.onAttempt?.(dead ? 'dead' : record.outcome, durationMs);
    try {
      await recordAttempt(delivery, record);
    } catch (error) {
      // The claim's lease will run out and another attempt will follow: at least once still holds.
      logger.error({ err: error, deliveryId: delivery.id }, 'could not record a webhook attempt');
    }
  }

  async function recordAttempt(delivery: DeliveryRow, record: AttemptRecord): Promise<void> {
    await transaction(db, async (tx) => {
      const now = clock();
      await insertAttempt(tx, delivery, record);
      const base = { lastStatusCode: record.statusCode, lastError: record.error, updatedAt: now };
      if (record.outcome === 'released') {
        // Cut short by a shutdown: not the endpoint's fault, so no retry is used up.
        await finishClaim(tx, delivery, { ...base, status: 'pending', nextAttemptAt: now });
        return;
      }
      const dead = delivery.retriesLeft <= 0;
      if (record.outcome === 'delivered' || dead) {
        // Shared with other wake-ups, exclusive of the dispatcher: see insertDeliveries.
        await tx.execute(sql`select pg_advisory_xact_lock_shared(${DISPATCH_LOCK_ID})`);
      }
      if (record.outcome === 'delivered') {
        const finished = await finishClaim(tx, delivery, { ...base, status: 'delivered', deliveredAt: now });
        if (finished) {
          await wakeNext(tx, delivery, now);
          await markEndpointHealthy(tx, delivery);
        }
        return;
      }
      const next = new Date(now.getTime() + retryDelayMs(schedule, delivery.retriesLeft, random()));
      const finished = await finishClaim(
        tx,
        delivery,
        dead
          ? { ...base, status: 'dead', nextAttemptAt: now }
          : { ...base, status: 'pending', nextAttemptAt: next, retriesLeft: delivery.retriesLeft - 1 },
      );
      if (!finished) return;
      if (dead) await wakeNext(tx, delivery, now);
      else await holdBackSuccessors(tx, delivery, next);
      const disabled = await markEndpointFailing(tx, delivery, now, new Date(now.getTime() - disableAfterMs));
      if (disabled) {
        logger.warn({ endpointId: disabled.id }, 'webhook endpoint disabled after failing for too long');
        await emit(tx, {
          organizationId: disabled.organizationId,
          type: 'webhook_endpoint.disabled',
          subject: { type: 'webhook_endpoint', id: disabled.id },
          payload: {
            endpointId: disabled.id,
            reason: 'failing',
            failingSince: disabled.failingSince?.toISOString() ?? null,
            lastError: record.error,
          },
        });
      }
    });
  }

  function track(work: Promise<void>) {
    const tracked = work.finally(() => {
      inFlight.delete(tracked);
      wake?.();
    });
    inFlight.add(tracked);
  }

  async function sweep() {
    const now = clock().getTime();
    if (now - lastSweep < SWEEP_EVERY_MS) return;
    lastSweep = now;
    await deleteFinishedBefore(db, new Date(now - retentionMs), 5000);
  }

  /** One pass: dispatch new events, then claim deliveries for the free slots and start them. */
  async function tick(): Promise<RoundResult> {
    const dispatched = await dispatchAll();
    const claimed = await claim(concurrency - inFlight.size);
    for (const sendable of claimed) track(attempt(sendable));
    totals.dispatched += dispatched;
    totals.attempted += claimed.length;
    await sweep();
    return { dispatched, attempted: claimed.length };
  }

  function idle(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      }
      wake = done;
    });
  }

  return {
    /** One round, waiting for its deliveries to finish (tests drive the worker with this). */
    async runOnce(): Promise<RoundResult> {
      const result = await tick();
      await Promise.all(inFlight);
      return result;
    },

    /** Rounds until nothing is due at the worker's clock (bounded, in case something keeps failing at once). */
    async drain(maxRounds = 100): Promise<RoundResult> {
      const total = { dispatched: 0, attempted: 0 };
      for (let round = 0; round < maxRounds; round++) {
        const result = await this.runOnce();
        total.dispatched += result.dispatched;
        total.attempted += result.attempted;
        if (result.dispatched === 0 && result.attempted === 0) break;
      }
      return total;
    },

    /** Runs in the background until stop(). */
    start(): void {
      if (running || stopping) return;
      running = true;
      loop = (async () => {
        while (running) {
          let progressed = false;
          try {
            const result = await tick();
            progressed = result.dispatched > 0 || result.attempted > 0;
          } catch (error) {
            logger.error({ err: error }, 'webhook worker round failed');
          }
          if (!running) break;
          if (!progressed || inFlight.size >= concurrency) await idle(pollIntervalMs);
        }
      })();
    },

    /**
     * Stops claiming; deliveries in flight get `shutdownGraceMs` to finish, then are cut and
     * released (back to pending, no retry used up) so the next worker sends them at once.
     * A stopped worker stays stopped (calling stop again just waits for the first call).
     */
    stop(): Promise<void> {
      stopping ??= shutDown();
      return stopping;
    },

    /** Deliveries in flight now, and totals since start (for tests and metrics). */
    get inFlight(): number {
      return inFlight.size;
    },
    get totals(): Readonly<RoundResult> {
      return { ...totals };
    },
  };

  async function shutDown(): Promise<void> {
    running = false;
    wake?.();
    await loop;
    if (inFlight.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, shutdownGraceMs);
      });
      await Promise.race([Promise.all(inFlight), grace]);
      clearTimeout(timer);
    }
    shutdown.abort();
    await Promise.all(inFlight);
    await outbound.close();
  }
}

export type WebhookWorker = ReturnType<typeof createWebhookWorker>;
