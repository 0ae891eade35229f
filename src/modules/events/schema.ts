import { index, jsonb, pgTable, primaryKey, text, uuid } from 'drizzle-orm/pg-core';
import { createdAt, organizationId } from '../../db/columns.ts';

/** The outbox: one row per state change, written in the same transaction as the change. */
export const events = pgTable(
  'events',
  {
    organizationId: organizationId(),
    id: uuid('id').notNull(),
    type: text('type').notNull(),
    subjectType: text('subject_type').notNull(),
    subjectId: text('subject_id').notNull(),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.id] }),
    index('events_type_idx').on(t.organizationId, t.type, t.id),
    index('events_subject_idx').on(t.organizationId, t.subjectType, t.subjectId, t.id),
  ],
);

/**
 * Events not yet handed to the webhook dispatcher. `emit` adds a row in the event's own
 * transaction, so an event becomes visible here exactly when it commits, however late; the
 * dispatcher claims rows (FOR UPDATE SKIP LOCKED), fans them out and deletes them. Unlike a
 * "last seen id" cursor over `events`, this cannot skip an event whose transaction committed
 * after a later-numbered one.
 */
export const eventDispatchQueue = pgTable(
  'event_dispatch_queue',
  {
    organizationId: organizationId(),
    eventId: uuid('event_id').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.eventId] }),
    index('event_dispatch_queue_event_idx').on(t.eventId),
  ],
);

/**
 * Events not yet folded into the analytics rollups: a second consumer of the outbox, fed the
 * same way as the dispatch queue (one row per event, in the event's own transaction) and drained
 * by the analytics worker (src/modules/analytics/worker.ts).
 */
export const eventRollupQueue = pgTable(
  'event_rollup_queue',
  {
    organizationId: organizationId(),
    eventId: uuid('event_id').notNull(),
  },
  (t) => [primaryKey({ columns: [t.organizationId, t.eventId] })],
);

/**
 * Member events not yet looked at by the wallet pass updater (src/modules/passes): a third
 * consumer of the outbox, fed only with events whose subject is a customer (their balance, tier
 * or name may show on a card).
 */
export const eventPassQueue = pgTable(
  'event_pass_queue',
  {
    organizationId: organizationId(),
    eventId: uuid('event_id').notNull(),
  },
  (t) => [primaryKey({ columns: [t.organizationId, t.eventId] })],
);
