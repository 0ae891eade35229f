import { type SQL, sql } from 'drizzle-orm';
import { type Db, rawRows } from '../../db/connection.ts';
import { customers } from '../customers/schema.ts';
import { earningRules } from '../earning-rules/schema.ts';
import { pointLots } from '../ledger/schema.ts';
import { locations } from '../locations/schema.ts';
import { pointTypes } from '../point-types/schema.ts';
import { rewards } from '../rewards/schema.ts';
import { segmentMembers, segments } from '../segments/schema.ts';
import { customerTiers, tiers } from '../tiers/schema.ts';
import { customerStats } from '../transactions/schema.ts';
import { type Bucket, bucketStart, bucketsOf, type Granularity } from './periods.ts';
import {
  analyticsDayBreakdowns,
  analyticsDays,
  analyticsLiability,
  analyticsMemberDays,
  LOCATION_ALL,
} from './schema.ts';

/**
 * The queries behind the reports: sums over the daily rollups, never over history. Figures come
 * back from SQL as text (bigint sums) and are read with `Number` (exact below 2^53).
 */

export interface ReportScope {
  organizationId: string;
  timeZone: string;
  from: string;
  to: string;
  granularity: Granularity;
  /** `all`, or one location's id. */
  locationKey: string;
  /** Members now in this tier / segment (the filters that go through the member rollups). */
  tierId?: string | undefined;
  segmentId?: string | undefined;
}

type Row = Record<string, string | null>;

const num = (value: string | null | undefined) => Number(value ?? 0);

const inRange = (scope: ReportScope, from = scope.from, to = scope.to) =>
  sql`organization_id = ${scope.organizationId} and day >= ${from}::date and day <= ${to}::date`;

export const hasMemberFilter = (scope: ReportScope) => Boolean(scope.tierId || scope.segmentId);

/** `customer_id` restricted to the members now in the scope's tier and segment. */
function memberFilter(scope: ReportScope, column: SQL): SQL {
  const parts: SQL[] = [];
  if (scope.tierId) {
    parts.push(sql`${column} in (select ct.customer_id from ${customerTiers} ct
      where ct.organization_id = ${scope.organizationId} and ct.tier_id = ${scope.tierId})`);
  }
  if (scope.segmentId) {
    parts.push(sql`${column} in (select sm.customer_id from ${segmentMembers} sm
      where sm.organization_id = ${scope.organizationId} and sm.segment_id = ${scope.segmentId})`);
  }
  return parts.length > 0 ? sql.join(parts, sql` and `) : sql`true`;
}

/** Sums of `analytics_days` columns per bucket, every bucket present (zeros where nothing happened). */
export async function daySeries(
  db: Db,
  scope: ReportScope,
  columns: readonly string[],
): Promise<Array<{ bucket: Bucket; values: Record<string, number> }>> {
  const sums = columns.map((column) => sql.raw(`sum(${column})::text as ${column}`));
  const rows = await rawRows<Row>(
    db,
    sql`select to_char(date_trunc(${scope.granularity}, day), 'YYYY-MM-DD') as period, ${sql.join(sums, sql`, `)}
      from ${analyticsDays}
      where ${inRange(scope)} and location_key = ${scope.locationKey}
      group by 1`,
  );
  const byPeriod = new Map(rows.map((row) => [row.period, row]));
  return bucketsOf(scope.from, scope.to, scope.granularity).map((bucket) => {
    const row = byPeriod.get(bucket.period);
    return { bucket, values: Object.fromEntries(columns.map((column) => [column, num(row?.[column])])) };
  });
}

/** Sums of `analytics_days` columns over days before the range: where running totals start. */
export async function sumBefore(db: Db, scope: ReportScope, column: string): Promise<number> {
  const [row] = await rawRows<Row>(
    db,
    sql`select sum(${sql.raw(column)})::text as total from ${analyticsDays}
      where organization_id = ${scope.organizationId} and day < ${scope.from}::date and location_key = ${LOCATION_ALL}`,
  );
  return num(row?.total);
}

export interface MemberActivity {
  /** Active members of each bucket (by its first day), tickets and revenue of the scope's members. */
  byPeriod: Map<string, { active: number; tickets: number; revenue: number }>;
  /** Members active anywhere in the range, each once. */
  active: number;
}

/**
 * Active members of each bucket and of the whole range, from one index range of the member
 * rollups: a member is active in a stretch of days once, on the row of their first purchase in it,
 * the one whose previous day is before the stretch (the bucket, clipped to the range; the range).
 * Under a tier or segment filter, the same rows of those members only, with their tickets and revenue.
 */
export async function memberActivity(db: Db, scope: ReportScope): Promise<MemberActivity> {
  // Each day's bucket start (clipped to the range) comes from a series of the range's days, joined:
  // per member row only two date comparisons remain.
  const clippedStart = sql`greatest(date_trunc(${scope.granularity}, d)::date, ${scope.from}::date)`;
  const firstOf = (start: SQL) => sql`(m.previous_day is null or m.previous_day < ${start})`;
  const sales = hasMemberFilter(scope)
    ? sql`sum(m.tickets)::text as tickets, sum(m.revenue)::text as revenue`
    : sql`0 as tickets, 0 as revenue`;
  const rows = await rawRows<Row>(
    db,
    sql`select m.day::text as day, count(*) filter (where ${firstOf(sql`b.start`)})::text as active,
        count(*) filter (where ${firstOf(sql`${scope.from}::date`)})::text as first, ${sales}
      from ${analyticsMemberDays} m
      join (
        select d::date as day, ${clippedStart} as start
        from generate_series(${scope.from}::date, ${scope.to}::date, interval '1 day') d
      ) b on b.day = m.day
      where m.organization_id = ${scope.organizationId} and m.location_key = ${scope.locationKey}
        and m.day >= ${scope.from}::date and m.day <= ${scope.to}::date
        and ${memberFilter(scope, sql`m.customer_id`)}
      group by m.day`,
  );
  const byPeriod: MemberActivity['byPeriod'] = new Map();
  let active = 0;
  for (const row of rows) {
    const period = bucketStart(row.day ?? '', scope.granularity);
    const figures = byPeriod.get(period) ?? { active: 0, tickets: 0, revenue: 0 };
    figures.active += num(row.active);
    figures.tickets += num(row.tickets);
    figures.revenue += num(row.revenue);
    byPeriod.set(period, figures);
    active += num(row.first);
  }
  return { byPeriod, active };
}

/** New members per bucket among those now in the scope's tier and segment (members carry no location). */
export async function filteredNewMembers(
  db: Db,
  scope: ReportScope,
): Promise<{ before: number; byPeriod: Map<string, number> }> {
  const localDay = sql`(c.created_at at time zone ${scope.timeZone})::date`;
  const base = sql`c.organization_id = ${scope.organizationId} and c.deleted_at is null and ${memberFilter(scope, sql`c.id`)}`;
  const rows = await rawRows<Row>(
    db,
    sql`select to_char(date_trunc(${scope.granularity}, ${localDay}), 'YYYY-MM-DD') as period, count(*)::text as count
      from ${customers} c
      where ${base} and ${localDay} >= ${scope.from}::date and ${localDay} <= ${scope.to}::date
      group by 1`,
  );
  const [before] = await rawRows<Row>(
    db,
    sql`select count(*)::text as count from ${customers} c where ${base} and ${localDay} < ${scope.from}::date`,
  );
  return {
    before: num(before?.count),
    byPeriod: new Map(rows.map((row) => [row.period ?? '', num(row.count)])),
  };
}

/** Σ count / points / amount of a breakdown over the range, by key. */
export async function breakdown(
  db: Db,
  scope: ReportScope,
  dimension: string,
): Promise<Array<{ key: string; count: number; points: number; amount: number }>> {
  const rows = await rawRows<Row>(
    db,
    sql`select key, sum(count)::text as count, sum(points)::text as points, sum(amount)::text as amount
      from ${analyticsDayBreakdowns}
      where ${inRange(scope)} and location_key = ${scope.locationKey} and dimension = ${dimension}
      group by key order by key`,
  );
  return rows.map((row) => ({
    key: row.key ?? '',
    count: num(row.count),
    points: num(row.points),
    amount: num(row.amount),
  }));
}

/** Members now: how many hold each tier (null: none yet), lapsed, and consent to each channel. */
export async function memberState(db: Db, scope: ReportScope, lapsedDays: number) {
  const base = sql`c.organization_id = ${scope.organizationId} and c.deleted_at is null
    and c.anonymized_at is null and ${memberFilter(scope, sql`c.id`)}`;
  const [counts] = await rawRows<Row>(
    db,
    sql`select count(*)::text as members,
        count(*) filter (where c.marketing_consents->'email'->>'granted' = 'true')::text as email,
        count(*) filter (where c.marketing_consents->'sms'->>'granted' = 'true')::text as sms,
        count(*) filter (where c.marketing_consents->'push'->>'granted' = 'true')::text as push,
        count(*) filter (where s.last_purchase_at < now() - make_interval(days => ${lapsedDays}))::text as lapsed
      from ${customers} c
      left join ${customerStats} s on s.organization_id = c.organization_id and s.customer_id = c.id
      where ${base}`,
  );
  const byTier = await rawRows<Row>(
    db,
    sql`select ct.tier_id::text as tier_id, t.name, count(*)::text as members
      from ${customers} c
      left join ${customerTiers} ct on ct.organization_id = c.organization_id and ct.customer_id = c.id
      left join ${tiers} t on t.organization_id = ct.organization_id and t.id = ct.tier_id
      where ${base}
      group by ct.tier_id, t.name order by count(*) desc, t.name`,
  );
  return {
    members: num(counts?.members),
    lapsed: num(counts?.lapsed),
    consents: { email: num(counts?.email), sms: num(counts?.sms), push: num(counts?.push) },
    byTier: byTier.map((row) => ({
      tierId: row.tier_id ?? null,
      name: row.name ?? null,
      members: num(row.members),
    })),
  };
}

/** What members hold, per point type: the liability, as the upkeep last summed it. */
export async function liability(db: Db, organizationId: string) {
  const rows = await rawRows<Row>(
    db,
    sql`select p.id::text as point_type_id, p.code, p.name, p.value_per_thousand_points::text as value,
        coalesce(h.active, 0)::text as active, coalesce(h.pending, 0)::text as pending,
        coalesce(h.blocked, 0)::text as blocked
      from ${pointTypes} p
      left join ${analyticsLiability} h on h.organization_id = p.organization_id and h.point_type_id = p.id
      where p.organization_id = ${organizationId}
      order by p.id`,
  );
  return rows.map((row) => ({
    pointTypeId: row.point_type_id ?? '',
    code: row.code ?? '',
    name: row.name ?? '',
    valuePerThousandPoints: row.value === null ? null : num(row.value),
    active: num(row.active),
    pending: num(row.pending),
    blocked: num(row.blocked),
  }));
}

/** Points of active and pending lots that will expire, per local month and point type, from now on. */
export async function expirySchedule(db: Db, scope: ReportScope, months: number) {
  const rows = await rawRows<Row>(
    db,
    sql`select to_char(l.expires_at at time zone ${scope.timeZone}, 'YYYY-MM') as month,
        l.point_type_id::text as point_type_id, sum(l.remaining + l.blocked)::text as points
      from ${pointLots} l
      where l.organization_id = ${scope.organizationId} and l.expires_at is not null
        and l.expires_at > now() and l.expires_at < now() + make_interval(months => ${months})
        and l.remaining + l.blocked > 0
      group by 1, 2 order by 1, 2`,
  );
  return rows.map((row) => ({
    month: row.month ?? '',
    pointTypeId: row.point_type_id ?? '',
    points: num(row.points),
  }));
}

/** Names of the things a breakdown is keyed by. */
export async function namesOf(
  db: Db,
  organizationId: string,
  kind: 'rule' | 'reward' | 'location' | 'pointType',
): Promise<Map<string, string>> {
  const table = { rule: earningRules, reward: rewards, location: locations, pointType: pointTypes }[kind];
  const rows = await rawRows<Row>(
    db,
    sql`select id::text as id, name from ${table} where organization_id = ${organizationId}`,
  );
  return new Map(rows.map((row) => [row.id ?? '', row.name ?? '']));
}

/** Location rows of the range: one per location (and `none`), summed. */
export async function byLocation(db: Db, scope: ReportScope, columns: readonly string[]) {
  const sums = columns.map((column) => sql.raw(`sum(${column})::text as ${column}`));
  const rows = await rawRows<Row>(
    db,
    sql`select location_key, ${sql.join(sums, sql`, `)} from ${analyticsDays}
      where ${inRange(scope)} and location_key <> ${LOCATION_ALL}
      group by location_key order by location_key`,
  );
  return rows.map((row) => ({
    locationKey: row.location_key ?? '',
    values: Object.fromEntries(columns.map((column) => [column, num(row[column])])),
  }));
}

/**
 * Cohorts: for each month members joined in, their activity in that month and each month after
 * (the day rollups count a member on their first purchase of each month).
 */
export async function cohortActivity(db: Db, scope: ReportScope, months: string[]) {
  const rows = await rawRows<Row>(
    db,
    sql`select key as cohort, to_char(day, 'YYYY-MM') as month, sum(count)::text as active,
        sum(amount)::text as revenue
      from ${analyticsDayBreakdowns}
      where organization_id = ${scope.organizationId} and location_key = ${LOCATION_ALL}
        and dimension = 'members.cohort' and key >= ${months[0] ?? ''} and key <= ${months.at(-1) ?? ''}
        and day >= ${`${months[0]}-01`}::date and to_char(day, 'YYYY-MM') <= ${months.at(-1) ?? ''}
      group by 1, 2`,
  );
  return rows.map((row) => ({
    cohort: row.cohort ?? '',
    month: row.month ?? '',
    active: num(row.active),
    revenue: num(row.revenue),
  }));
}

/** New members per local month (cohort sizes), from the day rows. */
export async function newMembersByMonth(db: Db, scope: ReportScope, months: string[]) {
  const rows = await rawRows<Row>(
    db,
    sql`select to_char(day, 'YYYY-MM') as month, sum(new_members)::text as members from ${analyticsDays}
      where organization_id = ${scope.organizationId} and location_key = ${LOCATION_ALL}
        and day >= ${`${months[0]}-01`}::date and to_char(day, 'YYYY-MM') <= ${months.at(-1) ?? ''}
      group by 1`,
  );
  return new Map(rows.map((row) => [row.month ?? '', num(row.members)]));
}

/** Whether an id is one of the organization's locations / tiers / segments (for the filters). */
export async function exists(
  db: Db,
  organizationId: string,
  kind: 'location' | 'tier' | 'segment',
  id: string,
): Promise<boolean> {
  const table = { location: locations, tier: tiers, segment: segments }[kind];
  const rows = await rawRows<Row>(
    db,
    sql`select 1 as found from ${table} where organization_id = ${organizationId} and id = ${id}`,
  );
  return rows.length > 0;
}
