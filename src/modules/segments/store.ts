import { and, asc, count, eq, inArray, isNull, type SQL, sql } from 'drizzle-orm';
import { arrayParam, type Executor, rawRows } from '../../db/connection.ts';
import { afterCursor, fetchSize, type PageRequest } from '../../db/pagination.ts';
import type { PartRead } from '../../db/together.ts';
import { customers } from '../customers/schema.ts';
import { audienceRefreshes, segmentMembers, segments } from './schema.ts';

/** The SQL of segments and their membership; every statement is scoped to one organization. */

export type SegmentRow = typeof segments.$inferSelect;

export function activeSegments(executor: Executor, organizationId: string): Promise<SegmentRow[]> {
  return executor
    .select()
    .from(segments)
    .where(and(eq(segments.organizationId, organizationId), eq(segments.active, true)));
}

export async function findSegment(
  executor: Executor,
  organizationId: string,
  id: string,
  options: { forUpdate?: boolean } = {},
): Promise<SegmentRow | undefined> {
  const query = executor
    .select()
    .from(segments)
    .where(and(eq(segments.organizationId, organizationId), eq(segments.id, id)));
  const [row] = options.forUpdate ? await query.for('update') : await query;
  return row;
}

export function listSegments(
  executor: Executor,
  organizationId: string,
  filter: { active?: boolean | undefined },
  page: PageRequest,
): Promise<SegmentRow[]> {
  return executor
    .select()
    .from(segments)
    .where(
      and(
        eq(segments.organizationId, organizationId),
        filter.active === undefined ? undefined : eq(segments.active, filter.active),
        afterCursor(segments.id, page),
      ),
    )
    .orderBy(asc(segments.id))
    .limit(fetchSize(page));
}

/** Members per segment: an index-only count, never a counter row that every ticket would lock. */
export async function memberCounts(
  executor: Executor,
  organizationId: string,
  segmentIds: string[],
): Promise<Map<string, number>> {
  if (segmentIds.length === 0) return new Map();
  const rows = await executor
    .select({ segmentId: segmentMembers.segmentId, n: count() })
    .from(segmentMembers)
    .where(
      and(eq(segmentMembers.organizationId, organizationId), inArray(segmentMembers.segmentId, segmentIds)),
    )
    .groupBy(segmentMembers.segmentId);
  return new Map(rows.map((row) => [row.segmentId, Number(row.n)]));
}

export function membersOf(executor: Executor, organizationId: string, segmentId: string, page: PageRequest) {
  return executor
    .select({
      customerId: segmentMembers.customerId,
      firstName: customers.firstName,
      lastName: customers.lastName,
      email: customers.email,
      addedAt: segmentMembers.addedAt,
    })
    .from(segmentMembers)
    .innerJoin(
      customers,
      and(
        eq(customers.organizationId, segmentMembers.organizationId),
        eq(customers.id, segmentMembers.customerId),
      ),
    )
    .where(
      and(
        eq(segmentMembers.organizationId, organizationId),
        eq(segmentMembers.segmentId, segmentId),
        isNull(customers.deletedAt),
        afterCursor(segmentMembers.customerId, page),
      ),
    )
    .orderBy(asc(segmentMembers.customerId))
    .limit(fetchSize(page));
}

/** The segments a member is in, with when they joined (cursor over segment ids). */
export function segmentsOfMember(
  executor: Executor,
  organizationId: string,
  customerId: string,
  page: PageRequest,
) {
  return executor
    .select({ segment: segments, addedAt: segmentMembers.addedAt })
    .from(segmentMembers)
    .innerJoin(
      segments,
      and(
        eq(segments.organizationId, segmentMembers.organizationId),
        eq(segments.id, segmentMembers.segmentId),
      ),
    )
    .where(
      and(
        eq(segmentMembers.organizationId, organizationId),
        eq(segmentMembers.customerId, customerId),
        afterCursor(segmentMembers.segmentId, page),
      ),
    )
    .orderBy(asc(segmentMembers.segmentId))
    .limit(fetchSize(page));
}

/** Ids of the segments the member is in, as a part of a read several modules answer together (every ticket asks). */
export function membershipPart(organizationId: string, customerId: string): PartRead<string[]> {
  return {
    json: sql`select coalesce(json_agg(segment_id), '[]'::json) from ${segmentMembers}
              where organization_id = ${organizationId} and customer_id = ${customerId}`,
    decode: (value) => (value ?? []) as string[],
  };
}

export async function addMemberships(
  executor: Executor,
  organizationId: string,
  customerId: string,
  segmentIds: string[],
  now: Date,
): Promise<string[]> {
  if (segmentIds.length === 0) return [];
  const rows = await executor
    .insert(segmentMembers)
    .values(segmentIds.map((segmentId) => ({ organizationId, segmentId, customerId, addedAt: now })))
    .onConflictDoNothing()
    .returning({ segmentId: segmentMembers.segmentId });
  return rows.map((row) => row.segmentId);
}

export async function removeMemberships(
  executor: Executor,
  organizationId: string,
  customerId: string,
  segmentIds: string[],
): Promise<string[]> {
  if (segmentIds.length === 0) return [];
  const rows = await executor
    .delete(segmentMembers)
    .where(
      and(
        eq(segmentMembers.organizationId, organizationId),
        eq(segmentMembers.customerId, customerId),
        inArray(segmentMembers.segmentId, segmentIds),
      ),
    )
    .returning({ segmentId: segmentMembers.segmentId });
  return rows.map((row) => row.segmentId);
}

/** Removes every member of a segment; answers who was removed. */
export async function clearMembers(
  executor: Executor,
  organizationId: string,
  segmentId: string,
): Promise<string[]> {
  const rows = await executor
    .delete(segmentMembers)
    .where(and(eq(segmentMembers.organizationId, organizationId), eq(segmentMembers.segmentId, segmentId)))
    .returning({ customerId: segmentMembers.customerId });
  return rows.map((row) => row.customerId);
}

/**
 * A recompute aggregates every ticket of the organization once. With the default 4 MB of
 * work_mem, PostgreSQL walks a million tickets in member order through an index (random reads:
 * ~10 s for 1M tickets); with room for a hash aggregate it reads them sequentially (~2.5 s).
 * JIT compilation costs more than it saves on this query. Both last until the transaction ends.
 */
export async function tuneForBulkRead(tx: Executor) {
  await tx.execute(sql`select set_config('work_mem', '64MB', true), set_config('jit', 'off', true)`);
}

/**
 * Makes the segment's membership equal to what `matching` selects (a query of `customer_id`), in
 * one statement: deletes who no longer matches, inserts who newly does, answers both. The
 * difference is a FULL JOIN (hash or merge, never a nested loop over 100,000 × 100,000 rows).
 */
export async function syncMembers(
  executor: Executor,
  organizationId: string,
  segmentId: string,
  matching: SQL,
  now: Date,
): Promise<{ added: string[]; removed: string[] }> {
  const rows = await rawRows<{ customer_id: string; added: boolean }>(
    executor,
    sql`
    with matching as materialized (${matching}),
    diff as materialized (
      select coalesce(x.customer_id, m.customer_id) as customer_id, x.customer_id is not null as matches
      from matching x
      full join (select customer_id from ${segmentMembers}
                 where organization_id = ${organizationId} and segment_id = ${segmentId}) m
        on m.customer_id = x.customer_id
      where x.customer_id is null or m.customer_id is null),
    removed as (
      delete from ${segmentMembers} m using diff d
      where m.organization_id = ${organizationId} and m.segment_id = ${segmentId}
        and m.customer_id = d.customer_id and not d.matches
      returning m.customer_id),
    added as (
      insert into ${segmentMembers} (organization_id, segment_id, customer_id, added_at)
      select ${organizationId}::uuid, ${segmentId}::uuid, d.customer_id, ${now.toISOString()}::timestamptz
      from diff d where d.matches
      on conflict do nothing
      returning customer_id)
    select customer_id, true as added from added
    union all
    select customer_id, false as added from removed`,
  );
  const added: string[] = [];
  const removed: string[] = [];
  for (const row of rows) (row.added ? added : removed).push(row.customer_id);
  return { added, removed };
}

/** Existing, not deleted members among these ids. */
export async function existingMembers(
  executor: Executor,
  organizationId: string,
  ids: string[],
): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await rawRows<{ id: string }>(
    executor,
    sql`select id from ${customers} where organization_id = ${organizationId}
        and id = any(${arrayParam(ids, 'uuid')}) and deleted_at is null`,
  );
  return new Set(rows.map((row) => row.id));
}

/**
 * Claims the daily refresh of an organization for `localDate`: true for exactly one caller per
 * organization and local day, whichever node asks first.
 */
export async function claimDailyRefresh(
  executor: Executor,
  organizationId: string,
  localDate: string,
  now: Date,
): Promise<boolean> {
  const rows = await executor
    .insert(audienceRefreshes)
    .values({ organizationId, localDate, ranAt: now })
    .onConflictDoUpdate({
      target: audienceRefreshes.organizationId,
      set: { localDate, ranAt: now },
      setWhere: sql`${audienceRefreshes.localDate} < ${localDate}`,
    })
    .returning({ organizationId: audienceRefreshes.organizationId });
  return rows.length > 0;
}
