import { type SQL, sql } from 'drizzle-orm';
import { arrayParam, type Db, rawRows, type Tx } from '../../db/connection.ts';
import { transaction } from '../../db/transaction.ts';
import { customers } from '../customers/schema.ts';
import { eventRollupQueue, events } from '../events/schema.ts';
import { claimQueued, markHandled } from '../events/service.ts';
import { ledgerEntries } from '../ledger/schema.ts';
import { organizations } from '../organizations/schema.ts';
import { coupons, redemptions, rewardUsages } from '../rewards/schema.ts';
import { transactions } from '../transactions/schema.ts';
import { type RollupScope, recomputeDay, refreshLiability } from './rollup.ts';
import { analyticsDayBreakdowns, analyticsDays, analyticsDirtyDays, analyticsMemberDays } from './schema.ts';

/**
 * How the rollups keep up, in two steps that any number of processes may run:
 * 1. events of the outbox's rollup queue mark the local days they touch as dirty (a ticket's
 *    purchase day, and the day of the change itself);
 * 2. dirty days are recomputed whole under the organization's lock (weeks, months and any range
 *    are read from the day rows: nothing else to recompute).
 * A change committed while its day is being recomputed marks the day again, so nothing is lost;
 * at worst a day is recomputed twice. That is why marking updates an existing mark instead of
 * leaving it: the update waits for a recompute holding the mark, and once that recompute has
 * deleted it, inserts it anew (a plain `do nothing` would see the doomed mark and drop the change).
 */

/** A change made just before midnight may be stamped by its transaction just after: both days are marked. */
const STAMP_SLACK = sql`interval '5 minutes'`;

export async function markDirtyFromEvents(db: Db, batch: number): Promise<number> {
  return transaction(db, async (tx) => {
    const claimed = await claimQueued(tx, 'rollup', batch);
    if (claimed.length === 0) return 0;
    const ids = arrayParam(
      claimed.map((event) => event.id),
      'uuid',
    );
    await tx.execute(sql`
      insert into ${analyticsDirtyDays} (organization_id, day)
      select distinct e.organization_id, (instant at time zone o.time_zone)::date
      from ${events} e
      join ${organizations} o on o.id = e.organization_id
      cross join lateral (values
        (e.created_at),
        (e.created_at - ${STAMP_SLACK}),
        (case when e.subject_type = 'transaction' then
          (select t.purchased_at from ${transactions} t
            where t.organization_id = e.organization_id and t.id = e.subject_id::uuid)
        end)
      ) v(instant)
      where e.id = any(${ids}) and instant is not null
      on conflict (organization_id, day) do update set day = excluded.day`);
    await markHandled(tx, 'rollup', claimed);
    return claimed.length;
  });
}

interface DirtyDay {
  organization_id: string;
  day: string;
  time_zone: string;
}

/**
 * Recomputes up to `maxDays` dirty days of one organization (the oldest first) and its liability
 * in one transaction. Answers how many days it recomputed.
 */
export async function recomputeDirtyDays(db: Db, maxDays: number): Promise<number> {
  return transaction(db, async (tx) => {
    const [first] = await rawRows<DirtyDay>(
      tx,
      sql`select d.organization_id, d.day::text as day, o.time_zone from ${analyticsDirtyDays} d
        join ${organizations} o on o.id = d.organization_id
        order by d.day limit 1 for update of d skip locked`,
    );
    if (!first) return 0;
    const scope = { organizationId: first.organization_id, timeZone: first.time_zone };
    await lockOrganization(tx, scope.organizationId);
    const days = await rawRows<{ day: string }>(
      tx,
      sql`select day::text as day from ${analyticsDirtyDays}
        where organization_id = ${scope.organizationId}
        order by day limit ${maxDays} for update skip locked`,
    );
    for (const { day } of days) await recomputeDay(tx, scope, day);
    await refreshLiability(tx, scope.organizationId);
    await tx.execute(sql`delete from ${analyticsDirtyDays}
      where organization_id = ${scope.organizationId}
        and day = any(${arrayParam(
          days.map(({ day }) => day),
          'text',
        )}::date[])`);
    return days.length;
  });
}

/**
 * Two processes recomputing days of one organization would both rewrite the members' next rows
 * (their previous day): one waits for the other.
 */
async function lockOrganization(tx: Tx, organizationId: string) {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`analytics:${organizationId}`}, 0))`);
}

/**
 * Marks every local day on which an organization has anything to count (a ticket, an entry, a new
 * member, a claim, a use, a redemption), and every day that has rollups now (whose source rows may
 * be gone): the days a rebuild must recompute. Days with nothing have no rows either way.
 */
export async function markAllDays(db: Db, scope: RollupScope): Promise<number> {
  const { organizationId, timeZone } = scope;
  const local = (column: SQL) => sql`(${column} at time zone ${timeZone})::date`;
  const mine = sql`organization_id = ${organizationId}`;
  const [marked] = await rawRows<{ count: string }>(
    db,
    sql`with inserted as (
        insert into ${analyticsDirtyDays} (organization_id, day)
        select ${organizationId}::uuid, day from (
          select ${local(sql`purchased_at`)} as day from ${transactions} where ${mine}
          union select ${local(sql`created_at`)} from ${ledgerEntries} where ${mine}
          union select ${local(sql`created_at`)} from ${customers} where ${mine}
          union select ${local(sql`used_at`)} from ${rewardUsages} where ${mine}
          union select ${local(sql`used_at`)} from ${coupons} where ${mine} and used_at is not null
          union select ${local(sql`committed_at`)} from ${redemptions} where ${mine} and committed_at is not null
          union select day from ${analyticsDays} where ${mine}
        ) days
        on conflict do nothing
        returning 1
      )
      select count(*)::text as count from inserted`,
  );
  return Number(marked?.count ?? 0);
}

/**
 * After a rebuild: statistics (until autovacuum gets to them the planner takes the new rows for
 * none) and the visibility map (so distinct counts are read from the member rollups' index alone).
 */
export async function vacuumRollups(db: Db): Promise<void> {
  await db.execute(sql`vacuum (analyze) ${analyticsDays}, ${analyticsDayBreakdowns}, ${analyticsMemberDays}`);
}

/** Dirty days left, for a progress bar. */
export async function dirtyDaysLeft(db: Db, organizationId?: string): Promise<number> {
  const [row] = await rawRows<{ count: string }>(
    db,
    sql`select count(*)::text as count from ${analyticsDirtyDays}
      ${organizationId ? sql`where organization_id = ${organizationId}` : sql``}`,
  );
  return Number(row?.count ?? 0);
}

/** Events still waiting to mark their days: with the dirty days, how far behind the rollups are. */
export async function queuedEvents(db: Db): Promise<number> {
  const [row] = await rawRows<{ count: string }>(
    db,
    sql`select count(*)::text as count from ${eventRollupQueue}`,
  );
  return Number(row?.count ?? 0);
}

/**
 * One pass of upkeep: every queued event marks its days, then the dirty days are recomputed.
 * Events go in batches of 500, to keep each transaction short.
 */
export async function catchUp(db: Db, options: { eventBatch?: number; dayBatch?: number } = {}) {
  let events = 0;
  for (;;) {
    const marked = await markDirtyFromEvents(db, options.eventBatch ?? 500);
    events += marked;
    if (marked === 0) break;
  }
  let days = 0;
  for (;;) {
    const recomputed = await recomputeDirtyDays(db, options.dayBatch ?? 31);
    days += recomputed;
    if (recomputed === 0) break;
  }
  return { events, days };
}
