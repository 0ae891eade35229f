import type { FastifyRequest } from 'fastify';
import { validationFailed } from '../errors.ts';

/**
 * Values a client can send that pass a JSON schema and still break what comes after it. Both are
 * refused with a 422 naming the field, as a schema's own errors are.
 */

/**
 * PostgreSQL's text and jsonb cannot hold the NUL character (U+0000): a value carrying one fails
 * inside whatever statement first stores or compares it, which a client would see as a 500. Runs
 * before validation, on the path, the query string and the body.
 */
export async function refuseNulCharacters(request: FastifyRequest): Promise<void> {
  const found =
    nulPath(request.params, 'params') ?? nulPath(request.query, 'query') ?? nulPath(request.body, 'body');
  if (found) throw validationFailed(found, NUL_REFUSED);
}

/** Why a value with a NUL character is refused, wherever it came in (a CSV upload's cells too). */
export const NUL_REFUSED = 'must not contain the NUL character (\\u0000)';

/**
 * Numbers past what a double holds exactly (±2^53) or past the finite: Ajv coerces a query or path
 * value such as `1e400` to Infinity and lets it through `integer`, `minimum` and `maximum`
 * (ajv-validator/ajv#2212, fastify/fastify#6718), and a JSON body's `1e308` is an integer to JSON
 * Schema, which then overflows its column. Runs after validation, on the coerced path and query
 * string and on the body, so a field's own limits speak first.
 */
export async function refuseOutsizedNumbers(request: FastifyRequest): Promise<void> {
  const found =
    outsizedPath(request.params, 'params') ??
    outsizedPath(request.query, 'query') ??
    outsizedPath(request.body, 'body');
  if (!found) return;
  throw validationFailed(
    found.path,
    Number.isFinite(found.value) ? 'must be at most 9007199254740991 in size' : 'must be a finite number',
  );
}

/** Where in value (object keys included) the first NUL character is, as a dotted path; else undefined. */
export function nulPath(value: unknown, path: string): string | undefined {
  return firstRefused(
    value,
    path,
    (leaf) => typeof leaf === 'string' && leaf.includes('\u0000'),
    (key) => key.includes('\u0000'),
  )?.path;
}

/** The first number that is not finite, or is larger than 2^53 − 1 in size, and where it is. */
function outsizedPath(value: unknown, path: string): Refused | undefined {
  return firstRefused(
    value,
    path,
    (leaf) =>
      typeof leaf === 'number' && !(Number.isFinite(leaf) && Math.abs(leaf) <= Number.MAX_SAFE_INTEGER),
  );
}

interface Refused {
  path: string;
  value: unknown;
}

/** Depth first, the first leaf (or object key) the tests refuse, with its dotted path. */
function firstRefused(
  value: unknown,
  path: string,
  refusesLeaf: (leaf: unknown) => boolean,
  refusesKey: (key: string) => boolean = () => false,
): Refused | undefined {
  if (value === null || typeof value !== 'object') return refusesLeaf(value) ? { path, value } : undefined;
  for (const [key, child] of Object.entries(value)) {
    const childPath = `${path}.${key}`;
    if (refusesKey(key)) return { path: childPath, value: key };
    const found = firstRefused(child, childPath, refusesLeaf, refusesKey);
    if (found) return found;
  }
  return undefined;
}
