import { type AnyColumn, and, asc, eq, gte, sql } from 'drizzle-orm';
import { arrayParam, type Db, type Executor } from '../../db/connection.ts';
import { newId } from '../../db/ids.ts';
import { afterCursor, fetchSize, type PageRequest } from '../../db/pagination.ts';
import { deferredWrite } from '../../db/pipeline.ts';
import { commitBuffer } from '../../db/transaction.ts';
import type { FieldChange } from '../audit/schema.ts';
import { auditEvents } from '../audit/service.ts';
import { eventDispatchQueue, eventPassQueue, eventRollupQueue, events } from './schema.ts';

export interface NewEvent {
  organizationId: string;
  /** Dotted name, `<subject>.<what happened>`: `customer.created`, `points.spent`. */
  type: string;
  subject: { type: string; id: string };
  payload: Record<string, unknown>;
  /**
   * The changed fields' values before and after, for the audit log only (never in the payload,
   * which webhooks carry out): given where the change has both at hand.
   */
  changes?: Record<string, FieldChange>;
}

export type EventRow = typeof events.$inferSelect;

/**
 * The one way to emit an event: call it with the transaction that makes the change,
 * so the event commits or rolls back with it (transactional outbox). Its id and time are taken
 * now; inside `transaction()` the row is written with the transaction's other events in one
 * statement just before the commit (a ticket emits four), elsewhere at once.
 */
export async function emit(tx: Executor, event: NewEvent): Promise<EventRow> {
  const row = toRow(event, new Date());
  await queue(tx, [row]);
  await auditEvents(tx, [event], row.createdAt);
  return row;
}

/**
 * `emit` for many events at once (a CSV import, a segment recompute adding 100,000 members): one
 * statement whatever the count. A small batch joins the transaction's buffered events; a large
 * one is written at once, so memory does not hold it until the commit.
 */
export async function emitMany(tx: Executor, batch: readonly NewEvent[]): Promise<void> {
  if (batch.length === 0) return;
  const createdAt = new Date();
  await queue(
    tx,
    batch.map((event) => toRow(event, createdAt)),
  );
  await auditEvents(tx, batch, createdAt);
}

function toRow(event: NewEvent, createdAt: Date): EventRow {
  return {
    organizationId: event.organizationId,
    id: newId(),
    type: event.type,
    subjectType: event.subject.type,
    subjectId: event.subject.id,
    payload: event.payload,
    createdAt,
  };
}

/** Events emitted in a transaction opened by `transaction()`, written together just before it commits. */
const queue = commitBuffer(writeEvents);

/**
 * The events and their places in the dispatch queue, in one statement: the rows travel as one
 * JSON parameter, so no bind-parameter limit is ever hit.
 */
async function writeEvents(tx: Executor, rows: readonly EventRow[]): Promise<void> {
  const json = rows.map((row) => ({
    organization_id: row.organizationId,
    id: row.id,
    type: row.type,
    subject_type: row.subjectType,
    subject_id: row.subjectId,
    payload: row.payload,
    created_at: row.createdAt.toISOString(),
  }));
  // Nobody reads its answer: inside a transaction it travels with the next statement, often COMMIT.
  await tx.execute(
    deferredWrite(sql`
    with inserted as (
      insert into ${events} (organization_id, id, type, subject_type, subject_id, payload, created_at)
      select organization_id, id, type, subject_type, subject_id, payload, created_at
      from jsonb_to_recordset(${JSON.stringify(json)}::jsonb)
        as x(organization_id uuid, id uuid, type text, subject_type text, subject_id text, payload jsonb,
             created_at timestamptz)
      returning organization_id, id, subject_type
    ), dispatch as (
      insert into ${eventDispatchQueue} (organization_id, event_id) select organization_id, id from inserted
    ), passes as (
      insert into ${eventPassQueue} (organization_id, event_id)
      select organization_id, id from inserted where subject_type = 'customer'
    )
    insert into ${eventRollupQueue} (organization_id, event_id) select organization_id, id from inserted`),
  );
}

/** The outbox's consumers: each has its own queue of the events it has not handled yet. */
const QUEUES = { dispatch: eventDispatchQueue, rollup: eventRollupQueue, passes: eventPassQueue } as const;
export type EventQueue = keyof typeof QUEUES;

/**
 * When the oldest event still waiting in a consumer's queue was emitted (null when none waits):
 * how far behind that consumer is (the outbox lag /metrics shows). Any organization: an operator's view.
 */
export async function oldestQueued(executor: Executor, queueName: EventQueue): Promise<Date | null> {
  const queue = QUEUES[queueName];
  const [oldest] = await executor
    .select({ createdAt: events.createdAt })
    .from(queue)
    .innerJoin(events, and(eq(events.organizationId, queue.organizationId), eq(events.id, queue.eventId)))
    .orderBy(asc(queue.eventId))
    .limit(1);
  return oldest?.createdAt ?? null;
}

/**
 * Claims up to `limit` committed events not yet dispatched, oldest first, for the caller's
 * transaction: rows another transaction holds are skipped, and `markDispatched` (in the same
 * transaction) removes them for good. Any organization: this is the dispatcher's global view.
 */
export function claimUndispatched(tx: Executor, limit: number): Promise<EventRow[]> {
  return claimQueued(tx, 'dispatch', limit);
}

/**
 * Claims up to `limit` events of a consumer's queue, oldest first, skipping rows another
 * transaction holds; `markHandled` in the same transaction removes them for good.
 */
export async function claimQueued(tx: Executor, queueName: EventQueue, limit: number): Promise<EventRow[]> {
  const queue = QUEUES[queueName];
  const queued = await tx
    .select()
    .from(queue)
    .orderBy(asc(queue.eventId))
    .limit(limit)
    .for('update', { skipLocked: true });
  if (queued.length === 0) return [];
  const rows = await tx
    .select()
    .from(events)
    .where(keyIn(events.organizationId, events.id, queued))
    .orderBy(asc(events.id));
  // An entry whose event is gone (it never is today) must not block the queue: remove it too.
  const found = new Set(rows.map((row) => `${row.organizationId}/${row.id}`));
  const orphans = queued.filter((entry) => !found.has(`${entry.organizationId}/${entry.eventId}`));
  if (orphans.length > 0) await removeFromQueue(tx, queueName, orphans);
  return rows;
}

interface QueueEntry {
  organizationId: string;
  eventId: string;
}

/**
 * `(organization_id, id) in (…)` over the tenant-first key of each entry, as two array parameters
 * unnested together: one plan whatever the count (a row-value list grows superlinearly to plan).
 */
function keyIn(organizationColumn: AnyColumn, idColumn: AnyColumn, entries: QueueEntry[]) {
  const organizations = arrayParam(
    entries.map((entry) => entry.organizationId),
    'uuid',
  );
  const ids = arrayParam(
    entries.map((entry) => entry.eventId),
    'uuid',
  );
  return sql`(${organizationColumn}, ${idColumn}) in (select * from unnest(${organizations}, ${ids}))`;
}

async function removeFromQueue(tx: Executor, queueName: EventQueue, entries: QueueEntry[]) {
  const queue = QUEUES[queueName];
  await tx.delete(queue).where(keyIn(queue.organizationId, queue.eventId, entries));
}

/** Removes claimed events from the dispatch queue: they have been fanned out. */
export function markDispatched(tx: Executor, dispatched: EventRow[]): Promise<void> {
  return markHandled(tx, 'dispatch', dispatched);
}

/** Removes claimed events from a consumer's queue: it has handled them. */
export async function markHandled(tx: Executor, queueName: EventQueue, handled: EventRow[]): Promise<void> {
  if (handled.length === 0) return;
  await removeFromQueue(
    tx,
    queueName,
    handled.map((event) => ({ organizationId: event.organizationId, eventId: event.id })),
  );
}

/** One organization's events from `fromId` (inclusive) on, oldest first. */
export function eventsFrom(
  executor: Executor,
  organizationId: string,
  fromId: string,
  limit: number,
): Promise<EventRow[]> {
  return executor
    .select()
    .from(events)
    .where(and(eq(events.organizationId, organizationId), gte(events.id, fromId)))
    .orderBy(asc(events.id))
    .limit(limit);
}

export interface EventFilter {
  type?: string | undefined;
  subjectType?: string | undefined;
  subjectId?: string | undefined;
}

export function createEventsService(db: Db) {
  return {
    async get(organizationId: string, id: string): Promise<EventRow | undefined> {
      const [row] = await db
        .select()
        .from(events)
        .where(and(eq(events.organizationId, organizationId), eq(events.id, id)));
      return row;
    },

    list(organizationId: string, filter: EventFilter, page: PageRequest): Promise<EventRow[]> {
      return db
        .select()
        .from(events)
        .where(
          and(
            eq(events.organizationId, organizationId),
            filter.type ? eq(events.type, filter.type) : undefined,
            filter.subjectType ? eq(events.subjectType, filter.subjectType) : undefined,
            filter.subjectId ? eq(events.subjectId, filter.subjectId) : undefined,
            afterCursor(events.id, page),
          ),
        )
        .orderBy(asc(events.id))
        .limit(fetchSize(page));
    },
  };
}

export type EventsService = ReturnType<typeof createEventsService>;
