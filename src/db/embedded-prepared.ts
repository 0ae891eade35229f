import { type PGlite, parse, protocol, type QueryOptions, type Results } from '@electric-sql/pglite';
import { statementNames } from './prepared.ts';
import { isStalePlan } from './transaction.ts';

type BackendMessage = Awaited<ReturnType<PGlite['execProtocolStream']>>[number];

/** What PGlite told us of a statement when it was prepared: its parameters' types and its columns. */
interface Prepared {
  name: string;
  parameterTypes: number[];
  /** Its RowDescription message; absent for a statement that returns no rows. */
  columns: BackendMessage | undefined;
}

/** Sends a statement prepared, or answers undefined when it is not one to prepare. */
export type PreparedQuery = <T>(
  text: string,
  params: unknown[] | undefined,
  options: QueryOptions | undefined,
  inTransaction: boolean,
) => Promise<Results<T>> | undefined;

/**
 * Named prepared statements on the embedded engine: the twin of src/db/wire.ts for PGlite.
 *
 * PGlite's `query` parses, analyses and plans every statement, and runs it as six calls into
 * PostgreSQL (Parse, Describe, Bind, Describe, Execute, Sync): on a ticket, that was more than half
 * of the engine's time. A text this process repeats (src/db/prepared.ts decides which) is parsed
 * once under a name, its parameter types and columns kept here; each later send is one call
 * (Bind, Execute, Sync) whose rows PGlite's own parser reads with the kept columns, so the result
 * is what `query` would have returned. The locks are PGlite's, taken as its `query` takes them.
 *
 * A prepared `select *` whose table gained a column fails with a stale plan: the text is then
 * forgotten and, outside a transaction, sent again at once; inside one, `transaction()` retries.
 */
export function preparedStatements(client: PGlite): PreparedQuery {
  const names = statementNames();
  const prepared = new Map<string, Prepared>();

  async function prepare(text: string, name: string, options: QueryOptions | undefined): Promise<Prepared> {
    const messages = await client.execProtocolStream(
      Buffer.concat([
        protocol.serialize.parse({ name, text, types: options?.paramTypes }),
        protocol.serialize.describe({ type: 'S', name }),
        protocol.serialize.sync(),
      ]),
      { syncToFs: false },
    );
    const statement = {
      name,
      parameterTypes: parse.parseDescribeStatementResults(messages),
      columns: messages.find((message) => message.name === 'rowDescription'),
    };
    prepared.set(text, statement);
    return statement;
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
    const statement = prepared.get(text) ?? (await prepare(text, name, options));
    const messages = await client.execProtocolStream(
      Buffer.concat([
        protocol.serialize.bind({ statement: name, values: serialized(statement, params, options) }),
        protocol.serialize.execute({}),
        protocol.serialize.sync(),
      ]),
      { syncToFs: false },
    );
    const withColumns = statement.columns ? [statement.columns, ...messages] : messages;
    return parse.parseResults(withColumns, client.parsers, options)[0] as Results<T>;
  }

  return function query<T>(
    text: string,
    params: unknown[] | undefined,
    options: QueryOptions | undefined,
    inTransaction: boolean,
  ): Promise<Results<T>> | undefined {
    if (!params || params.length === 0 || options?.blob) return undefined;
    const name = names.nameFor(text);
    if (name === undefined) return undefined;
    const send = async () => {
      await client._checkReady();
      const result = await client._runExclusiveQuery(() => run<T>(text, name, params, options));
      if (!inTransaction) await client.syncToFs();
      return result;
    };
    // Outside a transaction, wait for any open one to end, as PGlite's `query` does.
    const sent = inTransaction ? send() : client._runExclusiveTransaction(send);
    return sent.catch((error: unknown) => {
      if (!isStalePlan(error)) throw error;
      names.forget(text);
      prepared.delete(text);
      if (inTransaction) throw error;
      return client.query<T>(text, params, options);
    });
  };
}
