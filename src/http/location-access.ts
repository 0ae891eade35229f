import type { FastifyRequest, RouteOptions } from 'fastify';
import type { ActorType } from '../domain/actors.ts';
import { AppError } from '../errors.ts';
import type { App, Tenant } from './types.ts';

/**
 * Location restriction: a caller whose `tenant.locationIds` is a list (an API key restricted to some
 * locations; a cashier later) acts only at those locations. Reads stay organization-wide (members,
 * rewards and tickets belong to the organization, not to a till); what is checked is every write
 * that names a location, and the writes that act on a ticket or redemption of a location.
 *
 * Native routes need nothing of their own: `registerLocationAccess` reads each route's schema as it
 * is registered, finds every `locationId` its body or query can carry (nested ones included, such as
 * a redemption's `order.locationId`) and the routes of a location itself (`/v1/locations/:id…`), and
 * checks them before validation. A route added tomorrow with a `locationId` is covered the day it
 * is written. Dialects name locations in their vendors' ids, which only they can resolve: they call
 * `actingLocation` with the location they resolved, where they resolve it.
 */

const LOCATION_FIELD = 'locationId';
/** The routes whose `:id` is a location: the location itself, its brands. */
const LOCATION_RESOURCE = '/v1/locations/:id';

const CALLERS: Record<ActorType, string> = {
  api_key: 'this API key',
  staff: 'this staff user',
  member: 'this member',
  system: 'the system',
};

function restrictionOf(tenant: Tenant, locationIds: readonly string[]): string {
  return `${CALLERS[tenant.actor.type]} is restricted to location${locationIds.length === 1 ? '' : 's'} ${locationIds.join(', ')}`;
}

/** Whether the caller may act at this location (always, when it is not restricted). */
export function mayActAt(tenant: Tenant, locationId: string): boolean {
  return tenant.locationIds === null || tenant.locationIds.includes(locationId.toLowerCase());
}

/**
 * 403 `forbidden` unless the caller may act at the location. The message names the restriction
 * and the location the request named, nothing else (not whether that location exists).
 */
export function requireLocationAccess(tenant: Tenant, locationId: string, field: string): void {
  if (mayActAt(tenant, locationId)) return;
  const restriction = restrictionOf(tenant, tenant.locationIds ?? []);
  throw new AppError('forbidden', `${restriction}; ${field} ${locationId} is not one of them`, {
    errors: [
      { path: field, message: `is not one of the locations ${CALLERS[tenant.actor.type]} is restricted to` },
    ],
  });
}

/**
 * Where a write acts: the location the request named (checked), or, when it named none, a
 * restricted caller's one location. A caller restricted to several must say which (422 on the
 * field); an unrestricted caller may leave it out (null).
 */
export function actingLocation(tenant: Tenant, locationId: string | null | undefined, field: string) {
  if (locationId) {
    requireLocationAccess(tenant, locationId, field);
    return locationId;
  }
  const allowed = tenant.locationIds;
  if (allowed === null) return null;
  if (allowed.length === 1) return allowed[0]!;
  const message = `is required: ${restrictionOf(tenant, allowed)}; name the one this happens at`;
  throw new AppError('validation_failed', `${field}: ${message}`, { errors: [{ path: field, message }] });
}

/**
 * For a write on something that happened at a location (a ticket, a redemption): a restricted
 * caller may act on it only when it is at one of its locations, or at none. `load` runs only for
 * restricted callers, so the others pay no extra read.
 */
export async function requireAccessToLocated(
  tenant: Tenant,
  load: () => Promise<{ locationId: string | null }>,
  field: string,
): Promise<void> {
  if (tenant.locationIds === null) return;
  const { locationId } = await load();
  if (locationId !== null) requireLocationAccess(tenant, locationId, field);
}

interface SchemaNode {
  properties?: Record<string, SchemaNode>;
  anyOf?: SchemaNode[];
  oneOf?: SchemaNode[];
  allOf?: SchemaNode[];
  items?: SchemaNode | SchemaNode[];
}

/** Where a route names locations: paths into its body and query, and its location param. */
interface LocationFields {
  body: readonly (readonly string[])[];
  query: readonly (readonly string[])[];
  param: string | undefined;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Filled in at registration by `registerLocationAccess`, from the route's schema. */
    locationFields?: LocationFields;
  }
}

/**
 * Every path at which a `locationId` can appear in values of the schema. Inside an array it would
 * need a check per item, which this does not do: such a schema stops the server at start, so it
 * cannot go unchecked.
 */
function locationPaths(schema: unknown, url: string, prefix: readonly string[] = []): string[][] {
  if (typeof schema !== 'object' || schema === null) return [];
  const node = schema as SchemaNode;
  const paths: string[][] = [];
  for (const [name, child] of Object.entries(node.properties ?? {})) {
    if (name === LOCATION_FIELD) paths.push([...prefix, name]);
    else paths.push(...locationPaths(child, url, [...prefix, name]));
  }
  for (const alternative of [...(node.anyOf ?? []), ...(node.oneOf ?? []), ...(node.allOf ?? [])]) {
    paths.push(...locationPaths(alternative, url, prefix));
  }
  const items = [node.items ?? []].flat();
  if (items.some((item) => locationPaths(item, url).length > 0)) {
    throw new Error(
      `${url}: a locationId inside an array (${[...prefix, '[]'].join('.')}) is not checked by src/http/location-access.ts; check it there`,
    );
  }
  const seen = new Set<string>();
  return paths.filter((path) => !seen.has(path.join('.')) && seen.add(path.join('.')));
}

function settleLocationFields(route: RouteOptions) {
  if (route.config?.auth === 'dialect') return;
  const schema = route.schema as { body?: unknown; querystring?: unknown } | undefined;
  const fields: LocationFields = {
    body: locationPaths(schema?.body, route.url),
    query: locationPaths(schema?.querystring, route.url),
    param: route.url.startsWith(LOCATION_RESOURCE) ? 'id' : undefined,
  };
  if (fields.body.length + fields.query.length === 0 && !fields.param) return;
  route.config = { ...route.config, locationFields: fields };
}

type Slot = { holder: Record<string, unknown>; key: string };

/** The object holding the value at `path` and its key there; none when a step on the way is missing. */
function slotAt(root: unknown, path: readonly string[]): Slot | undefined {
  let holder: unknown = root;
  for (const step of path.slice(0, -1)) {
    if (typeof holder !== 'object' || holder === null || Array.isArray(holder)) return undefined;
    holder = (holder as Record<string, unknown>)[step];
  }
  if (typeof holder !== 'object' || holder === null || Array.isArray(holder)) return undefined;
  return { holder: holder as Record<string, unknown>, key: path.at(-1)! };
}

const isRead = (method: string) => method === 'GET' || method === 'HEAD';

/**
 * Checks the locations a write names, before validation: so that a location filled in for a caller
 * of one location is validated and fingerprinted (Idempotency-Key) as if it had been sent. A value
 * that is not a string is left to validation, which refuses it.
 */
function checkNamedLocations(request: FastifyRequest) {
  const tenant = request.tenant;
  const fields = request.routeOptions.config.locationFields;
  if (!tenant || tenant.locationIds === null || !fields || isRead(request.method)) return;
  if (fields.param) {
    const id = (request.params as Record<string, unknown>)[fields.param];
    if (typeof id === 'string') requireLocationAccess(tenant, id, `params.${fields.param}`);
  }
  for (const path of fields.query) {
    const value = slotAt(request.query, path);
    const named = value?.holder[value.key];
    if (typeof named === 'string') requireLocationAccess(tenant, named, `query.${path.join('.')}`);
  }
  for (const path of fields.body) {
    const slot = slotAt(request.body, path);
    if (!slot) continue;
    const named = slot.holder[slot.key];
    const field = `body.${path.join('.')}`;
    if (typeof named === 'string') requireLocationAccess(tenant, named, field);
    else if (named === undefined || named === null)
      slot.holder[slot.key] = actingLocation(tenant, null, field);
  }
}

/** Location restriction on every native route (see the top of this file); before routes are added. */
export function registerLocationAccess(app: App) {
  app.addHook('onRoute', settleLocationFields);
  app.addHook('preValidation', async (request) => checkNamedLocations(request));
}
