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
