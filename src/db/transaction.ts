import { AsyncLocalStorage } from 'node:async_hooks';
import type { Db, Executor, Tx } from './connection.ts';

/** The driver's error is wrapped by drizzle: an error and its causes, a few levels deep. */
function* errorChain(error: unknown): Generator<Error & { code?: unknown; constraint?: unknown }> {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    yield current;
    current = current.cause;
  }
}

/** SQLSTATE of a database error, looking through drizzle's wrapper to the driver's error. */
export function sqlState(error: unknown): string | undefined {
  for (const { code } of errorChain(error)) {
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

/** Name of the constraint a unique/foreign-key violation hit, when the driver reports it. */
export function violatedConstraint(error: unknown): string | undefined {
  for (const { constraint } of errorChain(error)) {
    if (typeof constraint === 'string') return constraint;
  }
  return undefined;
}

export const UNIQUE_VIOLATION = '23505';

/**
 * Runs work and turns a unique violation on one of the named constraints into the error made for
 * it (a 409 naming the field); any other error passes through. `'*'` matches any constraint.
 */
export async function onUniqueViolation<T>(
  work: () => Promise<T>,
  clashes: Record<string, () => Error>,
): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (sqlState(error) === UNIQUE_VIOLATION) {
      const clash = clashes[violatedConstraint(error) ?? ''] ?? clashes['*'];
      if (clash) throw clash();
    }
    throw error;
  }
}
const STALE_PLAN = 'cached plan must not change result type';

/**
 * Whether a statement failed because its prepared plan predates a schema change (src/db/prepared.ts:
 * a `select *` whose table gained a column). The connection has forgotten that plan, so one more try works.
 */
export function isStalePlan(error: unknown): boolean {
  for (const link of errorChain(error)) {
    if (link.code === '0A000' && link.message.includes(STALE_PLAN)) return true;
  }
  return false;
}
const MAX_ATTEMPTS = 5;

/** Why an attempt was rolled back and run again. */
export type RetryReason = 'serialization_failure' | 'deadlock' | 'stale_plan';

const retryListeners = new WeakMap<Db, Set<(reason: RetryReason) => void>>();

/**
 * Calls listener each time a transaction on db is retried (src/modules/metrics counts them).
 * Per database, not per process: tests run several apps, each with its own database, in one process.
 * Answers how to stop listening.
 */
export function onTransactionRetry(db: Db, listener: (reason: RetryReason) => void): () => void {
  let listeners = retryListeners.get(db);
  if (!listeners) {
    listeners = new Set();
    retryListeners.set(db, listeners);
  }
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function retryReason(error: unknown): RetryReason | undefined {
  const state = sqlState(error);
  if (state === '40001') return 'serialization_failure';
  if (state === '40P01') return 'deadlock';
  return isStalePlan(error) ? 'stale_plan' : undefined;
}

interface Hooks {
  /** Last writes of the transaction, in order, after its use case returned (e.g. buffered events). */
  beforeCommit: Array<() => Promise<void>>;
  /** Work to do once it has committed; dropped if it rolls back. */
  afterCommit: Array<() => void>;
}

const hooksOf = new WeakMap<Executor, Hooks>();

/**
 * Runs hook inside the transaction behind executor, after its use case and just before it commits.
 * Answers false, running nothing, outside a transaction opened by `transaction()`: the caller
 * must then do the work itself, now.
 */
export function beforeCommit(executor: Executor, hook: () => Promise<void>): boolean {
  const hooks = hooksOf.get(executor);
  if (!hooks) return false;
  hooks.beforeCommit.push(hook);
  return true;
}

/**
 * A buffer of rows that each transaction writes in one statement just before it commits (its
 * events, its audit rows): `add(tx, rows)` joins the transaction's buffer, opening it on first
 * use. Outside a transaction opened by `transaction()` the rows are written at once, and so is a
 * batch larger than `maxBuffered` (a CSV import's), so memory does not hold it until the commit.
 */
export function commitBuffer<Row>(
  write: (executor: Executor, rows: readonly Row[]) => Promise<void>,
  maxBuffered = 100,
) {
  const buffered = new WeakMap<Executor, Row[]>();
  return async function add(executor: Executor, rows: readonly Row[]): Promise<void> {
    if (rows.length === 0) return;
    if (rows.length > maxBuffered) return write(executor, rows);
    const pending = buffered.get(executor);
    if (pending) {
      pending.push(...rows);
      return;
    }
    const batch = [...rows];
    if (beforeCommit(executor, () => write(executor, batch))) buffered.set(executor, batch);
    else await write(executor, batch);
  };
}

/**
 * Runs hook once the transaction behind executor commits (a retried attempt's hooks are dropped
 * with it). Outside a transaction opened by `transaction()`, there is nothing to wait for: it runs now.
 */
export function afterCommit(executor: Executor, hook: () => void): void {
  const hooks = hooksOf.get(executor);
  if (hooks) hooks.afterCommit.push(hook);
  else hook();
}

/** A last statement for every transaction opened under `guardCommits`; it may throw to roll back. */
export type CommitGuard = (tx: Tx) => Promise<void>;

const commitGuards = new AsyncLocalStorage<CommitGuard>();

/**
 * Runs fn so that every transaction it opens (and everything it starts, awaited or not) runs guard
 * as its last statement before committing. This is how a request's `Idempotency-Key` is marked
 * used in the same transaction as the operation (src/http/idempotency.ts): the two commit together.
 */
export function guardCommits<T>(guard: CommitGuard, fn: () => T): T {
  return commitGuards.run(guard, fn);
}

/**
 * The one way to run a use case: everything inside fn commits or rolls back together
 * (including the event rows it emits). Serialization failures and deadlocks are retried
 * transparently, so callers never see a conflict caused only by honest concurrency; so is a
 * prepared plan outdated by a migration.
 */
export async function transaction<T>(db: Db, fn: (tx: Tx) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const hooks: Hooks = { beforeCommit: [], afterCommit: [] };
    const guard = commitGuards.getStore();
    try {
      const result = await db.transaction(async (tx) => {
        hooksOf.set(tx, hooks);
        const answer = await fn(tx);
        for (const hook of hooks.beforeCommit) await hook();
        if (guard) await guard(tx);
        return answer;
      });
      for (const hook of hooks.afterCommit) hook();
      return result;
    } catch (error) {
      const reason = retryReason(error);
      if (attempt >= MAX_ATTEMPTS || !reason) throw error;
      for (const listener of retryListeners.get(db) ?? []) listener(reason);
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt));
    }
  }
}
