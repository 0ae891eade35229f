import {
  type PGlite,
  parse,
  protocol,
  type QueryOptions,
  type Results,
  type Transaction,
} from '@electric-sql/pglite';
import { statementNames } from './prepared.ts';
import { isStalePlan } from './transaction.ts';

type BackendMessage = Awaited<ReturnType<PGlite['execProtocolStream']>>[number];

/** What PGlite told us of a statement when it was prepared: its parameters' types and its columns. */
interface Prepared {
  parameterTypes: number[];
  /** Its RowDescription message; absent for a statement that returns no rows. */
  columns: BackendMessage | undefined;
}

/**
 * Sends a statement prepared (inside `transaction` when one is given), or answers undefined when
 * it is not one to prepare.
 */
export type PreparedQuery = <T>(
  text: string,
  params: unknown[] | undefined,
  options: QueryOptions | undefined,
  transaction: Transaction | undefined,
) => Promise<Results<T>> | undefined;

/**
 * Named prepared statements on the embedded engine: the twin of src/db/wire.ts for PGlite.
 *
 * PGlite's `query` parses, analyses and plans every statement, and runs it as six calls into
 * PostgreSQL (Parse, Describe, Bind, Describe, Execute, Sync): on a ticket, that was more than half
 * of the engine's time. A text this process repeats (src/db/prepared.ts decides which) is parsed
 * once under a name, its parameter types and columns kept here; each later send is one call
 * (Bind, Execute, Sync) whose rows PGlite's own parser reads with the kept columns, so the result
 * is what `query` would have returned. The locks are PGlite's, taken as its `query` takes them;
 * a statement of a transaction that has ended fails, as PGlite's own does, and is checked under
 * the lock, so it never runs inside the next transaction.
 *
 * A prepared `select *` whose table gained a column fails with a stale plan: its text is sent
 * again at once, unprepared, outside a transaction (inside one, `transaction()` retries), and the
 * next send prepares it again under the same name (every prepare closes the name first).
 */
export function preparedStatements(client: PGlite): PreparedQuery {
  const names = statementNames();
  /** By name: a name always stands for one text, and its entry goes when its plan goes stale. */
  const prepared = new Map<string, Prepared>();

  async function prepare(text: string, name: string, options: QueryOptions | undefined): Promise<Prepared> {
    const messages = await client.execProtocolStream(
      Buffer.concat([
        protocol.serialize.close({ type: 'S', name }),
        protocol.serialize.parse({ name, text, types: options?.paramTypes }),
        protocol.serialize.describe({ type: 'S', name }),
        protocol.serialize.sync(),
      ]),
      { syncToFs: false, onNotice: options?.onNotice },
    );
    const statement = {
      parameterTypes: parse.parseDescribeStatementResults(messages),
      columns: messages.find((message) => message.name === 'rowDescription'),
    };
    prepared.set(name, statement);
    return statement;
  }

  /**
   * The query's own parsers over the client's. PGlite's parseResults would copy the client's
   * parsers (hundreds of types, array types included) into a new object for every statement that
   * brings its own (drizzle's always do); a prototype chain gives the same lookups for nothing.
   */
  function parsersFor(options: QueryOptions | undefined): PGlite['parsers'] {
    if (!options?.parsers) return client.parsers;
    return Object.assign(Object.create(client.parsers) as PGlite['parsers'], options.parsers);
  }

  /** Parameters as PGlite's `query` sends them: text, by the serializer of the type PostgreSQL inferred. */
  function serialized(statement: Prepared, params: unknown[], options: QueryOptions | undefined) {
    return params.map((value, index) => {
      if (value === null || value === undefined) return null;
      const type = statement.parameterTypes[index] ?? 0;
      const serializer = options?.serializers?.[type] ?? client.serializers[type];
      return serializer ? serializer(value) : String(value);
    });
  }

  async function run<T>(text: string, name: string, params: unknown[], options: QueryOptions | undefined) {
    const statement = prepared.get(name) ?? (await prepare(text, name, options));
    const messages = await client.execProtocolStream(
      Buffer.concat([
        protocol.serialize.bind({ statement: name, values: serialized(statement, params, options) }),
        protocol.serialize.execute({}),
        protocol.serialize.sync(),
      ]),
      { syncToFs: false, onNotice: options?.onNotice },
    );
    const withColumns = statement.columns ? [statement.columns, ...messages] : messages;
    return parse.parseResults(withColumns, parsersFor(options), {
      ...options,
      parsers: undefined,
    })[0] as Results<T>;
  }

  return function query<T>(
    text: string,
    params: unknown[] | undefined,
    options: QueryOptions | undefined,
    transaction: Transaction | undefined,
  ): Promise<Results<T>> | undefined {
    if (!params || options?.blob) return undefined;
    const name = names.nameFor(text, params.length);
    if (name === undefined) return undefined;
    const send = async () => {
      await client._checkReady();
      const result = await client._runExclusiveQuery(() => {
        if (transaction?.closed) throw new Error('Transaction is closed');
        return run<T>(text, name, params, options);
      });
      if (!transaction) await client.syncToFs();
      return result;
    };
    // Outside a transaction, wait for any open one to end, as PGlite's `query` does.
    const sent = transaction ? send() : client._runExclusiveTransaction(send);
    return sent.catch((error: unknown) => {
      if (!isStalePlan(error)) throw error;
      prepared.delete(name);
      if (transaction) throw error;
      return client.query<T>(text, params, options);
    });
  };
}
