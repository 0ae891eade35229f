import { type SQL, sql } from 'drizzle-orm';
import { arrayParam, type Executor, rawRows } from '../../db/connection.ts';
import { customers } from '../customers/schema.ts';
import { ledgerEntries, pointBalances } from '../ledger/schema.ts';
import { locations } from '../locations/schema.ts';
import { coupons, redemptions, rewardUsages } from '../rewards/schema.ts';
import { transactions } from '../transactions/schema.ts';
import {
  analyticsDayBreakdowns,
  analyticsDays,
  analyticsLiability,
  analyticsMemberDays,
  LOCATION_ALL,
  LOCATION_NONE,
} from './schema.ts';

/**
 * Recomputing one organization's local day from the source tables. Analytics is a read model:
 * like segments and tiers, it reads the tables of the modules it reports on (never writes them).
 * Every figure of a day is rewritten whole, so a day recomputed by the worker and by a rebuild
 * holds the same rows, and a late ticket, a status change or a return only marks its day again.
 */

export interface RollupScope {
  organizationId: string;
  timeZone: string;
}

/** The day's bounds, as instants: local midnight to local midnight (23 or 25 hours across DST). */
function bounds(scope: RollupScope, day: string) {
  return {
    start: sql`(${day}::date::timestamp at time zone ${scope.timeZone})`,
    end: sql`((${day}::date + 1)::timestamp at time zone ${scope.timeZone})`,
  };
}

/**
 * The keys are written into the statements as literals: `grouping()` must see the very
 * expression the rows are grouped by, and two parameters are two expressions to PostgreSQL.
 */
const NONE = sql.raw(`'${LOCATION_NONE}'`);
const ALL = sql.raw(`'${LOCATION_ALL}'`);
const locationKey = (column: SQL) => sql`coalesce(${column}::text, ${NONE})`;
/** With `grouping sets ((location), ())`: the grand-total row is the `all` location. */
const groupedLocation = (column: SQL) =>
  sql`case when grouping(${locationKey(column)}) = 1 then ${ALL} else ${locationKey(column)} end`;

/**
 * The day's tickets. The organization's locations are named so that PostgreSQL walks the
 * (organization, location, purchased_at) index once per location instead of every ticket.
 */
function dayTickets(scope: RollupScope, day: string): SQL {
  const { start, end } = bounds(scope, day);
  return sql`(
    select t.* from ${transactions} t
    where t.organization_id = ${scope.organizationId}
      and t.location_id in (select l.id from ${locations} l where l.organization_id = ${scope.organizationId})
      and t.purchased_at >= ${start} and t.purchased_at < ${end}
    union all
    select t.* from ${transactions} t
    where t.organization_id = ${scope.organizationId} and t.location_id is null
      and t.purchased_at >= ${start} and t.purchased_at < ${end}
  )`;
}

/**
 * The smallest UUIDv7 of an instant's millisecond: its 48-bit Unix time in milliseconds, then
 * zeros (PostgreSQL compares uuids byte by byte, and reads 32 hex digits without dashes).
 */
const uuidFloor = (instant: SQL) =>
  sql`(lpad(to_hex(floor(extract(epoch from ${instant}) * 1000)::bigint), 12, '0') || '00000000000000000000')::uuid`;

/** The day's ledger entries: found by their time-ordered ids (UUIDv7), counted by `created_at`. */
function dayEntries(scope: RollupScope, day: string): SQL {
  const { start, end } = bounds(scope, day);
  return sql`(
    select e.* from ${ledgerEntries} e
    where e.organization_id = ${scope.organizationId}
      and e.id >= ${uuidFloor(sql`${start} - interval '1 hour'`)} and e.id < ${uuidFloor(sql`${end} + interval '1 hour'`)}
      and e.created_at >= ${start} and e.created_at < ${end}
  )`;
}

async function clearDay(tx: Executor, scope: RollupScope, day: string) {
  for (const table of [analyticsDays, analyticsDayBreakdowns]) {
    await tx.execute(
      sql`delete from ${table} where organization_id = ${scope.organizationId} and day = ${day}::date`,
    );
  }
}

/** Sets some columns of the day's rows (one per location and the `all` row), adding rows as needed. */
function upsertDays(scope: RollupScope, day: string, columns: string[], select: SQL): SQL {
  const list = sql.raw(columns.join(', '));
  const updates = sql.raw(columns.map((column) => `${column} = excluded.${column}`).join(', '));
  return sql`insert into ${analyticsDays} (organization_id, day, location_key, ${list})
    select ${scope.organizationId}::uuid, ${day}::date, location_key, ${list} from (${select}) s
    on conflict (organization_id, day, location_key) do update set ${updates}`;
}

function sales(scope: RollupScope, day: string): SQL {
  const loc = sql`t.location_id`;
  const completed = sql`t.status = 'completed'`;
  const sale = sql`${completed} and t.type = 'sale'`;
  return upsertDays(
    scope,
    day,
    ['tickets', 'revenue', 'member_tickets', 'member_revenue', 'returns', 'returned_amount'],
    sql`select ${groupedLocation(loc)} as location_key,
        count(*) filter (where ${sale}) as tickets,
        coalesce(sum(t.total) filter (where ${sale}), 0) as revenue,
        count(*) filter (where ${sale} and t.customer_id is not null) as member_tickets,
        coalesce(sum(t.total) filter (where ${sale} and t.customer_id is not null), 0) as member_revenue,
        count(*) filter (where ${completed} and t.type = 'return') as returns,
        coalesce(sum(t.total) filter (where ${completed} and t.type = 'return'), 0) as returned_amount
      from ${dayTickets(scope, day)} t
      group by grouping sets ((${locationKey(loc)}), ())
      having count(*) > 0`,
  );
}

/**
 * Points by what the entry did. `net` is Σ delta (what members hold changed by), so that
 * net = issued − spent − expired − cancelled + adjusted (transfers and blocks move nothing).
 */
const POINT_MEASURES = {
  points_issued: sql`coalesce(sum(e.points) filter (where e.kind in ('earn', 'add')), 0)`,
  points_spent: sql`coalesce(sum(e.points) filter (where e.kind = 'spend'), 0)`,
  points_expired: sql`coalesce(sum(e.points) filter (where e.kind = 'expire'), 0)`,
  points_cancelled: sql`coalesce(-sum(e.delta) filter (where e.kind in ('cancel', 'reverse')), 0)`,
  points_adjusted: sql`coalesce(sum(e.delta) filter (where e.kind = 'adjust'), 0)`,
  points_transferred: sql`coalesce(sum(e.points) filter (where e.kind = 'transfer_out'), 0)`,
  points_net: sql`coalesce(sum(e.delta), 0)`,
};

function points(scope: RollupScope, day: string): SQL {
  const loc = sql`e.location_id`;
  const measures = Object.entries(POINT_MEASURES).map(
    ([name, expression]) => sql`${expression} as ${sql.raw(name)}`,
  );
  return upsertDays(
    scope,
    day,
    Object.keys(POINT_MEASURES),
    sql`select ${groupedLocation(loc)} as location_key, ${sql.join(measures, sql`, `)}
      from ${dayEntries(scope, day)} e
      group by grouping sets ((${locationKey(loc)}), ())
      having count(*) > 0`,
  );
}

function newMembers(scope: RollupScope, day: string): SQL {
  const { start, end } = bounds(scope, day);
  return upsertDays(
    scope,
    day,
    ['new_members'],
    sql`select ${ALL} as location_key, count(*) as new_members from ${customers} c
      where c.organization_id = ${scope.organizationId} and c.created_at >= ${start} and c.created_at < ${end}
      having count(*) > 0`,
  );
}

function rewards(scope: RollupScope, day: string): SQL {
  const { start, end } = bounds(scope, day);
  // Claims have no location; coupons used and redemptions have theirs.
  return upsertDays(
    scope,
    day,
    ['claims', 'coupons_used', 'redemptions', 'discount_given'],
    sql`select ${groupedLocation(sql`r.location_id`)} as location_key,
        coalesce(sum(r.claims), 0) as claims, coalesce(sum(r.coupons_used), 0) as coupons_used,
        coalesce(sum(r.redemptions), 0) as redemptions, coalesce(sum(r.discount), 0) as discount_given
      from (
        select null::uuid as location_id, u.quantity as claims, 0 as coupons_used, 0 as redemptions, 0 as discount
          from ${rewardUsages} u
          where u.organization_id = ${scope.organizationId} and u.kind = 'claim' and u.released_at is null
            and u.used_at >= ${start} and u.used_at < ${end}
        union all
        select c.location_id, 0, 1, 0, 0 from ${coupons} c
          where c.organization_id = ${scope.organizationId} and c.status = 'used'
            and c.used_at >= ${start} and c.used_at < ${end}
        union all
        select r.location_id, 0, 0, 1, r.total_discount from ${redemptions} r
          where r.organization_id = ${scope.organizationId} and r.status = 'committed'
            and r.committed_at >= ${start} and r.committed_at < ${end}
      ) r
      group by grouping sets ((${locationKey(sql`r.location_id`)}), ())
      having count(*) > 0`,
  );
}

function insertBreakdowns(scope: RollupScope, day: string, select: SQL): SQL {
  return sql`insert into ${analyticsDayBreakdowns}
      (organization_id, day, location_key, dimension, key, count, points, amount)
    select ${scope.organizationId}::uuid, ${day}::date, location_key, dimension, key, count, points, amount
    from (${select}) s`;
}

/** Points of each point type, by what the entries did. */
function pointsByType(scope: RollupScope, day: string): SQL {
  const loc = sql`e.location_id`;
  const perMeasure = Object.entries(POINT_MEASURES).map(
    ([name, expression]) =>
      sql`select ${groupedLocation(loc)} as location_key, ${`${name}.point_type`} as dimension,
          e.point_type_id::text as key, count(*) as count, ${expression} as points, 0 as amount
        from ${dayEntries(scope, day)} e
        group by grouping sets ((${locationKey(loc)}, e.point_type_id), (e.point_type_id))`,
  );
  return insertBreakdowns(scope, day, sql`${sql.join(perMeasure, sql` union all `)}`);
}

/** Each earning rule: the tickets it paid on, its points, and the revenue of those tickets. */
function rules(scope: RollupScope, day: string): SQL {
  const loc = sql`p.location_id`;
  return insertBreakdowns(
    scope,
    day,
    sql`select ${groupedLocation(loc)} as location_key, 'rule' as dimension, p.rule_id as key,
        count(*) as count, sum(p.points) as points, sum(p.total) as amount
      from (
        select t.id, t.location_id, t.total, b->>'ruleId' as rule_id, sum((b->>'points')::bigint) as points
        from ${dayTickets(scope, day)} t, jsonb_array_elements(t.breakdown) b
        where t.status = 'completed' and t.type = 'sale'
        group by t.id, t.location_id, t.total, b->>'ruleId'
      ) p
      group by grouping sets ((${locationKey(loc)}, p.rule_id), (p.rule_id))`,
  );
}

/** Members who joined, by where they signed up (`source`: POS, a dialect, an import, the join page). */
function channels(scope: RollupScope, day: string): SQL {
  const { start, end } = bounds(scope, day);
  return insertBreakdowns(
    scope,
    day,
    sql`select ${ALL} as location_key, 'new_members.channel' as dimension,
        coalesce(c.source, 'unknown') as key, count(*) as count, 0 as points, 0 as amount
      from ${customers} c
      where c.organization_id = ${scope.organizationId} and c.created_at >= ${start} and c.created_at < ${end}
      group by coalesce(c.source, 'unknown')`,
  );
}

/** Each reward: coupons claimed (and their points), coupons used, direct redemptions. */
function rewardsByReward(scope: RollupScope, day: string): SQL {
  const { start, end } = bounds(scope, day);
  return insertBreakdowns(
    scope,
    day,
    sql`select ${groupedLocation(sql`x.location_id`)} as location_key, x.dimension, x.key,
        sum(x.count) as count, sum(x.points) as points, 0 as amount
      from (
        select null::uuid as location_id, 'claims.reward' as dimension, u.reward_id::text as key,
            u.quantity as count, u.points
          from ${rewardUsages} u
          where u.organization_id = ${scope.organizationId} and u.released_at is null
            and u.used_at >= ${start} and u.used_at < ${end} and u.kind = 'claim'
        union all
        select null::uuid, 'redemptions.reward', u.reward_id::text, u.quantity, u.points
          from ${rewardUsages} u
          where u.organization_id = ${scope.organizationId} and u.released_at is null
            and u.used_at >= ${start} and u.used_at < ${end} and u.kind = 'redemption'
        union all
        select c.location_id, 'coupons_used.reward', c.reward_id::text, 1, 0 from ${coupons} c
          where c.organization_id = ${scope.organizationId} and c.status = 'used'
            and c.used_at >= ${start} and c.used_at < ${end}
      ) x
      group by grouping sets ((${locationKey(sql`x.location_id`)}, x.dimension, x.key), (x.dimension, x.key))`,
  );
}

const COHORT = 'members.cohort';

/**
 * Each member's day at each location and in the whole (`all`), with the member's previous day at
 * that location key. A day's rows are rewritten; a member who came or went that day changes the
 * previous day of their next row, which is set again here (and that row's day's cohort figures).
 */
async function memberDays(tx: Executor, scope: RollupScope, day: string): Promise<void> {
  const org = scope.organizationId;
  const keys = sql`(array(select l.id::text from ${locations} l where l.organization_id = ${org})
    || array[${NONE}, ${ALL}])`;
  type Key = { customer_id: string; location_key: string };
  const removed = await rawRows<Key>(
    tx,
    sql`delete from ${analyticsMemberDays}
      where organization_id = ${org} and location_key = any(${keys}) and day = ${day}::date
      returning customer_id::text, location_key`,
  );
  const loc = locationKey(sql`t.location_id`);
  const added = await rawRows<Key>(
    tx,
    sql`insert into ${analyticsMemberDays}
        (organization_id, day, customer_id, location_key, previous_day, tickets, revenue)
      select ${org}::uuid, ${day}::date, s.customer_id, s.location_key,
          (select max(p.day) from ${analyticsMemberDays} p
            where p.organization_id = ${org} and p.customer_id = s.customer_id
              and p.location_key = s.location_key and p.day < ${day}::date),
          s.tickets, s.revenue
      from (
        select t.customer_id, ${groupedLocation(sql`t.location_id`)} as location_key,
            count(*) as tickets, sum(t.total) as revenue
        from ${dayTickets(scope, day)} t
        where t.customer_id is not null and t.status = 'completed' and t.type = 'sale'
        group by grouping sets ((t.customer_id, ${loc}), (t.customer_id))
      ) s
      returning customer_id::text, location_key`,
  );
  const key = (row: Key) => `${row.customer_id}/${row.location_key}`;
  const before = new Set(removed.map(key));
  const after = new Set(added.map(key));
  const changed = [
    ...removed.filter((row) => !after.has(key(row))),
    ...added.filter((row) => !before.has(key(row))),
  ];
  const laterDays = new Set<string>();
  if (changed.length > 0) {
    const customers = arrayParam(
      changed.map((row) => row.customer_id),
      'uuid',
    );
    const keysChanged = arrayParam(
      changed.map((row) => row.location_key),
      'text',
    );
    const updated = await rawRows<{ day: string; location_key: string }>(
      tx,
      sql`update ${analyticsMemberDays} m
        set previous_day = (select max(p.day) from ${analyticsMemberDays} p
          where p.organization_id = m.organization_id and p.customer_id = m.customer_id
            and p.location_key = m.location_key and p.day < m.day)
        from unnest(${customers}, ${keysChanged}) k(customer_id, location_key)
        where m.organization_id = ${org} and m.customer_id = k.customer_id and m.location_key = k.location_key
          and m.day = (select min(n.day) from ${analyticsMemberDays} n
            where n.organization_id = ${org} and n.customer_id = k.customer_id
              and n.location_key = k.location_key and n.day > ${day}::date)
        returning m.day::text as day, m.location_key`,
    );
    for (const row of updated) if (row.location_key === LOCATION_ALL) laterDays.add(row.day);
  }
  await cohorts(tx, scope, day);
  for (const later of laterDays) await cohorts(tx, scope, later);
}

/**
 * Each cohort's (the month its members joined, local) figures of a day: the members whose
 * purchase that day is their first of the month, and their revenue. Summed over a month's days,
 * the cohort's active members and revenue in that month.
 */
async function cohorts(tx: Executor, scope: RollupScope, day: string): Promise<void> {
  const org = scope.organizationId;
  await tx.execute(sql`delete from ${analyticsDayBreakdowns}
    where organization_id = ${org} and day = ${day}::date and location_key = ${ALL} and dimension = ${COHORT}`);
  await tx.execute(
    insertBreakdowns(
      scope,
      day,
      sql`select ${ALL} as location_key, ${COHORT} as dimension,
          to_char(c.created_at at time zone ${scope.timeZone}, 'YYYY-MM') as key,
          count(*) filter (where m.previous_day is null
            or m.previous_day < date_trunc('month', m.day::timestamp)::date) as count,
          0 as points, sum(m.revenue) as amount
        from ${analyticsMemberDays} m
        join ${customers} c on c.organization_id = m.organization_id and c.id = m.customer_id
        where m.organization_id = ${org} and m.location_key = ${ALL} and m.day = ${day}::date
        group by 3`,
    ),
  );
}

/** Rewrites every figure of one local day. The caller holds the organization's rollup lock. */
export async function recomputeDay(tx: Executor, scope: RollupScope, day: string): Promise<void> {
  await clearDay(tx, scope, day);
  for (const statement of [
    sales(scope, day),
    points(scope, day),
    newMembers(scope, day),
    rewards(scope, day),
    pointsByType(scope, day),
    rules(scope, day),
    channels(scope, day),
    rewardsByReward(scope, day),
  ]) {
    await tx.execute(statement);
  }
  await memberDays(tx, scope, day);
}

/** The liability now: what members hold of each point type, from the balances. */
export async function refreshLiability(tx: Executor, organizationId: string): Promise<void> {
  await tx.execute(sql`delete from ${analyticsLiability} where organization_id = ${organizationId}`);
  await tx.execute(sql`insert into ${analyticsLiability} (organization_id, point_type_id, active, pending, blocked)
    select ${organizationId}::uuid, b.point_type_id, sum(b.active), sum(b.pending), sum(b.blocked)
    from ${pointBalances} b where b.organization_id = ${organizationId}
    group by b.point_type_id`);
}
