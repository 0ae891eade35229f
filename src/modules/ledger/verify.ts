import { type SQL, sql } from 'drizzle-orm';
import type { Executor } from '../../db/connection.ts';
import { counterDeltas, type EntryKind } from '../../domain/points.ts';

/**
 * `regulars ledger verify`: recomputes every lot from the movements that entries made on it, and
 * every balance from its lots and its entries, and lists each difference. The ledger is right
 * when the list is empty. Read-only; aggregates run in SQL so it scales with the number of
 * balances and lots, not with a scan in JavaScript.
 */

export interface Mismatch {
  organizationId: string;
  subject: 'lot' | 'entry' | 'balance';
  /** The lot or entry id, or `customerId/pointTypeId` for a balance. */
  id: string;
  field: string;
  stored: number | string | null;
  expected: number | string | null;
}

export interface VerifyReport {
  balances: number;
  lots: number;
  entries: number;
  mismatches: Mismatch[];
}

type Row = Record<string, unknown>;

async function rows(executor: Executor, query: SQL): Promise<Row[]> {
  const result = await executor.execute(query);
  return (result as { rows: Row[] }).rows;
}

/** BIGINT and NUMERIC come back as strings (node-postgres) or bigints (PGlite); both fit a number. */
const num = (value: unknown): number => (value === null || value === undefined ? 0 : Number(value));

export async function verifyLedger(
  executor: Executor,
  options: { organizationId?: string | undefined } = {},
): Promise<VerifyReport> {
  const scope = (alias: string) =>
    options.organizationId ? sql`${sql.raw(alias)}.organization_id = ${options.organizationId}` : sql`true`;
  const mismatches: Mismatch[] = [];

  // 1. Each lot: what it holds = the sum of what entries moved in and out of it; its amount =
  //    what the entry that created it put in; it belongs to that entry's customer and type.
  const lots = await rows(
    executor,
    sql`
    select l.organization_id, l.id, l.amount, l.remaining, l.blocked,
           coalesce(m.remaining, 0) as expected_remaining, coalesce(m.blocked, 0) as expected_blocked,
           coalesce(c.remaining_delta, 0) as created,
           (e.customer_id = l.customer_id and e.point_type_id = l.point_type_id) as same_owner
    from point_lots l
    left join (
      select organization_id, lot_id, sum(remaining_delta) as remaining, sum(blocked_delta) as blocked
      from point_lot_movements mv where ${scope('mv')} group by organization_id, lot_id
    ) m on m.organization_id = l.organization_id and m.lot_id = l.id
    left join point_lot_movements c
      on c.organization_id = l.organization_id and c.lot_id = l.id and c.entry_id = l.entry_id
    left join ledger_entries e on e.organization_id = l.organization_id and e.id = l.entry_id
    where ${scope('l')}
      and (l.remaining <> coalesce(m.remaining, 0) or l.blocked <> coalesce(m.blocked, 0)
           or l.amount <> coalesce(c.remaining_delta, 0) or e.id is null
           or e.customer_id <> l.customer_id or e.point_type_id <> l.point_type_id)`,
  );
  for (const lot of lots) {
    const base = { organizationId: String(lot.organization_id), subject: 'lot' as const, id: String(lot.id) };
    if (num(lot.remaining) !== num(lot.expected_remaining)) {
      mismatches.push({
        ...base,
        field: 'remaining',
        stored: num(lot.remaining),
        expected: num(lot.expected_remaining),
      });
    }
    if (num(lot.blocked) !== num(lot.expected_blocked)) {
      mismatches.push({
        ...base,
        field: 'blocked',
        stored: num(lot.blocked),
        expected: num(lot.expected_blocked),
      });
    }
    if (num(lot.amount) !== num(lot.created)) {
      mismatches.push({ ...base, field: 'amount', stored: num(lot.amount), expected: num(lot.created) });
    }
    if (lot.same_owner !== true) {
      mismatches.push({
        ...base,
        field: 'owner',
        stored: 'lot',
        expected: 'its entry’s customer and point type',
      });
    }
  }

  // 2. Each entry: its delta and size = what its movements add up to, all on its own balance's lots.
  const entries = await rows(
    executor,
    sql`
    select e.organization_id, e.id, e.delta, e.points,
           coalesce(sum(m.remaining_delta + m.blocked_delta), 0) as expected_delta,
           greatest(abs(coalesce(sum(m.remaining_delta), 0)), abs(coalesce(sum(m.blocked_delta), 0))) as expected_points,
           coalesce(bool_or(l.customer_id <> e.customer_id or l.point_type_id <> e.point_type_id), false) as foreign_lot
    from ledger_entries e
    left join point_lot_movements m on m.organization_id = e.organization_id and m.entry_id = e.id
    left join point_lots l on l.organization_id = m.organization_id and l.id = m.lot_id
    where ${scope('e')}
    group by e.organization_id, e.id, e.delta, e.points
    having e.delta <> coalesce(sum(m.remaining_delta + m.blocked_delta), 0)
        or e.points <> greatest(abs(coalesce(sum(m.remaining_delta), 0)), abs(coalesce(sum(m.blocked_delta), 0)))
        or coalesce(bool_or(l.customer_id <> e.customer_id or l.point_type_id <> e.point_type_id), false)`,
  );
  for (const entry of entries) {
    const base = {
      organizationId: String(entry.organization_id),
      subject: 'entry' as const,
      id: String(entry.id),
    };
    if (num(entry.delta) !== num(entry.expected_delta)) {
      mismatches.push({
        ...base,
        field: 'delta',
        stored: num(entry.delta),
        expected: num(entry.expected_delta),
      });
    }
    if (num(entry.points) !== num(entry.expected_points)) {
      mismatches.push({
        ...base,
        field: 'points',
        stored: num(entry.points),
        expected: num(entry.expected_points),
      });
    }
    if (entry.foreign_lot === true) {
      mismatches.push({ ...base, field: 'lots', stored: 'another balance', expected: 'its own balance' });
    }
  }

  // 3. Each balance: active/pending/blocked = its lots; earned/spent/expired = its entries.
  interface Expected {
    organizationId: string;
    customerId: string;
    pointTypeId: string;
    active: number;
    pending: number;
    blocked: number;
    earned: number;
    spent: number;
    expired: number;
    holdings: number;
  }
  const expected = new Map<string, Expected>();
  const expectedFor = (row: Row): Expected => {
    const id = `${row.organization_id}/${row.customer_id}/${row.point_type_id}`;
    let value = expected.get(id);
    if (!value) {
      value = {
        organizationId: String(row.organization_id),
        customerId: String(row.customer_id),
        pointTypeId: String(row.point_type_id),
        active: 0,
        pending: 0,
        blocked: 0,
        earned: 0,
        spent: 0,
        expired: 0,
        holdings: 0,
      };
      expected.set(id, value);
    }
    return value;
  };
  for (const row of await rows(
    executor,
    sql`
    select organization_id, customer_id, point_type_id,
           coalesce(sum(remaining) filter (where status = 'active'), 0) as active,
           coalesce(sum(remaining) filter (where status = 'pending'), 0) as pending,
           coalesce(sum(blocked), 0) as blocked
    from point_lots l where ${scope('l')} and (remaining > 0 or blocked > 0)
    group by organization_id, customer_id, point_type_id`,
  )) {
    const value = expectedFor(row);
    value.active = num(row.active);
    value.pending = num(row.pending);
    value.blocked = num(row.blocked);
  }
  for (const row of await rows(
    executor,
    sql`
    select organization_id, customer_id, point_type_id, kind, sum(delta) as delta
    from ledger_entries e where ${scope('e')}
    group by organization_id, customer_id, point_type_id, kind, delta > 0`,
  )) {
    const value = expectedFor(row);
    const counters = counterDeltas(row.kind as EntryKind, num(row.delta));
    value.earned += counters.earned;
    value.spent += counters.spent;
    value.expired += counters.expired;
    value.holdings += num(row.delta);
  }
  const balances = await rows(executor, sql`select * from point_balances b where ${scope('b')}`);
  const stored = new Map(
    balances.map((row) => [`${row.organization_id}/${row.customer_id}/${row.point_type_id}`, row]),
  );
  for (const [id, value] of expected) {
    if (!stored.has(id)) {
      mismatches.push({
        organizationId: value.organizationId,
        subject: 'balance',
        id: `${value.customerId}/${value.pointTypeId}`,
        field: 'row',
        stored: null,
        expected: 'a balance row',
      });
    }
  }
  for (const [id, row] of stored) {
    const value = expected.get(id) ?? expectedFor(row);
    const base = {
      organizationId: value.organizationId,
      subject: 'balance' as const,
      id: `${value.customerId}/${value.pointTypeId}`,
    };
    for (const field of ['active', 'pending', 'blocked', 'earned', 'spent', 'expired'] as const) {
      if (num(row[field]) !== value[field]) {
        mismatches.push({ ...base, field, stored: num(row[field]), expected: value[field] });
      }
    }
    // What entries put in and took out must equal what the lots hold.
    if (value.holdings !== value.active + value.pending + value.blocked) {
      mismatches.push({
        ...base,
        field: 'holdings',
        stored: value.active + value.pending + value.blocked,
        expected: value.holdings,
      });
    }
  }

  const [counts] = await rows(
    executor,
    sql`select
      (select count(*) from point_balances b where ${scope('b')}) as balances,
      (select count(*) from point_lots l where ${scope('l')}) as lots,
      (select count(*) from ledger_entries e where ${scope('e')}) as entries`,
  );
  return {
    balances: num(counts?.balances),
    lots: num(counts?.lots),
    entries: num(counts?.entries),
    mismatches,
  };
}
