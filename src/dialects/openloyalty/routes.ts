import { AppError } from '../../errors.ts';
import { toAppError } from '../../http/problem.ts';
import type { App } from '../../http/types.ts';
import type { Services } from '../../services.ts';
import { badCredentials, createOlContext, originOf, sessionOfRequest, tags } from './context.ts';
import { OlLogin, OlRefresh } from './contract.ts';
import { customerLoginRoutes } from './customer-login.ts';
import { formBody, refusalMessage, statusBody } from './errors.ts';
import { parseForm } from './form.ts';
import { memberRoutes } from './members.ts';
import { pointsRoutes } from './points.ts';
import { storeRoutes } from './stores.ts';
import { transactionRoutes } from './transactions.ts';

/**
 * Open Loyalty 4.x's REST API under /compat/openloyalty: its paths (`/api/<storeCode>/...`), its
 * auth (JWT from `login_check` for staff accounts, permanent tokens in `X-AUTH-TOKEN` for API keys),
 * Symfony form bodies (form-encoded or JSON), its page/perPage/total lists and its error bodies.
 * See docs/dialects/openloyalty.md for what each endpoint maps to and what is left.
 */

export async function openLoyaltyDialect(app: App, options: { services: Services }) {
  const { services } = options;
  const ol = createOlContext(app, services);

  // OL's clients post Symfony forms; JSON (login_check's example) goes through the app's own parser.
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_request, body, done) => {
      done(null, parseForm(String(body)));
    },
  );

  app.setErrorHandler((error, request, reply) => {
    const appError = toAppError(error, request);
    const status = appError.status;
    if (status === 403) return reply.code(403).send(statusBody(403, appError.message));
    if (status === 404 || status === 401 || status === 405 || status === 429 || status >= 500) {
      return reply.code(status).send(statusBody(status));
    }
    const form = ol.formOf(request);
    if (form && appError.errors?.length)
      return reply.code(400).send(formBody(form, appError.errors, appError));
    if (
      appError.code === 'invalid_json' ||
      appError.code === 'unsupported_media_type' ||
      status === 413 ||
      status === 415
    ) {
      return reply
        .code(status === 413 || status === 415 ? status : 400)
        .send(statusBody(status === 413 || status === 415 ? status : 400));
    }
    // A refused operation (not enough points, an inactive member): OL's `{"error": "<message>"}`.
    return reply.code(400).send({ error: refusalMessage(appError) });
  });
  app.setNotFoundHandler((_request, reply) => reply.code(404).send(statusBody(404)));

  const publicRoute = { config: { auth: 'public' as const } };
  const schema = { tags, security: [] };

  app.post(
    '/api/admin/login_check',
    {
      ...publicRoute,
      schema: {
        ...schema,
        summary: 'OL: an admin’s JWT (a staff account’s access and refresh tokens)',
        body: OlLogin,
      },
    },
    async (request, reply) => {
      const { _username: email, _password: password } = request.body ?? {};
      if (!email || !password) return reply.code(401).send(badCredentials);
      try {
        const opened = await services.staff.sessions.signIn({
          ...originOf(request),
          email,
          password,
          mode: 'token',
        });
        if (opened.kind !== 'token') throw new AppError('unauthorized', 'no token session');
        return { token: opened.accessToken, refresh_token: opened.refreshToken };
      } catch (error) {
        // Lexik's one answer for every failed sign-in (a second factor cannot be sent through OL's form).
        if (error instanceof AppError && error.status < 500 && error.status !== 429)
          return reply.code(401).send(badCredentials);
        throw error;
      }
    },
  );

  app.post(
    '/api/token/refresh',
    { ...publicRoute, schema: { ...schema, summary: 'OL: a new JWT for a refresh token', body: OlRefresh } },
    async (request, reply) => {
      const token = request.body?.refresh_token;
      if (!token) return reply.code(401).send({ code: 401, message: 'JWT Refresh Token Not Found' });
      try {
        const opened = await services.staff.sessions.refresh(token, originOf(request));
        return { token: opened.accessToken, refresh_token: opened.refreshToken };
      } catch (error) {
        if (error instanceof AppError && error.status === 401) return reply.code(401).send(badCredentials);
        throw error;
      }
    },
  );

  app.get(
    '/api/token/revoke',
    {
      ...ol.guarded('GET', '/api/token/revoke'),
      schema: { ...schema, summary: 'OL: sign out (ends the JWT’s session)' },
    },
    async (request, reply) => {
      const session = sessionOfRequest.get(request);
      if (session) await services.staff.sessions.signOut(session);
      return reply.code(200).send();
    },
  );

  app.get('/api/', { ...publicRoute, schema: { ...schema, summary: 'OL: name and version' } }, async () => ({
    name: 'OpenLoyalty',
    version: '4.2.0',
  }));

  customerLoginRoutes(app, ol);
  memberRoutes(app, ol);
  transactionRoutes(app, ol);
  pointsRoutes(app, ol);
  storeRoutes(app, ol);
}
