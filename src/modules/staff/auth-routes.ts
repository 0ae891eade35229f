import type { FastifyReply, FastifyRequest } from 'fastify';
import { type TSchema, Type } from 'typebox';
import { ACTOR_TYPES } from '../../domain/actors.ts';
import { AppError, validationFailed } from '../../errors.ts';
import { tenantOf } from '../../http/auth.ts';
import { errorResponses, Timestamp, Uuid } from '../../http/schemas.ts';
import type { App } from '../../http/types.ts';
import { ROUTE_SCOPES } from '../api-keys/scopes.ts';
import {
  CSRF_COOKIE,
  SESSION_COOKIE,
  signedInStaff,
  staffAuthenticators,
  staffCallerOf,
} from './authenticators.ts';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from './passwords.ts';
import { presentStaffUser } from './routes.ts';
import type { StaffService } from './service.ts';
import { ACCESS_TOKEN_TTL_SECONDS, type OpenedSession, type RequestOrigin } from './sessions.ts';

const nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

const email = Type.String({
  minLength: 3,
  maxLength: 320,
  description: 'The email the account was invited with',
  examples: ['marta@latasca.es'],
});
const signInPassword = Type.String({
  minLength: 1,
  maxLength: PASSWORD_MAX_LENGTH,
  description: 'The password',
  examples: ['correct horse battery staple'],
});
const newPassword = Type.String({
  minLength: 1,
  maxLength: PASSWORD_MAX_LENGTH,
  description: `The new password: ${PASSWORD_MIN_LENGTH}–${PASSWORD_MAX_LENGTH} characters, not the email`,
  examples: ['correct horse battery staple'],
});
const emailedToken = Type.String({
  minLength: 1,
  maxLength: 200,
  description: 'The `token` of the emailed link',
  examples: ['rgt_3q2-7wXv…'],
});
const code = Type.String({
  pattern: '^[0-9]{6}$',
  description: 'The 6-digit code the authenticator app shows now',
  examples: ['123456'],
});
const organizationId = Uuid('The organization, when the email is staff of several with this password');
const refreshTokenField = Type.String({
  minLength: 1,
  maxLength: 200,
  description: 'The refresh token from sign-in or the last refresh (each works once)',
  examples: ['rgr_…'],
});

const CookieSession = Type.Object({
  mode: Type.Literal('cookie'),
  staff: Type.Ref('StaffUser'),
  csrfToken: Type.String({
    description: `Send it as X-CSRF-Token on every POST, PUT, PATCH and DELETE (also in the ${CSRF_COOKIE} cookie)`,
  }),
  expiresAt: Timestamp('The session ends then at the latest (and after 12 hours without a request)'),
});

const TokenSession = Type.Object({
  mode: Type.Literal('token'),
  staff: Type.Ref('StaffUser'),
  tokenType: Type.Literal('Bearer'),
  accessToken: Type.String({ description: 'Authorization: Bearer <accessToken> on every request' }),
  expiresIn: Type.Integer({ description: 'Seconds the access token works for', examples: [900] }),
  refreshToken: Type.String({ description: 'Trade it for new tokens at POST /v1/auth/refresh; works once' }),
  refreshTokenExpiresAt: Timestamp('When the session, and so its refresh tokens, ends'),
});

const MeSchema = Type.Object({
  organizationId: Uuid('The organization'),
  actor: Type.Object({
    type: Type.Enum(ACTOR_TYPES, { description: 'Who is calling: a staff user or an API key' }),
    id: nullable(Type.String({ description: 'The staff user or key id' })),
  }),
  reach: Type.Array(Type.Enum(ROUTE_SCOPES), {
    description: 'The route scopes the caller reaches (see the README scope table)',
    examples: [['till']],
  }),
  locationIds: nullable(
    Type.Array(Uuid('Location'), { description: 'Where the caller may act; null = every location' }),
  ),
  staff: nullable(Type.Ref('StaffUser')),
  session: nullable(
    Type.Object({
      mode: Type.Union([Type.Literal('cookie'), Type.Literal('token')]),
      expiresAt: Timestamp('When the session ends at the latest'),
      csrfToken: nullable(
        Type.String({ description: "A cookie session's CSRF token, for a page that was reloaded" }),
      ),
    }),
  ),
});

function presentTokens(opened: OpenedSession & { kind: 'token' }) {
  return {
    mode: 'token' as const,
    staff: presentStaffUser(opened.user),
    tokenType: 'Bearer' as const,
    accessToken: opened.accessToken,
    expiresIn: ACCESS_TOKEN_TTL_SECONDS,
    refreshToken: opened.refreshToken,
    refreshTokenExpiresAt: opened.session.expiresAt.toISOString(),
  };
}

function originOf(request: FastifyRequest): RequestOrigin {
  const userAgent = request.headers['user-agent'];
  return { ip: request.ip, userAgent: typeof userAgent === 'string' ? userAgent : undefined };
}

/** Answers carrying secrets are never stored: an Idempotency-Key (which would store them) is refused. */
async function refuseIdempotencyKey(request: FastifyRequest) {
  if (request.headers['idempotency-key'] !== undefined) {
    throw validationFailed(
      'headers.idempotency-key',
      'is not taken by this route: its answer carries secrets, which are never stored',
    );
  }
}

export function authRoutes(app: App, staff: StaffService) {
  const { accounts, sessions } = staff;
  const tags = ['staff sign-in'];
  const publicRoute = { auth: 'public' as const };
  const anyStaffUser = { auth: 'staff' as const };
  const secureCookies = staff.publicUrl.startsWith('https:');

  function cookieOptions(request: FastifyRequest, expires: Date, httpOnly: boolean) {
    return {
      httpOnly,
      // Secure over HTTPS, and whenever PUBLIC_URL is (TLS ending at a proxy in front).
      secure: secureCookies || request.protocol === 'https',
      sameSite: 'lax' as const,
      path: '/',
      expires,
    };
  }

  function clearCookies(request: FastifyRequest, reply: FastifyReply) {
    const gone = new Date(0);
    reply.setCookie(SESSION_COOKIE, '', cookieOptions(request, gone, true));
    reply.setCookie(CSRF_COOKIE, '', cookieOptions(request, gone, false));
  }

  async function presentSession(request: FastifyRequest, reply: FastifyReply, opened: OpenedSession) {
    if (opened.kind === 'cookie') {
      reply.setCookie(SESSION_COOKIE, opened.cookie, cookieOptions(request, opened.session.expiresAt, true));
      reply.setCookie(CSRF_COOKIE, opened.csrfToken, cookieOptions(request, opened.session.expiresAt, false));
      return {
        mode: 'cookie' as const,
        staff: presentStaffUser(opened.user),
        csrfToken: opened.csrfToken,
        expiresAt: opened.session.expiresAt.toISOString(),
      };
    }
    return presentTokens(opened);
  }

  app.post(
    '/v1/auth/accept-invite',
    {
      config: publicRoute,
      schema: {
        tags,
        summary: 'Choose a password from an invite link: the account becomes active (then sign in)',
        security: [],
        body: Type.Object(
          {
            token: emailedToken,
            password: newPassword,
            name: Type.Optional(
              Type.String({
                minLength: 1,
                maxLength: 200,
                description: 'Their name, if they want to set or correct it',
              }),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Ref('StaffUser'), ...errorResponses(422, 429) },
      },
    },
    async (request) => {
      await sessions.throttle(originOf(request));
      return presentStaffUser(await accounts.acceptInvite(request.body));
    },
  );

  app.post(
    '/v1/auth/sign-in',
    {
      config: publicRoute,
      onRequest: refuseIdempotencyKey,
      schema: {
        tags,
        summary:
          'Sign in with email and password (and TOTP code): a cookie session for the web apps, or bearer tokens',
        description:
          '`mode: "cookie"` (default) sets the httpOnly session cookie and answers its CSRF token; ' +
          '`mode: "token"` answers a 15-minute access token and a refresh token. Every failure ' +
          '(unknown email, wrong password or code, locked or disabled account) answers the same 401; ' +
          'five in a row lock the account for 15 minutes.',
        security: [],
        body: Type.Object(
          {
            email,
            password: signInPassword,
            organizationId: Type.Optional(organizationId),
            totpCode: Type.Optional(code),
            mode: Type.Optional(
              Type.Union([Type.Literal('cookie'), Type.Literal('token')], {
                description: 'cookie (web apps, default) or token (API clients)',
                examples: ['token'],
              }),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Union([CookieSession, TokenSession]), ...errorResponses(401, 409, 422, 429) },
      },
    },
    async (request, reply) => {
      const { body } = request;
      const opened = await sessions.signIn({
        ...originOf(request),
        email: body.email,
        password: body.password,
        organizationId: body.organizationId,
        totpCode: body.totpCode,
        mode: body.mode ?? 'cookie',
      });
      return presentSession(request, reply, opened);
    },
  );

  app.post(
    '/v1/auth/refresh',
    {
      config: publicRoute,
      onRequest: refuseIdempotencyKey,
      schema: {
        tags,
        summary: 'Trade a refresh token for a new access token and a new refresh token',
        description:
          'Each refresh token works once. Presenting one again after it was traded ends its whole ' +
          'session: someone else holds a copy.',
        security: [],
        body: Type.Object({ refreshToken: refreshTokenField }, { additionalProperties: false }),
        response: { 200: TokenSession, ...errorResponses(401, 422, 429) },
      },
    },
    async (request) => presentTokens(await sessions.refresh(request.body.refreshToken, originOf(request))),
  );

  app.post(
    '/v1/auth/sign-out',
    {
      config: publicRoute,
      schema: {
        tags,
        summary:
          'End the session: the cookie session (with its CSRF token), the access token’s, or a refresh token’s',
        security: [],
        body: Type.Object(
          { refreshToken: Type.Optional(refreshTokenField) },
          { additionalProperties: false },
        ),
        response: { 204: Type.Null(), ...errorResponses(403, 422) },
      },
    },
    async (request, reply) => {
      if (request.body.refreshToken) await sessions.signOutRefreshToken(request.body.refreshToken);
      else {
        try {
          for (const authenticate of staffAuthenticators(sessions)) if (await authenticate(request)) break;
        } catch (error) {
          // A session that has ended already is signed out: nothing to do. A missing CSRF token is refused.
          if (!(error instanceof AppError && error.status === 401)) throw error;
        }
        const caller = staffCallerOf(request);
        if (caller) await sessions.signOut(caller.session);
      }
      clearCookies(request, reply);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/auth/password-reset',
    {
      config: publicRoute,
      schema: {
        tags,
        summary:
          'Email a password-reset link (valid 15 minutes); the answer is the same whether the email has an account',
        security: [],
        body: Type.Object(
          { email, organizationId: Type.Optional(Uuid('Only the account in this organization')) },
          { additionalProperties: false },
        ),
        response: {
          202: Type.Object({
            status: Type.Literal('accepted', {
              description: 'If an active account has this email, a link is on its way to it',
            }),
          }),
          ...errorResponses(422, 429),
        },
      },
    },
    async (request, reply) => {
      await sessions.throttle(originOf(request), request.body.email);
      accounts.requestPasswordReset(request.body);
      return reply.code(202).send({ status: 'accepted' as const });
    },
  );

  app.post(
    '/v1/auth/password-reset/complete',
    {
      config: publicRoute,
      schema: {
        tags,
        summary: 'Set a new password from a reset link: every session of the account ends',
        security: [],
        body: Type.Object({ token: emailedToken, password: newPassword }, { additionalProperties: false }),
        response: { 204: Type.Null(), ...errorResponses(422, 429) },
      },
    },
    async (request, reply) => {
      await sessions.throttle(originOf(request));
      await accounts.completePasswordReset(request.body);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/v1/auth/me',
    {
      config: { scope: 'till' },
      schema: {
        tags,
        summary: 'Who is calling: the staff user (role, locations, session) or the API key',
        response: { 200: MeSchema, ...errorResponses(401) },
      },
    },
    async (request) => {
      const tenant = tenantOf(request);
      const caller = staffCallerOf(request);
      const session = caller?.session;
      return {
        organizationId: tenant.organizationId,
        actor: tenant.actor,
        reach: [...tenant.reach],
        locationIds: tenant.locationIds ? [...tenant.locationIds] : null,
        staff: caller ? presentStaffUser(caller.user) : null,
        session: session
          ? {
              mode: session.kind,
              expiresAt: session.expiresAt.toISOString(),
              csrfToken: session.kind === 'cookie' ? await sessions.csrfTokenOf(session) : null,
            }
          : null,
      };
    },
  );

  const totpSummary = (what: string) => ({
    tags,
    summary: what,
    body: Type.Object({ code }, { additionalProperties: false }),
    response: { 200: Type.Ref('StaffUser'), ...errorResponses(401, 403, 409, 422) },
  });

  app.post(
    '/v1/auth/totp/enrol',
    {
      config: { ...anyStaffUser, mintsSecret: 'secret' },
      schema: {
        tags,
        summary: 'Start a second factor: a secret for an authenticator app (any staff user, for themselves)',
        description: 'Scan `otpauthUrl` as a QR code, then confirm with a code. Shown once.',
        body: Type.Object({}, { additionalProperties: false }),
        response: {
          200: Type.Object({
            secret: Type.String({ description: 'Base32 secret, for typing in by hand' }),
            otpauthUrl: Type.String({ description: 'otpauth:// URL, for a QR code' }),
          }),
          ...errorResponses(401, 403, 409),
        },
      },
    },
    async (request) => sessions.enrolTotp(signedInStaff(request)),
  );

  app.post(
    '/v1/auth/totp/confirm',
    {
      config: anyStaffUser,
      schema: totpSummary('Turn the second factor on with a first code: sign-in asks for one from now on'),
    },
    async (request) =>
      presentStaffUser(await sessions.confirmTotp(signedInStaff(request), request.body.code)),
  );

  app.post(
    '/v1/auth/totp/disable',
    {
      config: anyStaffUser,
      schema: totpSummary('Turn the second factor off, with a current code'),
    },
    async (request) =>
      presentStaffUser(await sessions.disableTotp(signedInStaff(request), request.body.code)),
  );
}
