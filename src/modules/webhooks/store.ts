import { and, asc, desc, eq, gt, inArray, isNotNull, lt, lte, notExists, type SQL, sql } from 'drizzle-orm';
import { type AnyPgColumn, alias } from 'drizzle-orm/pg-core';
import type { Executor, Tx } from '../../db/connection.ts';
import { newId } from '../../db/ids.ts';
import { afterCursor, fetchSize, type PageRequest } from '../../db/pagination.ts';
import { events } from '../events/schema.ts';
import type { EventRow } from '../events/service.ts';
import { matchesEventType } from './event-types.ts';
import {
  type AttemptOutcome,
  type DeliveryStatus,
  WAITING,
  webhookAttempts,
  webhookDeliveries,
  webhookEndpoints,
} from './schema.ts';

export type EndpointRow = typeof webhookEndpoints.$inferSelect;
export type DeliveryRow = typeof webhookDeliveries.$inferSelect;
export type AttemptRow = typeof webhookAttempts.$inferSelect;

const OPEN: DeliveryStatus[] = ['pending', 'delivering'];

interface Key {
  organizationId: string;
  id: string;
}

/** `(organization_id, id) in ((…), …)` over the deliveries table: the tenant-first key of each row. */
function deliveryKeyIn(keys: Key[]): SQL {
  return sql`(${webhookDeliveries.organizationId}, ${webhookDeliveries.id}) in (${sql.join(
    keys.map((key) => sql`(${key.organizationId}::uuid, ${key.id}::uuid)`),
    sql`, `,
  )})`;
}

export async function findEndpoint(
  executor: Executor,
  organizationId: string,
  id: string,
): Promise<EndpointRow | undefined> {
  const [row] = await executor
    .select()
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.organizationId, organizationId), eq(webhookEndpoints.id, id)));
  return row;
}

/**
 * The deliveries that fan a batch of events out to the endpoints subscribed to them. Fresh
 * events go only to endpoints that existed when they happened (`sinceSubscription`); a replay
 * sends whatever the endpoint asks for.
 */
export function deliveriesFor(
  batch: EventRow[],
  endpoints: EndpointRow[],
  now: Date,
  retries: number,
  sinceSubscription = true,
): (typeof webhookDeliveries.$inferInsert)[] {
  const rows: (typeof webhookDeliveries.$inferInsert)[] = [];
  for (const event of batch) {
    for (const endpoint of endpoints) {
      if (endpoint.organizationId !== event.organizationId) continue;
      if (!matchesEventType(endpoint.eventTypes, event.type)) continue;
      if (sinceSubscription && event.createdAt < endpoint.createdAt) continue;
      rows.push({
        organizationId: event.organizationId,
        id: newId(),
        endpointId: endpoint.id,
        eventId: event.id,
        eventType: event.type,
        subjectType: event.subjectType,
        subjectId: event.subjectId,
        retriesLeft: retries,
        nextAttemptAt: now,
        createdAt: now,
        updatedAt: now,
      });
    }
  }
  return rows;
}

/**
 * A subject's queue: the deliveries of one subject (a member, a ticket…) to one endpoint, which go
 * out one at a time in event order.
 */
type QueueOf<T> = Record<'organizationId' | 'endpointId' | 'subjectType' | 'subjectId', T>;

const subjectKey = (row: QueueOf<string>) =>
  JSON.stringify([row.organizationId, row.endpointId, row.subjectType, row.subjectId]);

/** The deliveries (columns of webhookDeliveries or an alias) in the same queue as `of`, a delivery or a row. */
function sameQueue(deliveries: QueueOf<AnyPgColumn>, of: QueueOf<string | AnyPgColumn>): SQL | undefined {
  return and(
    eq(deliveries.organizationId, of.organizationId),
    eq(deliveries.endpointId, of.endpointId),
    eq(deliveries.subjectType, of.subjectType),
    eq(deliveries.subjectId, of.subjectId),
  );
}

/**
 * Fan-out of freshly dispatched events: a delivery that already exists is left alone. Only the
 * first delivery of a subject (per endpoint) is due at once; the ones behind it, in this batch
 * or behind an open delivery already stored, wait (`WAITING`) until `wakeNext` calls them, so
 * that a backlog is not read again on every poll. The caller holds the dispatch lock, which
 * `wakeNext`'s callers share: a wake-up cannot slip between this check and this insert.
 */
export async function insertDeliveries(tx: Tx, rows: (typeof webhookDeliveries.$inferInsert)[]) {
  if (rows.length === 0) return;
  const keys = [...new Map(rows.map((row) => [subjectKey(row), row])).values()];
  // The earliest open delivery of each subject already stored.
  const earliestOpen = new Map<string, string>();
  for (let start = 0; start < keys.length; start += 500) {
    const found = await tx
      .select({
        organizationId: webhookDeliveries.organizationId,
        endpointId: webhookDeliveries.endpointId,
        subjectType: webhookDeliveries.subjectType,
        subjectId: webhookDeliveries.subjectId,
        // No min() for uuid before PostgreSQL 18; lowercase hex text sorts the same way.
        eventId: sql<string | null>`min(${webhookDeliveries.eventId}::text)`,
      })
      .from(webhookDeliveries)
      .where(
        and(
          inArray(webhookDeliveries.status, OPEN),
          sql`(${webhookDeliveries.organizationId}, ${webhookDeliveries.endpointId}, ${webhookDeliveries.subjectType}, ${webhookDeliveries.subjectId}) in (${sql.join(
            keys
              .slice(start, start + 500)
              .map(
                (key) =>
                  sql`(${key.organizationId}::uuid, ${key.endpointId}::uuid, ${key.subjectType}::text, ${key.subjectId}::text)`,
              ),
            sql`, `,
          )})`,
        ),
      )
      .groupBy(
        webhookDeliveries.organizationId,
        webhookDeliveries.endpointId,
        webhookDeliveries.subjectType,
        webhookDeliveries.subjectId,
      );
    for (const row of found) if (row.eventId) earliestOpen.set(subjectKey(row), row.eventId);
  }
  // Rows are in event order: each waits when anything of its subject is open before it.
  for (const row of rows) {
    const key = subjectKey(row);
    const earliest = earliestOpen.get(key);
    if (earliest !== undefined && earliest < row.eventId) row.nextAttemptAt = WAITING;
    else earliestOpen.set(key, row.eventId);
  }
  for (let start = 0; start < rows.length; start += 500) {
    await tx
      .insert(webhookDeliveries)
      .values(rows.slice(start, start + 500))
      .onConflictDoNothing();
  }
}

/**
 * Replay: new deliveries are created and existing ones (delivered, dead or waiting) are set to
 * go out again now with a fresh schedule. One in flight is left to finish.
 */
export async function upsertDeliveries(
  tx: Tx,
  rows: (typeof webhookDeliveries.$inferInsert)[],
  now: Date,
  retries: number,
): Promise<number> {
  if (rows.length === 0) return 0;
  const touched = await tx
    .insert(webhookDeliveries)
    .values(rows)
    .onConflictDoUpdate({
      target: [webhookDeliveries.organizationId, webhookDeliveries.endpointId, webhookDeliveries.eventId],
      set: { status: 'pending', nextAttemptAt: now, retriesLeft: retries, leaseId: null, updatedAt: now },
      setWhere: sql`${webhookDeliveries.status} <> 'delivering'`,
    })
    .returning({ id: webhookDeliveries.id });
  return touched.length;
}

export async function enabledEndpointsOf(executor: Executor, organizationIds: string[]) {
  if (organizationIds.length === 0) return [];
  return executor
    .select()
    .from(webhookEndpoints)
    .where(
      and(inArray(webhookEndpoints.organizationId, organizationIds), eq(webhookEndpoints.enabled, true)),
    );
}

/**
 * Claims up to `limit` due deliveries for this worker. A delivery is due when it is pending and
 * its time has come, or when it is being delivered by a worker whose lease ran out (that worker
 * crashed or hangs). It is skipped while an earlier event of the same subject is still open for
 * the same endpoint, which keeps a subject's deliveries in event order. Rows another worker is
 * claiming right now are skipped (SKIP LOCKED), so no two workers claim the same delivery; each
 * claim gets a new lease id that fences the result write.
 */
export async function claimDue(tx: Tx, now: Date, leaseUntil: Date, limit: number): Promise<DeliveryRow[]> {
  const earlier = alias(webhookDeliveries, 'earlier');
  const due = await tx
    .select({ organizationId: webhookDeliveries.organizationId, id: webhookDeliveries.id })
    .from(webhookDeliveries)
    .innerJoin(
      webhookEndpoints,
      and(
        eq(webhookEndpoints.organizationId, webhookDeliveries.organizationId),
        eq(webhookEndpoints.id, webhookDeliveries.endpointId),
      ),
    )
    .where(
      and(
        inArray(webhookDeliveries.status, OPEN),
        lte(webhookDeliveries.nextAttemptAt, now),
        eq(webhookEndpoints.enabled, true),
        notExists(
          tx
            .select({ one: sql`1` })
            .from(earlier)
            .where(
              and(
                sameQueue(earlier, webhookDeliveries),
                inArray(earlier.status, OPEN),
                lt(earlier.eventId, webhookDeliveries.eventId),
              ),
            ),
        ),
      ),
    )
    .orderBy(asc(webhookDeliveries.nextAttemptAt))
    .limit(limit)
    .for('update', { of: webhookDeliveries, skipLocked: true });
  if (due.length === 0) return [];
  return tx
    .update(webhookDeliveries)
    .set({
      status: 'delivering',
      attempts: sql`${webhookDeliveries.attempts} + 1`,
      nextAttemptAt: leaseUntil,
      leaseId: sql`gen_random_uuid()`,
      updatedAt: now,
    })
    .where(deliveryKeyIn(due))
    .returning();
}

export interface Sendable {
  delivery: DeliveryRow;
  endpoint: EndpointRow;
  event: EventRow;
}

/** What a claimed delivery needs to go out: its endpoint and its event. */
export async function loadSendable(executor: Executor, claimed: DeliveryRow[]): Promise<Sendable[]> {
  if (claimed.length === 0) return [];
  const rows = await executor
    .select({ delivery: webhookDeliveries, endpoint: webhookEndpoints, event: events })
    .from(webhookDeliveries)
    .innerJoin(
      webhookEndpoints,
      and(
        eq(webhookEndpoints.organizationId, webhookDeliveries.organizationId),
        eq(webhookEndpoints.id, webhookDeliveries.endpointId),
      ),
    )
    .innerJoin(
      events,
      and(
        eq(events.organizationId, webhookDeliveries.organizationId),
        eq(events.id, webhookDeliveries.eventId),
      ),
    )
    .where(deliveryKeyIn(claimed));
  // Keep the claim's own values (lease id, attempt count) rather than a later read's.
  const byKey = new Map(claimed.map((row) => [`${row.organizationId}/${row.id}`, row]));
  return rows.map((row) => ({
    ...row,
    delivery: byKey.get(`${row.delivery.organizationId}/${row.delivery.id}`) ?? row.delivery,
  }));
}

export interface AttemptRecord {
  attemptedAt: Date;
  outcome: AttemptOutcome;
  statusCode: number | null;
  durationMs: number;
  error: string | null;
  responseSnippet: string | null;
}

/** Logs an attempt, unless its delivery is gone (its endpoint was deleted meanwhile). */
export async function insertAttempt(tx: Tx, delivery: DeliveryRow, attempt: AttemptRecord): Promise<void> {
  await tx.execute(sql`
    insert into ${webhookAttempts}
      (organization_id, id, delivery_id, attempted_at, outcome, status_code, duration_ms, error, response_snippet)
    select ${delivery.organizationId}::uuid, ${newId()}::uuid, ${delivery.id}::uuid,
           ${attempt.attemptedAt.toISOString()}::timestamptz, ${attempt.outcome}::text,
           ${attempt.statusCode}::int, ${attempt.durationMs}::int, ${attempt.error}::text,
           ${attempt.responseSnippet}::text
    where exists (
      select 1 from ${webhookDeliveries}
      where ${webhookDeliveries.organizationId} = ${delivery.organizationId}::uuid
        and ${webhookDeliveries.id} = ${delivery.id}::uuid
    )`);
}

/** Writes a claim's result, only if the claim still holds (same lease id): false otherwise. */
export async function finishClaim(
  tx: Tx,
  delivery: DeliveryRow,
  values: Partial<typeof webhookDeliveries.$inferInsert>,
): Promise<boolean> {
  const updated = await tx
    .update(webhookDeliveries)
    .set({ ...values, leaseId: null })
    .where(
      and(
        eq(webhookDeliveries.organizationId, delivery.organizationId),
        eq(webhookDeliveries.id, delivery.id),
        eq(webhookDeliveries.status, 'delivering'),
        delivery.leaseId ? eq(webhookDeliveries.leaseId, delivery.leaseId) : sql`false`,
      ),
    )
    .returning({ id: webhookDeliveries.id });
  return updated.length > 0;
}

/**
 * While the head of a subject's queue waits for its retry, the deliveries queued behind it
 * cannot go first anyway: moving their time to the head's keeps them out of every poll until
 * then (an outage would otherwise make each poll wade through the whole backlog).
 */
export async function holdBackSuccessors(tx: Tx, delivery: DeliveryRow, until: Date): Promise<void> {
  await tx
    .update(webhookDeliveries)
    .set({ nextAttemptAt: until })
    .where(
      and(
        sameQueue(webhookDeliveries, delivery),
        eq(webhookDeliveries.status, 'pending'),
        gt(webhookDeliveries.eventId, delivery.eventId),
        lt(webhookDeliveries.nextAttemptAt, until),
      ),
    );
}

/**
 * A delivery finished (delivered or dead): the next one of its subject, if it was waiting, is
 * due now. Callers hold the dispatch lock in shared mode (see insertDeliveries).
 */
export async function wakeNext(tx: Tx, delivery: DeliveryRow, now: Date): Promise<void> {
  const next = tx
    .select({ id: webhookDeliveries.id })
    .from(webhookDeliveries)
    .where(
      and(
        sameQueue(webhookDeliveries, delivery),
        inArray(webhookDeliveries.status, OPEN),
        gt(webhookDeliveries.eventId, delivery.eventId),
      ),
    )
    .orderBy(asc(webhookDeliveries.eventId))
    .limit(1);
  await tx
    .update(webhookDeliveries)
    .set({ nextAttemptAt: now })
    .where(
      and(
        eq(webhookDeliveries.organizationId, delivery.organizationId),
        sql`${webhookDeliveries.id} = (${next})`,
        eq(webhookDeliveries.nextAttemptAt, WAITING),
      ),
    );
}

/** A success ends the endpoint's run of failures. */
export async function markEndpointHealthy(tx: Tx, delivery: DeliveryRow): Promise<void> {
  await tx
    .update(webhookEndpoints)
    .set({ failingSince: null })
    .where(
      and(
        eq(webhookEndpoints.organizationId, delivery.organizationId),
        eq(webhookEndpoints.id, delivery.endpointId),
        isNotNull(webhookEndpoints.failingSince),
      ),
    );
}

/**
 * A failure starts (or continues) the endpoint's run of failures. When the run is older than
 * `disableBefore`, the endpoint is disabled: the returned row says so (once, whichever worker).
 */
export async function markEndpointFailing(
  tx: Tx,
  delivery: DeliveryRow,
  now: Date,
  disableBefore: Date,
): Promise<EndpointRow | undefined> {
  const key = and(
    eq(webhookEndpoints.organizationId, delivery.organizationId),
    eq(webhookEndpoints.id, delivery.endpointId),
  );
  await tx
    .update(webhookEndpoints)
    .set({ failingSince: now })
    .where(and(key, sql`${webhookEndpoints.failingSince} is null`));
  const [disabled] = await tx
    .update(webhookEndpoints)
    .set({ enabled: false, disabledReason: 'failing', updatedAt: now })
    .where(and(key, eq(webhookEndpoints.enabled, true), lte(webhookEndpoints.failingSince, disableBefore)))
    .returning();
  return disabled;
}

export interface DeliveryFilter {
  status?: DeliveryStatus | undefined;
  eventId?: string | undefined;
}

/** An endpoint's deliveries, newest first. */
export function listDeliveries(
  executor: Executor,
  organizationId: string,
  endpointId: string,
  filter: DeliveryFilter,
  page: PageRequest,
): Promise<DeliveryRow[]> {
  return executor
    .select()
    .from(webhookDeliveries)
    .where(
      and(
        eq(webhookDeliveries.organizationId, organizationId),
        eq(webhookDeliveries.endpointId, endpointId),
        filter.status ? eq(webhookDeliveries.status, filter.status) : undefined,
        filter.eventId ? eq(webhookDeliveries.eventId, filter.eventId) : undefined,
        afterCursor(webhookDeliveries.id, page, 'desc'),
      ),
    )
    .orderBy(desc(webhookDeliveries.id))
    .limit(fetchSize(page));
}

export async function findDelivery(
  executor: Executor,
  organizationId: string,
  endpointId: string,
  id: string,
): Promise<DeliveryRow | undefined> {
  const [row] = await executor
    .select()
    .from(webhookDeliveries)
    .where(
      and(
        eq(webhookDeliveries.organizationId, organizationId),
        eq(webhookDeliveries.endpointId, endpointId),
        eq(webhookDeliveries.id, id),
      ),
    );
  return row;
}

/** The attempt log of some deliveries, oldest attempt first. */
export function attemptsOf(
  executor: Executor,
  organizationId: string,
  deliveryIds: string[],
): Promise<AttemptRow[]> {
  if (deliveryIds.length === 0) return Promise.resolve([]);
  return executor
    .select()
    .from(webhookAttempts)
    .where(
      and(
        eq(webhookAttempts.organizationId, organizationId),
        inArray(webhookAttempts.deliveryId, deliveryIds),
      ),
    )
    .orderBy(asc(webhookAttempts.id));
}

/** Manual retry: one more attempt now. A delivery being attempted right now is left alone. */
export async function rescheduleNow(
  tx: Tx,
  delivery: DeliveryRow,
  now: Date,
): Promise<DeliveryRow | undefined> {
  const [row] = await tx
    .update(webhookDeliveries)
    .set({
      status: 'pending',
      nextAttemptAt: now,
      // A waiting delivery keeps its schedule; a finished one gets exactly one more attempt.
      retriesLeft: sql`case when ${webhookDeliveries.status} = 'pending' then ${webhookDeliveries.retriesLeft} else 0 end`,
      leaseId: null,
      updatedAt: now,
    })
    .where(
      and(
        eq(webhookDeliveries.organizationId, delivery.organizationId),
        eq(webhookDeliveries.id, delivery.id),
        sql`${webhookDeliveries.status} <> 'delivering'`,
      ),
    )
    .returning();
  return row;
}

/** Deletes up to `limit` finished deliveries (and their attempts) last touched before `before`. */
export async function deleteFinishedBefore(executor: Executor, before: Date, limit: number): Promise<number> {
  const old = executor
    .select({ organizationId: webhookDeliveries.organizationId, id: webhookDeliveries.id })
    .from(webhookDeliveries)
    .where(
      and(inArray(webhookDeliveries.status, ['delivered', 'dead']), lt(webhookDeliveries.updatedAt, before)),
    )
    .limit(limit);
  const deleted = await executor
    .delete(webhookDeliveries)
    .where(sql`(${webhookDeliveries.organizationId}, ${webhookDeliveries.id}) in (${old})`)
    .returning({ id: webhookDeliveries.id });
  return deleted.length;
}

/**
 * Deliveries not finished yet (pending or being sent), and when the oldest of them was created:
 * the webhook queue as /metrics shows it. Any organization: an operator's view.
 */
export async function queuedDeliveries(executor: Executor): Promise<{ count: number; oldest: Date | null }> {
  const [row] = await executor
    .select({
      count: sql<number>`count(*)::int`,
      oldest: sql<Date | null>`min(${webhookDeliveries.createdAt})`,
    })
    .from(webhookDeliveries)
    .where(inArray(webhookDeliveries.status, ['pending', 'delivering']));
  const oldest = row?.oldest ?? null;
  return { count: Number(row?.count ?? 0), oldest: oldest === null ? null : new Date(oldest) };
}
