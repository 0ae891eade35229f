import { index, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { createdAt, organizationId } from '../../db/columns.ts';
import { organizations } from '../organizations/schema.ts';
import type { ApiKeyScope } from './scopes.ts';

export const apiKeys = pgTable(
  'api_keys',
  {
    organizationId: organizationId().references(() => organizations.id),
    id: uuid('id').notNull(),
    name: text('name'),
    /** The visible start of the key (`rgl_ab12cd34`), so people can tell keys apart. */
    prefix: text('prefix').notNull(),
    /** SHA-256 of the whole key; the key itself is never stored. */
    keyHash: text('key_hash').notNull(),
    /** What the key may reach; keys from before scopes existed reach everything. */
    scopes: text('scopes').array().$type<ApiKeyScope[]>().notNull().default(['admin']),
    /** The locations the key may act at (lower-case ids); null = every location of the organization. */
    locationIds: uuid('location_ids').array(),
    createdAt: createdAt(),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  // Authentication starts from the key alone, before the organization is known: a plain
  // (non-unique) index on the hash serves that lookup.
  (t) => [primaryKey({ columns: [t.organizationId, t.id] }), index('api_keys_key_hash_idx').on(t.keyHash)],
);

/**
 * A manager's one-time code that turns a device into a till: claimed once, within minutes, for a
 * new `till`-scoped key (its id kept here). Only the code's SHA-256 is stored.
 */
export const tillPairings = pgTable(
  'till_pairings',
  {
    organizationId: organizationId().references(() => organizations.id),
    id: uuid('id').notNull(),
    /** The device's name, given to its key ("Counter tablet"). */
    name: text('name').notNull(),
    codeHash: text('code_hash').notNull(),
    /** The locations the device's key may act at; null = every location. */
    locationIds: uuid('location_ids').array(),
    /** The staff user or key that created the code. */
    createdBy: text('created_by'),
    createdAt: createdAt(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    claimedAt: timestamp('claimed_at', { withTimezone: true }),
    apiKeyId: uuid('api_key_id'),
  },
  // A code is claimed before its organization is known: a plain index on the hash serves that.
  (t) => [
    primaryKey({ columns: [t.organizationId, t.id] }),
    index('till_pairings_code_hash_idx').on(t.codeHash),
  ],
);

/** Platform-wide secrets (the generated master key's hash). Not tenant data, so no organization_id. */
export const platformSecrets = pgTable('platform_secrets', {
  name: text('name').primaryKey(),
  valueHash: text('value_hash').notNull(),
  createdAt: createdAt(),
});
