import { type SQL, sql } from 'drizzle-orm';
import { type Db, rawRows } from './connection.ts';

/**
 * What PostgreSQL's autovacuum does, for the embedded engine, which has none: without it the
 * planner's statistics stay those of the day the tables were small, no page is ever marked
 * all-visible (so an index-only scan, such as a regular's purchase totals, still reads the table),
 * dead rows' space is never made reusable, and old transaction ids are never frozen. Each table
 * of the application's schema and of the system catalogs (ANALYZE itself leaves dead rows in
 * pg_statistic) that is due is vacuumed and analyzed, each as its own statement so that requests
 * get their turn in between (the embedded engine runs one statement at a time).
 *
 * A table is due by autovacuum's activity counters, which reach the statistics a second or so
 * after the statements that moved them and which the embedded engine loses when it restarts; so
 * also by what lasts: a table with pages none of which were ever marked all-visible, a table
 * with pages and no statistics, or one whose oldest unfrozen transaction id is as old as
 * autovacuum would let it get.
 */

/**
 * autovacuum's default thresholds: a fixed number of rows plus a share of the table (PostgreSQL 18
 * also scales the insert threshold by the table's unfrozen share and caps the dead-row one:
 * refinements left out).
 */
const VACUUM_DEAD = { base: 50, share: 0.2 };
const VACUUM_INSERTED = { base: 1000, share: 0.2 };
const ANALYZE_CHANGED = { base: 50, share: 0.1 };

export interface MaintenanceRun {
  /** Schema-qualified names. */
  vacuumed: string[];
  analyzed: string[];
  /** Tables whose maintenance failed, with why; the others were still done. */
  failed: string[];
  ms: number;
  /** The longest statement: on the embedded engine, the longest any request waited for it. */
  longestMs: number;
}

interface TableState {
  schema: string;
  name: string;
  /** The table's rows as of its last vacuum or analyze (-1: never counted). */
  rows: number;
  /** From the table's files (the catalog's page count is only as fresh as its last vacuum). */
  hasPages: boolean;
  allVisiblePages: number;
  hasStatistics: boolean;
  /** Transactions since the table's oldest unfrozen transaction id, and the most autovacuum allows. */
  xidAge: number;
  freezeMaxAge: number;
  dead: number;
  insertedSinceVacuum: number;
  changedSinceAnalyze: number;
}

function over(count: number, rows: number, threshold: { base: number; share: number }): boolean {
  return count > threshold.base + threshold.share * Math.max(rows, 0);
}

function needsVacuum(table: TableState): boolean {
  return (
    over(table.dead, table.rows, VACUUM_DEAD) ||
    over(table.insertedSinceVacuum, table.rows, VACUUM_INSERTED) ||
    (table.hasPages && table.allVisiblePages === 0) ||
    table.xidAge > table.freezeMaxAge
  );
}

function needsAnalyze(table: TableState): boolean {
  return (
    over(table.changedSinceAnalyze, table.rows, ANALYZE_CHANGED) || (table.hasPages && !table.hasStatistics)
  );
}

export async function maintainTables(db: Db): Promise<MaintenanceRun> {
  const started = performance.now();
  // Every number as float8, which both drivers hand over as a JS number (int8 comes as a string).
  const tables = await rawRows<TableState>(
    db,
    sql`select s.schemaname as schema, s.relname as name, c.reltuples::float8 as rows,
          pg_relation_size(c.oid) > 0 as "hasPages", c.relallvisible::float8 as "allVisiblePages",
          exists (select 1 from pg_statistic st where st.starelid = c.oid) as "hasStatistics",
          age(c.relfrozenxid)::float8 as "xidAge",
          current_setting('autovacuum_freeze_max_age')::float8 as "freezeMaxAge",
          s.n_dead_tup::float8 as dead, s.n_ins_since_vacuum::float8 as "insertedSinceVacuum",
          s.n_mod_since_analyze::float8 as "changedSinceAnalyze"
        from pg_stat_all_tables s join pg_class c on c.oid = s.relid
        where s.schemaname in (current_schema(), 'pg_catalog')
        order by s.schemaname, s.relname`,
  );
  const run: MaintenanceRun = { vacuumed: [], analyzed: [], failed: [], ms: 0, longestMs: 0 };
  const timed = async (statement: SQL) => {
    const start = performance.now();
    await db.execute(statement);
    run.longestMs = Math.max(run.longestMs, Math.round(performance.now() - start));
  };
  for (const table of tables) {
    const qualified = `${table.schema}.${table.name}`;
    const name = sql`${sql.identifier(table.schema)}.${sql.identifier(table.name)}`;
    try {
      if (needsVacuum(table)) {
        await timed(sql`vacuum ${name}`);
        run.vacuumed.push(qualified);
      }
      if (needsAnalyze(table)) {
        await timed(sql`analyze ${name}`);
        run.analyzed.push(qualified);
      }
    } catch (error) {
      run.failed.push(`${qualified}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  run.ms = Math.round(performance.now() - started);
  return run;
}
