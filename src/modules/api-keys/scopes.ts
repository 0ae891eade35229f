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

/** The scopes each scope includes: admin ⊇ integration ⊇ till, and admin ⊇ read. */
const INCLUDED: Record<ApiKeyScope, readonly ApiKeyScope[]> = {
  till: ['till'],
  integration: ['integration', 'till'],
  read: ['read'],
  admin: ['admin', 'integration', 'till', 'read'],
};

/** What a route needs, as its `config.scope` says, with `read` letting a key reach it too when it is a GET. */
export interface ScopeRequirement {
  scope: ApiKeyScope;
  /** GETs under /v1: a `read` key reaches them whatever their scope (a till's GETs say `till`). */
  readable: boolean;
}

export function grants(keyScopes: readonly ApiKeyScope[], requirement: ScopeRequirement): boolean {
  return keyScopes.some(
    (held) =>
      INCLUDED[held].includes(requirement.scope) || (requirement.readable && INCLUDED[held].includes('read')),
  );
}
