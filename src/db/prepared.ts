import type pg from 'pg';
import { isStalePlan } from './transaction.ts';

/**
 * Named prepared statements for the statements this process sends again and again.
 *
 * node-postgres sends every parameterized query unnamed, so PostgreSQL parses, analyses and plans
 * it each time. The statements of a ticket or a redemption are long CTEs: that work was a third of
 * the database's CPU per request (`bench/statements.ts` reports it), on cores the API shares. A
 * text seen twice in this process is prepared under a name on each connection that sends it, and
 * later sends only bind it. One-off texts (an import's multi-row insert) stay unnamed, texts longer
 * than MAX_TEXT_LENGTH are neither counted nor prepared (a hot path's longest is under 2 KB), and
 * each connection prepares at most MAX_PER_CONNECTION texts: this process's and the server's
 * memory stay bounded.
 *
 * A prepared `select *` whose table gained a column fails once with "cached plan must not change
 * result type" (a migration while the process runs). The connection then forgets the statement;
 * outside a transaction the query is sent again at once, inside one `transaction()` retries.
 */

const MAX_PER_CONNECTION = 256;
const MAX_TEXT_LENGTH = 16_384;
/** How many distinct texts the process keeps count of before starting over. */
const MAX_COUNTED = 1_000;

const timesSent = new Map<string, number>();

type Callback = (error: Error | null, result?: unknown) => void;
type LooseQuery = (config: unknown, values?: unknown, callback?: unknown) => unknown;
interface QueryConfig {
  text: string;
  name?: string;
  values?: unknown[];
}

function plainConfig(config: unknown): config is QueryConfig {
  if (typeof config !== 'object' || config === null) return false;
  const candidate = config as Partial<QueryConfig> & { submit?: unknown };
  return typeof candidate.text === 'string' && candidate.name === undefined && candidate.submit === undefined;
}

function repeated(text: string): boolean {
  const count = (timesSent.get(text) ?? 0) + 1;
  if (timesSent.size >= MAX_COUNTED && count === 1) timesSent.clear();
  timesSent.set(text, count);
  return count > 1;
}

/** Makes one pooled connection prepare the texts this process repeats (see above). */
export function prepareRepeatedStatements(client: pg.ClientBase): void {
  const send = client.query.bind(client) as LooseQuery;
  const names = new Map<string, string>();
  let prepared = 0;

  function nameFor(text: string): string | undefined {
    if (text.length > MAX_TEXT_LENGTH) return undefined;
    const known = names.get(text);
    if (known !== undefined || prepared >= MAX_PER_CONNECTION || !repeated(text)) return known;
    const name = `regulars_${++prepared}`;
    names.set(text, name);
    return name;
  }

  const query: LooseQuery = (config, values, callback) => {
    if (!plainConfig(config)) return send(config, values, callback);
    const parameters = Array.isArray(values) ? values : config.values;
    if (!parameters?.length) return send(config, values, callback);
    const name = nameFor(config.text);
    if (name === undefined) return send(config, values, callback);
    const outsideTransaction = client.getTransactionStatus() === 'I';
    const named = { ...config, name };
    const forget = (error: unknown) => {
      if (!isStalePlan(error)) return false;
      names.delete(config.text);
      return outsideTransaction;
    };
    if (typeof callback === 'function') {
      const done = callback as Callback;
      return send(named, values, (error: Error | null, result?: unknown) => {
        if (error && forget(error)) send(config, values, done);
        else done(error, result);
      });
    }
    return (send(named, values) as Promise<unknown>).catch((error: unknown) => {
      if (forget(error)) return send(config, values);
      throw error;
    });
  };
  (client as unknown as { query: LooseQuery }).query = query;
}
