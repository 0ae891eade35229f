import { jwtVerify, SignJWT } from 'jose';
import { newId } from '../../db/ids.ts';
import { transaction } from '../../db/transaction.ts';
import { isUuid } from '../../domain/customers.ts';
import { AppError, validationFailed } from '../../errors.ts';
import type { Tenant } from '../../http/types.ts';
import { createAttemptLimits } from '../attempt-limits/service.ts';
import type { StaffContext } from './context.ts';
import { passwordMatches } from './passwords.ts';
import { reachOfRole } from './roles.ts';
import type { SessionKind } from './schema.ts';
import { csrfTokenFor, decrypt, encrypt, generateToken, hashSecret, sameText } from './secrets.ts';
import {
  claimTotpStep,
  getUser,
  insertSession,
  lockUser,
  recordFailure,
  revokeSession,
  rotateToken,
  type SessionWithUser,
  type StaffSessionRow,
  type StaffUserRow,
  sessionById,
  sessionByPreviousTokenHash,
  sessionByTokenHash,
  touchSession,
  updateUser,
  usersByEmail,
} from './store.ts';
import { acceptedStep, newTotpSecret, totpUrl } from './totp.ts';

/** Five wrong passwords (or codes) in a row lock the account for 15 minutes. */
export const MAX_FAILED_ATTEMPTS = 5;
export const LOCK_MS = 15 * 60_000;
/** Access tokens live 15 minutes; their session (the refresh-token chain) 30 days from sign-in. */
export const ACCESS_TOKEN_TTL_SECONDS = 15 * 60;
export const TOKEN_SESSION_MS = 30 * 24 * 3_600_000;
/** A web session ends after 12 hours without a request, and 7 days after sign-in whatever happens. */
export const COOKIE_SESSION_IDLE_MS = 12 * 3_600_000;
export const COOKIE_SESSION_MS = 7 * 24 * 3_600_000;
/** How long a verified session is trusted without reading it again: what bounds revocation on other nodes. */
const CACHE_TTL_MS = 5_000;
const CACHE_MAX_ENTRIES = 10_000;
/** lastSeenAt moves at most once a minute: a read per request should not become a write. */
const LAST_SEEN_RESOLUTION_MS = 60_000;
const WINDOW_MS = 15 * 60_000;
/** Sign-in and reset requests per email, and per IP address, per 15 minutes (counted in the database). */
export const ATTEMPTS_PER_EMAIL = 10;
export const ATTEMPTS_PER_IP = 100;

const ISSUER = 'regulars';
const AUDIENCE = 'regulars-staff';

/** Where a request comes from, kept with the session it opens. */
export interface RequestOrigin {
  ip: string;
  userAgent?: string | undefined;
}

export interface SignInInput extends RequestOrigin {
  email: string;
  password: string;
  organizationId?: string | undefined;
  totpCode?: string | undefined;
  mode: SessionKind;
}

/** A session just opened: the secrets the caller is given once. */
export type OpenedSession =
  | { kind: 'cookie'; user: StaffUserRow; session: StaffSessionRow; cookie: string; csrfToken: string }
  | {
      kind: 'token';
      user: StaffUserRow;
      session: StaffSessionRow;
      accessToken: string;
      refreshToken: string;
    };

/** A request's staff caller: who, through which session. */
export interface StaffCaller {
  tenant: Tenant;
  user: StaffUserRow;
  session: StaffSessionRow;
}

/** One answer for every failed sign-in, whatever failed: nothing tells an account from no account. */
const signInFailed = () =>
  new AppError(
    'unauthorized',
    'sign-in failed: the email or password is wrong, or the account is locked or cannot sign in',
  );
const sessionEnded = () =>
  new AppError(
    'unauthorized',
    'the session has ended (signed out, expired, revoked, or the account was disabled): sign in again',
  );
const invalidAccessToken = () =>
  new AppError('unauthorized', 'the access token is not valid: sign in again at POST /v1/auth/sign-in');
const expiredAccessToken = () =>
  new AppError('unauthorized', 'the access token has expired: get a new one with POST /v1/auth/refresh');
const refreshRefused = () =>
  new AppError(
    'unauthorized',
    'the refresh token is not valid (each one works once, until its session ends): sign in again',
  );
const wrongCode = () => validationFailed('body.code', 'is not the current code of the authenticator app');

function tenantOf(user: StaffUserRow): Tenant {
  return {
    organizationId: user.organizationId,
    actor: { type: 'staff', id: user.id },
    reach: reachOfRole(user.role),
    locationIds: user.locationIds,
  };
}

function isLive({ session, user }: SessionWithUser, now: Date): boolean {
  if (session.revokedAt || session.expiresAt <= now || user.status !== 'active') return false;
  return session.kind !== 'cookie' || session.lastSeenAt.getTime() + COOKIE_SESSION_IDLE_MS > now.getTime();
}

export function createStaffSessions(context: StaffContext) {
  const { db } = context;
  const attempts = createAttemptLimits(db);
  const verified = new Map<string, { caller: StaffCaller; until: number }>();

  function forget(match: (caller: StaffCaller) => boolean) {
    for (const [key, entry] of verified) if (match(entry.caller)) verified.delete(key);
  }

  /**
   * Refuses (429) an attempt from an address, or for an email, that has used up its window;
   * otherwise counts it. Staff attempts belong to no organization: they come before one is known.
   */
  async function throttle(origin: RequestOrigin, email?: string): Promise<void> {
    const addressHash = email === undefined ? null : hashSecret(email.trim().toLowerCase());
    await attempts.admit({ organizationId: null, kind: 'staff_access', addressHash, ip: origin.ip }, [
      { per: 'ip', max: ATTEMPTS_PER_IP, windowMs: WINDOW_MS, what: 'attempts from this address' },
      { per: 'address', max: ATTEMPTS_PER_EMAIL, windowMs: WINDOW_MS, what: 'attempts for this email' },
    ]);
  }

  async function signAccessToken(user: StaffUserRow, session: StaffSessionRow, now: Date): Promise<string> {
    const issuedAt = Math.floor(now.getTime() / 1000);
    return new SignJWT({ org: user.organizationId, sid: session.id })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject(user.id)
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + ACCESS_TOKEN_TTL_SECONDS)
      .sign((await context.keys()).jwt);
  }

  async function openSession(user: StaffUserRow, kind: SessionKind, origin: RequestOrigin, now: Date) {
    const secret = generateToken(kind === 'cookie' ? 'session' : 'refresh');
    const lifetime = kind === 'cookie' ? COOKIE_SESSION_MS : TOKEN_SESSION_MS;
    const session = await insertSession(db, {
      organizationId: user.organizationId,
      id: newId(),
      staffUserId: user.id,
      kind,
      tokenHash: hashSecret(secret),
      lastSeenAt: now,
      expiresAt: new Date(now.getTime() + lifetime),
      ip: origin.ip,
      userAgent: origin.userAgent?.slice(0, 500) ?? null,
    });
    if (kind === 'cookie') {
      const csrfToken = csrfTokenFor(await context.keys(), session.id);
      return { kind, user, session, cookie: secret, csrfToken } satisfies OpenedSession;
    }
    const accessToken = await signAccessToken(user, session, now);
    return { kind, user, session, accessToken, refreshToken: secret } satisfies OpenedSession;
  }

  /** Whether the code is the user's current TOTP code, used now for the first time. */
  async function useCode(user: StaffUserRow, code: string, now: Date): Promise<boolean> {
    const secret = user.totpSecret ? decrypt((await context.keys()).totp, user.totpSecret) : undefined;
    if (!secret) return false;
    const step = await acceptedStep(secret, code, user.totpLastStep, now);
    return step !== undefined && (await claimTotpStep(db, user, step));
  }

  /** A verified caller from the cache, or from `load` (then cached); undefined when not live. */
  async function remembered(
    cacheKey: string,
    load: () => Promise<SessionWithUser | undefined>,
    now: Date,
  ): Promise<StaffCaller | undefined> {
    const cached = verified.get(cacheKey);
    let caller: StaffCaller | undefined;
    if (cached && cached.until > now.getTime()) caller = cached.caller;
    else {
      const found = await load();
      if (!found) {
        verified.delete(cacheKey);
        return undefined;
      }
      caller = { ...found, tenant: tenantOf(found.user) };
      if (verified.size >= CACHE_MAX_ENTRIES) verified.clear();
      verified.set(cacheKey, { caller, until: now.getTime() + CACHE_TTL_MS });
    }
    if (!isLive(caller, now)) return undefined;
    if (now.getTime() - caller.session.lastSeenAt.getTime() >= LAST_SEEN_RESOLUTION_MS) {
      caller.session.lastSeenAt = now;
      touchSession(db, caller.session, now).catch(context.reportBackgroundError);
    }
    return caller;
  }

  /** Drops this process's copies of a user's sessions: their next request reads them again. */
  function forgetUser(user: { organizationId: string; id: string }) {
    forget((caller) => caller.user.organizationId === user.organizationId && caller.user.id === user.id);
  }

  async function signOut(session: { organizationId: string; id: string }): Promise<void> {
    await revokeSession(db, session, new Date());
    forget((caller) => caller.session.id === session.id);
  }

  return {
    forgetUser,
    signOut,

    throttle,

    /**
     * Email and password (and the TOTP code once enabled). Every failure (no such email, wrong
     * password, invited, disabled or locked account) answers alike after one argon2 verification.
     * The email may be staff of several organizations: the password picks the account; when it
     * opens more than one, `organizationId` must choose (409 `organization_required`).
     */
    async signIn(input: SignInInput): Promise<OpenedSession> {
      const now = new Date();
      await throttle(input, input.email);
      const organizationId = input.organizationId;
      const accounts =
        organizationId === undefined || isUuid(organizationId)
          ? await usersByEmail(db, input.email, organizationId)
          : [];
      if (accounts.length === 0) await passwordMatches(null, input.password);
      const matched: StaffUserRow[] = [];
      const failed: StaffUserRow[] = [];
      for (const user of accounts) {
        const matches = await passwordMatches(user.passwordHash, input.password);
        const usable = user.status === 'active' && !(user.lockedUntil && user.lockedUntil > now);
        if (usable) (matches ? matched : failed).push(user);
      }
      const lockAt = new Date(now.getTime() + LOCK_MS);
      if (matched.length === 0) {
        for (const user of failed) await recordFailure(db, user, MAX_FAILED_ATTEMPTS, lockAt);
        throw signInFailed();
      }
      if (matched.length > 1) {
        throw new AppError(
          'organization_required',
          'this email and password open accounts in several organizations: send organizationId to choose one',
          { errors: [{ path: 'body.organizationId', message: 'is required for this account' }] },
        );
      }
      const user = matched[0]!;
      if (user.totpEnabledAt) {
        if (!input.totpCode) {
          throw new AppError(
            'totp_required',
            'this account has a second factor: send the 6-digit code of its authenticator app as totpCode',
          );
        }
        if (!(await useCode(user, input.totpCode, now))) {
          await recordFailure(db, user, MAX_FAILED_ATTEMPTS, lockAt);
          throw signInFailed();
        }
      }
      const signedIn = await updateUser(db, user.organizationId, user.id, {
        failedAttempts: 0,
        lockedUntil: null,
        lastSignInAt: now,
      });
      return openSession(signedIn ?? user, input.mode, input, now);
    },

    /**
     * A new access token and a new refresh token for a refresh token, which stops working. A
     * refresh token presented again after it was replaced shows that someone else holds a copy:
     * its whole session is revoked.
     */
    async refresh(refreshToken: string, origin: RequestOrigin): Promise<OpenedSession & { kind: 'token' }> {
      const now = new Date();
      await throttle(origin);
      const hash = hashSecret(refreshToken);
      const found = await sessionByTokenHash(db, hash);
      if (found?.session.kind !== 'token') {
        const replaced = await sessionByPreviousTokenHash(db, hash);
        if (replaced && !replaced.revokedAt) {
          await revokeSession(db, replaced, now);
          forget((caller) => caller.session.id === replaced.id);
        }
        throw refreshRefused();
      }
      const next = generateToken('refresh');
      if (!isLive(found, now) || !(await rotateToken(db, found.session, hash, hashSecret(next), now))) {
        throw refreshRefused();
      }
      const accessToken = await signAccessToken(found.user, found.session, now);
      return { kind: 'token', user: found.user, session: found.session, accessToken, refreshToken: next };
    },

    /** Signs out the session a refresh token belongs to; an unknown token changes nothing. */
    async signOutRefreshToken(refreshToken: string): Promise<void> {
      const found = await sessionByTokenHash(db, hashSecret(refreshToken));
      if (found?.session.kind === 'token') await signOut(found.session);
    },

    /** The caller of a bearer access token; 401 when it is invalid, expired or its session ended. */
    async authenticateAccessToken(token: string): Promise<StaffCaller> {
      const now = new Date();
      let claims: { org?: unknown; sid?: unknown; sub?: unknown };
      try {
        ({ payload: claims } = await jwtVerify(token, (await context.keys()).jwt, {
          issuer: ISSUER,
          audience: AUDIENCE,
          algorithms: ['HS256'],
          currentDate: now,
        }));
      } catch (error) {
        throw (error as { code?: unknown }).code === 'ERR_JWT_EXPIRED'
          ? expiredAccessToken()
          : invalidAccessToken();
      }
      const { org, sid, sub } = claims;
      if (typeof org !== 'string' || typeof sid !== 'string' || !isUuid(org) || !isUuid(sid))
        throw invalidAccessToken();
      const caller = await remembered(`sid:${org}:${sid}`, () => sessionById(db, org, sid), now);
      if (caller?.session.kind !== 'token' || caller.user.id !== sub) throw sessionEnded();
      return caller;
    },

    /** The caller of a session cookie; 401 when its session ended. */
    async authenticateCookie(cookie: string): Promise<StaffCaller> {
      const now = new Date();
      const hash = hashSecret(cookie);
      const caller = await remembered(`cookie:${hash}`, () => sessionByTokenHash(db, hash), now);
      if (caller?.session.kind !== 'cookie') throw sessionEnded();
      return caller;
    },

    /** Whether `candidate` is the CSRF token of this cookie session. */
    async csrfMatches(session: { id: string }, candidate: string): Promise<boolean> {
      return sameText(csrfTokenFor(await context.keys(), session.id), candidate);
    },

    async csrfTokenOf(session: { id: string }): Promise<string> {
      return csrfTokenFor(await context.keys(), session.id);
    },

    /**
     * Starts enrolment of a second factor: a new secret (kept encrypted) for the authenticator app.
     * It counts once confirmed with a code; until then sign-in does not ask for one.
     */
    async enrolTotp(caller: StaffCaller): Promise<{ secret: string; otpauthUrl: string }> {
      const { organizationId, id } = caller.user;
      const keys = await context.keys();
      return transaction(db, async (tx) => {
        const user = await lockUser(tx, organizationId, id);
        if (user?.totpEnabledAt) {
          throw new AppError(
            'invalid_status_change',
            'the second factor is on already: turn it off (POST /v1/auth/totp/disable) before enrolling again',
          );
        }
        const secret = newTotpSecret();
        await updateUser(tx, organizationId, id, {
          totpSecret: encrypt(keys.totp, secret),
          totpLastStep: null,
        });
        return { secret, otpauthUrl: totpUrl(secret, caller.user.email) };
      });
    },

    /** Turns the second factor on with a first code from the app: sign-in asks for one from now on. */
    async confirmTotp(caller: StaffCaller, code: string): Promise<StaffUserRow> {
      const now = new Date();
      const user = await getUser(db, caller.user.organizationId, caller.user.id);
      if (!user?.totpSecret || user.totpEnabledAt) {
        throw new AppError(
          'invalid_status_change',
          user?.totpEnabledAt
            ? 'the second factor is on already'
            : 'there is nothing to confirm: start with POST /v1/auth/totp/enrol',
        );
      }
      if (!(await useCode(user, code, now))) throw wrongCode();
      const updated = await updateUser(db, user.organizationId, user.id, { totpEnabledAt: now });
      forgetUser(user);
      return updated!;
    },

    /** Turns the second factor off, with a current code as proof of holding it. */
    async disableTotp(caller: StaffCaller, code: string): Promise<StaffUserRow> {
      const now = new Date();
      const user = await getUser(db, caller.user.organizationId, caller.user.id);
      if (!user?.totpEnabledAt) {
        throw new AppError('invalid_status_change', 'the second factor is off already');
      }
      if (!(await useCode(user, code, now))) throw wrongCode();
      const updated = await updateUser(db, user.organizationId, user.id, {
        totpSecret: null,
        totpEnabledAt: null,
        totpLastStep: null,
      });
      forgetUser(user);
      return updated!;
    },
  };
}

export type StaffSessions = ReturnType<typeof createStaffSessions>;
