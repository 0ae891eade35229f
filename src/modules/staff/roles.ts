import { type Static, Type } from 'typebox';
import type { RouteScope } from '../api-keys/scopes.ts';

/**
 * A staff user's role, with fixed permissions expressed in the route scopes API keys use
 * (src/modules/api-keys/scopes.ts), so one check serves keys and people alike:
 * - `owner`: everything, staff and API keys included;
 * - `manager`: program configuration, members, rewards: everything but staff and keys;
 * - `analyst`: read-only (every GET: reports, analytics, exports);
 * - `cashier`: till operations only, at their locations, with points added capped per day.
 */
export const STAFF_ROLES = ['owner', 'manager', 'analyst', 'cashier'] as const;

export const StaffRole = Type.Enum(STAFF_ROLES, {
  description:
    'owner: everything, staff and keys included; manager: configuration, members, rewards; ' +
    'analyst: read-only; cashier: till operations at their locations',
});
export type StaffRole = Static<typeof StaffRole>;

export function isStaffRole(candidate: string): candidate is StaffRole {
  return (STAFF_ROLES as readonly string[]).includes(candidate);
}

const ROLE_REACH: Record<StaffRole, readonly RouteScope[]> = {
  owner: ['admin', 'integration', 'till', 'read', 'access'],
  manager: ['admin', 'integration', 'till', 'read'],
  analyst: ['read'],
  cashier: ['till'],
};

export function reachOfRole(role: StaffRole): readonly RouteScope[] {
  return ROLE_REACH[role];
}
