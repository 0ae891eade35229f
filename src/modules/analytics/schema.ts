import { bigint, date, index, integer, pgTable, primaryKey, text, uuid } from 'drizzle-orm/pg-core';
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
  (t) => [
    primaryKey({ columns: [t.organizationId, t.day, t.locationKey, t.dimension, t.key] }),
    // A report reads one dimension at one location over a range: only those rows.
    index('analytics_day_breakdowns_range_idx').on(t.organizationId, t.locationKey, t.dimension, t.day),
  ],
);

/**
 * One row per member × day × location where they bought, and one for the `all` location: what
 * distinct counts (active members), cohorts and the tier and segment filters read.
 *
 * `previous_day` is the member's previous purchase day at the same location key (null for their
 * first): the members active between two days are the rows of those days whose previous day is
 * before the first, each member's first purchase in the range, so a distinct count is a plain
 * count of one index range, for any from and to and any bucket. Recomputing a day rewrites its
 * rows and the next row of each member who came or went that day (rollup.ts).
 */
export const analyticsMemberDays = pgTable(
  'analytics_member_days',
  {
    organizationId: organizationId(),
    day: date('day', { mode: 'string' }).notNull(),
    customerId: uuid('customer_id').notNull(),
    locationKey: text('location_key').notNull(),
    previousDay: date('previous_day', { mode: 'string' }),
    tickets: integer('tickets').notNull(),
    revenue: count('revenue'),
  },
  (t) => [
    // A member's days at a location in order: the previous and next day of a day.
    primaryKey({ columns: [t.organizationId, t.customerId, t.locationKey, t.day] }),
    // The counts of a range (and, under a tier or segment filter, its members' sales), read from
    // the index alone.
    index('analytics_member_days_range_idx').on(
      t.organizationId,
      t.locationKey,
      t.day,
      t.previousDay,
      t.customerId,
      t.tickets,
      t.revenue,
    ),
  ],
);

/**
 * What members hold now, per point type (hundredths): the liability the points report shows,
 * summed from the balances by the upkeep (after each batch of dirty days) instead of on each request.
 */
export const analyticsLiability = pgTable(
  'analytics_liability',
  {
    organizationId: organizationId(),
    pointTypeId: uuid('point_type_id').notNull(),
    active: count('active'),
    pending: count('pending'),
    blocked: count('blocked'),
  },
  (t) => [primaryKey({ columns: [t.organizationId, t.pointTypeId] })],
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
