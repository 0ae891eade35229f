import { bigint, date, integer, pgTable, primaryKey, text, uuid } from 'drizzle-orm/pg-core';
import { organizationId } from '../../db/columns.ts';

/**
 * Daily rollups: what the reports read instead of history. Each row is a pure function of the
 * source tables for one organization's local day (src/modules/analytics/rollup.ts recomputes a
 * day whole), so the incremental upkeep and `regulars analytics rebuild` write identical rows.
 *
 * `location_key` is a location's id, `none` for what has no location, or `all` for the whole
 * organization (the row that distinct counts need: a member at two locations counts once).
 */
export const LOCATION_ALL = 'all';
export const LOCATION_NONE = 'none';

const count = (name: string) => bigint(name, { mode: 'number' }).notNull().default(0);

export const analyticsDays = pgTable(
  'analytics_days',
  {
    organizationId: organizationId(),
    day: date('day', { mode: 'string' }).notNull(),
    locationKey: text('location_key').notNull(),
    tickets: count('tickets'),
    /** Minor units: completed sales, before returns. */
    revenue: count('revenue'),
    memberTickets: count('member_tickets'),
    memberRevenue: count('member_revenue'),
    returns: count('returns'),
    returnedAmount: count('returned_amount'),
    /** Members with a kept purchase that day (distinct). */
    activeMembers: count('active_members'),
    /** Members who joined that day (the `all` row only: members have no location). */
    newMembers: count('new_members'),
    /** Points in hundredths, by ledger entry kind (see ledgerMeasures in rollup.ts). */
    pointsIssued: count('points_issued'),
    pointsSpent: count('points_spent'),
    pointsExpired: count('points_expired'),
    pointsCancelled: count('points_cancelled'),
    pointsAdjusted: count('points_adjusted'),
    pointsTransferred: count('points_transferred'),
    /** Σ delta of every entry: the change of what members hold; summed from the start, the liability. */
    pointsNet: count('points_net'),
    claims: count('claims'),
    couponsUsed: count('coupons_used'),
    redemptions: count('redemptions'),
    /** Minor units of discount given by committed redemptions. */
    discountGiven: count('discount_given'),
  },
  (t) => [primaryKey({ columns: [t.organizationId, t.day, t.locationKey] })],
);

/**
 * Breakdowns of a day's figures by something: `dimension` names the figure and what it is split
 * by (`points_issued.point_type`, `rule`, `reward`, `channel`…), `key` the thing (an id, a name).
 */
export const analyticsDayBreakdowns = pgTable(
  'analytics_day_breakdowns',
  {
    organizationId: organizationId(),
    day: date('day', { mode: 'string' }).notNull(),
    locationKey: text('location_key').notNull(),
    dimension: text('dimension').notNull(),
    key: text('key').notNull(),
    count: count('count'),
    points: count('points'),
    amount: count('amount'),
  },
  (t) => [primaryKey({ columns: [t.organizationId, t.day, t.locationKey, t.dimension, t.key] })],
);

/**
 * One row per member × day × location where they bought: what distinct counts (active members),
 * cohorts and the tier and segment filters read. Its primary key covers the distinct counts, so
 * they are read from the index alone.
 */
export const analyticsMemberDays = pgTable(
  'analytics_member_days',
  {
    organizationId: organizationId(),
    day: date('day', { mode: 'string' }).notNull(),
    customerId: uuid('customer_id').notNull(),
    locationKey: text('location_key').notNull(),
    tickets: integer('tickets').notNull(),
    revenue: count('revenue'),
  },
  (t) => [primaryKey({ columns: [t.organizationId, t.day, t.customerId, t.locationKey] })],
);

/**
 * Distinct active members per week and per month (they do not add up from days), and per cohort:
 * `cohort` is the month the members joined (`all` on week and month rows).
 */
export const analyticsPeriods = pgTable(
  'analytics_periods',
  {
    organizationId: organizationId(),
    granularity: text('granularity', { enum: ['week', 'month'] }).notNull(),
    periodStart: date('period_start', { mode: 'string' }).notNull(),
    locationKey: text('location_key').notNull(),
    cohort: text('cohort').notNull(),
    activeMembers: count('active_members'),
    tickets: count('tickets'),
    revenue: count('revenue'),
  },
  (t) => [primaryKey({ columns: [t.organizationId, t.granularity, t.periodStart, t.locationKey, t.cohort] })],
);

/** Local days whose rollups are out of date: marked from the event outbox, recomputed by the worker. */
export const analyticsDirtyDays = pgTable(
  'analytics_dirty_days',
  {
    organizationId: organizationId(),
    day: date('day', { mode: 'string' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.organizationId, t.day] })],
);
