import type { FastifyReply, FastifyRequest } from 'fastify';
import type { PageRequest } from '../../db/pagination.ts';
import { AppError, notFound } from '../../errors.ts';
import type { App, Tenant } from '../../http/types.ts';
import type { RouteScope } from '../../modules/api-keys/scopes.ts';
import { API_KEY_PREFIX } from '../../modules/api-keys/secrets.ts';
import type { Customer } from '../../modules/customers/service.ts';
import type { Services } from '../../services.ts';
import type { OlPageQuery } from './contract.ts';
import type { FormSpec } from './errors.ts';
import { type CustomerFacts, type Store, toOlCustomer } from './translate.ts';

/** What the route files of the dialect share: the services, auth, the store and paging. */

/** OL's own result window (its Elasticsearch limit): lists never read past it. */
export const RESULT_WINDOW = 10_000;
const BATCH = 500;
export const tags = ['dialect: openloyalty'];

/** Lexik JWT's answers, which OL's clients see on a missing, bad or expired token. */
export const noToken = { code: 401, message: 'JWT Token not found' };
export const badToken = { code: 401, message: 'Invalid JWT Token' };
export const badCredentials = { code: 401, message: 'Bad credentials' };

/** The staff session behind a request's JWT, for `token/revoke`. */
/** Who is signing in from where: what the sign-in limits count. */
export const originOf = (request: FastifyRequest) => {
  const userAgent = request.headers['user-agent'];
  return { ip: request.ip, userAgent: typeof userAgent === 'string' ? userAgent : undefined };
};

export const sessionOfRequest = new WeakMap<FastifyRequest, { organizationId: string; id: string }>();

async function authenticate(services: Services, request: FastifyRequest, reply: FastifyReply) {
  // OL's permanent tokens: the X-AUTH-TOKEN header or the auth_token query parameter.
  const header = request.headers['x-auth-token'];
  const query = (request.query as Record<string, unknown> | undefined)?.auth_token;
  const permanent = typeof header === 'string' ? header : typeof query === 'string' ? query : undefined;
  if (permanent !== undefined) {
    const tenant = permanent ? await services.apiKeys.authenticate(permanent.trim()) : null;
    if (!tenant) return reply.code(401).send(badCredentials);
    request.tenant = tenant;
    return;
  }
  const [scheme, token] = (request.headers.authorization ?? '').trim().split(/\s+/);
  if (scheme?.toLowerCase() !== 'bearer' || !token) return reply.code(401).send(noToken);
  if (token.startsWith(API_KEY_PREFIX)) {
    const tenant = await services.apiKeys.authenticate(token);
    if (!tenant) return reply.code(401).send(badToken);
    request.tenant = tenant;
    return;
  }
  try {
    const caller = await services.staff.sessions.authenticateAccessToken(token);
    request.tenant = caller.tenant;
    sessionOfRequest.set(request, caller.session);
  } catch (error) {
    if (error instanceof AppError && error.status === 401) return reply.code(401).send(badToken);
    throw error;
  }
}

export function createOlContext(app: App, services: Services) {
  const forms = new Map<string, FormSpec>();

  /** Route options of a signed-in OL route: its auth, the scope it needs and its form (for 400s). */
  function guarded(
    method: string,
    url: string,
    options: { scope?: RouteScope; form?: FormSpec; audit?: boolean } = {},
  ) {
    if (options.form) forms.set(`${method} ${app.prefix}${url}`, options.form);
    return {
      config: {
        auth: 'dialect' as const,
        ...(options.scope ? { scope: options.scope } : {}),
        ...(options.audit ? { audit: 'all-events' as const } : {}),
      },
      onRequest: (request: FastifyRequest, reply: FastifyReply) => authenticate(services, request, reply),
    };
  }

  const formOf = (request: FastifyRequest) => forms.get(`${request.method} ${request.routeOptions.url}`);

  const tenantOf = (request: FastifyRequest): Tenant => request.tenant!;

  /**
   * The store of the path. Regulars has one program per organization: its store code is `DEFAULT`
   * (OL's default store) or the organization's id; any other code is a store this caller cannot see.
   */
  async function storeOf(request: FastifyRequest): Promise<Store & { organizationId: string }> {
    const { organizationId } = tenantOf(request);
    const code = (request.params as { storeCode?: string }).storeCode;
    if (code !== undefined && code !== 'DEFAULT' && code.toLowerCase() !== organizationId)
      throw notFound('store');
    const organization = await services.organizations.get(organizationId);
    return { organizationId, currency: organization.currency, timeZone: organization.timeZone };
  }

  /** A member by OL's customer id (the Regulars id); 404 for anything else. */
  async function customerById(organizationId: string, id: string): Promise<Customer> {
    return services.customers.get(organizationId, id.trim().toLowerCase());
  }

  async function factsOf(organizationId: string, customer: Customer): Promise<CustomerFacts> {
    const now = new Date();
    const [stats, tier] = await Promise.all([
      services.transactions.stats(organizationId, customer.id),
      services.tiers.memberTier(organizationId, customer.id, now),
    ]);
    return { stats, tier: { current: tier.tier, manual: tier.manual?.tier ?? null } };
  }

  async function customerView(store: Store & { organizationId: string }, customer: Customer) {
    return toOlCustomer(customer, await factsOf(store.organizationId, customer), store);
  }

  return { services, guarded, formOf, tenantOf, storeOf, customerById, factsOf, customerView };
}

export type OlContext = ReturnType<typeof createOlContext>;

export interface Paging {
  page: number;
  perPage: number;
  sort: string | undefined;
  descending: boolean;
}

export function pagingOf(query: OlPageQuery, defaultSort?: string): Paging {
  const page = Math.max(1, Number(query.page ?? 1));
  const perPage = Math.min(Math.max(1, Number(query.perPage ?? 10)), RESULT_WINDOW);
  return {
    page,
    perPage,
    sort: query.sort ?? defaultSort,
    descending: (query.direction ?? 'ASC').toUpperCase() === 'DESC',
  };
}

/**
 * Every row a cursor-paged list yields (up to OL's result window), filtered: what an OL page
 * (`page`, `perPage`) and its `total` are cut from.
 */
export async function readWindow<T extends { id: string }>(
  read: (page: PageRequest) => Promise<T[]>,
  keep: (row: T) => boolean = () => true,
): Promise<T[]> {
  const kept: T[] = [];
  let afterId: string | undefined;
  for (;;) {
    const rows = await read({ limit: BATCH, afterId });
    for (const row of rows.slice(0, BATCH)) {
      if (keep(row)) kept.push(row);
      if (kept.length >= RESULT_WINDOW) return kept;
    }
    if (rows.length <= BATCH) return kept;
    afterId = rows[BATCH - 1]!.id;
  }
}

/** Sorts by one of the named keys (others keep the list's order), then cuts page `page`. */
export function cut<T>(
  rows: T[],
  paging: Paging,
  keys: Record<string, (row: T) => string | number | null | undefined>,
): T[] {
  const key = paging.sort ? keys[paging.sort] : undefined;
  const sorted = key
    ? [...rows].sort((a, b) => {
        const x = key(a) ?? '';
        const y = key(b) ?? '';
        return x < y ? -1 : x > y ? 1 : 0;
      })
    : [...rows];
  if (paging.descending) sorted.reverse();
  const start = (paging.page - 1) * paging.perPage;
  return sorted.slice(start, start + paging.perPage);
}
