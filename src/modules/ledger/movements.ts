import { and, asc, desc, eq, getTableColumns, type SQL, sql } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import type { Executor } from '../../db/connection.ts';
import { ledgerEntries, pointLots } from './schema.ts';
import type { EntryRow } from './store.ts';

/**
 * The ledger read as a list of point movements, each with its direction and its state now: what a
 * "points transfers" screen or dialect lists. Entries that only undo or settle another (cancel,
 * unblock, expire) are not movements: the movement they undo shows `canceled` instead.
 */

/** `credit` (earn, manual add, a positive adjustment), `debit` (spend, block, a return's take-back, a negative adjustment), or one half of a member-to-member transfer. */
export const MOVEMENT_DIRECTIONS = ['credit', 'debit', 'transfer_in', 'transfer_out'] as const;
export type MovementDirection = (typeof MOVEMENT_DIRECTIONS)[number];

/** `pending` (not spendable yet), `active`, `expired`, `blocked` (a block still held), `canceled` (undone). */
export const MOVEMENT_STATES = ['pending', 'active', 'expired', 'blocked', 'canceled'] as const;
export type MovementState = (typeof MOVEMENT_STATES)[number];

export type MovementSort = 'id' | 'createdAt' | 'points';

export interface MovementFilter {
  customerId?: string | undefined;
  directions?: readonly MovementDirection[] | undefined;
  states?: readonly MovementState[] | undefined;
}

export interface MovementPage {
  offset: number;
  limit: number;
  sort: MovementSort;
  descending: boolean;
}

export interface Movement extends EntryRow {
  direction: MovementDirection;
  state: MovementState;
}

const direction = sql<MovementDirection | null>`case
  when ${ledgerEntries.kind} in ('transfer_in', 'transfer_out') then ${ledgerEntries.kind}
  when ${ledgerEntries.kind} in ('earn', 'add') or (${ledgerEntries.kind} = 'adjust' and ${ledgerEntries.delta} > 0) then 'credit'
  when ${ledgerEntries.kind} in ('spend', 'block', 'reverse', 'adjust') then 'debit'
end`;

/**
 * An entry is undone when a cancel (or, for a block, an unblock) names it (ledger_entries_related_idx);
 * a credit is pending or expired as its lots are (point_lots_entry_idx), so activating or expiring
 * them by hand (manual.ts) shows.
 */
/** The listed entry, qualified: drizzle prints a select list's columns bare, which a subquery would rebind. */
const outer = {
  organizationId: sql.raw('"ledger_entries"."organization_id"'),
  id: sql.raw('"ledger_entries"."id"'),
};

function stateAt(now: Date): SQL<MovementState> {
  const at = sql`${now.toISOString()}::timestamptz`;
  return sql<MovementState>`case
    when exists (select 1 from ${ledgerEntries} u
                 where u.organization_id = ${outer.organizationId}
                   and u.related_entry_id = ${outer.id} and u.kind in ('cancel', 'unblock')) then 'canceled'
    when ${ledgerEntries.kind} = 'block' then 'blocked'
    when exists (select 1 from ${pointLots} l
                 where l.organization_id = ${outer.organizationId} and l.entry_id = ${outer.id}
                   and l.status = 'pending' and l.active_from > ${at}) then 'pending'
    when exists (select 1 from ${pointLots} l
                 where l.organization_id = ${outer.organizationId} and l.entry_id = ${outer.id}
                   and l.expires_at <= ${at}) then 'expired'
    else 'active'
  end`;
}

const ORDER: Record<MovementSort, SQL | AnyPgColumn> = {
  id: ledgerEntries.id,
  createdAt: ledgerEntries.createdAt,
  points: sql`abs(${ledgerEntries.points})`,
};

/** One page of the organization's (or one member's) movements and how many match, paged in SQL. */
export async function movements(
  executor: Executor,
  organizationId: string,
  filter: MovementFilter,
  page: MovementPage,
  now: Date,
): Promise<{ rows: Movement[]; total: number }> {
  const state = stateAt(now);
  const where = and(
    eq(ledgerEntries.organizationId, organizationId),
    filter.customerId ? eq(ledgerEntries.customerId, filter.customerId) : undefined,
    sql`(${direction}) is not null`,
    filter.directions?.length ? sql`(${direction}) in ${[...filter.directions]}` : undefined,
    filter.states?.length ? sql`(${state}) in ${[...filter.states]}` : undefined,
  );
  const order = page.descending ? desc : asc;
  const [rows, [count]] = await Promise.all([
    executor
      .select({ ...getTableColumns(ledgerEntries), direction, state })
      .from(ledgerEntries)
      .where(where)
      .orderBy(order(ORDER[page.sort]), order(ledgerEntries.id))
      .limit(page.limit)
      .offset(page.offset),
    executor.select({ total: sql<number>`count(*)::int` }).from(ledgerEntries).where(where),
  ]);
  return { rows: rows as Movement[], total: Number(count?.total ?? 0) };
}

/** Kinds whose entries are movements (for callers that check one entry). */
export function isMovement(entry: Pick<EntryRow, 'kind'>): boolean {
  return !['cancel', 'unblock', 'expire'].includes(entry.kind);
}
