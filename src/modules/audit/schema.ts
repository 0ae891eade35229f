import { index, jsonb, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { organizationId } from '../../db/columns.ts';
import { ACTOR_TYPES } from '../../domain/actors.ts';

/** Who the audit log names: an organization's actors, and the platform master key. */
export const AUDIT_ACTOR_TYPES = [...ACTOR_TYPES, 'master'] as const;
export type AuditActorType = (typeof AUDIT_ACTOR_TYPES)[number];

/** One field's values around a change. */
export interface FieldChange {
  before: unknown;
  after: unknown;
}

/**
 * Who changed what, from where: one row per change to an organization's configuration or people
 * (and per manual points operation), written in the transaction of the change. Secrets never
 * reach it (src/modules/audit/redaction.ts). Rows older than the retention are purged.
 */
export const auditLog = pgTable(
  'audit_log',
  {
    organizationId: organizationId(),
    id: uuid('id').notNull(),
    occurredAt: timestamp('occurred_at', { withTimezone: true }).notNull(),
    actorType: text('actor_type', { enum: AUDIT_ACTOR_TYPES }).notNull(),
    /** The key's, staff user's or member's id; null for the system and the master key. */
    actorId: uuid('actor_id'),
    /** The request's, when the change was made through the API; null for jobs and the CLI. */
    ip: text('ip'),
    userAgent: text('user_agent'),
    requestId: text('request_id'),
    /** `<subject>.<what happened>`: an event type (`customer.updated`) or `api_key.created`. */
    action: text('action').notNull(),
    subjectType: text('subject_type').notNull(),
    subjectId: text('subject_id').notNull(),
    /** `{ field: { before, after } }` where known, else what the event said; secrets redacted. */
    changes: jsonb('changes').$type<Record<string, unknown>>().notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.id] }),
    index('audit_log_occurred_idx').on(t.organizationId, t.occurredAt),
    index('audit_log_actor_idx').on(t.organizationId, t.actorType, t.actorId, t.id),
    index('audit_log_subject_idx').on(t.organizationId, t.subjectType, t.subjectId, t.id),
    index('audit_log_action_idx').on(t.organizationId, t.action, t.id),
    // The retention purge looks across organizations for rows past their time.
    index('audit_log_purge_idx').on(t.occurredAt),
  ],
);
