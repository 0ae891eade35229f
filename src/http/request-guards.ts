import type { FastifyRequest } from 'fastify';
import { validationFailed } from '../errors.ts';

/**
 * Values a client can send that pass a JSON schema and still break what comes after it. Each is
 * refused with a 422 naming the field, as a schema's own errors are. The walks are iterative, with
 * their own stack: a body's depth is bounded already (json-body.ts), and they need not rely on it.
 */

/** Why a value with a NUL character is refused, wherever it came in (a CSV upload's cells too). */
export const NUL_REFUSED = 'must not contain the NUL character (\\u0000)';

/** Why a string holding half of a UTF-16 surrogate pair is refused: no UTF-8 text can hold it. */
export const LONE_SURROGATE_REFUSED = 'must not contain a lone UTF-16 surrogate (\\ud800–\\udfff unpaired)';

/**
 * Runs before validation, on the path, the query string and the body: a NUL character
 * (PostgreSQL's text and jsonb cannot hold U+0000) or a lone UTF-16 surrogate (PostgreSQL refuses
 * it as invalid UTF-8; the embedded engine stores U+FFFD in its place) in any string or object
 * key. Either would otherwise fail inside whatever statement first stores or compares it, which a
 * client would see as a 500.
 */
export async function refuseUnstorableText(request: FastifyRequest): Promise<void> {
  const found =
    firstUnstorable(request.params, 'params') ??
    firstUnstorable(request.query, 'query') ??
    firstUnstorable(request.body, 'body');
  if (found)
    throw validationFailed(found.path, found.reason === 'nul' ? NUL_REFUSED : LONE_SURROGATE_REFUSED);
}

/**
 * Numbers past what a double holds exactly (±2^53) or past the finite: Ajv coerces a query or path
 * value such as `1e400` to Infinity and lets it through `integer`, `minimum` and `maximum`
 * (ajv-validator/ajv#2212, fastify/fastify#6718), and a JSON body's `1e308` is an integer to JSON
 * Schema, which then overflows its column. Runs after validation, on the coerced path and query
 * string and on the body, so a field's own limits speak first.
 */
export async function refuseOutsizedNumbers(request: FastifyRequest): Promise<void> {
  const found =
    firstOutsized(request.params, 'params') ??
    firstOutsized(request.query, 'query') ??
    firstOutsized(request.body, 'body');
  if (!found) return;
  throw validationFailed(
    found.path,
    Number.isFinite(found.value) ? 'must be at most 9007199254740991 in size' : 'must be a finite number',
  );
}

/** Where in value (object keys included) the first NUL character is, as a dotted path; else undefined. */
export function nulPath(value: unknown, path: string): string | undefined {
  const found = firstUnstorable(value, path);
  return found?.reason === 'nul' ? found.path : undefined;
}

type Unstorable = { path: string; reason: 'nul' | 'lone_surrogate' };

/**
 * How many values (itself and everything inside) each request body held, counted by the walk
 * before validation, so that the validator need not count them again (src/http/compilers.ts).
 */
const valueCounts = new WeakMap<object, number>();

/** The number of values `value` holds, if a guard's walk counted them; else undefined. */
export function countedValues(value: unknown): number | undefined {
  return value !== null && typeof value === 'object' ? valueCounts.get(value) : undefined;
}

/** Depth first, the first string or object key that no database text can hold, and why. */
function firstUnstorable(value: unknown, path: string): Unstorable | undefined {
  let found: Unstorable | undefined;
  let count = 0;
  walk(value, (node) => {
    count++;
    const reason =
      (typeof node.key === 'string' ? unstorableText(node.key) : undefined) ??
      (typeof node.value === 'string' ? unstorableText(node.value) : undefined);
    if (reason) found = { path: pathOf(node, path), reason };
    return found === undefined;
  });
  if (found === undefined && value !== null && typeof value === 'object') valueCounts.set(value, count);
  return found;
}

function unstorableText(text: string): Unstorable['reason'] | undefined {
  if (text.includes('\u0000')) return 'nul';
  if (!text.isWellFormed()) return 'lone_surrogate';
  return undefined;
}

/** The first number that is not finite, or is larger than 2^53 − 1 in size, and where it is. */
function firstOutsized(value: unknown, path: string): { path: string; value: number } | undefined {
  let found: { path: string; value: number } | undefined;
  walk(value, (node) => {
    const leaf = node.value;
    if (typeof leaf === 'number' && !(Number.isFinite(leaf) && Math.abs(leaf) <= Number.MAX_SAFE_INTEGER)) {
      found = { path: pathOf(node, path), value: leaf };
    }
    return found === undefined;
  });
  return found;
}

interface Node {
  value: unknown;
  /** The object key (a string) or array index (a number) this value sits under; undefined at the root. */
  key: string | number | undefined;
  parent: Node | undefined;
}

/** `body.lines.1.name`: the node's path, built only for the one node that is refused. */
function pathOf(node: Node, root: string): string {
  const keys: Array<string | number> = [];
  for (let at: Node | undefined = node; at?.key !== undefined; at = at.parent) keys.push(at.key);
  return [root, ...keys.reverse()].join('.');
}

/**
 * Visits value and everything inside it, depth first in document order, with an explicit stack
 * instead of recursion; stops as soon as visit returns false. Paths are not built on the way: a
 * 1 MB body holds a few hundred thousand values, and the walk runs on every request.
 */
function walk(value: unknown, visit: (node: Node) => boolean): void {
  const stack: Node[] = [{ value, key: undefined, parent: undefined }];
  while (stack.length > 0) {
    const node = stack.pop() as Node;
    if (!visit(node)) return;
    const parent = node.value;
    if (parent === null || typeof parent !== 'object') continue;
    if (Array.isArray(parent)) {
      for (let index = parent.length - 1; index >= 0; index--) {
        stack.push({ value: parent[index], key: index, parent: node });
      }
      continue;
    }
    const keys = Object.keys(parent);
    for (let index = keys.length - 1; index >= 0; index--) {
      const key = keys[index] as string;
      stack.push({ value: (parent as Record<string, unknown>)[key], key, parent: node });
    }
  }
}
