import { index, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { createdAt } from '../../db/columns.ts';
import { organizations } from '../organizations/schema.ts';

export const ACCESS_ATTEMPT_KINDS = [
  // Members (per organization): sign-in code requests, public joins, wrong or stale codes.
  'code_request',
  'join',
  'failed_verify',
  // Staff: sign-in, refresh, invitation and password-reset attempts, before any organization is known.
  'staff_access',
  // Devices: till pairing codes tried, before any organization is known.
  'till_pairing',
] as const;
export type AccessAttemptKind = (typeof ACCESS_ATTEMPT_KINDS)[number];

/**
 * The attempts that the sign-in limits count, in the database so that every process of a cluster
 * counts the same attempts (a limit held in one process's memory allows N times as many to N
 * processes). Known and unknown addresses are counted alike, so a limit says nothing about who has
 * an account; the address is kept only as a hash. Rows older than a day are pruned as new ones
 * arrive.
 */
export const accessAttempts = pgTable(
  'access_attempts',
  {
    id: uuid('id').primaryKey(),
    /** The member's organization; null for staff, whose sign-in comes before an organization is known. */
    organizationId: uuid('organization_id').references(() => organizations.id),
    kind: text('kind', { enum: ACCESS_ATTEMPT_KINDS }).notNull(),
    /** SHA-256 of the normalized email or E.164 phone; null when the attempt names none. */
    addressHash: text('address_hash'),
    ip: text('ip').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    index('access_attempts_address_idx').on(t.kind, t.addressHash, t.createdAt),
    index('access_attempts_ip_idx').on(t.kind, t.ip, t.createdAt),
    index('access_attempts_created_idx').on(t.createdAt),
  ],
);
