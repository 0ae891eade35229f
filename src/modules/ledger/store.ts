import { and, desc, eq, gt, gte, inArray, isNotNull, lte, type SQL, sql } from 'drizzle-orm';
import { type Executor, rawRows, rowOf, type Tx, tableRows } from '../../db/connection.ts';
import { afterCursor, fetchSize, type PageRequest } from '../../db/pagination.ts';
import type { PartRead } from '../../db/together.ts';
import type { EntryKind, Hundredths } from '../../domain/points.ts';
import { ledgerEntries, pointBalances, pointLotMovements, pointLots } from './schema.ts';

/** The SQL of the ledger. Every statement is scoped to one organization except the scheduler's scan. */

export type BalanceRow = typeof pointBalances.$inferSelect;
export type LotRow = typeof pointLots.$inferSelect;
export type EntryRow = typeof ledgerEntries.$inferSelect;
export type NewEntry = typeof ledgerEntries.$inferInsert;
export type NewLot = typeof pointLots.$inferInsert;

export interface BalanceKey {
  organizationId: string;
  customerId: string;
  pointTypeId: string;
}

export interface Movement {
  lotId: string;
  remainingDelta: number;
  blockedDelta: number;
}

export interface BalanceChange {
  active: number;
  pending: number;
  blocked: number;
  earned: number;
  spent: number;
  expired: number;
}

const keyOf = (key: BalanceKey) =>
  and(
    eq(pointBalances.organizationId, key.organizationId),
    eq(pointBalances.customerId, key.customerId),
    eq(pointBalances.pointTypeId, key.pointTypeId),
  );

/*
 * The statements every ledger operation runs (lock, open lots, replay check, write) are written
 * by hand rather than built: see tableRows.
 */

/**
 * Creates the balance row if needed and locks it (`ON CONFLICT DO UPDATE` takes the row lock, like
 * `SELECT … FOR UPDATE`), in one round trip. Every write to a balance's lots happens under this lock.
 */
export async function lockBalance(tx: Tx, key: BalanceKey): Promise<BalanceRow> {
  const [row] = await tableRows(
    tx,
    pointBalances,
    sql`insert into ${pointBalances} (organization_id, customer_id, point_type_id)
        values (${key.organizationId}, ${key.customerId}, ${key.pointTypeId})
        on conflict (organization_id, customer_id, point_type_id) do update set updated_at = ${pointBalances}.updated_at
        returning *`,
  );
  return row!;
}

/**
 * Which of a balance's lots an operation reads: `open` (all still holding points: what a spend or a
 * block draws on) or `due` (those settling would activate or expire at the operation's time: all a
 * credit touches, so its cost does not grow with the member's history of unspent earnings).
 */
export type LotsNeeded = 'open' | 'due';

/** The condition on lots `l` of one balance at `now`; `open` matches the partial index on open lots. */
function lotsCondition(needed: LotsNeeded, now: Date): SQL {
  const open = sql`(l.remaining > 0 or l.blocked > 0)`;
  if (needed === 'open') return open;
  return sql`${open} and l.remaining > 0 and (
    (l.status = 'pending' and l.active_from <= ${now}) or (l.status = 'active' and l.expires_at <= ${now}))`;
}

export interface LockedBalance {
  balance: BalanceRow;
  /** Its open lots, or undefined when they must be read again (see lockBalanceWithLots). */
  lots: LotRow[] | undefined;
}

/**
 * Locks the balance row (creating it if needed) and reads its open lots in the same round trip.
 * The lots come from the statement's snapshot, taken before the lock was granted, so they are only
 * current if no transaction committed a change to this balance in between. Every lot change
 * rewrites its balance row (and lockBalance rewrites it too), so the row's version tells: the
 * locked row is the newest version, the plain read of it in the same statement the snapshot's.
 * When they differ, `lots` is undefined and the caller reads them now, under the lock. A row this
 * statement creates has no lots yet (they hang off entries, which hang off the balance). Undefined
 * when another transaction created the row meanwhile: lockBalance then.
 */
export async function lockBalanceWithLots(
  tx: Tx,
  key: BalanceKey,
  needed: LotsNeeded,
  now: Date,
): Promise<LockedBalance | undefined> {
  const { organizationId, customerId, pointTypeId } = key;
  const [row] = await rawRows<
    Record<string, unknown> & { newest: string; seen: string | null; lots: unknown[] }
  >(
    tx,
    sql`with locked as (
          select xmin::text as newest, * from ${pointBalances}
          where organization_id = ${organizationId} and customer_id = ${customerId} and point_type_id = ${pointTypeId}
          for update),
        created as (
          insert into ${pointBalances} (organization_id, customer_id, point_type_id)
          select ${organizationId}, ${customerId}, ${pointTypeId} where not exists (select from locked)
          on conflict (organization_id, customer_id, point_type_id) do nothing
          returning xmin::text as newest, *)
        select locked.*,
          (select b.xmin::text from ${pointBalances} b
           where b.organization_id = locked.organization_id and b.customer_id = locked.customer_id
             and b.point_type_id = locked.point_type_id) as seen,
          (select coalesce(json_agg(l), '[]'::json) from ${pointLots} l
           where l.organization_id = locked.organization_id and l.customer_id = locked.customer_id
             and l.point_type_id = locked.point_type_id and ${lotsCondition(needed, now)}) as lots
        from locked
        union all
        select created.*, created.newest as seen, '[]'::json as lots from created`,
  );
  if (!row) return undefined;
  const balance = rowOf(pointBalances, row);
  if (row.seen !== row.newest) return { balance, lots: undefined };
  return { balance, lots: row.lots.map((lot) => rowOf(pointLots, lot as Record<string, unknown>)) };
}

/** Locks the balance row unless another transaction holds it (then undefined): for the scheduler. */
export async function tryLockBalance(tx: Tx, key: BalanceKey): Promise<BalanceRow | undefined> {
  const [row] = await tx.select().from(pointBalances).where(keyOf(key)).for('update', { skipLocked: true });
  return row;
}

/** The lots of one balance an operation reads at `now` (see LotsNeeded), in no particular order. */
export function readLots(tx: Executor, key: BalanceKey, needed: LotsNeeded, now: Date): Promise<LotRow[]> {
  return tableRows(
    tx,
    pointLots,
    sql`select * from ${pointLots} l
        where l.organization_id = ${key.organizationId} and l.customer_id = ${key.customerId}
          and l.point_type_id = ${key.pointTypeId} and ${lotsCondition(needed, now)}`,
  );
}

export function lotsOfEntries(tx: Executor, organizationId: string, entryIds: string[]): Promise<LotRow[]> {
  if (entryIds.length === 0) return Promise.resolve([]);
  return tx
    .select()
    .from(pointLots)
    .where(and(eq(pointLots.organizationId, organizationId), inArray(pointLots.entryId, entryIds)));
}

export function lotsById(tx: Executor, organizationId: string, lotIds: string[]): Promise<LotRow[]> {
  if (lotIds.length === 0) return Promise.resolve([]);
  return tx
    .select()
    .from(pointLots)
    .where(and(eq(pointLots.organizationId, organizationId), inArray(pointLots.id, lotIds)));
}

export function movementsOf(tx: Executor, organizationId: string, entryId: string) {
  return tx
    .select()
    .from(pointLotMovements)
    .where(and(eq(pointLotMovements.organizationId, organizationId), eq(pointLotMovements.entryId, entryId)));
}

export interface EntryWrite {
  key: BalanceKey;
  /** The entry, every column given: it is stored as is. */
  entry: EntryRow;
  /** Lots the entry creates; they hold their amount already and are only recorded as moved. */
  newLots: LotRow[];
  movements: Movement[];
  change: BalanceChange;
}

const list = (items: SQL[]) => sql.join(items, sql`, `);

function entryInsert(entry: EntryRow): SQL {
  return sql`insert into ${ledgerEntries} (organization_id, id, customer_id, point_type_id, kind, points,
      delta, reason, actor_type, actor_id, source_type, source_id, location_id, related_entry_id,
      counterparty_customer_id, active_from, expires_at, created_at)
    values (${entry.organizationId}, ${entry.id}, ${entry.customerId}, ${entry.pointTypeId}, ${entry.kind},
      ${entry.points}, ${entry.delta}, ${entry.reason}, ${entry.actorType}, ${entry.actorId},
      ${entry.sourceType}, ${entry.sourceId}, ${entry.locationId}, ${entry.relatedEntryId},
      ${entry.counterpartyCustomerId}, ${entry.activeFrom}, ${entry.expiresAt}, ${entry.createdAt})`;
}

function lotsInsert(lots: LotRow[]): SQL {
  const rows = lots.map(
    (lot) => sql`(${lot.organizationId}, ${lot.id}, ${lot.customerId}, ${lot.pointTypeId}, ${lot.entryId},
      ${lot.amount}, ${lot.remaining}, ${lot.blocked}, ${lot.status}, ${lot.activeFrom}, ${lot.expiresAt},
      ${lot.activatedAt}, ${lot.createdAt})`,
  );
  return sql`insert into ${pointLots} (organization_id, id, customer_id, point_type_id, entry_id, amount,
      remaining, blocked, status, active_from, expires_at, activated_at, created_at)
    values ${list(rows)}`;
}

function movementsInsert(organizationId: string, entryId: string, movements: Movement[]): SQL {
  const rows = movements.map(
    (movement) =>
      sql`(${organizationId}, ${entryId}, ${movement.lotId}, ${movement.remainingDelta}, ${movement.blockedDelta})`,
  );
  return sql`insert into ${pointLotMovements} (organization_id, entry_id, lot_id, remaining_delta, blocked_delta)
    values ${list(rows)}`;
}

function lotsUpdate(organizationId: string, movements: Movement[]): SQL {
  const rows = movements.map(
    (movement) =>
      sql`(${movement.lotId}::uuid, ${movement.remainingDelta}::bigint, ${movement.blockedDelta}::bigint)`,
  );
  return sql`update ${pointLots} as l
    set remaining = l.remaining + v.remaining_delta, blocked = l.blocked + v.blocked_delta
    from (values ${list(rows)}) as v(id, remaining_delta, blocked_delta)
    where l.organization_id = ${organizationId} and l.id = v.id`;
}

/** The guards (and the table's CHECK) are the last line of defence: no balance goes below zero. */
function balanceUpdate(key: BalanceKey, change: BalanceChange): SQL {
  return sql`update ${pointBalances}
    set active = active + ${change.active}, pending = pending + ${change.pending},
      blocked = blocked + ${change.blocked}, earned = earned + ${change.earned},
      spent = spent + ${change.spent}, expired = expired + ${change.expired}, updated_at = now()
    where organization_id = ${key.organizationId} and customer_id = ${key.customerId}
      and point_type_id = ${key.pointTypeId} and active + ${change.active} >= 0
      and pending + ${change.pending} >= 0 and blocked + ${change.blocked} >= 0
    returning *`;
}

function belowZero(change: BalanceChange): Error {
  return new Error(`ledger invariant: balance change ${JSON.stringify(change)} would go below zero`);
}

/**
 * Appends an entry in one round trip: the entry row, the lots it creates, its movements and their
 * effect on existing lots, and the balance change — one statement of data-modifying CTEs, which
 * PostgreSQL runs whole and checks whole (CHECK constraints refuse any lot or balance below zero;
 * foreign keys see the new lots). Callers hold the balance lock. Answers the balance as updated.
 */
export async function writeEntry(tx: Tx, write: EntryWrite): Promise<BalanceRow> {
  const { key, entry, movements } = write;
  const created = new Set(write.newLots.map((lot) => lot.id));
  const updated = movements.filter((movement) => !created.has(movement.lotId));
  const steps: SQL[] = [sql`entry as (${entryInsert(entry)})`];
  if (write.newLots.length > 0) steps.push(sql`new_lots as (${lotsInsert(write.newLots)})`);
  if (movements.length > 0)
    steps.push(sql`movements as (${movementsInsert(key.organizationId, entry.id, movements)})`);
  if (updated.length > 0) steps.push(sql`lot_updates as (${lotsUpdate(key.organizationId, updated)})`);
  steps.push(sql`balance as (${balanceUpdate(key, write.change)})`);
  const [row] = await tableRows(tx, pointBalances, sql`with ${list(steps)} select * from balance`);
  if (!row) throw belowZero(write.change);
  return row;
}

export async function activateLots(tx: Tx, organizationId: string, lotIds: string[], now: Date) {
  if (lotIds.length === 0) return;
  await tx
    .update(pointLots)
    .set({ status: 'active', activatedAt: now })
    .where(and(eq(pointLots.organizationId, organizationId), inArray(pointLots.id, lotIds)));
}

/**
 * Applies a change to the balance row. Callers hold its lock and have computed the change from
 * the lots; the guard in the WHERE clause (and the table's CHECK) is the last line of defence:
 * no statement can take a balance below zero.
 */
/** Applies a change to the balance row; callers hold its lock and computed the change from the lots. */
export async function updateBalance(tx: Tx, key: BalanceKey, change: BalanceChange): Promise<BalanceRow> {
  const [row] = await tableRows(tx, pointBalances, balanceUpdate(key, change));
  if (!row) throw belowZero(change);
  return row;
}

export async function getEntry(
  executor: Executor,
  organizationId: string,
  entryId: string,
): Promise<EntryRow | undefined> {
  const [row] = await executor
    .select()
    .from(ledgerEntries)
    .where(and(eq(ledgerEntries.organizationId, organizationId), eq(ledgerEntries.id, entryId)));
  return row;
}

export async function findEntryBySource(
  executor: Executor,
  organizationId: string,
  source: { type: string; id: string },
  pointTypeId: string,
  kind: EntryKind,
): Promise<EntryRow | undefined> {
  const [row] = await tableRows(
    executor,
    ledgerEntries,
    sql`select * from ${ledgerEntries}
        where organization_id = ${organizationId} and source_type = ${source.type}
          and source_id = ${source.id} and point_type_id = ${pointTypeId} and kind = ${kind}`,
  );
  return row;
}

/** Entries that undo or settle `entryId` (a cancel, an unblock, a capturing spend). */
export function entriesRelatedTo(executor: Executor, organizationId: string, entryId: string) {
  return executor
    .select()
    .from(ledgerEntries)
    .where(and(eq(ledgerEntries.organizationId, organizationId), eq(ledgerEntries.relatedEntryId, entryId)));
}

/** Credit entries of one customer and point type made by a source (the ticket a return reverses). */
export function creditEntriesOfSource(
  executor: Executor,
  key: BalanceKey,
  source: { type: string; id: string },
) {
  return executor
    .select({ id: ledgerEntries.id })
    .from(ledgerEntries)
    .where(
      and(
        eq(ledgerEntries.organizationId, key.organizationId),
        eq(ledgerEntries.sourceType, source.type),
        eq(ledgerEntries.sourceId, source.id),
        eq(ledgerEntries.customerId, key.customerId),
        eq(ledgerEntries.pointTypeId, key.pointTypeId),
        inArray(ledgerEntries.kind, ['earn', 'add', 'adjust']),
      ),
    );
}

/** Active points per point type as stored, as a part of a read several modules answer together. */
export function activeBalancesPart(
  organizationId: string,
  customerId: string,
): PartRead<Map<string, Hundredths>> {
  return {
    json: sql`select json_object_agg(pb.point_type_id, pb.active) from ${pointBalances} pb
              where pb.organization_id = ${organizationId} and pb.customer_id = ${customerId}`,
    decode: (value) =>
      new Map(
        Object.entries((value ?? {}) as Record<string, number | string>).map(([id, active]) => [
          id,
          Number(active),
        ]),
      ),
  };
}

export function balancesOf(executor: Executor, organizationId: string, customerId: string) {
  return executor
    .select()
    .from(pointBalances)
    .where(and(eq(pointBalances.organizationId, organizationId), eq(pointBalances.customerId, customerId)));
}

/** Open lots of a customer expiring in (from, to]: the raw material of the "expiring soon" list. */
export function lotsExpiringBetween(
  executor: Executor,
  organizationId: string,
  customerId: string,
  from: Date,
  to: Date,
) {
  return executor
    .select({
      pointTypeId: pointLots.pointTypeId,
      expiresAt: pointLots.expiresAt,
      remaining: pointLots.remaining,
    })
    .from(pointLots)
    .where(
      and(
        eq(pointLots.organizationId, organizationId),
        eq(pointLots.customerId, customerId),
        gt(pointLots.remaining, 0),
        isNotNull(pointLots.expiresAt),
        gt(pointLots.expiresAt, from),
        lte(pointLots.expiresAt, to),
      ),
    );
}

export interface HistoryFilter {
  kinds?: EntryKind[] | undefined;
  pointTypeId?: string | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
}

/** A customer's entries (every customer's when none is given), newest first. */
export function history(
  executor: Executor,
  organizationId: string,
  customerId: string | undefined,
  filter: HistoryFilter,
  page: PageRequest,
): Promise<EntryRow[]> {
  const conditions: (SQL | undefined)[] = [
    eq(ledgerEntries.organizationId, organizationId),
    customerId === undefined ? undefined : eq(ledgerEntries.customerId, customerId),
    filter.kinds && filter.kinds.length > 0 ? inArray(ledgerEntries.kind, filter.kinds) : undefined,
    filter.pointTypeId ? eq(ledgerEntries.pointTypeId, filter.pointTypeId) : undefined,
    filter.from ? gte(ledgerEntries.createdAt, filter.from) : undefined,
    filter.to ? lte(ledgerEntries.createdAt, filter.to) : undefined,
    afterCursor(ledgerEntries.id, page, 'desc'),
  ];
  return executor
    .select()
    .from(ledgerEntries)
    .where(and(...conditions))
    .orderBy(desc(ledgerEntries.id))
    .limit(fetchSize(page));
}

/**
 * Balances with something due at `now` (pending lots to activate, active lots to expire), across
 * organizations unless one is given: what the scheduler works through.
 */
export async function dueBalances(
  executor: Executor,
  now: Date,
  limit: number,
  organizationId?: string,
): Promise<BalanceKey[]> {
  const tenant = organizationId ? sql`and organization_id = ${organizationId}` : sql``;
  const at = sql`${now.toISOString()}::timestamptz`;
  const result = await executor.execute(sql`
    select organization_id, customer_id, point_type_id from (
      (select organization_id, customer_id, point_type_id from ${pointLots}
        where status = 'pending' and remaining > 0 and active_from <= ${at} ${tenant}
        order by active_from limit ${limit})
      union
      (select organization_id, customer_id, point_type_id from ${pointLots}
        where status = 'active' and remaining > 0 and expires_at is not null and expires_at <= ${at} ${tenant}
        order by expires_at limit ${limit})
    ) as due
    limit ${limit}`);
  return (result as { rows: Record<string, string>[] }).rows.map((row) => ({
    organizationId: row.organization_id!,
    customerId: row.customer_id!,
    pointTypeId: row.point_type_id!,
  }));
}

/**
 * The points one staff user added by hand (`add` entries they made) since `since`: what the
 * cashier daily cap counts. Cancelled adds still count: the cap is on what a cashier hands out.
 */
export async function manualAddsBy(
  executor: Executor,
  organizationId: string,
  staffUserId: string,
  since: Date,
): Promise<Hundredths> {
  const [row] = await executor
    .select({ total: sql<string>`coalesce(sum(${ledgerEntries.points}), 0)::text` })
    .from(ledgerEntries)
    .where(
      and(
        eq(ledgerEntries.organizationId, organizationId),
        eq(ledgerEntries.actorType, 'staff'),
        eq(ledgerEntries.actorId, staffUserId),
        eq(ledgerEntries.kind, 'add'),
        gte(ledgerEntries.createdAt, since),
      ),
    );
  return Number(row?.total ?? 0);
}
