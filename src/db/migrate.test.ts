import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase } from '../../test/support/context.ts';
import { type Database, openDatabase, rawRows } from './connection.ts';
import { runMigrations } from './migrate.ts';

let test: Awaited<ReturnType<typeof openTestDatabase>>;
beforeAll(async () => {
  test = await openTestDatabase();
});
afterAll(() => test.drop());

async function appliedMigrations(database: Database): Promise<number> {
  const [row] = await rawRows<{ n: number }>(
    database.db,
    sql`select count(*)::int as n from drizzle.__drizzle_migrations`,
  );
  return row!.n;
}

async function tableNames(database: Database): Promise<string[]> {
  const rows = await rawRows<{ table_name: string }>(
    database.db,
    sql`select table_name from information_schema.tables where table_schema = 'public' order by table_name`,
  );
  return rows.map((row) => row.table_name);
}

describe('migrations', () => {
  it('are a no-op when applied a second time', async () => {
    const before = await appliedMigrations(test.database);
    const tables = await tableNames(test.database);
    expect(before).toBeGreaterThan(0);
    await runMigrations(test.database);
    expect(await appliedMigrations(test.database)).toBe(before);
    expect(await tableNames(test.database)).toEqual(tables);
  });

  // The embedded engine lives inside one process: there is no second node to race.
  it.runIf(process.env.TEST_DATABASE_URL)(
    'let several nodes start at once on PostgreSQL: one migrates, the others wait and find nothing to do',
    async () => {
      const nodes = await Promise.all(
        Array.from({ length: 3 }, () => openDatabase({ url: test.url, poolSize: 2 })),
      );
      try {
        await Promise.all(nodes.map((node) => runMigrations(node)));
        expect(await appliedMigrations(nodes[0]!)).toBe(await appliedMigrations(test.database));
      } finally {
        await Promise.all(nodes.map((node) => node.close()));
      }
    },
  );

  it('keep organization_id first in every primary key and unique constraint', async () => {
    const constraints = await rawRows<{ table_name: string; constraint_name: string; first_column: string }>(
      test.database.db,
      sql`
      select tc.table_name, tc.constraint_name, tc.constraint_type,
             (array_agg(kcu.column_name order by kcu.ordinal_position))[1] as first_column
      from information_schema.table_constraints tc
      join information_schema.key_column_usage kcu
        on kcu.constraint_name = tc.constraint_name and kcu.table_schema = tc.table_schema
      where tc.table_schema = 'public' and tc.constraint_type in ('PRIMARY KEY', 'UNIQUE')
      group by tc.table_name, tc.constraint_name, tc.constraint_type`,
    );
    const uniqueIndexes = await rawRows<{ table_name: string; constraint_name: string; indexdef: string }>(
      test.database.db,
      sql`
      select tablename as table_name, indexname as constraint_name, indexdef
      from pg_indexes where schemaname = 'public' and indexdef like 'CREATE UNIQUE INDEX%'`,
    );
    // Platform-level tables, not tenant data (staff sign-in attempts come before any organization is known).
    const exempt = new Set(['organizations', 'platform_secrets', 'platform_keys', 'access_attempts']);
    const offenders = [
      ...constraints
        .filter((row) => !exempt.has(row.table_name) && row.first_column !== 'organization_id')
        .map((row) => row.constraint_name),
      ...uniqueIndexes
        .filter((row) => !exempt.has(row.table_name) && !/\(organization_id[,)]/.test(row.indexdef))
        .map((row) => row.constraint_name),
    ];
    expect(offenders).toEqual([]);
  });
});
