import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase } from '../../test/support/context.ts';
import type { Database } from './connection.ts';
import { transaction } from './transaction.ts';

let database: Database;
let drop: () => Promise<void>;

beforeAll(async () => {
  ({ database, drop } = await openTestDatabase());
});

afterAll(() => drop());

describe('database connection', () => {
  it('lets other work run between the statements of a transaction, on either engine', async () => {
    const order: string[] = [];
    const ticket = transaction(database.db, async (tx) => {
      for (let statement = 0; statement < 5; statement++) await tx.execute(sql`select ${statement}::int`);
      order.push('the transaction ended');
    });
    // Another till's request, read by the server in the meantime.
    setImmediate(() => order.push('other work ran'));
    await ticket;
    expect(order).toEqual(['other work ran', 'the transaction ended']);
  });

  it('lets other work run between two statements outside a transaction', async () => {
    const order: string[] = [];
    const lookups = (async () => {
      await database.db.execute(sql`select 1`);
      await database.db.execute(sql`select 2`);
      order.push('both statements answered');
    })();
    setImmediate(() => order.push('other work ran'));
    await lookups;
    expect(order).toEqual(['other work ran', 'both statements answered']);
  });
});
