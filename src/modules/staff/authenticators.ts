import type { FastifyRequest } from 'fastify';
import { AppError } from '../../errors.ts';
import { bearerToken } from '../../http/auth.ts';
import { requireCsrfEcho } from '../../http/csrf.ts';
import type { Authenticator } from '../../http/types.ts';
import { API_KEY_PREFIX } from '../api-keys/secrets.ts';
import type { StaffCaller, StaffSessions } from './sessions.ts';

/** The web apps' session: httpOnly, so no script reads it. */
export const SESSION_COOKIE = 'regulars_session';
/** The same session's CSRF token, readable by the web app's scripts so that they can send it back. */
export const CSRF_COOKIE = 'regulars_csrf';

const callers = new WeakMap<FastifyRequest, StaffCaller>();

/** The staff user and session behind a request, when a staff credential authenticated it. */
export function staffCallerOf(request: FastifyRequest): StaffCaller | undefined {
  return callers.get(request);
}

/**
 * How staff authenticate on organization routes, in order: (a) a bearer access token (a JWT, as
 * API clients send it), (b) the session cookie of the web apps, whose unsafe requests must carry
 * the session's CSRF token in `X-CSRF-Token` (the cookie is sent by the browser on its own; the
 * header only by a script of the page that read the token). Each answers undefined for a request
 * without its kind of credential and 401 for one whose credential is not (or no longer) valid.
 */
export function staffAuthenticators(sessions: StaffSessions): Authenticator[] {
  const accessToken: Authenticator = async (request) => {
    const token = bearerToken(request);
    if (!token || token.startsWith(API_KEY_PREFIX)) return undefined;
    const caller = await sessions.authenticateAccessToken(token);
    callers.set(request, caller);
    return caller.tenant;
  };
  const sessionCookie: Authenticator = async (request) => {
    if (request.headers.authorization) return undefined;
    const cookie = request.cookies[SESSION_COOKIE];
    if (!cookie) return undefined;
    const caller = await sessions.authenticateCookie(cookie);
    await requireCsrfEcho(
      request,
      (echoed) => sessions.csrfMatches(caller.session, echoed),
      `given at sign-in, in the ${CSRF_COOKIE} cookie and by GET /v1/auth/me`,
    );
    callers.set(request, caller);
    return caller.tenant;
  };
  return [accessToken, sessionCookie];
}

/** The staff caller a `staff` route (or any staff-authenticated request) was authenticated as. */
export function signedInStaff(request: FastifyRequest): StaffCaller {
  const caller = callers.get(request);
  if (!caller) throw new AppError('unauthorized', "this route takes a staff user's session");
  return caller;
}
