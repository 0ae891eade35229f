import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../../test/support/context.ts';
import { rawRows } from './connection.ts';
import { maintainTables } from './maintenance.ts';
import { transaction } from './transaction.ts';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

interface ProbeState {
  rows: number;
  pages: number;
  allVisible: number;
  columnsWithStatistics: number;
  inserted: number;
}

async function probeState(table = 'maintenance_probe'): Promise<ProbeState> {
  const [state] = await rawRows<ProbeState>(
    ctx.database.db,
    sql`select c.reltuples::float8 as rows, c.relpages as pages, c.relallvisible as "allVisible",
          (select count(*)::int from pg_stats where tablename = ${table}) as "columnsWithStatistics",
          (select n_ins_since_vacuum::int from pg_stat_user_tables where relname = ${table}) as inserted
        from pg_class c where c.relname = ${table}`,
  );
  return state!;
}

/** Activity counters reach the statistics a moment after the statements that moved them. */
async function untilCounted(inserted: number): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    if ((await probeState()).inserted >= inserted) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the inserts never reached the statistics');
}

describe('table maintenance (the embedded engine has no autovacuum)', () => {
  it('vacuums and analyzes a table past autovacuum thresholds, then leaves it alone until it changes again', async () => {
    const db = ctx.database.db;
    // Kept from the server's own autovacuum, so that only maintainTables can have done the work.
    await db.execute(
      sql`create table maintenance_probe (id int primary key, note text) with (autovacuum_enabled = false)`,
    );
    await transaction(db, async (tx) => {
      await tx.execute(sql`insert into maintenance_probe select g, 'a note' from generate_series(1, 5000) g`);
      await tx.execute(sql`select pg_stat_force_next_flush()`);
    });
    await untilCounted(5000);
    const before = await probeState();
    expect(before.allVisible).toBe(0);
    expect(before.columnsWithStatistics).toBe(0);

    const first = await maintainTables(db);
    expect(first.vacuumed).toContain('public.maintenance_probe');
    expect(first.analyzed).toContain('public.maintenance_probe');
    const after = await probeState();
    expect(after).toMatchObject({ rows: 5000, allVisible: after.pages, columnsWithStatistics: 2 });
    expect(after.pages).toBeGreaterThan(0);

    expect(first.failed).toEqual([]);

    const second = await maintainTables(db);
    expect(second.vacuumed).not.toContain('public.maintenance_probe');
    expect(second.analyzed).not.toContain('public.maintenance_probe');
  });

  it('still finds a table never vacuumed nor analyzed once the activity counters are lost (a restart)', async () => {
    const db = ctx.database.db;
    await db.execute(sql`create table restart_probe (id int, note text) with (autovacuum_enabled = false)`);
    await db.execute(sql`insert into restart_probe select g, 'a note' from generate_series(1, 5000) g`);
    // An index build counts the table's rows and pages, as migration 0011 does on an upgrade.
    await db.execute(sql`create index restart_probe_id on restart_probe (id)`);
    await db.execute(sql`select pg_stat_reset()`);

    const run = await maintainTables(db);
    expect(run.vacuumed).toContain('public.restart_probe');
    expect(run.analyzed).toContain('public.restart_probe');
    const after = await probeState('restart_probe');
    expect(after).toMatchObject({ allVisible: after.pages, columnsWithStatistics: 2 });
  });

  it('vacuums pg_statistic, where every analyze leaves the rows it replaced', async () => {
    const db = ctx.database.db;
    const columns = Array.from({ length: 30 }, (_, i) => `c${i} int`).join(', ');
    await db.execute(sql.raw(`create table wide_probe (${columns}) with (autovacuum_enabled = false)`));
    await db.execute(
      sql.raw(
        `insert into wide_probe select ${Array(30).fill('g').join(', ')} from generate_series(1, 100) g`,
      ),
    );
    await maintainTables(db);
    // Each analyze replaces the table's 30 rows of pg_statistic.
    await transaction(db, async (tx) => {
      for (let i = 0; i < 20; i++) await tx.execute(sql`analyze wide_probe`);
      await tx.execute(sql`select pg_stat_force_next_flush()`);
    });
    const statisticsState = sql`select c.reltuples::float8 as rows, s.n_dead_tup::int as dead
      from pg_stat_all_tables s join pg_class c on c.oid = s.relid where s.relid = 'pg_statistic'::regclass`;
    let state = { rows: 0, dead: 0 };
    for (let attempt = 0; attempt < 100 && state.dead < 600; attempt++) {
      const [read] = await rawRows<typeof state>(db, statisticsState);
      state = read!;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(state.dead).toBeGreaterThan(50 + 0.2 * state.rows);

    const run = await maintainTables(db);
    expect(run.vacuumed).toContain('pg_catalog.pg_statistic');
    const [after] = await rawRows<typeof state>(db, statisticsState);
    expect(after!.dead).toBeLessThan(state.dead);
  });
});
