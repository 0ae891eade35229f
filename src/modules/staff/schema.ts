import { sql } from 'drizzle-orm';
import {
  foreignKey,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { createdAt, organizationId, updatedAt } from '../../db/columns.ts';
import { organizations } from '../organizations/schema.ts';
import { STAFF_ROLES } from './roles.ts';

export const STAFF_STATUSES = ['invited', 'active', 'disabled'] as const;
export type StaffStatus = (typeof STAFF_STATUSES)[number];

/**
 * The people of an organization who sign in to the console or the till. One email is one account
 * per organization (compared case-insensitively); the same person may be staff of several.
 */
export const staffUsers = pgTable(
  'staff_users',
  {
    organizationId: organizationId().references(() => organizations.id),
    id: uuid('id').notNull(),
    /** As given, trimmed; compared lower-cased. */
    email: text('email').notNull(),
    name: text('name'),
    /** The language of the emails they get (`es`, `en`, `fr`); null = the organization country's. */
    language: text('language'),
    role: text('role', { enum: STAFF_ROLES }).notNull(),
    /** The locations they may act at; null = every location of the organization. */
    locationIds: uuid('location_ids').array(),
    status: text('status', { enum: STAFF_STATUSES }).notNull().default('invited'),
    /** argon2id (PHC string); null until the invite is accepted. */
    passwordHash: text('password_hash'),
    /**
     * The TOTP shared secret, encrypted with AES-256-GCM under a key derived from the session
     * secret (see secrets.ts). Set at enrolment; it counts only once `totpEnabledAt` is set.
     */
    totpSecret: text('totp_secret'),
    totpEnabledAt: timestamp('totp_enabled_at', { withTimezone: true }),
    /** The last TOTP time step accepted: a code is good once (RFC 6238 §5.2). */
    totpLastStep: integer('totp_last_step'),
    /** Failed sign-ins since the last success or lock. */
    failedAttempts: integer('failed_attempts').notNull().default(0),
    lockedUntil: timestamp('locked_until', { withTimezone: true }),
    lastSignInAt: timestamp('last_sign_in_at', { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.id] }),
    uniqueIndex('staff_users_email_unique').on(t.organizationId, sql`lower(${t.email})`),
    // Sign-in starts from the email alone, before the organization is known.
    index('staff_users_email_idx').on(sql`lower(${t.email})`),
  ],
);

export const SESSION_KINDS = ['cookie', 'token'] as const;
export type SessionKind = (typeof SESSION_KINDS)[number];

/**
 * A signed-in staff user: a web app's cookie session, or an API client's refresh-token chain
 * (whose short-lived access tokens name this row). Revoking the row ends either at once.
 */
export const staffSessions = pgTable(
  'staff_sessions',
  {
    organizationId: organizationId(),
    id: uuid('id').notNull(),
    staffUserId: uuid('staff_user_id').notNull(),
    kind: text('kind', { enum: SESSION_KINDS }).notNull(),
    /** SHA-256 of the session cookie (cookie) or of the current refresh token (token). */
    tokenHash: text('token_hash').notNull(),
    /** The refresh token this one replaced: presented again, it shows a stolen chain, which is revoked. */
    previousTokenHash: text('previous_token_hash'),
    createdAt: createdAt(),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    ip: text('ip'),
    userAgent: text('user_agent'),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.id] }),
    foreignKey({
      name: 'staff_sessions_user_fk',
      columns: [t.organizationId, t.staffUserId],
      foreignColumns: [staffUsers.organizationId, staffUsers.id],
    }),
    // A cookie or refresh token is looked up before its organization is known.
    index('staff_sessions_token_hash_idx').on(t.tokenHash),
    index('staff_sessions_previous_token_hash_idx')
      .on(t.previousTokenHash)
      .where(sql`${t.previousTokenHash} is not null`),
    index('staff_sessions_user_idx').on(t.organizationId, t.staffUserId),
  ],
);

export const TOKEN_PURPOSES = ['invite', 'password_reset'] as const;
export type TokenPurpose = (typeof TOKEN_PURPOSES)[number];

/** Emailed one-time tokens: stored as SHA-256, used once, expiring (see tokens.ts for how long). */
export const staffTokens = pgTable(
  'staff_tokens',
  {
    organizationId: organizationId(),
    id: uuid('id').notNull(),
    staffUserId: uuid('staff_user_id').notNull(),
    purpose: text('purpose', { enum: TOKEN_PURPOSES }).notNull(),
    tokenHash: text('token_hash').notNull(),
    createdAt: createdAt(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    usedAt: timestamp('used_at', { withTimezone: true }),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.id] }),
    foreignKey({
      name: 'staff_tokens_user_fk',
      columns: [t.organizationId, t.staffUserId],
      foreignColumns: [staffUsers.organizationId, staffUsers.id],
    }),
    index('staff_tokens_token_hash_idx').on(t.tokenHash),
    index('staff_tokens_user_idx').on(t.organizationId, t.staffUserId),
  ],
);

/**
 * Platform-wide keys generated on first start when the environment gives none: the session secret
 * (REGULARS_SESSION_SECRET) signs access tokens and CSRF tokens and encrypts TOTP secrets, so it
 * must be readable, not hashed. Not tenant data, so no organization_id.
 */
export const platformKeys = pgTable('platform_keys', {
  name: text('name').primaryKey(),
  value: text('value').notNull(),
  createdAt: createdAt(),
});
