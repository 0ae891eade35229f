import { integer, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { createdAt } from '../../db/columns.ts';

/**
 * Responses remembered per `Idempotency-Key`. organization_id is the caller's organization,
 * or the nil UUID for master-key calls (they act on the platform, not on a tenant).
 *
 * While the first request runs (status_code null) the row is its claim: `owner` is that request's
 * token and `lease_expires_at` how long it holds the key unless it renews (a crashed process stops
 * renewing, so a retry takes over). `operation_committed_at` is written inside the operation's own
 * transaction: once set, the operation has happened and no retry may run it again.
 */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    organizationId: uuid('organization_id').notNull(),
    key: text('key').notNull(),
    /** null while a streamed body (a CSV upload) is still being read: its hash is known at the end. */
    requestHash: text('request_hash'),
    /** null while the first request is still running. */
    statusCode: integer('status_code'),
    contentType: text('content_type'),
    responseBody: text('response_body'),
    /** The response field whose secret was replaced by null before storing (routes that mint a secret). */
    withheldField: text('withheld_field'),
    owner: uuid('owner'),
    leaseExpiresAt: timestamp('lease_expires_at', { withTimezone: true }),
    operationCommittedAt: timestamp('operation_committed_at', { withTimezone: true }),
    createdAt: createdAt(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.organizationId, t.key] })],
);
