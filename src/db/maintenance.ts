import { type SQL, sql } from 'drizzle-orm';
import { type Db, rawRows } from './connection.ts';

/**
 * What PostgreSQL's autovacuum does, for the embedded engine, which has none: without it the
 * planner's statistics stay those of the day the tables were small, no page is ever marked
 * all-visible (so an index-only scan, such as a regular's purchase totals, still reads the table),
 * and dead rows' space is never made reusable. Each table past autovacuum's default thresholds is
 * vacuumed and analyzed, each as its own statement so that requests get their turn in between
 * (the embedded engine runs one statement at a time).
 *
 * The thresholds read PostgreSQL's activity counters, which reach the statistics a second or so
 * after the statements that moved them.
 */

/** autovacuum's defaults (PostgreSQL 15–18): a fixed number of rows plus a share of the table. */
const VACUUM_DEAD = { base: 50, share: 0.2 };
const VACUUM_INSERTED = { base: 1000, share: 0.2 };
const ANALYZE_CHANGED = { base: 50, share: 0.1 };

export interface MaintenanceRun {
  vacuumed: string[];
  analyzed: string[];
  ms: number;
  /** The longest statement: on the embedded engine, the longest any request waited for it. */
  longestMs: number;
}

interface TableActivity {
  name: string;
  /** The table's rows as of its last vacuum or analyze (-1: never counted). */
  rows: number;
  dead: number;
  insertedSinceVacuum: number;
  changedSinceAnalyze: number;
}

function over(count: number, rows: number, threshold: { base: number; share: number }): boolean {
  return count > threshold.base + threshold.share * Math.max(rows, 0);
}

export async function maintainTables(db: Db): Promise<MaintenanceRun> {
  const started = performance.now();
  const tables = await rawRows<TableActivity>(
    db,
    sql`select s.relname as name, c.reltuples::float8 as rows, s.n_dead_tup::int8 as dead,
          s.n_ins_since_vacuum::int8 as "insertedSinceVacuum", s.n_mod_since_analyze::int8 as "changedSinceAnalyze"
        from pg_stat_user_tables s join pg_class c on c.oid = s.relid
        where s.schemaname = current_schema()
        order by s.relname`,
  );
  const run: MaintenanceRun = { vacuumed: [], analyzed: [], ms: 0, longestMs: 0 };
  const timed = async (statement: SQL) => {
    const start = performance.now();
    await db.execute(statement);
    run.longestMs = Math.max(run.longestMs, Math.round(performance.now() - start));
  };
  for (const table of tables) {
    const rows = Number(table.rows);
    const name = sql.identifier(table.name);
    if (
      over(Number(table.dead), rows, VACUUM_DEAD) ||
      over(Number(table.insertedSinceVacuum), rows, VACUUM_INSERTED)
    ) {
      await timed(sql`vacuum ${name}`);
      run.vacuumed.push(table.name);
    }
    if (over(Number(table.changedSinceAnalyze), rows, ANALYZE_CHANGED)) {
      await timed(sql`analyze ${name}`);
      run.analyzed.push(table.name);
    }
  }
  run.ms = Math.round(performance.now() - started);
  return run;
}
