import type { FastifyRequest, RouteOptions } from 'fastify';
import { AppError } from '../errors.ts';
import { type ApiKeyScope, grants } from '../modules/api-keys/scopes.ts';
import { API_KEY_PREFIX } from '../modules/api-keys/secrets.ts';
import type { ApiKeysService } from '../modules/api-keys/service.ts';
import type { App, AuthMode, Tenant } from './types.ts';

function bearerToken(request: FastifyRequest): string | undefined {
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
function unauthorized(mode: 'organization' | 'master' = 'organization', token?: string): AppError {
  if (mode === 'master') {
    const other = token?.startsWith(API_KEY_PREFIX)
      ? ": an organization's API key (rgl_…) does not reach the platform routes"
      : '';
    return new AppError(
      'unauthorized',
      `this route takes the platform master key (Authorization: Bearer <REGULARS_MASTER_KEY>)${other}`,
    );
  }
  return new AppError(
    'unauthorized',
    'a valid API key of the organization is required (Authorization: Bearer rgl_…)',
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

/** The scope a route needs when it declares none; undefined for routes no organization key calls. */
function defaultScope(mode: AuthMode, methods: readonly string[]): ApiKeyScope | undefined {
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
  const reach = mode === 'organization' && methods.every(isRead) && scope !== 'read' ? ` (or \`read\`)` : '';
  const needs = `Needs an API key with the \`${scope}\` scope${reach}.`;
  const schema = route.schema as typeof route.schema & { description?: string; 'x-scope'?: ApiKeyScope };
  // A GET's HEAD route shares its schema: it is settled once.
  if (schema['x-scope'] === scope) return;
  schema['x-scope'] = scope;
  schema.description = schema.description ? `${schema.description}\n\n${needs}` : needs;
}

function forbidden(request: FastifyRequest, scope: ApiKeyScope): AppError {
  const route = (request.routeOptions.url ?? '').replace(/:(\w+)/g, '{$1}');
  return new AppError(
    'forbidden',
    `this API key lacks the '${scope}' scope needed by ${request.method} ${route}`,
  );
}

/** The calling tenant of an `organization` route (the auth hook guarantees it is there). */
export function tenantOf(request: FastifyRequest): Tenant {
  if (!request.tenant) throw unauthorized();
  return request.tenant;
}

export function registerAuth(app: App, apiKeys: ApiKeysService) {
  app.decorateRequest('tenant', null);
  app.decorateRequest('isMaster', false);

  app.addHook('onRoute', settleScope);

  app.addHook('onRequest', async (request) => {
    const mode = authModeOf(request);
    if (mode === 'public' || mode === 'dialect') return;
    const token = bearerToken(request);
    if (mode === 'master') {
      if (!token || !apiKeys.isMasterKey(token)) throw unauthorized('master', token);
      request.isMaster = true;
      return;
    }
    if (!token) throw unauthorized();
    if (apiKeys.isMasterKey(token)) throw masterKeyOnTenantRoute();
    const tenant = await apiKeys.authenticate(token);
    if (!tenant) throw unauthorized();
    request.tenant = tenant;
  });

  // After every onRequest hook, so that it covers the dialects too: they authenticate in their
  // own route hook, and a throw here reaches their error handler, which answers in their shape.
  app.addHook('preParsing', async (request) => {
    const scope = request.routeOptions.config.scope;
    if (!request.tenant || !scope) return;
    const readable = authModeOf(request) === 'organization' && isRead(request.method);
    if (!grants(request.tenant.scopes, { scope, readable })) throw forbidden(request, scope);
  });
}
