import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../errors.ts';
import { bearerToken } from '../../http/auth.ts';
import { requireCsrfEcho } from '../../http/csrf.ts';
import type { Authenticator } from '../../http/types.ts';
import { hashSecret, sameHash } from '../api-keys/secrets.ts';
import { MEMBER_TOKEN_PREFIX } from './secrets.ts';
import type { MemberAccessService, MemberSession } from './service.ts';

/** The member session cookie: sent only to `/v1/me…`, never readable by scripts, never cross-site. */
export const MEMBER_COOKIE = 'regulars_member';
const COOKIE_PATH = '/v1/me';

/** The member token a request carries and how: a bearer `rgme_…` token, or the session cookie. */
export function memberTokenOf(request: FastifyRequest): { token: string; viaCookie: boolean } | undefined {
  const bearer = bearerToken(request);
  // Another kind of bearer credential (an API key) is not ours: the cookie is not looked at then.
  if (bearer) return bearer.startsWith(MEMBER_TOKEN_PREFIX) ? { token: bearer, viaCookie: false } : undefined;
  const token = request.cookies[MEMBER_COOKIE];
  return token ? { token, viaCookie: true } : undefined;
}

/**
 * Members' sessions for `member` routes: the member is the actor, and reaches nothing an
 * organization's key or staff user does (no scopes, no locations).
 */
export function memberAuthenticator(memberAccess: MemberAccessService): Authenticator {
  return async (request) => {
    const carried = memberTokenOf(request);
    if (!carried) return undefined;
    const found = await memberAccess.session(carried.token);
    if (!found) {
      throw new AppError(
        'unauthorized',
        'this member session is unknown, expired or signed out: sign in again with a one-time code',
      );
    }
    if (carried.viaCookie) {
      await requireCsrfEcho(
        request,
        (echoed) => sameHash(hashSecret(echoed), found.session.csrfTokenHash),
        'the csrfToken given at sign-in',
      );
    }
    return {
      organizationId: found.session.organizationId,
      actor: { type: 'member', id: found.member.id },
      reach: [],
      locationIds: null,
    };
  };
}

const COOKIE_OPTIONS = { httpOnly: true, secure: true, sameSite: 'strict', path: COOKIE_PATH } as const;

export function setSessionCookie(reply: FastifyReply, session: MemberSession): void {
  reply.setCookie(MEMBER_COOKIE, session.token, { ...COOKIE_OPTIONS, expires: session.expiresAt });
}

export function clearSessionCookie(reply: FastifyReply): void {
  reply.clearCookie(MEMBER_COOKIE, COOKIE_OPTIONS);
}
