import { sql } from 'drizzle-orm';
import {
  boolean,
  foreignKey,
  index,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { createdAt, organizationId, updatedAt } from '../../db/columns.ts';
import type { SegmentPart } from '../../domain/segments/criteria.ts';

/** Customer segments: `parts` is an AND of parts, each an OR of criteria (see domain/segments). */
export const segments = pgTable(
  'segments',
  {
    organizationId: organizationId(),
    id: uuid('id').notNull(),
    name: text('name').notNull(),
    description: text('description'),
    active: boolean('active').notNull().default(true),
    parts: jsonb('parts').$type<SegmentPart[]>().notNull(),
    /** When membership was last recomputed in full. */
    computedAt: timestamp('computed_at', { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.id] }),
    uniqueIndex('segments_name_unique').on(t.organizationId, sql`lower(${t.name})`),
  ],
);

/**
 * Materialized membership, kept current member by member (tickets, profile and points changes,
 * tier moves) and segment by segment (recomputes). Inactive segments have no members.
 */
export const segmentMembers = pgTable(
  'segment_members',
  {
    organizationId: organizationId(),
    segmentId: uuid('segment_id').notNull(),
    customerId: uuid('customer_id').notNull(),
    addedAt: timestamp('added_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.segmentId, t.customerId] }),
    index('segment_members_customer_idx').on(t.organizationId, t.customerId),
    foreignKey({
      name: 'segment_members_segment_fk',
      columns: [t.organizationId, t.segmentId],
      foreignColumns: [segments.organizationId, segments.id],
    }).onDelete('cascade'),
  ],
);

/** The last local day each organization's daily refresh ran for: claimed by one node per day. */
export const audienceRefreshes = pgTable('audience_refreshes', {
  organizationId: uuid('organization_id').primaryKey(),
  localDate: text('local_date').notNull(),
  ranAt: timestamp('ran_at', { withTimezone: true }).notNull(),
});
