import type { FastifyRequest } from 'fastify';
import { AppError } from '../errors.ts';
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

export function authModeOf(request: FastifyRequest): AuthMode {
  const declared = request.routeOptions.config?.auth;
  if (declared) return declared;
  return request.routeOptions.url?.startsWith('/v1/') ? 'organization' : 'public';
}

/** The calling tenant of an `organization` route (the auth hook guarantees it is there). */
export function tenantOf(request: FastifyRequest): Tenant {
  if (!request.tenant) throw unauthorized();
  return request.tenant;
}

export function registerAuth(app: App, apiKeys: ApiKeysService) {
  app.decorateRequest('tenant', null);
  app.decorateRequest('isMaster', false);

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
}
