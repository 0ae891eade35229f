import { type Static, Type } from 'typebox';

/**
 * What an organization's API key may reach. `till`: what a POS needs at the counter;
 * `integration`: `till` plus bulk data (imports, exports, the event stream) and member-app
 * reports; `admin`: everything, configuration and deletes included; `read`: every GET under /v1.
 */
export const API_KEY_SCOPES = ['till', 'integration', 'read', 'admin'] as const;

export const ApiKeyScope = Type.Enum(API_KEY_SCOPES, {
  description:
    'till: what a POS needs (member lookup, tickets, redemptions, points); integration: till plus ' +
    'imports, exports and the event stream; read: every GET; admin: everything',
});
export type ApiKeyScope = Static<typeof ApiKeyScope>;

export function isApiKeyScope(candidate: string): candidate is ApiKeyScope {
  return (API_KEY_SCOPES as readonly string[]).includes(candidate);
}

/** Keys created without scopes, and keys that existed before scopes did, reach everything. */
export const DEFAULT_API_KEY_SCOPES: readonly ApiKeyScope[] = ['admin'];

/**
 * What a route may need: a key scope, or `access` (staff accounts and API keys), which only `admin`
 * keys and owners reach. A caller's reach is the set of these it holds, already expanded.
 */
export const ROUTE_SCOPES = [...API_KEY_SCOPES, 'access'] as const;
export type RouteScope = (typeof ROUTE_SCOPES)[number];

/** The route scopes each key scope reaches: admin ⊇ integration ⊇ till, and admin ⊇ read, access. */
const INCLUDED: Record<ApiKeyScope, readonly RouteScope[]> = {
  till: ['till'],
  integration: ['integration', 'till'],
  read: ['read'],
  admin: ['admin', 'integration', 'till', 'read', 'access'],
};

/** Everything a key with these scopes reaches, each route scope once. */
export function reachOfScopes(keyScopes: readonly ApiKeyScope[]): readonly RouteScope[] {
  return [...new Set(keyScopes.flatMap((held) => INCLUDED[held]))];
}

/** What a route needs, as its `config.scope` says, with `read` letting a caller reach it too when it is a GET. */
export interface ScopeRequirement {
  scope: RouteScope;
  /** GETs under /v1: a `read` caller reaches them whatever their scope (a till's GETs say `till`). */
  readable: boolean;
}

export function grants(reach: readonly RouteScope[], requirement: ScopeRequirement): boolean {
  return reach.includes(requirement.scope) || (requirement.readable && reach.includes('read'));
}
