import type { FastifyRequest } from 'fastify';
import { AppError } from '../errors.ts';

/**
 * Cookie sessions (staff and members) are sent by the browser on their own, with any request to
 * this host; a cross-site page cannot set a header. So every unsafe request of a cookie session
 * echoes the session's CSRF token in this header, which only a script of our own page has read.
 */
export const CSRF_HEADER = 'x-csrf-token';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Refuses an unsafe request whose `X-CSRF-Token` is missing or is not the session's (`matches`
 * compares it with what the session stored); `whereToFindIt` tells the client where its token is.
 */
export async function requireCsrfEcho(
  request: FastifyRequest,
  matches: (echoed: string) => boolean | Promise<boolean>,
  whereToFindIt: string,
): Promise<void> {
  if (SAFE_METHODS.has(request.method)) return;
  const echoed = request.headers[CSRF_HEADER];
  if (typeof echoed === 'string' && (await matches(echoed))) return;
  throw new AppError(
    'forbidden',
    `a cookie session's ${request.method} requests need its CSRF token in the X-CSRF-Token header (${whereToFindIt})`,
  );
}
