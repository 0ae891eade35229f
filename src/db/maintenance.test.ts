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

async function probeState(): Promise<ProbeState> {
  const [state] = await rawRows<ProbeState>(
    ctx.database.db,
    sql`select c.reltuples::float8 as rows, c.relpages as pages, c.relallvisible as "allVisible",
          (select count(*)::int from pg_stats where tablename = 'maintenance_probe') as "columnsWithStatistics",
          (select n_ins_since_vacuum::int from pg_stat_user_tables where relname = 'maintenance_probe') as inserted
        from pg_class c where c.relname = 'maintenance_probe'`,
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
    expect(first.vacuumed).toContain('maintenance_probe');
    expect(first.analyzed).toContain('maintenance_probe');
    const after = await probeState();
    expect(after).toMatchObject({ rows: 5000, allVisible: after.pages, columnsWithStatistics: 2 });
    expect(after.pages).toBeGreaterThan(0);

    const second = await maintainTables(db);
    expect(second.vacuumed).not.toContain('maintenance_probe');
    expect(second.analyzed).not.toContain('maintenance_probe');
  });
});
