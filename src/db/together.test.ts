import { sql } from 'drizzle-orm';
import { bigint, jsonb, pgTable, timestamp, uuid } from 'drizzle-orm/pg-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openTestDatabase } from '../../test/support/context.ts';
import type { Executor } from './connection.ts';
import { rawRows, rowOf } from './connection.ts';
import { newId } from './ids.ts';
import { answered, combined, mapped, type PartRead, readPart, readTogether, withWrites } from './together.ts';

/** A table of its own, so the test depends on no module's schema. */
const probes = pgTable('read_together_probes', {
  id: uuid('id').primaryKey(),
  seenAt: timestamp('seen_at', { withTimezone: true }),
  amount: bigint('amount', { mode: 'number' }).notNull(),
  labels: jsonb('labels').$type<string[]>().notNull(),
});

let test: Awaited<ReturnType<typeof openTestDatabase>>;
beforeAll(async () => {
  test = await openTestDatabase();
  await test.database.db.execute(
    sql`create table read_together_probes (id uuid primary key, seen_at timestamptz, amount bigint not null, labels jsonb not null)`,
  );
});
afterAll(() => test.drop());

const probeId = newId();

function probePart(id: string): PartRead<typeof probes.$inferSelect | undefined> {
  return {
    json: sql`select row_to_json(${probes}) from ${probes} where id = ${id}`,
    decode: (value) => (value ? rowOf(probes, value as Record<string, unknown>) : undefined),
  };
}

describe('reading parts together', () => {
  it('answers every part, nested ones included, in one statement', async () => {
    const seenAt = new Date('2026-03-04T05:06:07.891Z');
    await test.database.db.insert(probes).values({ id: probeId, seenAt, amount: 4200, labels: ['x'] });
    const execute = vi.spyOn(test.database.db, 'execute');
    try {
      const answers = await readTogether(test.database.db, {
        count: { json: sql`select 41 + 1`, decode: (value) => Number(value) },
        ids: {
          json: sql`select json_agg(x) from unnest(array['a', 'b']) as x`,
          decode: (value) => value as string[],
        },
        nested: combined(
          { row: probePart(probeId), missing: probePart(newId()), known: answered('known') },
          ({ row, missing, known }) => ({ row, missing, known }),
        ),
      });
      expect(execute).toHaveBeenCalledTimes(1);
      expect(answers.count).toBe(42);
      expect(answers.ids).toEqual(['a', 'b']);
      expect(answers.nested.known).toBe('known');
      expect(answers.nested.missing).toBeUndefined();
      expect(answers.nested.row).toEqual({ id: probeId, seenAt, amount: 4200, labels: ['x'] });
    } finally {
      execute.mockRestore();
    }
  });

  it('maps a part’s answer, and a row that is not there reads as nothing', async () => {
    const basis = mapped(probePart(probeId), (row) => row?.amount ?? 0);
    expect(await readPart(test.database.db, basis)).toBe(4200);
    expect(
      await readPart(
        test.database.db,
        mapped(probePart(newId()), (row) => row ?? 'none'),
      ),
    ).toBe('none');
  });

  it('asks nothing of the database when every answer is already known', async () => {
    // An executor that fails any statement: known answers must not reach it.
    const unreachable = {} as Executor;
    expect(
      await readTogether(unreachable, { a: answered(1), b: combined({ c: answered('c') }, ({ c }) => c) }),
    ).toEqual({
      a: 1,
      b: 'c',
    });
  });
});

describe('writing with a statement', () => {
  it('sends writes that need nothing back with the statement, in one round trip', async () => {
    const [first, second, third] = [newId(), newId(), newId()];
    const execute = vi.spyOn(test.database.db, 'execute');
    try {
      const rows = await rawRows<{ id: string }>(
        test.database.db,
        withWrites(
          [
            sql`insert into ${probes} (id, amount, labels) values (${first}, 1, '[]')`,
            sql`insert into ${probes} (id, amount, labels) values (${second}, 2, '[]')`,
          ],
          sql`insert into ${probes} (id, amount, labels) values (${third}, 3, '[]') returning id`,
        ),
      );
      expect(execute).toHaveBeenCalledTimes(1);
      expect(rows).toEqual([{ id: third }]);
    } finally {
      execute.mockRestore();
    }
    const stored = await rawRows<{ amount: string | number }>(
      test.database.db,
      sql`select amount from ${probes} where id in (${first}, ${second}, ${third}) order by amount`,
    );
    expect(stored.map((row) => Number(row.amount))).toEqual([1, 2, 3]);
  });
});
