import { mkdirSync } from 'node:fs';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import {
  type Column,
  type ExtractTablesWithRelations,
  getTableColumns,
  type InferSelectModel,
  type SQL,
  sql,
} from 'drizzle-orm';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import type { PgDatabase, PgQueryResultHKT, PgTable, PgTransaction } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import pg from 'pg';
import { lockDataDirectory } from './data-dir-lock.ts';
import { type PreparedQuery, preparedStatements } from './embedded-prepared.ts';
import { tuneConnection } from './wire.ts';

/** The one query interface every store uses, whichever engine is underneath. */
export type Db = PgDatabase<PgQueryResultHKT>;
export type Tx = PgTransaction<
  PgQueryResultHKT,
  Record<string, never>,
  ExtractTablesWithRelations<Record<string, never>>
>;
/** Something a store can run a query on: the database itself or an open transaction. */
export type Executor = Db | Tx;

export interface Database {
  kind: 'embedded' | 'postgres';
  db: Db;
  /** Runs fn holding a session-level advisory lock (a no-op on the single-process embedded engine). */
  withAdvisoryLock<T>(lockId: number, fn: (db: Db) => Promise<T>): Promise<T>;
  /**
   * Subscribes to a notification channel (PostgreSQL LISTEN). A notification sent inside a
   * transaction arrives when it commits, in every process listening. Until `onListening` is called,
   * and between `onGap` (the listening connection dropped: notifications may have been missed) and
   * the next `onListening`, the subscriber must not rely on hearing about changes.
   */
  listen(channel: string, subscriber: Subscriber): void;
  /** Connections in use and callers waiting for one, now (for /metrics). */
  usage(): PoolUsage;
  close(): Promise<void>;
}

/**
 * PostgreSQL: the pool's connections and the callers queued for one. Embedded: one session that
 * runs a statement or transaction at a time; `waiting` counts those queued behind it.
 */
export interface PoolUsage {
  size: number;
  busy: number;
  idle: number;
  waiting: number;
}

export interface Subscriber {
  onNotification(payload: string): void;
  onListening(): void;
  onGap(): void;
}

const LISTEN_RETRY_MS = 1_000;

export interface DatabaseOptions {
  /** PostgreSQL URL; absent = embedded PGlite. */
  url?: string | undefined;
  /** Where PGlite keeps its files; absent = in memory (tests). */
  dataDir?: string | undefined;
  poolSize?: number;
  /** Prepare the statements this process repeats (default true; see src/db/prepared.ts). */
  preparedStatements?: boolean | undefined;
}

export class DatabaseConnectionError extends Error {}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  const database = options.url
    ? await openPostgres(options.url, options.poolSize ?? 20, options.preparedStatements ?? true)
    : await openEmbedded(options.dataDir, options.preparedStatements ?? true);
  return closedOnce(database);
}

/** Closing twice (a shutdown path that runs after another) waits for the first close, never fails. */
function closedOnce(database: Database): Database {
  let closing: Promise<void> | undefined;
  return { ...database, close: () => (closing ??= database.close()) };
}

async function openPostgres(url: string, poolSize: number, preparedStatements: boolean): Promise<Database> {
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  pool.on('connect', (client) => tuneConnection(client, { prepare: preparedStatements }));
  // An idle client that loses its server must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  try {
    const client = await pool.connect();
    client.release();
  } catch (error) {
    await pool.end();
    const reason = error instanceof Error ? error.message : String(error);
    throw new DatabaseConnectionError(`cannot connect to DATABASE_URL (${redactUrl(url)}): ${reason}`);
  }
  const db = drizzlePg(pool) as unknown as Db;
  const listeners: Array<() => Promise<void>> = [];
  return {
    kind: 'postgres',
    db,
    listen(channel, subscriber) {
      listeners.push(listenOnPostgres(url, channel, subscriber));
    },
    usage: () => ({
      size: poolSize,
      busy: pool.totalCount - pool.idleCount,
      idle: pool.idleCount,
      waiting: pool.waitingCount,
    }),
    async withAdvisoryLock(lockId, fn) {
      const client = await pool.connect();
      try {
        await client.query('select pg_advisory_lock($1)', [lockId]);
        try {
          return await fn(drizzlePg(client) as unknown as Db);
        } finally {
          await client.query('select pg_advisory_unlock($1)', [lockId]);
        }
      } finally {
        client.release();
      }
    },
    async close() {
      await Promise.all(listeners.map((stop) => stop()));
      await pool.end();
    },
  };
}

/**
 * LISTEN on a connection of its own (a pooled one would be handed to other work), reconnecting
 * after a loss. Returns how to stop.
 */
function listenOnPostgres(url: string, channel: string, subscriber: Subscriber): () => Promise<void> {
  let stopped = false;
  let client: pg.Client | undefined;
  let retry: NodeJS.Timeout | undefined;

  const lost = (lostClient: pg.Client) => {
    if (client !== lostClient) return;
    client = undefined;
    lostClient.end().catch(() => {});
    subscriber.onGap();
    if (!stopped) retry = setTimeout(connect, LISTEN_RETRY_MS);
  };

  async function connect() {
    const next = new pg.Client({ connectionString: url });
    client = next;
    next.on('notification', (message) => {
      if (message.channel === channel) subscriber.onNotification(message.payload ?? '');
    });
    next.on('error', () => lost(next));
    next.on('end', () => lost(next));
    try {
      await next.connect();
      await next.query(`listen ${pg.escapeIdentifier(channel)}`);
      if (client === next && !stopped) subscriber.onListening();
    } catch {
      lost(next);
    }
  }

  void connect();
  return async () => {
    stopped = true;
    clearTimeout(retry);
    const last = client;
    client = undefined;
    await last?.end().catch(() => {});
  };
}

async function openEmbedded(dataDir: string | undefined, prepareStatements: boolean): Promise<Database> {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  // Before PGlite reads a file: a second process would see only its own changes and overwrite the first's.
  const lock = dataDir ? lockDataDirectory(dataDir) : undefined;
  const client = dataDir ? new PGlite(dataDir) : new PGlite();
  try {
    await client.waitReady;
  } catch (error) {
    lock?.release();
    throw error;
  }
  const prepared = prepareStatements ? preparedStatements(client) : undefined;
  const queue = { pending: 0 };
  const db = drizzlePglite(takingTurns(client, prepared, undefined, queue)) as unknown as Db;
  return {
    kind: 'embedded',
    db,
    listen(channel, subscriber) {
      // The one process that holds the database hears every notification; there is no connection to lose.
      client
        .listen(channel, (payload) => subscriber.onNotification(payload))
        .then(
          () => subscriber.onListening(),
          () => subscriber.onGap(),
        );
    },
    usage: () => {
      const busy = Math.min(queue.pending, 1);
      return { size: 1, busy, idle: 1 - busy, waiting: queue.pending - busy };
    },
    // PGlite runs inside this one process and serializes every query, so there is nobody to lock out.
    withAdvisoryLock: (_lockId, fn) => fn(db),
    async close() {
      try {
        await client.close();
      } finally {
        lock?.release();
      }
    },
  };
}

/** What drizzle calls on PGlite: `query`, and `transaction`, whose callback gets something to query. */
interface Queryable {
  query: PGlite['query'];
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * PGlite runs each statement on this thread before its promise settles, so without a pause a
 * request runs from its first statement to its last in one turn of the event loop, and so does
 * every other request read in that turn: a till whose request (or new connection) arrives
 * meanwhile is not even read until they all end, and under 32 busy tills the last ones to connect
 * waited seconds. A pause before each statement lets the server read and queue every request
 * between statements, so requests take turns in arrival order (PGlite's own lock is first come,
 * first served). The texts this process repeats go prepared (src/db/embedded-prepared.ts).
 */
function takingTurns<T extends Queryable>(
  target: T,
  prepared: PreparedQuery | undefined,
  openTransaction: Transaction | undefined,
  queue: { pending: number } | undefined,
): T {
  const query = async (...args: Parameters<PGlite['query']>) => {
    await nextTurn();
    return prepared?.(args[0], args[1], args[2], openTransaction) ?? target.query(...args);
  };
  const transaction = (fn: (tx: Queryable) => Promise<unknown>) =>
    (target as unknown as PGlite).transaction((tx) => fn(takingTurns(tx, prepared, tx, undefined)));
  // Outside a transaction (queue given): each statement or transaction holds the one session in turn.
  const counted =
    <A extends unknown[], R>(work: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      if (!queue) return work(...args);
      queue.pending++;
      try {
        return await work(...args);
      } finally {
        queue.pending--;
      }
    };
  const countedQuery = counted(query);
  const countedTransaction = counted(transaction);
  return new Proxy(target, {
    get(object, property) {
      if (property === 'query') return countedQuery;
      if (property === 'transaction') return countedTransaction;
      const value: unknown = Reflect.get(object, property, object);
      // PGlite's methods use private fields: they must run on the instance, not on this proxy.
      return typeof value === 'function' ? value.bind(object) : value;
    },
  });
}

function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}

/** A PostgreSQL array parameter in one placeholder (drizzle would expand a JS array into a list). */
export function arrayParam(values: readonly string[], type: 'text' | 'uuid' | 'timestamptz'): SQL {
  const literal = `{${values.map((value) => `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`;
  return sql`${literal}::${sql.raw(type)}[]`;
}

/**
 * The starts of limit periods as one timestamptz[] parameter, for `used_at >= since` counts: a
 * limit without a period (null) starts at -infinity, so it counts every use.
 */
export function periodStartsParam(starts: ReadonlyArray<Date | null>): SQL {
  return arrayParam(
    starts.map((start) => start?.toISOString() ?? '-infinity'),
    'timestamptz',
  );
}

/** Rows of a raw SQL query, the same on both drivers (both answer `{ rows }`). */
export async function rawRows<T>(executor: Executor, query: SQL): Promise<T[]> {
  const result = (await executor.execute(query)) as unknown as { rows: T[] };
  return result.rows;
}

const columnsByTable = new WeakMap<PgTable, Array<[string, Column]>>();

/**
 * Rows of raw SQL answering one table's columns (`select *`, `returning *`), mapped as Drizzle maps
 * its own queries: property names and values. For hot paths: Drizzle's query builder spends
 * 0.1–0.2 ms of CPU building each statement (a `select` of one customer: ~180 µs; the same as
 * an `sql` template: ~4 µs), and a ticket runs twenty of them.
 */
export async function tableRows<T extends PgTable>(
  executor: Executor,
  table: T,
  query: SQL,
): Promise<Array<InferSelectModel<T>>> {
  const rows = await rawRows<Record<string, unknown>>(executor, query);
  return rows.map((raw) => rowOf(table, raw));
}

/**
 * One row of table from its columns by database name, as the driver or `row_to_json` gives them
 * (JSON's timestamps are strings: the columns' own mapping reads both).
 */
export function rowOf<T extends PgTable>(table: T, raw: Record<string, unknown>): InferSelectModel<T> {
  let columns = columnsByTable.get(table);
  if (!columns) {
    columns = Object.entries(getTableColumns(table));
    columnsByTable.set(table, columns);
  }
  const row: Record<string, unknown> = {};
  for (const [key, column] of columns) {
    const value = raw[column.name];
    row[key] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
  }
  return row as InferSelectModel<T>;
}
