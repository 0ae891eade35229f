import { and, asc, count, eq, gt, inArray, isNotNull, isNull, lte, type SQL, sql } from 'drizzle-orm';
import { arrayParam, type Executor, rawRows, rowOf, type Tx } from '../../db/connection.ts';
import { afterCursor, fetchSize, type PageRequest } from '../../db/pagination.ts';
import { deferredWrite } from '../../db/pipeline.ts';
import { type PartRead, readPart } from '../../db/together.ts';
import type { TierDefinition, TierState } from '../../domain/tiers.ts';
import { customers } from '../customers/schema.ts';
import { customerTiers, tiers } from './schema.ts';

/** The SQL of tiers. Every statement is scoped to one organization except the expiry scan. */

export type TierRow = typeof tiers.$inferSelect;
export type MemberTierRow = typeof customerTiers.$inferSelect;

export function toDefinition(row: TierRow): TierDefinition {
  return {
    id: row.id,
    threshold: row.threshold,
    multiplier: row.multiplier,
    active: row.active,
    sortOrder: row.sortOrder,
  };
}

export function stateOf(
  row:
    | Pick<
        MemberTierRow,
        'automaticTierId' | 'belowSince' | 'manualTierId' | 'manualLocked' | 'manualExpiresAt'
      >
    | undefined,
): TierState {
  if (!row) return { automaticTierId: null, belowSince: null, manual: null };
  return {
    automaticTierId: row.automaticTierId,
    belowSince: row.belowSince,
    manual:
      row.manualTierId === null
        ? null
        : { tierId: row.manualTierId, locked: row.manualLocked, expiresAt: row.manualExpiresAt },
  };
}

export function allTiers(executor: Executor, organizationId: string): Promise<TierRow[]> {
  return executor.select().from(tiers).where(eq(tiers.organizationId, organizationId));
}

export async function findTier(executor: Executor, organizationId: string, id: string) {
  const [row] = await executor
    .select()
    .from(tiers)
    .where(and(eq(tiers.organizationId, organizationId), eq(tiers.id, id)));
  return row;
}

export function listTiers(
  executor: Executor,
  organizationId: string,
  filter: { active?: boolean | undefined },
  page: PageRequest,
): Promise<TierRow[]> {
  return executor
    .select()
    .from(tiers)
    .where(
      and(
        eq(tiers.organizationId, organizationId),
        filter.active === undefined ? undefined : eq(tiers.active, filter.active),
        afterCursor(tiers.id, page),
      ),
    )
    .orderBy(asc(tiers.id))
    .limit(fetchSize(page));
}

/** Members holding each tier (members who were deleted are not counted). */
export async function memberCounts(
  executor: Executor,
  organizationId: string,
  tierIds: string[],
): Promise<Map<string, number>> {
  if (tierIds.length === 0) return new Map();
  const rows = await executor
    .select({ tierId: customerTiers.tierId, n: count() })
    .from(customerTiers)
    .where(and(eq(customerTiers.organizationId, organizationId), inArray(customerTiers.tierId, tierIds)))
    .groupBy(customerTiers.tierId);
  return new Map(rows.map((row) => [row.tierId!, Number(row.n)]));
}

export function membersOf(executor: Executor, organizationId: string, tierId: string, page: PageRequest) {
  return executor
    .select({
      customerId: customerTiers.customerId,
      firstName: customers.firstName,
      lastName: customers.lastName,
      email: customers.email,
      since: customerTiers.changedAt,
    })
    .from(customerTiers)
    .innerJoin(
      customers,
      and(
        eq(customers.organizationId, customerTiers.organizationId),
        eq(customers.id, customerTiers.customerId),
      ),
    )
    .where(
      and(
        eq(customerTiers.organizationId, organizationId),
        eq(customerTiers.tierId, tierId),
        isNull(customers.deletedAt),
        afterCursor(customerTiers.customerId, page),
      ),
    )
    .orderBy(asc(customerTiers.customerId))
    .limit(fetchSize(page));
}

export async function findMemberTier(executor: Executor, organizationId: string, customerId: string) {
  return readPart(executor, memberTierPart(organizationId, customerId));
}

/** The member's tier row, as a part of a read several modules answer together (every ticket asks). */
export function memberTierPart(
  organizationId: string,
  customerId: string,
): PartRead<MemberTierRow | undefined> {
  return {
    json: sql`select row_to_json(${customerTiers}) from ${customerTiers}
              where organization_id = ${organizationId} and customer_id = ${customerId}`,
    decode: (value) => (value ? rowOf(customerTiers, value as Record<string, unknown>) : undefined),
  };
}

/**
 * Creates the member's row if needed and locks it (as the ledger locks a balance), and reads the
 * member's basis value (`basis`, a query of `customer_id, value`), in one round trip: what a
 * ticket's re-evaluation starts with.
 */
export async function lockMemberTierWithValue(
  tx: Tx,
  organizationId: string,
  customerId: string,
  basis: SQL,
): Promise<{ row: Pick<MemberTierRow, StateColumns>; value: number }> {
  const [found] = await rawRows<{
    tier_id: string | null;
    automatic_tier_id: string | null;
    below_since: Date | string | null;
    manual_tier_id: string | null;
    manual_locked: boolean;
    manual_expires_at: Date | string | null;
    value: number | string;
  }>(
    tx,
    sql`
    with locked as (
      insert into ${customerTiers} (organization_id, customer_id) values (${organizationId}, ${customerId})
      on conflict (organization_id, customer_id) do update set organization_id = ${customerTiers}.organization_id
      returning *)
    select l.tier_id, l.automatic_tier_id, l.below_since, l.manual_tier_id, l.manual_locked, l.manual_expires_at,
      coalesce((select b.value from (${basis}) b limit 1), 0) as value
    from locked l`,
  );
  const date = (value: Date | string | null) => (value === null ? null : new Date(value));
  return {
    row: {
      tierId: found!.tier_id,
      automaticTierId: found!.automatic_tier_id,
      belowSince: date(found!.below_since),
      manualTierId: found!.manual_tier_id,
      manualLocked: found!.manual_locked,
      manualExpiresAt: date(found!.manual_expires_at),
    },
    value: Number(found!.value),
  };
}

type StateColumns =
  | 'tierId'
  | 'automaticTierId'
  | 'belowSince'
  | 'manualTierId'
  | 'manualLocked'
  | 'manualExpiresAt';

/** Creates the rows of these members if needed, then locks them all, in id order (no deadlocks). */
export async function lockMemberTiers(tx: Tx, organizationId: string, customerIds: string[]) {
  await tx.execute(sql`
    insert into ${customerTiers} (organization_id, customer_id)
    select ${organizationId}::uuid, unnest(${arrayParam(customerIds, 'uuid')})
    on conflict do nothing`);
  return tx
    .select()
    .from(customerTiers)
    .where(
      and(
        eq(customerTiers.organizationId, organizationId),
        sql`${customerTiers.customerId} = any(${arrayParam(customerIds, 'uuid')})`,
      ),
    )
    .orderBy(asc(customerTiers.customerId))
    .for('update');
}

export interface MemberTierUpdate {
  customerId: string;
  tierId: string | null;
  automaticTierId: string | null;
  belowSince: Date | null;
  manualTierId: string | null;
  manualLocked: boolean;
  manualExpiresAt: Date | null;
  basisValue: number;
  changed: boolean;
}

/**
 * Writes one member's evaluation (by primary key). Nobody reads its answer, so it travels with the
 * transaction's next statement (deferredWrite), which then sees it: a segment reading the tier.
 */
export async function writeMemberTier(tx: Tx, organizationId: string, u: MemberTierUpdate, now: Date) {
  await tx.execute(
    deferredWrite(sql`
      update ${customerTiers} set tier_id = ${u.tierId}, automatic_tier_id = ${u.automaticTierId},
        below_since = ${u.belowSince}, manual_tier_id = ${u.manualTierId}, manual_locked = ${u.manualLocked},
        manual_expires_at = ${u.manualExpiresAt}, basis_value = ${u.basisValue}, evaluated_at = ${now},
        changed_at = coalesce(${u.changed ? now : null}::timestamptz, changed_at)
      where organization_id = ${organizationId} and customer_id = ${u.customerId}`),
  );
}

/** Writes many members' evaluations in one statement. */
export async function writeMemberTiers(
  tx: Tx,
  organizationId: string,
  updates: MemberTierUpdate[],
  now: Date,
) {
  if (updates.length === 0) return;
  const json = JSON.stringify(
    updates.map((u) => ({
      customer_id: u.customerId,
      tier_id: u.tierId,
      automatic_tier_id: u.automaticTierId,
      below_since: u.belowSince?.toISOString() ?? null,
      manual_tier_id: u.manualTierId,
      manual_locked: u.manualLocked,
      manual_expires_at: u.manualExpiresAt?.toISOString() ?? null,
      basis_value: u.basisValue,
      changed: u.changed,
    })),
  );
  await tx.execute(sql`
    update ${customerTiers} as ct set
      tier_id = x.tier_id,
      automatic_tier_id = x.automatic_tier_id,
      below_since = x.below_since,
      manual_tier_id = x.manual_tier_id,
      manual_locked = x.manual_locked,
      manual_expires_at = x.manual_expires_at,
      basis_value = x.basis_value,
      evaluated_at = ${now},
      changed_at = case when x.changed then ${now} else ct.changed_at end
    from jsonb_to_recordset(${json}::jsonb) as x(
      customer_id uuid, tier_id uuid, automatic_tier_id uuid, below_since timestamptz,
      manual_tier_id uuid, manual_locked boolean, manual_expires_at timestamptz,
      basis_value bigint, changed boolean)
    where ct.organization_id = ${organizationId} and ct.customer_id = x.customer_id
      and ct.customer_id = any(${arrayParam(
        updates.map((u) => u.customerId),
        'uuid',
      )})`);
}

/** Ids of the organization's members that are not deleted, a page at a time, in id order. */
export async function memberIdsAfter(
  executor: Executor,
  organizationId: string,
  afterId: string | undefined,
  limit: number,
): Promise<string[]> {
  const rows = await executor
    .select({ id: customers.id })
    .from(customers)
    .where(
      and(
        eq(customers.organizationId, organizationId),
        sql`${customers.deletedAt} is null`,
        afterId ? gt(customers.id, afterId) : undefined,
      ),
    )
    .orderBy(asc(customers.id))
    .limit(limit);
  return rows.map((row) => row.id);
}

/** Ids of members whose row still names a tier, a page at a time, in id order. */
export async function holderIdsAfter(
  executor: Executor,
  organizationId: string,
  afterId: string | undefined,
  limit: number,
): Promise<string[]> {
  const rows = await executor
    .select({ id: customerTiers.customerId })
    .from(customerTiers)
    .where(
      and(
        eq(customerTiers.organizationId, organizationId),
        sql`(${customerTiers.tierId} is not null or ${customerTiers.automaticTierId} is not null or ${customerTiers.manualTierId} is not null)`,
        afterId ? gt(customerTiers.customerId, afterId) : undefined,
      ),
    )
    .orderBy(asc(customerTiers.customerId))
    .limit(limit);
  return rows.map((row) => row.id);
}

/** Rows of deleted members that still hold a tier: they are cleared by a recompute. */
export async function clearDeletedMembers(tx: Tx, organizationId: string): Promise<number> {
  const rows = await rawRows<{ customer_id: string }>(
    tx,
    sql`
    update ${customerTiers} as ct set tier_id = null, automatic_tier_id = null, manual_tier_id = null,
      manual_locked = false, manual_expires_at = null, below_since = null
    from ${customers} c
    where ct.organization_id = ${organizationId} and c.organization_id = ct.organization_id
      and c.id = ct.customer_id and c.deleted_at is not null
      and (ct.tier_id is not null or ct.manual_tier_id is not null or ct.automatic_tier_id is not null)
    returning ct.customer_id`,
  );
  return rows.length;
}

export async function clearMember(tx: Tx, organizationId: string, customerId: string) {
  await tx
    .update(customerTiers)
    .set({
      tierId: null,
      automaticTierId: null,
      belowSince: null,
      manualTierId: null,
      manualLocked: false,
      manualExpiresAt: null,
    })
    .where(and(eq(customerTiers.organizationId, organizationId), eq(customerTiers.customerId, customerId)));
}

/** Manual assignments whose expiry has come, in any organization (the scheduler's scan). */
export function dueManualExpiries(executor: Executor, now: Date, limit: number) {
  return executor
    .select({ organizationId: customerTiers.organizationId, customerId: customerTiers.customerId })
    .from(customerTiers)
    .where(and(isNotNull(customerTiers.manualExpiresAt), lte(customerTiers.manualExpiresAt, now)))
    .orderBy(asc(customerTiers.manualExpiresAt))
    .limit(limit);
}
