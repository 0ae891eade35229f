import type { FastifyRequest } from 'fastify';
import { AppError } from '../errors.ts';
import type { ApiKeysService } from '../modules/api-keys/service.ts';
import type { App, AuthMode, Tenant } from './types.ts';

function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const [scheme, token] = header.split(' ');
  return scheme?.toLowerCase() === 'bearer' && token ? token : undefined;
}

/** One answer for missing, unknown and revoked keys, so a caller learns nothing about which it was. */
function unauthorized(): AppError {
  return new AppError('unauthorized', 'a valid API key is required (Authorization: Bearer <key>)');
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
    if (!token) throw unauthorized();
    if (mode === 'master') {
      if (!apiKeys.isMasterKey(token)) throw unauthorized();
      request.isMaster = true;
      return;
    }
    const tenant = await apiKeys.authenticate(token);
    if (!tenant) throw unauthorized();
    request.tenant = tenant;
  });
}
