import { sql } from 'drizzle-orm';
import { foreignKey, index, integer, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { createdAt, organizationId, updatedAt } from '../../db/columns.ts';
import { customers } from '../customers/schema.ts';

const at = (name: string) => timestamp(name, { withTimezone: true });

/**
 * A member's Apple Wallet card, once issued: its serial number is the customer id. `updatedAt`
 * is what Wallet's "serials updated since" and "If-Modified-Since" compare; it moves only when
 * the card's content (its `fingerprint`) changes.
 */
export const applePasses = pgTable(
  'apple_passes',
  {
    organizationId: organizationId(),
    customerId: uuid('customer_id').notNull(),
    fingerprint: text('fingerprint').notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.customerId] }),
    foreignKey({
      columns: [t.organizationId, t.customerId],
      foreignColumns: [customers.organizationId, customers.id],
    }).onDelete('cascade'),
  ],
);

/**
 * The web service tokens of the passes handed out (one per download: a pass already on a phone
 * keeps working when the member downloads it again). Only their SHA-256 is kept.
 */
export const applePassTokens = pgTable(
  'apple_pass_tokens',
  {
    organizationId: organizationId(),
    customerId: uuid('customer_id').notNull(),
    tokenHash: text('token_hash').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.customerId, t.tokenHash] }),
    foreignKey({
      columns: [t.organizationId, t.customerId],
      foreignColumns: [applePasses.organizationId, applePasses.customerId],
    }).onDelete('cascade'),
  ],
);

/** A device that holds a member's pass and wants its updates (PassKit web service registration). */
export const applePassRegistrations = pgTable(
  'apple_pass_registrations',
  {
    organizationId: organizationId(),
    deviceLibraryId: text('device_library_id').notNull(),
    customerId: uuid('customer_id').notNull(),
    pushToken: text('push_token').notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.deviceLibraryId, t.customerId] }),
    foreignKey({
      columns: [t.organizationId, t.customerId],
      foreignColumns: [applePasses.organizationId, applePasses.customerId],
    }).onDelete('cascade'),
    index('apple_pass_registrations_customer_idx').on(t.organizationId, t.customerId),
  ],
);

/** A member's Google Wallet loyalty object, once a save link was made: kept current on changes. */
export const googlePassObjects = pgTable(
  'google_pass_objects',
  {
    organizationId: organizationId(),
    customerId: uuid('customer_id').notNull(),
    fingerprint: text('fingerprint').notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.customerId] }),
    foreignKey({
      columns: [t.organizationId, t.customerId],
      foreignColumns: [customers.organizationId, customers.id],
    }).onDelete('cascade'),
  ],
);

export type PassChannel = 'apns' | 'google';
export type NotificationStatus = 'pending' | 'sent' | 'dead';

/**
 * One update to send: an APNs push to one device, or one Google object update. Retried on the
 * webhooks' schedule; `dead` once it is exhausted (or APNs says the device is gone).
 */
export const passNotifications = pgTable(
  'pass_notifications',
  {
    organizationId: organizationId(),
    id: uuid('id').notNull(),
    channel: text('channel').$type<PassChannel>().notNull(),
    customerId: uuid('customer_id').notNull(),
    /** APNs only: the device's push token. */
    pushToken: text('push_token'),
    status: text('status').$type<NotificationStatus>().notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: at('next_attempt_at').notNull(),
    lastError: text('last_error'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.id] }),
    index('pass_notifications_due_idx').on(t.nextAttemptAt).where(sql`${t.status} = 'pending'`),
  ],
);
