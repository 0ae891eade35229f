import type pg from 'pg';
import {
  canCarry,
  canRide,
  checkCommitted,
  emptyResult,
  isDeferred,
  type Statement,
  sendBatch,
  transactionEdge,
} from './pipeline.ts';
import { statementNames } from './prepared.ts';
import { isStalePlan, sqlState } from './transaction.ts';

/**
 * How this process talks to PostgreSQL on one pooled connection: the texts it repeats are prepared
 * (src/db/prepared.ts, unless turned off), and a transaction's BEGIN and deferred writes wait to
 * travel with its next statement (src/db/pipeline.ts). node-postgres's `query` is replaced on the
 * connection; drizzle and the pool call it as before. A transaction's statements are expected one
 * after the other, as drizzle awaits them: two sent at once on one connection keep their order only
 * when nothing is held back. COMMIT answered ROLLBACK (an earlier failure swallowed) is an error.
 */

type LooseQuery = (config: unknown, values?: unknown, callback?: unknown) => unknown;
type Callback = (error: Error | null, result?: unknown) => void;

export interface WireOptions {
  /** Prepare the statements this process repeats (DATABASE_PREPARED_STATEMENTS). */
  prepare: boolean;
}

interface PlainConfig extends Record<string, unknown> {
  text: string;
  name?: string;
  values?: unknown[];
  submit?: unknown;
}

function plainConfig(config: unknown): config is PlainConfig {
  if (typeof config !== 'object' || config === null) return false;
  const candidate = config as Partial<PlainConfig>;
  return typeof candidate.text === 'string' && candidate.name === undefined && candidate.submit === undefined;
}

function statementOf(config: unknown, values: unknown): Statement | undefined {
  const base = typeof config === 'string' ? { text: config } : config;
  if (!plainConfig(base)) return undefined;
  return { text: base.text, values: Array.isArray(values) ? values : (base.values ?? []), config: base };
}

/** BEGIN, COMMIT and ROLLBACK are short: longer texts skip the pattern tests. */
const LONGEST_EDGE = 48;

/** What node-postgres records of the statements a connection has parsed (name → text). */
function parsedOn(client: pg.ClientBase): Record<string, string> {
  return (client as unknown as { connection: { parsedStatements: Record<string, string> } }).connection
    .parsedStatements;
}

export function tuneConnection(client: pg.ClientBase, options: WireOptions): void {
  const send = client.query.bind(client) as LooseQuery;
  const names = options.prepare ? statementNames() : undefined;
  /** The transaction's BEGIN, not sent yet. */
  let begin: Statement | undefined;
  /** A deferred write of the open transaction, not sent yet. */
  let held: Statement | undefined;

  function named(statement: Statement): Statement {
    if (!names) return statement;
    return { ...statement, name: names.nameFor(statement.text, statement.values.length) };
  }

  /** Unnamed, or already prepared here: it can go in a batch without changing what pg records as parsed. */
  function batchable(statement: Statement): boolean {
    return statement.name === undefined || parsedOn(client)[statement.name] === statement.text;
  }

  /**
   * After a named statement failed: a stale plan, or a value node-postgres could not convert (it
   * then closes the statement on the server but keeps it in its record), means the connection
   * prepares the text again, under a new name.
   */
  function forgetIfUnusable(error: unknown, statement: Statement): boolean {
    if (!statement.name) return false;
    const stale = isStalePlan(error);
    if (!stale && sqlState(error) !== undefined) return false;
    names?.forget(statement.text);
    if (!stale) delete parsedOn(client)[statement.name];
    return true;
  }

  /** node-postgres's own send, named when repeated; outside a transaction a stale plan is sent again. */
  function sendAlone(statement: Statement, outsideTransaction: boolean): Promise<unknown> {
    const { config, name, values } = statement;
    if (name === undefined) return send(config, values) as Promise<unknown>;
    return (send({ ...config, name }, values) as Promise<unknown>).catch((error: unknown) => {
      const forgotten = forgetIfUnusable(error, statement);
      if (forgotten && outsideTransaction && isStalePlan(error)) return send(config, values);
      throw error;
    });
  }

  async function sendWith(statement: Statement, riders: Statement[]): Promise<unknown> {
    const main = named(statement);
    if (riders.length === 0) return sendAlone(main, client.getTransactionStatus() === 'I');
    if (batchable(main) && canCarry(main)) {
      try {
        return await sendBatch(send, main, riders);
      } catch (error) {
        for (const sent of [main, ...riders]) forgetIfUnusable(error, sent);
        throw error;
      }
    }
    // A named text this connection has not prepared yet is prepared alone, once; a text without
    // parameters (a migration's) may hold several commands, which only the simple protocol takes.
    for (const rider of riders) await sendAlone(rider, false);
    return sendAlone(main, false);
  }

  function route(statement: Statement): Promise<unknown> {
    const { text } = statement;
    if (text.length <= LONGEST_EDGE) return routeShort(statement);
    if (isDeferred(text)) return routeDeferred(statement);
    if (begin === undefined && held === undefined)
      return sendAlone(named(statement), client.getTransactionStatus() === 'I');
    return sendWithHeld(statement);
  }

  /** The statement goes now, with what the transaction held back. */
  function sendWithHeld(statement: Statement): Promise<unknown> {
    const riders = [begin, held].filter((rider): rider is Statement => rider !== undefined);
    begin = undefined;
    held = undefined;
    return sendWith(statement, riders);
  }

  function routeDeferred(statement: Statement): Promise<unknown> {
    const idle = begin === undefined && client.getTransactionStatus() === 'I';
    if (!idle && !held && canRide(statement.values)) {
      const deferred = named(statement);
      if (batchable(deferred)) {
        held = deferred;
        return Promise.resolve(emptyResult('INSERT'));
      }
    }
    return sendWithHeld(statement);
  }

  /** A short text may be a transaction's edge: BEGIN waits, COMMIT or ROLLBACK of nothing sent is nothing. */
  function routeShort(statement: Statement): Promise<unknown> {
    const { text } = statement;
    const idle = begin === undefined && client.getTransactionStatus() === 'I';
    if (transactionEdge.isBegin(text) && statement.values.length === 0 && idle && !held) {
      begin = statement;
      return Promise.resolve(emptyResult('BEGIN'));
    }
    if (transactionEdge.isRollback(text) || transactionEdge.isRollbackToSavepoint(text)) held = undefined;
    if ((transactionEdge.isRollback(text) || transactionEdge.isCommit(text)) && begin && !held) {
      // Nothing was sent since BEGIN: there is no transaction on the server to end.
      begin = undefined;
      return Promise.resolve(emptyResult(text.trim().toUpperCase()));
    }
    if (isDeferred(text)) return routeDeferred(statement);
    if (transactionEdge.isCommit(text))
      return sendWithHeld(statement).then((result) => checkCommitted(result as pg.QueryResult));
    return sendWithHeld(statement);
  }

  const query: LooseQuery = (config, values, callback) => {
    const done = (typeof values === 'function' ? values : callback) as Callback | undefined;
    const statement = statementOf(config, typeof values === 'function' ? undefined : values);
    if (!statement) {
      // Named queries and custom Submittables are not ours: nothing of a transaction may be waiting.
      if (begin || held) throw new Error('a query of its own kind cannot follow statements held back');
      return send(config, values, callback);
    }
    const answer = route(statement);
    if (typeof done !== 'function') return answer;
    answer.then(
      (result) => done(null, result),
      (error: Error) => done(error),
    );
    return undefined;
  };
  (client as unknown as { query: LooseQuery }).query = query;
}
