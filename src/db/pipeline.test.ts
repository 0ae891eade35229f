import { randomBytes } from 'node:crypto';
import { type SQL, sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openSingleConnection } from '../../test/support/context.ts';
import { type Database, rawRows } from './connection.ts';
import { deferredWrite } from './pipeline.ts';
import { transaction } from './transaction.ts';

/** Every message sequence node-postgres sends ends one round trip: count them at its `query`. */
let roundTrips: string[] = [];
const originalQuery = pg.Client.prototype.query;
pg.Client.prototype.query = function countedQuery(this: pg.Client, ...args: unknown[]) {
  const first = args[0] as string | { text?: string };
  roundTrips.push(typeof first === 'string' ? first : (first.text ?? '?'));
  return (originalQuery as (...a: unknown[]) => unknown).apply(this, args);
} as typeof pg.Client.prototype.query;

// Round trips are a node-postgres connection's; the embedded engine runs in this process.
describe.runIf(process.env.TEST_DATABASE_URL)('transactions in fewer round trips on PostgreSQL', () => {
  let test: Awaited<ReturnType<typeof openSingleConnection>>;
  /** One connection: every transaction below reuses it, so a stuck one would show. */
  let single: Database;
  let table: SQL;

  beforeAll(async () => {
    test = await openSingleConnection();
    single = test.single;
  });
  afterAll(() => test?.drop());
  beforeEach(async () => {
    table = sql.raw(`pipeline_${randomBytes(4).toString('hex')}`);
    await single.db.execute(sql`create table ${table} (id int primary key, note text)`);
    roundTrips = [];
  });

  const insert = (id: number, note = 'n') => sql`insert into ${table} (id, note) values (${id}, ${note})`;
  const ids = async () =>
    (await rawRows<{ id: number }>(single.db, sql`select id from ${table} order by id`)).map((row) => row.id);

  it('sends BEGIN with the first statement and a deferred write with COMMIT, and keeps both writes', async () => {
    // A text is prepared the second time it is sent, alone; from then on it rides with its neighbours.
    for (const id of [1, 3, 5]) {
      roundTrips = [];
      await transaction(single.db, async (tx) => {
        await tx.execute(insert(id));
        await tx.execute(deferredWrite(insert(id + 1)));
      });
    }
    expect(roundTrips).toEqual([expect.stringContaining('insert into'), 'commit']);
    expect(await ids()).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('answers the first statement its own rows, not those of the BEGIN it travelled with', async () => {
    await single.db.execute(insert(7));
    const rows = await transaction(single.db, (tx) =>
      rawRows<{ id: number }>(tx, sql`select id from ${table} where id = ${7} for update`),
    );
    expect(rows).toEqual([{ id: 7 }]);
  });

  it('sends nothing for a transaction that ran no statement', async () => {
    await transaction(single.db, async () => undefined);
    expect(roundTrips).toEqual([]);
  });

  it('never sends a deferred write whose transaction rolls back', async () => {
    await single.db.execute(insert(1));
    roundTrips = [];
    const refused = transaction(single.db, async (tx) => {
      await tx.execute(deferredWrite(insert(2)));
      throw new Error('refused by the use case');
    });
    await expect(refused).rejects.toThrow('refused by the use case');
    expect(roundTrips.filter((text) => text.includes('insert into'))).toEqual([]);
    expect(await ids()).toEqual([1]);
  });

  it('fails the transaction with the error of a deferred write that fails, keeping nothing of it', async () => {
    await single.db.execute(insert(1));
    const clash = transaction(single.db, async (tx) => {
      await tx.execute(insert(2));
      await tx.execute(deferredWrite(insert(1)));
    });
    await expect(clash).rejects.toMatchObject({ cause: { code: '23505' } });
    expect(await ids()).toEqual([1]);
    // The connection was left out of the failed transaction: the next one commits.
    await transaction(single.db, (tx) => tx.execute(insert(3)));
    expect(await ids()).toEqual([1, 3]);
  });

  it('runs no statement of a transaction whose first statement failed, and the connection serves the next', async () => {
    const broken = transaction(single.db, async (tx) => {
      await tx.execute(sql`select * from ${sql.raw('missing_table_for_pipeline')}`);
    });
    await expect(broken).rejects.toMatchObject({ cause: { code: '42P01' } });
    expect(await transaction(single.db, (tx) => rawRows(tx, sql`select ${1}::int as one`))).toEqual([
      { one: 1 },
    ]);
  });

  it('prepares a first statement later when it failed to parse inside a transaction before', async () => {
    const later = sql.raw(`later_${randomBytes(4).toString('hex')}`);
    const read = () => sql`select id from ${later} where id = ${1}`;
    for (let attempt = 0; attempt < 3; attempt++) {
      const missing = transaction(single.db, (tx) => rawRows(tx, read()));
      await expect(missing).rejects.toMatchObject({ cause: { code: '42P01' } });
    }
    await single.db.execute(sql`create table ${later} (id int primary key)`);
    await single.db.execute(sql`insert into ${later} values (1)`);
    for (let attempt = 0; attempt < 3; attempt++)
      expect(await transaction(single.db, (tx) => rawRows(tx, read()))).toEqual([{ id: 1 }]);
  });

  it('keeps a deferred write made before a savepoint that rolls back', async () => {
    await transaction(single.db, async (tx) => {
      await tx.execute(deferredWrite(insert(1)));
      await tx
        .transaction(async (inner) => {
          await inner.execute(insert(2));
          throw new Error('the inner part fails');
        })
        .catch(() => undefined);
      await tx.execute(insert(3));
    });
    expect(await ids()).toEqual([1, 3]);
  });

  it('drops a deferred write made inside a savepoint that rolls back, keeping the rest', async () => {
    await single.db.execute(insert(1));
    await transaction(single.db, async (tx) => {
      await tx.execute(insert(2));
      await tx
        .transaction(async (inner) => {
          await inner.execute(deferredWrite(insert(1))); // would clash: it must never be sent
          throw new Error('the inner part fails');
        })
        .catch(() => undefined);
      await tx.execute(deferredWrite(insert(3)));
    });
    expect(await ids()).toEqual([1, 2, 3]);
  });

  it('answers an error, not a silent rollback, when COMMIT ends a transaction a swallowed failure aborted', async () => {
    const swallowed = transaction(single.db, async (tx) => {
      await tx.execute(insert(1));
      await tx.execute(insert(1)).catch(() => undefined);
    });
    await expect(swallowed).rejects.toMatchObject({
      cause: { message: expect.stringContaining('COMMIT rolled the transaction back') },
    });
    expect(await ids()).toEqual([]);
  });

  it('prepares a statement again after node-postgres could not convert one of its values', async () => {
    // In transactions: outside one, the pool drops a connection whose query failed anyway.
    const read = (value: unknown) =>
      transaction(single.db, (tx) => rawRows<{ v: unknown }>(tx, sql`select ${value}::jsonb as v`));
    for (const n of [1, 2, 3]) expect(await read({ n })).toEqual([{ v: { n } }]);
    const unconvertible = {
      toPostgres() {
        throw new Error('no conversion for this value');
      },
    };
    await expect(read(unconvertible)).rejects.toMatchObject({
      cause: { message: 'no conversion for this value' },
    });
    for (const n of [4, 5]) expect(await read({ n })).toEqual([{ v: { n } }]);
  });

  it('runs a first statement of several commands (a migration chunk) after BEGIN', async () => {
    await transaction(single.db, (tx) =>
      tx.execute(sql`insert into ${table} (id) values (1); insert into ${table} (id) values (2)`),
    );
    expect(await ids()).toEqual([1, 2]);
  });

  it('sends a deferred write outside a transaction at once', async () => {
    await single.db.execute(deferredWrite(insert(5)));
    expect(await ids()).toEqual([5]);
  });

  it('keeps pg.Query as the pipeline relies on (prepare, _getRows and the answer handlers)', () => {
    const query = new pg.Query('select 1') as unknown as Record<string, unknown>;
    for (const method of [
      'prepare',
      '_getRows',
      'handleRowDescription',
      'handleDataRow',
      'handleCommandComplete',
      'handleEmptyQuery',
      'handleError',
      'handleReadyForQuery',
    ])
      expect(typeof query[method], method).toBe('function');
  });
});
