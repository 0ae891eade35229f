/**
 * Named prepared statements for the statements this process sends again and again.
 *
 * node-postgres and PGlite send every parameterized query unnamed, so PostgreSQL parses, analyses
 * and plans it each time. The statements of a ticket or a redemption are long CTEs: that work was a
 * third of the database's CPU per request on PostgreSQL and over half of the embedded engine's time
 * (`bench/statements.ts` reports both). A text seen twice in this process is prepared under a name on
 * each connection that sends it (src/db/wire.ts; src/db/embedded-prepared.ts on the embedded
 * engine, one session), and later sends only bind it. One-off texts (an import's multi-row insert)
 * stay unnamed, texts longer than MAX_TEXT_LENGTH are neither counted nor prepared (a hot path's
 * longest is under 2 KB), and each connection prepares at most MAX_PER_CONNECTION texts: this
 * process's and the server's memory stay bounded.
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

function repeated(text: string): boolean {
  const count = (timesSent.get(text) ?? 0) + 1;
  if (timesSent.size >= MAX_COUNTED && count === 1) timesSent.clear();
  timesSent.set(text, count);
  return count > 1;
}

/** The names one connection gives the texts this process repeats (see above). */
export interface StatementNames {
  /**
   * The name to send text under, or undefined to send it unnamed. A statement without parameters
   * (BEGIN, a migration's DDL) is never prepared.
   */
  nameFor(text: string, parameterCount: number): string | undefined;
  /** After a stale plan: the connection prepares the text again, under a new name. */
  forget(text: string): void;
}

export function statementNames(): StatementNames {
  const names = new Map<string, string>();
  let prepared = 0;
  return {
    nameFor(text, parameterCount) {
      if (parameterCount === 0 || text.length > MAX_TEXT_LENGTH) return undefined;
      const known = names.get(text);
      if (known !== undefined || prepared >= MAX_PER_CONNECTION || !repeated(text)) return known;
      const name = `regulars_${++prepared}`;
      names.set(text, name);
      return name;
    },
    forget(text) {
      names.delete(text);
    },
  };
}
