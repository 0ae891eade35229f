import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSingleConnection } from '../../test/support/context.ts';
import { type Database, openDatabase, rawRows } from './connection.ts';
import { transaction } from './transaction.ts';

// Prepared statements are a node-postgres connection's; the embedded engine has no pool to prepare on.
describe.runIf(process.env.TEST_DATABASE_URL)('prepared statements on PostgreSQL', () => {
  let test: Awaited<ReturnType<typeof openSingleConnection>>;
  /** One connection, so pg_prepared_statements (per session) sees what it prepared. */
  let single: Database;

  beforeAll(async () => {
    test = await openSingleConnection();
    single = test.single;
  });
  afterAll(() => test?.drop());

  async function preparedTexts(database: Database): Promise<string[]> {
    const rows = await rawRows<{ statement: string }>(
      database.db,
      sql`select statement from pg_prepared_statements where name like 'regulars_%'`,
    );
    return rows.map((row) => row.statement);
  }

  it('prepares a statement the second time it is sent and answers the same from then on', async () => {
    const marker = `n_${randomBytes(4).toString('hex')}`;
    const answers = [];
    for (const n of [1, 2, 3, 4]) {
      const [row] = await rawRows<Record<string, number>>(
        single.db,
        sql`select ${n}::int * 10 as ${sql.raw(marker)}`,
      );
      answers.push(row?.[marker]);
    }
    expect(answers).toEqual([10, 20, 30, 40]);
    const prepared = (await preparedTexts(single)).filter((text) => text.includes(marker));
    expect(prepared).toHaveLength(1);
  });

  it('leaves a statement sent once unprepared', async () => {
    const marker = `once_${randomBytes(4).toString('hex')}`;
    await rawRows(single.db, sql`select ${1}::int as ${sql.raw(marker)}`);
    expect((await preparedTexts(single)).filter((text) => text.includes(marker))).toEqual([]);
  });

  it('leaves a long statement unprepared however often it is sent (a bulk insert)', async () => {
    const marker = `long_${randomBytes(4).toString('hex')}`;
    const columns = Array.from({ length: 1500 }, (_, i) => `${i} as c${i}`).join(', ');
    for (const n of [1, 2, 3])
      await rawRows(single.db, sql`select ${n}::int as ${sql.raw(marker)}, ${sql.raw(columns)}`);
    expect((await preparedTexts(single)).filter((text) => text.includes(marker))).toEqual([]);
  });

  it('prepares nothing when turned off', async () => {
    const unprepared = await openDatabase({ url: test.url, poolSize: 1, preparedStatements: false });
    try {
      for (const n of [1, 2, 3]) await rawRows(unprepared.db, sql`select ${n}::int as off`);
      expect(await preparedTexts(unprepared)).toEqual([]);
    } finally {
      await unprepared.close();
    }
  });

  it('reads the new column after a migration adds one under a prepared select *, in and out of transactions', async () => {
    const table = sql.raw(`prepared_${randomBytes(4).toString('hex')}`);
    await single.db.execute(sql`create table ${table} (id int primary key)`);
    await single.db.execute(sql`insert into ${table} values (1)`);
    const read = () => sql`select * from ${table} where id = ${1}`;
    for (let i = 0; i < 3; i++) expect(await rawRows(single.db, read())).toEqual([{ id: 1 }]);

    await single.db.execute(sql`alter table ${table} add column name text default 'Ana'`);
    expect(await rawRows(single.db, read())).toEqual([{ id: 1, name: 'Ana' }]);
    for (let i = 0; i < 3; i++) await rawRows(single.db, read());

    await single.db.execute(sql`alter table ${table} add column tier text default 'gold'`);
    const inTransaction = await transaction(single.db, (tx) => rawRows(tx, read()));
    expect(inTransaction).toEqual([{ id: 1, name: 'Ana', tier: 'gold' }]);
  });
});
