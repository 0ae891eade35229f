import type { FastifyRequest, RouteOptions } from 'fastify';
import type { Actor } from '../domain/actors.ts';
import { AppError } from '../errors.ts';
import { grants, type RouteScope } from '../modules/api-keys/scopes.ts';
import { API_KEY_PREFIX } from '../modules/api-keys/secrets.ts';
import type { ApiKeysService } from '../modules/api-keys/service.ts';
import type { App, Authenticator, AuthMode, Tenant } from './types.ts';

export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const [scheme, token] = header.split(' ');
  return scheme?.toLowerCase() === 'bearer' && token ? token : undefined;
}

/**
 * One answer for missing, unknown and revoked keys, so a caller learns nothing about which it was;
 * it names the kind of key the route takes. A key of the other kind is told apart by what the
 * caller holds already (the master key itself, or an organization key's `rgl_` form), so saying so
 * reveals nothing either.
 */
function unauthorized(
  mode: 'organization' | 'member' | 'staff' | 'master' = 'organization',
  token?: string,
): AppError {
  if (mode === 'master') {
    const other = token?.startsWith(API_KEY_PREFIX)
      ? ": an organization's API key (rgl_…) does not reach the platform routes"
      : '';
    return new AppError(
      'unauthorized',
      `this route takes the platform master key (Authorization: Bearer <REGULARS_MASTER_KEY>)${other}`,
    );
  }
  if (mode === 'member') {
    return new AppError(
      'unauthorized',
      "this route takes a member's session (Authorization: Bearer rgme_… or the session cookie): " +
        'sign in with a one-time code from POST /v1/public/organizations/{id}/sign-in/code',
    );
  }
  if (mode === 'staff') {
    return new AppError(
      'unauthorized',
      "this route takes a staff user's session (cookie or access token): sign in at POST /v1/auth/sign-in",
    );
  }
  return new AppError(
    'unauthorized',
    'a valid API key of the organization (Authorization: Bearer rgl_…) or a staff session is required',
  );
}

function masterKeyOnTenantRoute(): AppError {
  return new AppError(
    'unauthorized',
    "this route takes an organization's API key (rgl_…): the master key only reaches /v1/organizations…; " +
      'create a key with POST /v1/organizations/{id}/api-keys',
  );
}

function authModeFor(url: string | undefined, declared: AuthMode | undefined): AuthMode {
  if (declared) return declared;
  return url?.startsWith('/v1/') ? 'organization' : 'public';
}

export function authModeOf(request: FastifyRequest): AuthMode {
  return authModeFor(request.routeOptions.url, request.routeOptions.config?.auth);
}

const isRead = (method: string) => method === 'GET' || method === 'HEAD';

/**
 * Whether a `read` caller reaches the route too: every GET under /v1 but those of `access` (staff
 * and keys), which only the callers that manage them see.
 */
function readableRoute(mode: AuthMode, methods: readonly string[], scope: RouteScope): boolean {
  return mode === 'organization' && methods.every(isRead) && scope !== 'access';
}

/** The scope a route needs when it declares none; undefined for routes no organization key calls. */
function defaultScope(mode: AuthMode, methods: readonly string[]): RouteScope | undefined {
  if (mode === 'dialect') return 'till';
  if (mode !== 'organization') return undefined;
  return methods.every(isRead) ? 'read' : 'admin';
}

/**
 * Settles each route's `config.scope` as it is registered (its declared one or the default), so
 * that the check and the OpenAPI document read the same value: the operation carries it as
 * `x-scope` and says it in its description.
 */
function settleScope(route: RouteOptions) {
  const methods = [route.method].flat();
  const mode = authModeFor(route.url, route.config?.auth);
  const scope = route.config?.scope ?? defaultScope(mode, methods);
  if (!scope) return;
  route.config = { ...route.config, scope };
  if (!route.schema) return;
  const reach = readableRoute(mode, methods, scope) && scope !== 'read' ? ` (or \`read\`)` : '';
  const needs = `Needs the \`${scope}\` scope${reach} (an API key's, or a staff role's).`;
  const schema = route.schema as typeof route.schema & { description?: string; 'x-scope'?: RouteScope };
  // A GET's HEAD route shares its schema: it is settled once.
  if (schema['x-scope'] === scope) return;
  schema['x-scope'] = scope;
  schema.description = schema.description ? `${schema.description}\n\n${needs}` : needs;
}

const CALLER_NAMES: Record<Actor['type'], string> = {
  api_key: 'this API key',
  staff: "this staff user's role",
  member: 'a member',
  system: 'the system',
};

function forbidden(request: FastifyRequest, tenant: Tenant, scope: RouteScope): AppError {
  const route = (request.routeOptions.url ?? '').replace(/:(\w+)/g, '{$1}');
  return new AppError(
    'forbidden',
    `${CALLER_NAMES[tenant.actor.type]} lacks the '${scope}' scope needed by ${request.method} ${route}`,
  );
}

/** The calling tenant of an `organization` route (the auth hook guarantees it is there). */
export function tenantOf(request: FastifyRequest): Tenant {
  if (!request.tenant) throw unauthorized();
  return request.tenant;
}

/** Who made the change a request asks for: its API key, staff user or member. */
export function actorOf(request: FastifyRequest): Actor {
  return tenantOf(request).actor;
}

export interface Credentials {
  apiKeys: ApiKeysService;
  /** Staff sessions and tokens, tried in order on organization routes when no `rgl_` key is given. */
  staff?: readonly Authenticator[];
  /** Members' sessions, for `member` routes (`/v1/me…`). */
  members?: readonly Authenticator[];
}

async function firstRecognized(
  authenticators: readonly Authenticator[],
  request: FastifyRequest,
): Promise<Tenant | undefined> {
  for (const authenticate of authenticators) {
    const tenant = await authenticate(request);
    if (tenant) return tenant;
  }
  return undefined;
}

export function registerAuth(app: App, credentials: Credentials) {
  const { apiKeys } = credentials;
  app.decorateRequest('tenant', null);
  app.decorateRequest('isMaster', false);

  app.addHook('onRoute', settleScope);

  app.addHook('onRequest', async (request) => {
    const mode = authModeOf(request);
    if (mode === 'public' || mode === 'dialect') return;
    const token = bearerToken(request);
    if (mode === 'member') {
      request.tenant = (await firstRecognized(credentials.members ?? [], request)) ?? null;
      if (!request.tenant) throw unauthorized('member');
      return;
    }
    if (mode === 'staff') {
      request.tenant = (await firstRecognized(credentials.staff ?? [], request)) ?? null;
      if (!request.tenant) throw unauthorized('staff');
      return;
    }
    if (mode === 'master') {
      if (!token || !apiKeys.isMasterKey(token)) throw unauthorized('master', token);
      request.isMaster = true;
      return;
    }
    if (token?.startsWith(API_KEY_PREFIX)) {
      request.tenant = await apiKeys.authenticate(token);
      if (!request.tenant) throw unauthorized();
      return;
    }
    if (token && apiKeys.isMasterKey(token)) throw masterKeyOnTenantRoute();
    request.tenant = (await firstRecognized(credentials.staff ?? [], request)) ?? null;
    if (!request.tenant) throw unauthorized();
  });

  // After every onRequest hook, so that it covers the dialects too: they authenticate in their
  // own route hook, and a throw here reaches their error handler, which answers in their shape.
  app.addHook('preParsing', async (request) => {
    const scope = request.routeOptions.config.scope;
    if (!request.tenant || !scope) return;
    const readable = readableRoute(authModeOf(request), [request.method], scope);
    if (!grants(request.tenant.reach, { scope, readable })) throw forbidden(request, request.tenant, scope);
  });
}
