import { AppError } from '../../errors.ts';
import { mayActAt, requireLocationAccess } from '../../http/location-access.ts';
import type { Tenant } from '../../http/types.ts';
import { type ApiKeyScope, reachOfScopes } from './scopes.ts';

/** What a key reaches: its scopes and its locations (null = every location). */
export interface KeyGrant {
  scopes: readonly ApiKeyScope[];
  locationIds: readonly string[] | null;
}

/**
 * A caller managing keys through /v1/api-keys (an admin key, an owner) gives no more than it holds:
 * every scope the key reaches must be one the caller reaches, and a caller restricted to some
 * locations gives keys restricted to some of them. The same holds for the key as it is before a
 * change or a revoke, so a restricted caller cannot touch a key that reaches further than it does.
 * The master key (no grantor) is not bound.
 */
export function requireWithinGrantor(grantor: Tenant, key: KeyGrant, given: 'body' | 'existing'): void {
  const fieldOf = (name: string) => (given === 'body' ? `body.${name}` : 'params.keyId');
  const what = given === 'body' ? 'give a key' : 'manage a key that reaches';
  const refuse = (field: string, message: string) =>
    new AppError('forbidden', message, { errors: [{ path: field, message }] });
  const beyond = reachOfScopes(key.scopes).find((scope) => !grantor.reach.includes(scope));
  if (beyond) {
    throw refuse(fieldOf('scopes'), `the caller lacks the '${beyond}' scope, so it cannot ${what} it`);
  }
  const allowed = grantor.locationIds;
  if (allowed === null) return;
  const restricted = `the caller is restricted to locations ${allowed.join(', ')}`;
  if (key.locationIds === null) {
    throw refuse(fieldOf('locationIds'), `${restricted}, so it cannot ${what} every location`);
  }
  key.locationIds.forEach((id, index) => {
    if (given === 'body') requireLocationAccess(grantor, id, `body.locationIds.${index}`);
    else if (!mayActAt(grantor, id))
      throw refuse('params.keyId', `${restricted}, so it cannot ${what} location ${id}`);
  });
}

/**
 * A key does not revoke or change itself: a key that narrowed its own scopes could lock an
 * organization out of its configuration, and a revoke sent with the key it revokes is more often a
 * mistake than a decision. Another key with `access`, an owner, or the master key does it.
 */
export function requireNotSelf(grantor: Tenant, keyId: string): void {
  if (grantor.actor.type === 'api_key' && grantor.actor.id === keyId.toLowerCase()) {
    throw new AppError(
      'forbidden',
      'an API key cannot change or revoke itself: use another key with the access scope, an owner, or the master key',
      { errors: [{ path: 'params.keyId', message: 'is the key making this request' }] },
    );
  }
}
