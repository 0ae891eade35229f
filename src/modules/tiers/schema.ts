import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  foreignKey,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { createdAt, organizationId, updatedAt } from '../../db/columns.ts';
import { customers } from '../customers/schema.ts';

/**
 * Tiers (levels). `threshold` is in the unit of the program's tier basis: integer hundredths of a
 * point for the points bases, minor units of the currency for the spent bases.
 */
export const tiers = pgTable(
  'tiers',
  {
    organizationId: organizationId(),
    id: uuid('id').notNull(),
    name: text('name').notNull(),
    description: text('description'),
    threshold: bigint('threshold', { mode: 'number' }).notNull(),
    /** Earning multiplier in hundredths: 150 = ×1.5, applied by the earning engine as its own line. */
    multiplier: integer('multiplier').notNull().default(100),
    /** Discount for rewards/redemption, in hundredths of a percent: 1250 = 12.5 %. */
    discountPercent: integer('discount_percent').notNull().default(0),
    perks: jsonb('perks').$type<string[]>().notNull().default([]),
    active: boolean('active').notNull().default(true),
    sortOrder: integer('sort_order').notNull().default(0),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.id] }),
    uniqueIndex('tiers_name_unique').on(t.organizationId, sql`lower(${t.name})`),
  ],
);

/**
 * Each member's tier: the one they hold (`tier_id`), and what it is derived from — the automatic
 * tier kept under the downgrade policy, and an optional manual assignment (locked or a floor,
 * with an optional expiry). One row per evaluated member.
 */
export const customerTiers = pgTable(
  'customer_tiers',
  {
    organizationId: organizationId(),
    customerId: uuid('customer_id').notNull(),
    tierId: uuid('tier_id'),
    automaticTierId: uuid('automatic_tier_id'),
    /** Since when the basis has been below the automatic tier's threshold. */
    belowSince: timestamp('below_since', { withTimezone: true }),
    manualTierId: uuid('manual_tier_id'),
    manualLocked: boolean('manual_locked').notNull().default(false),
    manualExpiresAt: timestamp('manual_expires_at', { withTimezone: true }),
    /** The basis value at the last evaluation. */
    basisValue: bigint('basis_value', { mode: 'number' }).notNull().default(0),
    evaluatedAt: timestamp('evaluated_at', { withTimezone: true }),
    /** When `tier_id` last changed. */
    changedAt: timestamp('changed_at', { withTimezone: true }),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.customerId] }),
    index('customer_tiers_tier_idx').on(t.organizationId, t.tierId, t.customerId),
    // What the scheduler looks for across tenants: manual assignments that are due to end.
    index('customer_tiers_manual_expiry_idx')
      .on(t.manualExpiresAt)
      .where(sql`${t.manualExpiresAt} is not null`),
    foreignKey({
      name: 'customer_tiers_customer_fk',
      columns: [t.organizationId, t.customerId],
      foreignColumns: [customers.organizationId, customers.id],
    }),
  ],
);
