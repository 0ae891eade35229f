import {
  bigint,
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uuid,
} from 'drizzle-orm/pg-core';
import { createdAt, idList, openingHours, organizationId, updatedAt, weekdays } from '../../db/columns.ts';
import type { RuleConfig, RuleLimit } from '../../domain/earning/types.ts';

/** How points are earned. `config` holds the type's settings in engine units (hundredths, minor units). */
export const earningRules = pgTable(
  'earning_rules',
  {
    organizationId: organizationId(),
    id: uuid('id').notNull(),
    name: text('name').notNull(),
    description: text('description'),
    type: text('type').$type<RuleConfig['type']>().notNull(),
    config: jsonb('config').$type<RuleConfig['config']>().notNull(),
    active: boolean('active').notNull().default(true),
    startsAt: timestamp('starts_at', { withTimezone: true }),
    endsAt: timestamp('ends_at', { withTimezone: true }),
    weekdays: weekdays(),
    hours: openingHours(),
    locationIds: idList('location_ids'),
    brandIds: idList('brand_ids'),
    channels: jsonb('channels').$type<string[]>().notNull().default([]),
    tierIds: idList('tier_ids'),
    segmentIds: idList('segment_ids'),
    priority: integer('priority').notNull().default(100),
    stackable: boolean('stackable').notNull().default(true),
    /** When the rule runs on a ticket, the rules after it do not (Open Loyalty's "last executed rule"). */
    stopsEvaluation: boolean('stops_evaluation').notNull().default(false),
    limit: jsonb('limit').$type<RuleLimit | null>(),
    /** null = the organization's default point type. */
    pointTypeId: uuid('point_type_id'),
    deletedAt: timestamp('deleted_at', { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [primaryKey({ columns: [t.organizationId, t.id] })],
);

/** Each time a rule earned points for a member: what per-member limits count. */
export const ruleAwards = pgTable(
  'rule_awards',
  {
    organizationId: organizationId(),
    id: uuid('id').notNull(),
    ruleId: uuid('rule_id').notNull(),
    customerId: uuid('customer_id').notNull(),
    sourceType: text('source_type').notNull(),
    sourceId: text('source_id').notNull(),
    points: bigint('points', { mode: 'number' }).notNull(),
    awardedAt: timestamp('awarded_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.id] }),
    index('rule_awards_usage_idx').on(t.organizationId, t.customerId, t.ruleId, t.awardedAt),
  ],
);
