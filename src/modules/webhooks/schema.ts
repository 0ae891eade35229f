import { sql } from 'drizzle-orm';
import {
  boolean,
  foreignKey,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  unique,
  uuid,
} from 'drizzle-orm/pg-core';
import { createdAt, organizationId, updatedAt } from '../../db/columns.ts';
import { organizations } from '../organizations/schema.ts';

const at = (name: string) => timestamp(name, { withTimezone: true });

export const webhookEndpoints = pgTable(
  'webhook_endpoints',
  {
    organizationId: organizationId().references(() => organizations.id),
    id: uuid('id').notNull(),
    url: text('url').notNull(),
    description: text('description'),
    enabled: boolean('enabled').notNull().default(true),
    /** `failing` when the worker disabled it; null when enabled or disabled by hand. */
    disabledReason: text('disabled_reason'),
    /** Exact event types, `family.*` or `*`. */
    eventTypes: text('event_types').array().notNull(),
    /** Payload format: `native` (the /v1/events shape); dialect formats plug in here. */
    format: text('format').notNull().default('native'),
    /** Static headers sent with every delivery (e.g. a vendor's token header). */
    headers: jsonb('headers').$type<Record<string, string>>().notNull().default({}),
    /**
     * The signing secret, stored as is rather than hashed: unlike an API key, which we only
     * verify, this one we must use to compute an HMAC on every delivery. It is shown to the
     * user only at creation and rotation, and never logged.
     */
    secret: text('secret').notNull(),
    /** During a rotation the previous secret also signs, until previousSecretExpiresAt. */
    previousSecret: text('previous_secret'),
    previousSecretExpiresAt: at('previous_secret_expires_at'),
    /** Start of the current run of failures (null after any success): drives auto-disable. */
    failingSince: at('failing_since'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [primaryKey({ columns: [t.organizationId, t.id] })],
);

/**
 * One event to one endpoint. `pending` → `delivering` (claimed, with a lease: `nextAttemptAt`
 * is then the lease's end, after which another worker may take it over) → `delivered`, or back
 * to `pending` with a later `nextAttemptAt`, or `dead` once the retry schedule is exhausted.
 * A pending delivery queued behind an earlier one of the same subject has `nextAttemptAt` =
 * WAITING (far future) until that one finishes and wakes it.
 */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    organizationId: organizationId(),
    id: uuid('id').notNull(),
    endpointId: uuid('endpoint_id').notNull(),
    eventId: uuid('event_id').notNull(),
    eventType: text('event_type').notNull(),
    /** Copied from the event: deliveries of one subject to one endpoint go out in event order. */
    subjectType: text('subject_type').notNull(),
    subjectId: text('subject_id').notNull(),
    status: text('status').$type<DeliveryStatus>().notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    /** Scheduled retries still available after the next failure; 0 = the next failure dead-letters. */
    retriesLeft: integer('retries_left').notNull(),
    nextAttemptAt: at('next_attempt_at').notNull(),
    /** Fencing token of the current claim: a worker whose lease was taken over cannot write its result. */
    leaseId: uuid('lease_id'),
    lastStatusCode: integer('last_status_code'),
    lastError: text('last_error'),
    deliveredAt: at('delivered_at'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.id] }),
    unique('webhook_deliveries_event_unique').on(t.organizationId, t.endpointId, t.eventId),
    foreignKey({
      columns: [t.organizationId, t.endpointId],
      foreignColumns: [webhookEndpoints.organizationId, webhookEndpoints.id],
    }).onDelete('cascade'),
    // What the worker polls: due deliveries of every organization.
    index('webhook_deliveries_due_idx')
      .on(t.nextAttemptAt)
      .where(sql`${t.status} in ('pending', 'delivering')`),
    // "Is an earlier delivery of this subject to this endpoint still open?"
    index('webhook_deliveries_subject_idx')
      .on(t.organizationId, t.endpointId, t.subjectType, t.subjectId, t.eventId)
      .where(sql`${t.status} in ('pending', 'delivering')`),
    index('webhook_deliveries_endpoint_idx').on(t.organizationId, t.endpointId, t.id),
    index('webhook_deliveries_finished_idx').on(t.updatedAt).where(sql`${t.status} in ('delivered', 'dead')`),
  ],
);

export type DeliveryStatus = 'pending' | 'delivering' | 'delivered' | 'dead';

/** Every HTTP attempt of a delivery, kept for the delivery log. */
export const webhookAttempts = pgTable(
  'webhook_attempts',
  {
    organizationId: organizationId(),
    id: uuid('id').notNull(),
    deliveryId: uuid('delivery_id').notNull(),
    attemptedAt: at('attempted_at').notNull(),
    /** delivered: 2xx. failed: any other answer or none. released: cut short by a shutdown, not counted. */
    outcome: text('outcome').$type<AttemptOutcome>().notNull(),
    statusCode: integer('status_code'),
    durationMs: integer('duration_ms').notNull(),
    error: text('error'),
    /** The first bytes of the response body. */
    responseSnippet: text('response_snippet'),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.id] }),
    foreignKey({
      columns: [t.organizationId, t.deliveryId],
      foreignColumns: [webhookDeliveries.organizationId, webhookDeliveries.id],
    }).onDelete('cascade'),
    index('webhook_attempts_delivery_idx').on(t.organizationId, t.deliveryId, t.id),
  ],
);

export type AttemptOutcome = 'delivered' | 'failed' | 'released';

/** `nextAttemptAt` of a delivery waiting for an earlier one of its subject: never due by the clock. */
export const WAITING = new Date('9999-12-31T00:00:00.000Z');
