import { sql } from 'drizzle-orm';
import type { Executor } from '../../src/db/connection.ts';

/**
 * Has the database itself fail a statement the way it does when `lock_timeout` expires (SQLSTATE
 * 55P03), and answers the error the driver raised. The embedded engine is one session, so nobody
 * else can hold the lock there: the server raises the same error from a DO block instead. Run on a
 * transaction, it aborts that transaction, as the real timeout would.
 */
export async function lockTimeoutOn(executor: Executor): Promise<Error> {
  try {
    await executor.execute(
      sql.raw(
        `do $$ begin raise exception 'canceling statement due to lock timeout' using errcode = 'lock_not_available'; end $$`,
      ),
    );
  } catch (error) {
    if (error instanceof Error) return error;
    throw error;
  }
  throw new Error('the statement meant to fail succeeded');
}

/**
 * Has the database fail a statement with a serialization failure (SQLSTATE 40001), as PostgreSQL
 * does when a concurrent transaction wins, and answers the driver's error: what `transaction()`
 * retries. Raised from a DO block, so it works on the embedded engine, which is one session.
 */
export async function serializationFailureOn(executor: Executor): Promise<Error> {
  try {
    await executor.execute(
      sql.raw(
        `do $$ begin raise exception 'could not serialize access due to concurrent update' using errcode = 'serialization_failure'; end $$`,
      ),
    );
  } catch (error) {
    if (error instanceof Error) return error;
    throw error;
  }
  throw new Error('the statement meant to fail succeeded');
}
