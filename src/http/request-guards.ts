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
  if (found) throw validationFailed(found, 'must not contain the NUL character (\\u0000)');
}

/**
 * Ajv coerces a query or path value such as `1e400` or `Infinity` to an infinite number and lets it
 * through `integer`, `minimum` and `maximum` (ajv-validator/ajv#2212, fastify/fastify#6718), so
 * `?limit=1e400` reached SQL. Runs after validation, on the coerced path and query string (a JSON
 * body cannot coerce: Ajv refuses an infinite number there itself).
 */
export async function refuseInfiniteNumbers(request: FastifyRequest): Promise<void> {
  const found = infinitePath(request.params, 'params') ?? infinitePath(request.query, 'query');
  if (found) throw validationFailed(found, 'must be a finite number');
}

/** Where in value (object keys included) the first NUL character is, as a dotted path; else undefined. */
export function nulPath(value: unknown, path: string): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path : undefined;
  if (value === null || typeof value !== 'object') return undefined;
  for (const [key, child] of Object.entries(value)) {
    const childPath = `${path}.${key}`;
    if (key.includes('\u0000')) return childPath;
    const found = nulPath(child, childPath);
    if (found) return found;
  }
  return undefined;
}

/** The first field of a path's or query string's values (arrays included) that is ±Infinity. */
function infinitePath(values: unknown, path: string): string | undefined {
  if (values === null || typeof values !== 'object') return undefined;
  for (const [name, value] of Object.entries(values)) {
    const items: unknown[] = Array.isArray(value) ? value : [value];
    if (items.some((item) => typeof item === 'number' && !Number.isFinite(item))) return `${path}.${name}`;
  }
  return undefined;
}
