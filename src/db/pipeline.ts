import { type SQL, sql } from 'drizzle-orm';
import pg from 'pg';

/**
 * Statements that travel together in one round trip to PostgreSQL.
 *
 * node-postgres sends a statement, waits for its answer, then sends the next. Under load every
 * round trip costs the API a socket write and PostgreSQL a wake-up, on the same two cores: a
 * profile of the ticket under load spent a third of the API process in those writes. Two of a
 * transaction's round trips carry nothing anybody waits for: BEGIN, and the write of its buffered
 * events just before COMMIT. So `src/db/wire.ts` holds them back and sends them ahead of the next
 * statement, in one message sequence with one Sync (the extended protocol's own pipelining):
 * PostgreSQL runs them in order, and an error in one skips the rest up to the Sync, so a statement
 * never runs when what was sent ahead of it failed.
 */

/** Starts a statement that asks for no answer (see `deferredWrite`). */
const DEFERRED = '/* deferred write */';

/**
 * Marks a write whose caller needs no answer: inside a transaction on PostgreSQL it is sent with the
 * transaction's next statement (at the latest with COMMIT, or never when it rolls back), and the
 * caller gets an empty result at once. A failure fails that next statement, so the transaction.
 * Outside a transaction, and on the embedded engine, it is an ordinary statement.
 */
export function deferredWrite(query: SQL): SQL {
  return sql`${sql.raw(DEFERRED)} ${query}`;
}

export function isDeferred(text: string): boolean {
  return text.startsWith(DEFERRED);
}

const BEGIN = /^\s*(begin|start\s+transaction)\b/i;
const COMMIT = /^\s*(commit|end)\s*;?\s*$/i;
/** ROLLBACK alone; `rollback to savepoint` is an ordinary statement. */
const ROLLBACK = /^\s*(rollback|abort)\s*;?\s*$/i;
const ROLLBACK_TO_SAVEPOINT = /^\s*rollback\s+((work|transaction)\s+)?to\s/i;

export const transactionEdge = {
  isBegin: (text: string) => BEGIN.test(text),
  isCommit: (text: string) => COMMIT.test(text),
  isRollback: (text: string) => ROLLBACK.test(text),
  /** Undoes everything since a savepoint: anything held back came after it (the savepoint was sent). */
  isRollbackToSavepoint: (text: string) => ROLLBACK_TO_SAVEPOINT.test(text),
};

/**
 * PostgreSQL answers COMMIT of a transaction a failed statement aborted with ROLLBACK, and no
 * error: when that failure was swallowed (or reached a caller as another statement's), the use
 * case would think its writes kept. This makes it an error.
 */
export function checkCommitted(result: pg.QueryResult): pg.QueryResult {
  if (result.command === 'ROLLBACK')
    throw new Error('COMMIT rolled the transaction back: one of its statements had failed');
  return result;
}

/** A statement as node-postgres takes it: drizzle adds `rowMode` and `types` to text and name. */
export interface Statement {
  text: string;
  name?: string | undefined;
  values: unknown[];
  config: Record<string, unknown>;
}

/**
 * What a pg.Query does on the wire and with the answers (node-postgres's Submittable protocol,
 * which its own cursor and stream packages implement). Not in @types/pg, hence declared here;
 * src/db/pipeline.test.ts fails if a pg release changes it.
 */
interface QueryProtocol {
  name?: string;
  portal: string;
  prepare(connection: pg.Connection): void;
  _getRows(connection: pg.Connection, rows?: number): void;
  handleRowDescription(message: unknown): void;
  handleDataRow(message: unknown): void;
  handleCommandComplete(message: unknown, connection: pg.Connection): void;
  handleEmptyQuery(connection: pg.Connection): void;
  handleError(error: Error, connection: pg.Connection): void;
}
type ProtocolQuery = pg.Query & QueryProtocol;
const ProtocolQuery = pg.Query as unknown as new (
  config: Record<string, unknown>,
  values?: unknown[],
  callback?: (error: Error | null, result: pg.QueryResult) => void,
) => ProtocolQuery;

/** A statement sent ahead of another: executed, its answer dropped, no Sync of its own. */
class Rider extends ProtocolQuery {
  override _getRows(connection: pg.Connection): void {
    connection.execute({ portal: this.portal }, false);
  }
}

/**
 * The statement a caller waits for, with the riders sent ahead of it; one Sync at the end. Its
 * answer is the caller's statement's alone: the riders' rows and completions are skipped.
 * Riders and a named statement must already be prepared on the connection (or be unnamed), so
 * that node-postgres's record of what each connection has parsed stays exact.
 */
class Batch extends ProtocolQuery {
  /** Completions seen so far: the riders' come first, one each. */
  private completed = 0;
  private readonly riders: Rider[];

  constructor(
    main: Statement,
    riders: Statement[],
    callback: (error: Error | null, result: pg.QueryResult) => void,
  ) {
    super({ ...main.config, text: main.text, name: main.name }, main.values, callback);
    this.riders = riders.map(
      (rider) => new Rider({ ...rider.config, text: rider.text, name: rider.name }, rider.values),
    );
  }

  /** Always the extended protocol: the simple one ends every message with a Sync of its own. */
  requiresPreparation(): boolean {
    return true;
  }

  override prepare(connection: pg.Connection): void {
    for (const rider of this.riders) rider.prepare(connection);
    super.prepare(connection);
  }

  private isMine(): boolean {
    return this.completed === this.riders.length;
  }

  override handleRowDescription(message: unknown): void {
    if (this.isMine()) super.handleRowDescription(message);
  }

  override handleDataRow(message: unknown): void {
    if (this.isMine()) super.handleDataRow(message);
  }

  override handleCommandComplete(message: unknown, connection: pg.Connection): void {
    if (this.isMine()) super.handleCommandComplete(message, connection);
    this.completed++;
  }

  override handleEmptyQuery(connection: pg.Connection): void {
    if (this.isMine()) super.handleEmptyQuery(connection);
    this.completed++;
  }
}

/** Sends main with riders ahead of it, in one round trip, through submit (node-postgres's own query); answers main's result. */
export function sendBatch(
  submit: (query: pg.Query) => unknown,
  main: Statement,
  riders: Statement[],
): Promise<pg.QueryResult> {
  return new Promise((resolve, reject) => {
    submit(new Batch(main, riders, (error, result) => (error ? reject(error) : resolve(result))));
  });
}

const PLAIN = new Set(['string', 'number', 'boolean', 'bigint', 'undefined']);

/**
 * Whether a statement can be the one a batch ends with: a parameterized statement is one command
 * (the simple protocol would be needed for several, and it ends with a Sync of its own), and so
 * is COMMIT.
 */
export function canCarry(statement: Statement): boolean {
  return statement.values.length > 0 || transactionEdge.isCommit(statement.text);
}

/**
 * Only values node-postgres converts without fail may ride (it cannot throw on them, as it can on
 * an object's JSON): a rider has nobody to report a conversion error to.
 */
export function canRide(values: unknown[]): boolean {
  return (
    values.length > 0 &&
    values.every((value) => value === null || value instanceof Date || PLAIN.has(typeof value))
  );
}

/** What a statement held back answers at once: no rows. */
export function emptyResult(command: string): pg.QueryResult {
  return { command, rowCount: 0, oid: 0, rows: [], fields: [] };
}
