import { randomBytes } from 'node:crypto';
import { asc, sql } from 'drizzle-orm';
import { bigint, boolean, integer, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSingleConnection } from '../../test/support/context.ts';
import { type Database, openDatabase, rawRows } from './connection.ts';
import { transaction } from './transaction.ts';

/** A row of every kind of value the API reads back, for comparing prepared answers with unprepared ones. */
const probes = pgTable('prepared_probes', {
  id: integer('id').primaryKey(),
  name: text('name'),
  doc: jsonb('doc'),
  tags: text('tags').array(),
  at: timestamp('at', { withTimezone: true, mode: 'string' }),
  amount: bigint('amount', { mode: 'number' }),
  active: boolean('active'),
  ref: uuid('ref'),
});

async function createProbes(database: Database): Promise<void> {
  await database.db.execute(sql`
    create table prepared_probes (
      id int primary key, name text, doc jsonb, tags text[], at timestamptz, amount bigint, active boolean, ref uuid
    )`);
}

describe('prepared statements', () => {
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

  it('answers a prepared statement exactly as an unprepared one, in rows and in arrays', async () => {
    const unprepared = await openDatabase({ url: test.url, poolSize: 1, preparedStatements: false });
    try {
      // On the embedded engine each database is its own; on PostgreSQL both reach one.
      await createProbes(single);
      if (!test.url) await createProbes(unprepared);
      const full = {
        id: 1,
        name: 'Ana',
        doc: { visits: 3, tags: ['vip'] },
        tags: ['a', 'b "quoted"'],
        at: '2026-12-06 10:00:00.5+00',
        amount: 9_007_199_254_740_991,
        active: true,
        ref: '0f8fad5b-d9cb-469f-a165-70867728950e',
      };
      const empty = {
        id: 2,
        name: null,
        doc: null,
        tags: null,
        at: null,
        amount: null,
        active: null,
        ref: null,
      };
      for (const database of test.url ? [single] : [single, unprepared]) {
        for (const row of [full, empty]) await database.db.insert(probes).values(row);
      }
      const read = (database: Database) => database.db.select().from(probes).orderBy(asc(probes.id));
      const readOne = (database: Database, id: number) =>
        rawRows(database.db, sql`select * from prepared_probes where id = ${id}`);

      const expected = await read(unprepared);
      expect(expected).toEqual([full, empty]);
      for (let i = 0; i < 4; i++) expect(await read(single)).toEqual(expected);
      for (let i = 0; i < 4; i++) expect(await readOne(single, 1)).toEqual(await readOne(unprepared, 1));
      const prepared = await preparedTexts(single);
      expect(prepared.filter((text) => text.includes('"prepared_probes"'))).not.toEqual([]);
      expect(prepared.filter((text) => text.includes('from prepared_probes where'))).not.toEqual([]);
    } finally {
      await unprepared.close();
    }
  });

  it('rolls back a transaction whose prepared statement fails, and goes on answering', async () => {
    const table = sql.raw(`failing_${randomBytes(4).toString('hex')}`);
    await single.db.execute(sql`create table ${table} (id int primary key)`);
    const insert = (id: number) => sql`insert into ${table} values (${id})`;
    for (const id of [1, 2, 3]) await single.db.execute(insert(id));

    const failed = transaction(single.db, async (tx) => {
      await tx.execute(insert(4));
      await tx.execute(insert(1));
    });
    await expect(failed).rejects.toThrow();
    await expect(single.db.execute(insert(1))).rejects.toThrow();
    await single.db.execute(insert(5));
    expect(await rawRows(single.db, sql`select id from ${table} order by id`)).toEqual(
      [1, 2, 3, 5].map((id) => ({ id })),
    );
  });

  it('answers a statement that waited its turn while another found the same plan stale', async () => {
    const table = sql.raw(`waiting_${randomBytes(4).toString('hex')}`);
    await single.db.execute(sql`create table ${table} (id int primary key)`);
    await single.db.execute(sql`insert into ${table} values (1)`);
    const read = () => sql`select * from ${table} where id = ${1}`;
    for (let i = 0; i < 3; i++) await rawRows(single.db, read());
    await single.db.execute(sql`alter table ${table} add column name text default 'Ana'`);

    // The transaction holds the engine while the read outside it waits, then meets the stale plan first.
    const inside = transaction(single.db, async (tx) => {
      await new Promise((resolve) => setTimeout(resolve, 30));
      return rawRows(tx, read());
    });
    await new Promise((resolve) => setTimeout(resolve, 5));
    const outside = rawRows(single.db, read());
    const answers = await Promise.all([inside, outside, rawRows(single.db, read())]);
    expect(answers).toEqual([1, 2, 3].map(() => [{ id: 1, name: 'Ana' }]));
  });

  // On PostgreSQL a transaction's connection goes back to the pool; the embedded engine has one session to guard.
  it.runIf(!process.env.TEST_DATABASE_URL)(
    'refuses a statement sent on a transaction that has ended, rather than running it in the next one',
    async () => {
      const table = sql.raw(`ended_${randomBytes(4).toString('hex')}`);
      await single.db.execute(sql`create table ${table} (id int primary key)`);
      const insert = (id: number) => sql`insert into ${table} values (${id})`;
      for (const id of [1, 2]) await single.db.execute(insert(id));

      let ended: Database['db'] | undefined;
      await single.db.transaction(async (tx) => {
        ended = tx as unknown as Database['db'];
      });
      const next = transaction(single.db, async (tx) => {
        await tx.execute(insert(10));
        await new Promise((resolve) => setTimeout(resolve, 20));
        await tx.execute(insert(11));
      });
      const refused = await ended?.execute(insert(3)).then(
        () => undefined,
        (error: Error) => error.cause,
      );
      expect(refused).toMatchObject({ message: 'Transaction is closed' });
      await next;
      expect(await rawRows(single.db, sql`select id from ${table} order by id`)).toEqual(
        [1, 2, 10, 11].map((id) => ({ id })),
      );
    },
  );
});
