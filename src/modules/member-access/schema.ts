import { foreignKey, index, integer, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { createdAt, organizationId } from '../../db/columns.ts';
import { customers } from '../customers/schema.ts';
import type { MessageChannel } from '../messaging/types.ts';

/**
 * One-time sign-in codes sent to members. Six digits are few, so the code is stored only as an
 * HMAC keyed with a random per-row salt, a code takes a handful of wrong tries before it is burnt,
 * and a new code retires the member's older ones.
 */
export const memberSignInCodes = pgTable(
  'member_sign_in_codes',
  {
    organizationId: organizationId(),
    id: uuid('id').notNull(),
    customerId: uuid('customer_id').notNull(),
    channel: text('channel').$type<MessageChannel>().notNull(),
    /** HMAC-SHA256 of the code, keyed with `salt` (hex). */
    codeHash: text('code_hash').notNull(),
    salt: text('salt').notNull(),
    failedAttempts: integer('failed_attempts').notNull().default(0),
    createdAt: createdAt(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    /** Set when the code signed the member in, was burnt by wrong tries, or a newer code replaced it. */
    consumedAt: timestamp('consumed_at', { withTimezone: true }),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.id] }),
    index('member_sign_in_codes_customer_idx').on(t.organizationId, t.customerId, t.createdAt),
    foreignKey({
      name: 'member_sign_in_codes_customer_fk',
      columns: [t.organizationId, t.customerId],
      foreignColumns: [customers.organizationId, customers.id],
    }),
  ],
);

/**
 * Members' sessions: one row per sign-in, found by the hash of its token (a bearer token, or the
 * value of the session cookie), revocable by signing out. The CSRF token a cookie session must
 * echo on unsafe requests is stored hashed beside it.
 */
export const memberSessions = pgTable(
  'member_sessions',
  {
    organizationId: organizationId(),
    id: uuid('id').notNull(),
    customerId: uuid('customer_id').notNull(),
    /** SHA-256 of the session token; the token itself is never stored. */
    tokenHash: text('token_hash').notNull(),
    csrfTokenHash: text('csrf_token_hash').notNull(),
    ip: text('ip'),
    userAgent: text('user_agent'),
    createdAt: createdAt(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.id] }),
    // Authentication starts from the token alone, before the organization is known.
    index('member_sessions_token_hash_idx').on(t.tokenHash),
    index('member_sessions_customer_idx').on(t.organizationId, t.customerId),
    foreignKey({
      name: 'member_sessions_customer_fk',
      columns: [t.organizationId, t.customerId],
      foreignColumns: [customers.organizationId, customers.id],
    }),
  ],
);

export const CONSENT_KINDS = ['terms'] as const;
export type ConsentKind = (typeof CONSENT_KINDS)[number];

/**
 * Proof of what a member agreed to when they joined: which wording (its version), when, and from
 * where. Never updated: a new acceptance is a new row. The customer record's `agreements` keeps the
 * current answer; this keeps the evidence.
 */
export const memberConsents = pgTable(
  'member_consents',
  {
    organizationId: organizationId(),
    id: uuid('id').notNull(),
    customerId: uuid('customer_id').notNull(),
    kind: text('kind', { enum: CONSENT_KINDS }).notNull(),
    /** The version of the wording the member was shown, as the join page sent it. */
    version: text('version').notNull(),
    acceptedAt: timestamp('accepted_at', { withTimezone: true }).notNull(),
    ip: text('ip'),
    userAgent: text('user_agent'),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.id] }),
    index('member_consents_customer_idx').on(t.organizationId, t.customerId),
    foreignKey({
      name: 'member_consents_customer_fk',
      columns: [t.organizationId, t.customerId],
      foreignColumns: [customers.organizationId, customers.id],
    }),
  ],
);
