import { STATUS_CODES } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { parsePoints } from '../../domain/points.ts';
import { type AppError, notFound, validationFailed } from '../../errors.ts';
import { actingLocation } from '../../http/location-access.ts';
import { toAppError } from '../../http/problem.ts';
import type { App, Tenant } from '../../http/types.ts';
import type { Actor } from '../../modules/ledger/service.ts';
import type { TicketRedemption } from '../../modules/transactions/service.ts';
import {
  ComebackAddPoints,
  ComebackCustomerInput,
  ComebackOrder,
  ComebackPromotionInput,
  CustomerParams,
  PageQuery,
  PassQuery,
  ScanParams,
} from './contract.ts';
import { type ComebackServices, comebackCustomers } from './customers.ts';
import { comebackResolver } from './resolve.ts';
import {
  toAppliedPromotions,
  toCustomerInput,
  toLocation,
  toOrderResponse,
  toPointType,
  toPromotion,
  toRedemptionOrder,
  toRewardInput,
  toTransaction,
} from './translate.ts';

/**
 * Comeback's integration API under /compat/comeback: `Authorization: <token>` (the API key as
 * it is; `Bearer <token>` works too), its paths, field names and status codes, and error bodies
 * `{statusCode, error, message}`. Every answer comes from the services; see
 * docs/dialects/comeback.md for how the document's gaps were read.
 */

const PAGE_SIZE = 100;
const LIST_BATCH = 500;
const tags = ['dialect: comeback'];

/** Comeback's field names in error messages, for the Regulars paths the services report. */
const FIELD_NAMES = new Map<string, string>(
  Object.entries({
    firstName: 'name',
    lastName: 'surname',
    phone: 'phoneNumber',
    marketingConsents: 'marketingCommunication',
    value: 'discountAmount',
    costPoints: 'pointsExpense',
    posCode: 'code',
    points: 'addedPoints',
    'order.locationId': 'locationId',
  }),
);

function comebackPath(path: string): string {
  const bare = path.replace(/^(body|query|params|headers)\./, '');
  if (bare.startsWith('rewards.')) return bare.replace('rewards.', 'promotionsApplied.');
  return FIELD_NAMES.get(bare) ?? bare;
}

function messageOf(error: AppError): string {
  if (!error.errors?.length) return error.message;
  return error.errors.map((field) => `${comebackPath(field.path)} ${field.message}`).join('; ');
}

/** Comeback answers like the NestJS service it is: status, its name, and a message. */
function errorBody(status: number, message: string) {
  return { statusCode: status, error: STATUS_CODES[status] ?? 'Error', message };
}

/** The raw token, as Comeback's document shows it; `Bearer <token>` (or `Token <token>`) too. */
export function tokenOf(header: string | undefined): string | undefined {
  const parts = header?.trim().split(/\s+/) ?? [];
  if (parts.length === 1 && parts[0]) return parts[0];
  if (parts.length === 2 && /^(bearer|token)$/i.test(parts[0]!)) return parts[1];
  return undefined;
}

async function authenticate(services: ComebackServices, request: FastifyRequest, reply: FastifyReply) {
  const token = tokenOf(request.headers.authorization);
  const tenant = token ? await services.apiKeys.authenticate(token) : null;
  if (!tenant) return reply.code(401).send(errorBody(401, 'Invalid or missing token'));
  request.tenant = tenant;
}

/** Every page of a cursor-paginated list (an organization's locations, its promotions). */
async function everything<T extends { id: string }>(
  read: (page: { limit: number; afterId: string | undefined }) => Promise<T[]>,
): Promise<T[]> {
  const all: T[] = [];
  let afterId: string | undefined;
  for (;;) {
    const rows = await read({ limit: LIST_BATCH, afterId });
    all.push(...rows.slice(0, LIST_BATCH));
    if (rows.length <= LIST_BATCH) return all;
    afterId = rows[LIST_BATCH - 1]!.id;
  }
}

const baseUrl = (request: FastifyRequest) => `${request.protocol}://${request.host}`;

export async function comebackDialect(app: App, options: { services: ComebackServices }) {
  const { services } = options;
  const present = comebackCustomers(services);
  const find = comebackResolver(services);

  app.setErrorHandler((error, request, reply) => {
    const appError = toAppError(error, request);
    // Comeback documents 400 for what it cannot take; Regulars' 422 says the same.
    const status = appError.status === 422 ? 400 : appError.status;
    return reply.code(status).send(errorBody(status, messageOf(appError)));
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send(errorBody(404, `Cannot ${request.method} ${request.url.split('?')[0]}`)),
  );

  const tenant = (request: FastifyRequest): Tenant => request.tenant!;
  const actorOf = (request: FastifyRequest): Actor => tenant(request).actor;
  const guarded = {
    config: { auth: 'dialect' as const },
    onRequest: (request: FastifyRequest, reply: FastifyReply) => authenticate(services, request, reply),
  };
  const schema = { tags, security: [] };

  app.get(
    '/v1/locations',
    { ...guarded, schema: { ...schema, summary: 'Comeback: the organization’s locations' } },
    async (request) => {
      const { organizationId } = tenant(request);
      const organization = await services.organizations.get(organizationId);
      const locations = await everything((page) =>
        services.locations.list(organizationId, { includeDeleted: true }, page),
      );
      return locations.map((location) => toLocation(location, organization.country));
    },
  );

  app.post(
    '/v1/orders',
    {
      ...guarded,
      schema: {
        ...schema,
        summary: 'Comeback: an order; the member earns on it and the promotions applied are charged once',
        body: ComebackOrder,
      },
    },
    async (request) => {
      const { organizationId } = tenant(request);
      const order = request.body;
      const actor = actorOf(request);
      const named = order.locationId != null ? await find.location(organizationId, order.locationId) : null;
      // A key restricted to some locations sells only there (its one location when none is named).
      const locationId = actingLocation(tenant(request), named?.id, 'body.locationId');
      const customer =
        order.customerId != null ? await find.customer(organizationId, order.customerId) : null;
      const promotions = order.promotionsApplied ?? [];
      let redeem: TicketRedemption | undefined;
      if (promotions.length > 0) {
        if (!customer) throw validationFailed('body.customerId', 'is needed to apply promotions');
        const rewards = [];
        for (const promotion of promotions) {
          rewards.push({ rewardId: (await find.promotion(organizationId, promotion.id)).id });
        }
        // Charged with the ticket, in its transaction. One per order: a retry is free.
        redeem = { customerId: customer.id, order: toRedemptionOrder(order, locationId), rewards };
      }
      const { transaction } = await services.transactions.ingest(
        organizationId,
        toTransaction(order, { locationId, customerId: customer?.id ?? null }),
        actor,
        { redeem },
      );
      return toOrderResponse(order, transaction);
    },
  );

  app.get(
    '/v1/promotions',
    { ...guarded, schema: { ...schema, summary: 'Comeback: the promotions (active rewards)' } },
    async (request) => {
      const { organizationId } = tenant(request);
      const [rewards, defaultType] = await Promise.all([
        everything((page) => services.rewards.catalog.list(organizationId, { active: true }, page)),
        services.pointTypes.getDefault(organizationId),
      ]);
      return { promotions: rewards.map((reward) => toPromotion(reward, defaultType.id)) };
    },
  );

  app.post(
    '/v1/promotions',
    {
      ...guarded,
      schema: { ...schema, summary: 'Comeback: create a promotion (a reward)', body: ComebackPromotionInput },
    },
    async (request) => {
      const { organizationId } = tenant(request);
      const body = request.body;
      if (!body.discountType && !body.code) {
        throw validationFailed('body.discountType', 'is required when no code is given');
      }
      const pointType = await find.pointType(organizationId, body.pointTypeId);
      const reward = await services.rewards.catalog.create(
        organizationId,
        toRewardInput(body, pointType?.id ?? null),
      );
      const defaultType = pointType ?? (await services.pointTypes.getDefault(organizationId));
      return toPromotion(reward, defaultType.id);
    },
  );

  app.get(
    '/v1/customers',
    {
      ...guarded,
      schema: { ...schema, summary: 'Comeback: the customers, 100 a page', querystring: PageQuery },
    },
    async (request) => {
      const { organizationId } = tenant(request);
      const page = request.query.page ?? 0;
      const { customers, total } = await services.customers.page(organizationId, page, PAGE_SIZE);
      return {
        customers: await present.views(organizationId, customers),
        page,
        lastPage: Math.max(Math.ceil(total / PAGE_SIZE) - 1, 0),
      };
    },
  );

  app.post(
    '/v1/customers',
    {
      ...guarded,
      schema: { ...schema, summary: 'Comeback: create a customer', body: ComebackCustomerInput },
    },
    async (request) => {
      const { organizationId } = tenant(request);
      const customer = await services.customers.create(organizationId, toCustomerInput(request.body));
      return present.view(organizationId, customer);
    },
  );

  app.get(
    '/v1/customers/:customerId',
    {
      ...guarded,
      schema: {
        ...schema,
        summary: 'Comeback: a customer with points, level and available promotions',
        params: CustomerParams,
      },
    },
    async (request) => {
      const { organizationId } = tenant(request);
      const customer = await find.customer(organizationId, request.params.customerId);
      return present.view(organizationId, customer);
    },
  );

  app.get(
    '/v1/location/:locationId/customer/:identifier',
    {
      ...guarded,
      schema: {
        ...schema,
        summary:
          'Comeback: the customer scanned at a location (phone or email), promotions for that location',
        params: ScanParams,
      },
    },
    async (request) => {
      const { organizationId } = tenant(request);
      const location = await find.location(organizationId, request.params.locationId);
      const customer = await find.customer(organizationId, request.params.identifier);
      return present.view(organizationId, customer, location.id);
    },
  );

  app.delete(
    // Named like its siblings (one path node); it takes an id, a phone or an email all the same.
    '/v1/customers/:customerId',
    {
      ...guarded,
      schema: {
        ...schema,
        summary: 'Comeback: delete a customer by id, phone (with country code) or email',
        params: CustomerParams,
      },
    },
    async (request) => {
      const { organizationId } = tenant(request);
      const customer = await find.customer(organizationId, request.params.customerId);
      await services.customers.remove(organizationId, customer.id);
      return { message: 'Customer deleted successfully' };
    },
  );

  app.get(
    '/v1/customers/:customerId/appliedPromotions',
    {
      ...guarded,
      schema: { ...schema, summary: 'Comeback: the promotions a customer used', params: CustomerParams },
    },
    async (request) => {
      const { organizationId } = tenant(request);
      const customer = await find.customer(organizationId, request.params.customerId);
      const redemptions = await everything(async (page) =>
        (
          await services.rewards.redemptions.list(
            organizationId,
            { customerId: customer.id, status: 'committed' },
            page,
          )
        ).map((redemption) => ({ ...redemption, id: redemption.id! })),
      );
      // The list is newest first; Comeback's example is oldest first.
      return { appliedPromotions: redemptions.reverse().flatMap(toAppliedPromotions) };
    },
  );

  app.get(
    '/v1/pointTypes',
    { ...guarded, schema: { ...schema, summary: 'Comeback: the point types' } },
    async (request) => {
      const { organizationId } = tenant(request);
      const types = await services.pointTypes.all(organizationId);
      return {
        pointTypes: types.filter((type) => type.active).map((type) => toPointType(type, organizationId)),
      };
    },
  );

  const addPoints = async (
    request: FastifyRequest<{ Params: { customerId: string }; Body: ComebackAddPoints }>,
  ) => {
    const { organizationId } = tenant(request);
    const body = request.body;
    const customer = await find.customer(organizationId, request.params.customerId);
    const pointType = await find.pointType(organizationId, body.pointTypeId);
    const named = body.locationId != null ? await find.location(organizationId, body.locationId) : null;
    const points = parsePoints(body.addedPoints, 'body.addedPoints', { signed: true });
    const operation = {
      organizationId,
      customerId: customer.id,
      pointTypeId: pointType?.id,
      points,
      reason: 'Comeback addPoints',
      actor: actorOf(request),
      locationId: actingLocation(tenant(request), named?.id, 'body.locationId'),
    };
    // Positive adds; negative takes away (an adjustment), as the POS's "add" with a minus sign means.
    if (points > 0) await services.ledger.add(operation);
    else await services.ledger.adjust(operation);
    return present.view(organizationId, await services.customers.get(organizationId, customer.id));
  };
  // The document titles it PUT and shows POST: both are the same.
  for (const method of ['POST', 'PUT'] as const) {
    app.route({
      method,
      url: '/v1/customers/:customerId/addPoints',
      ...guarded,
      // Points moved by hand at the POS: the audit log records them, as it does POST /v1/customers/{id}/points/add.
      config: { ...guarded.config, audit: 'all-events' },
      schema: {
        ...schema,
        summary: 'Comeback: add points to a customer',
        params: CustomerParams,
        body: ComebackAddPoints,
      },
      handler: addPoints,
    });
  }

  for (const wallet of ['android', 'apple'] as const) {
    app.get(
      `/v1/customers/:customerId/${wallet}DownloadUrl`,
      {
        ...guarded,
        schema: {
          ...schema,
          summary: `Comeback: a link to the customer’s card for ${wallet === 'apple' ? 'Apple' : 'Android'} devices`,
          params: CustomerParams,
          querystring: PassQuery,
        },
      },
      async (request) => {
        const { organizationId } = tenant(request);
        const customer = await find.customer(organizationId, request.params.customerId);
        // One card per member: its pass id is the organization's (see GET /v1/pointTypes).
        const passId = request.query.passId;
        if (passId && passId.toLowerCase() !== organizationId) throw notFound('pass');
        const token = await services.customers.cardToken(organizationId, customer.id);
        // The real wallet pass when this server is configured for it, else the HTML card.
        const served = wallet === 'apple' ? services.passes.enabled.apple : services.passes.enabled.google;
        const path = served ? 'passes' : 'cards';
        return { downloadUrl: `${baseUrl(request)}/${path}/${organizationId}/${token}/${wallet}` };
      },
    );
  }
}
