import { type SQL, sql } from 'drizzle-orm';
import { type Executor, rawRows } from './connection.ts';

/**
 * One module's part of a read that several modules answer in one statement. A ticket needs the
 * member's purchases, tier, segments and rule usage — four modules, each owning its query — and
 * asks for them in one round trip instead of four.
 *
 * `json` is a scalar subquery whose value PostgreSQL turns into JSON (a number, an array, a
 * `row_to_json`; NULL when there is nothing), or null when the module knows the answer without
 * asking (no tiers configured, say). `decode` turns the JSON value into the module's own type.
 */
export interface PartRead<T> {
  json: SQL | null;
  decode(value: unknown): T;
}

type Answers<Parts extends Record<string, PartRead<unknown>>> = {
  [K in keyof Parts]: Parts[K] extends PartRead<infer T> ? T : never;
};

/** A part whose answer is already known: it adds nothing to the statement. */
export function answered<T>(value: T): PartRead<T> {
  return { json: null, decode: () => value };
}

/** A part whose answer goes through map first. */
export function mapped<T, U>(part: PartRead<T>, map: (answer: T) => U): PartRead<U> {
  return { json: part.json, decode: (value) => map(part.decode(value)) };
}

/** Several parts as one (nested in the statement as one JSON object), merged into one answer. */
export function combined<Parts extends Record<string, PartRead<unknown>>, T>(
  parts: Parts,
  merge: (answers: Answers<Parts>) => T,
): PartRead<T> {
  const asked = Object.entries(parts).filter(([, part]) => part.json !== null);
  return {
    json:
      asked.length === 0
        ? null
        : sql`json_build_object(${sql.join(
            asked.map(([name, part]) => sql`${name}::text, (${part.json})`),
            sql`, `,
          )})`,
    decode(value) {
      const object = (value ?? {}) as Record<string, unknown>;
      const answers: Record<string, unknown> = {};
      for (const [name, part] of Object.entries(parts)) answers[name] = part.decode(object[name] ?? null);
      return merge(answers as Answers<Parts>);
    },
  };
}

/** The answers to parts, in one statement (none when every answer is known already). */
export async function readTogether<Parts extends Record<string, PartRead<unknown>>>(
  executor: Executor,
  parts: Parts,
): Promise<Answers<Parts>> {
  return readPart(
    executor,
    combined(parts, (answers) => answers),
  );
}

/** The answer to one part. */
export async function readPart<T>(executor: Executor, part: PartRead<T>): Promise<T> {
  if (part.json === null) return part.decode(null);
  const [row] = await rawRows<{ value: unknown }>(executor, sql`select to_json((${part.json})) as value`);
  return part.decode(row?.value ?? null);
}

/**
 * statement, carrying writes that need nothing back as data-modifying CTEs: one round trip where
 * there were several (a new ticket's row, its rule awards and the member's purchase statistics).
 * All of them see the same snapshot, so no write may depend on another's effect; they commit or
 * roll back together.
 */
export function withWrites(writes: readonly SQL[], statement: SQL): SQL {
  if (writes.length === 0) return statement;
  const ctes = writes.map((write, index) => sql`${sql.raw(`write_${index}`)} as (${write})`);
  return sql`with ${sql.join(ctes, sql`, `)} ${statement}`;
}
