import { sql } from 'drizzle-orm';
import {
  boolean,
  check,
  integer,
  pgTable,
  primaryKey,
  text,
  unique,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { createdAt, organizationId, updatedAt } from '../../db/columns.ts';
import { organizations } from '../organizations/schema.ts';

/** Point currencies of a program ("Points", "Burgers") and their pending / expiry policy. */
export const pointTypes = pgTable(
  'point_types',
  {
    organizationId: organizationId().references(() => organizations.id),
    id: uuid('id').notNull(),
    name: text('name').notNull(),
    /** Stable short handle for integrations, unique in the organization: `points`, `burgers`. */
    code: text('code').notNull(),
    /** null = never expire. */
    expiresAfterDays: integer('expires_after_days'),
    expiryRounding: text('expiry_rounding', { enum: ['none', 'end_of_day', 'end_of_month'] })
      .notNull()
      .default('none'),
    /** Days that points earned on tickets stay pending (not spendable), so returns can take them back. */
    pendingDays: integer('pending_days').notNull().default(0),
    /**
     * What 1,000 points are worth to the program, in minor units of its currency (1 point = 1 cent:
     * 1000): the money value of the points members hold (analytics' liability). null = not set.
     */
    valuePerThousandPoints: integer('value_per_thousand_points'),
    active: boolean('active').notNull().default(true),
    /** The type API calls use when they name none; exactly one per organization. */
    isDefault: boolean('is_default').notNull().default(false),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.id] }),
    unique('point_types_code_unique').on(t.organizationId, t.code),
    uniqueIndex('point_types_default_unique').on(t.organizationId).where(sql`${t.isDefault}`),
    check(
      'point_types_expires_after_days_check',
      sql`${t.expiresAfterDays} is null or ${t.expiresAfterDays} > 0`,
    ),
    check('point_types_pending_days_check', sql`${t.pendingDays} >= 0`),
    check('point_types_value_check', sql`${t.valuePerThousandPoints} >= 0`),
  ],
);
