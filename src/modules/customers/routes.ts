import { Type } from 'typebox';
import { notFound } from '../../errors.ts';
import { tenantOf } from '../../http/auth.ts';
import { CsvResponse, sendCsv } from '../../http/csv.ts';
import { Page, PageQuery, pageRequest, toPage } from '../../http/pagination.ts';
import { errorResponses, IdParams } from '../../http/schemas.ts';
import type { App } from '../../http/types.ts';
import { cardPng, cardSvg } from './card.ts';
import { cardPageRoutes } from './card-routes.ts';
import { CreateCustomerBody, CustomerSchema, UpdateCustomerBody } from './contract.ts';
import { CSV_COLUMNS, customerCells } from './csv-columns.ts';
import { importRoutes } from './import-routes.ts';
import { CUSTOMER_STATUSES } from './schema.ts';
import type { Customer, CustomersService } from './service.ts';

const Filters = {
  email: Type.Optional(
    Type.String({ maxLength: 254, description: 'Exact email, any case', examples: ['bruce@wayne.example'] }),
  ),
  phone: Type.Optional(
    Type.String({ maxLength: 40, description: 'Phone in any common format', examples: ['666 666 666'] }),
  ),
  name: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 200,
      description: 'Part of the first name, last name or both, any case',
      examples: ['wayne'],
    }),
  ),
  loyaltyCardNumber: Type.Optional(
    Type.String({ maxLength: 64, description: 'Exact card number', examples: ['7A49CVBG27'] }),
  ),
  externalId: Type.Optional(
    Type.String({ maxLength: 200, description: 'Exact external id', examples: ['h230he02'] }),
  ),
  status: Type.Optional(Type.Enum([...CUSTOMER_STATUSES], { description: 'Only members in this status' })),
  label: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 301,
      description: 'Members with this label: `key` (any value) or `key:value`',
      examples: ['vip', 'favourite:paella'],
    }),
  ),
  updatedSince: Type.Optional(
    Type.String({
      format: 'date-time',
      description: 'Only members created or changed at or after this time (for syncing)',
      examples: ['2026-11-01T00:00:00Z'],
    }),
  ),
};

const ListQuery = Type.Object({ ...PageQuery, ...Filters });
const ExportQuery = Type.Object(Filters);

const LookupQuery = Type.Object({
  identifier: Type.String({
    minLength: 1,
    maxLength: 254,
    description:
      'What the till has: member id, card number (QR content), email in any case, phone in any common format, or external id',
    examples: ['7A49CVBG27', '+34 666 666 666', '0034666666666', '666666666', 'Bruce@Wayne.example'],
  }),
});

export const PngQuery = Type.Object({
  size: Type.Optional(
    Type.Integer({
      minimum: 64,
      maximum: 2048,
      default: 512,
      description: 'Width in pixels',
      examples: [512],
    }),
  ),
});

/** The card's QR code as a PNG (documented as binary; sent as a Buffer). */
export const PngImage = {
  description: 'PNG image',
  content: { 'image/png': { schema: Type.Unsafe<Buffer>({ type: 'string', format: 'binary' }) } },
};

const CustomerRef = Type.Ref('Customer');

const consent = (value: { granted: boolean; at: string } | undefined) => ({
  granted: value?.granted ?? false,
  at: value?.at ?? null,
});

/** Exactly the fields that go out: internal columns (deletedAt) never do. */
export function presentCustomer(customer: Customer) {
  const address = customer.address ?? {};
  const company = customer.company ?? {};
  return {
    id: customer.id,
    firstName: customer.firstName,
    lastName: customer.lastName,
    email: customer.email,
    phone: customer.phone,
    birthDate: customer.birthDate,
    gender: customer.gender,
    address: {
      street: address.street ?? null,
      address1: address.address1 ?? null,
      address2: address.address2 ?? null,
      postalCode: address.postalCode ?? null,
      city: address.city ?? null,
      province: address.province ?? null,
      country: address.country ?? null,
    },
    company: { name: company.name ?? null, taxId: company.taxId ?? null },
    language: customer.language,
    source: customer.source,
    externalId: customer.externalId,
    loyaltyCardNumber: customer.loyaltyCardNumber,
    labels: customer.labels,
    marketingConsents: {
      email: consent(customer.marketingConsents.email),
      sms: consent(customer.marketingConsents.sms),
      push: consent(customer.marketingConsents.push),
    },
    agreements: {
      terms: consent(customer.agreements.terms),
      privacy: consent(customer.agreements.privacy),
    },
    status: customer.status,
    internalNote: customer.internalNote,
    referralCode: customer.referralCode,
    referredBy: customer.referredBy,
    createdAt: customer.createdAt.toISOString(),
    updatedAt: customer.updatedAt.toISOString(),
    anonymizedAt: customer.anonymizedAt?.toISOString() ?? null,
  };
}

const ACTIONS = {
  activate: 'Activate a member: they earn and spend again',
  deactivate: 'Deactivate a member (e.g. left the program); reversible',
  block: 'Block a member (e.g. fraud); reversible with activate',
} as const;

export function customerRoutes(app: App, customers: CustomersService) {
  app.addSchema(CustomerSchema);
  const tags = ['customers'];

  app.post(
    '/v1/customers',
    {
      config: { scope: 'till' },
      schema: {
        tags,
        summary: 'Create a member; a loyalty card number is generated when none is given',
        body: CreateCustomerBody,
        response: { 201: CustomerRef, ...errorResponses(401, 409, 422) },
      },
    },
    async (request, reply) => {
      const customer = await customers.create(tenantOf(request).organizationId, request.body);
      return reply.code(201).send(presentCustomer(customer));
    },
  );

  app.get(
    '/v1/customers',
    {
      schema: {
        tags,
        summary: 'List members, oldest first, with filters',
        querystring: ListQuery,
        response: { 200: Page(CustomerRef), ...errorResponses(401, 422) },
      },
    },
    async (request) => {
      const page = pageRequest(request.query);
      const rows = await customers.list(tenantOf(request).organizationId, request.query, page);
      const result = toPage(rows, page, (row) => row.id);
      return { data: result.data.map(presentCustomer), nextCursor: result.nextCursor };
    },
  );

  // Static paths: find-my-way matches them before the parametric `/v1/customers/:id`.
  app.get(
    '/v1/customers/lookup',
    {
      config: { scope: 'till' },
      schema: {
        tags,
        summary: 'Find the member behind whatever the till has (card, phone, email, id, external id)',
        description:
          'One indexed query. When the identifier matches several members, the first kind in this order wins: ' +
          'member id, loyalty card number, email (any case), phone (any common format; local numbers read with ' +
          "the organization's country), external id. 404 when nobody matches.",
        querystring: LookupQuery,
        response: { 200: CustomerRef, ...errorResponses(401, 404, 422) },
      },
    },
    async (request) =>
      presentCustomer(await customers.lookup(tenantOf(request).organizationId, request.query.identifier)),
  );

  app.get(
    '/v1/customers/export.csv',
    {
      config: { scope: 'integration' },
      schema: {
        tags,
        summary: 'Every member (or the filtered ones) as CSV, streamed',
        description: `Columns: ${CSV_COLUMNS.join(', ')}. The file re-imports as is with POST /v1/customers/import.`,
        querystring: ExportQuery,
        produces: ['text/csv'],
        response: {
          200: CsvResponse,
          ...errorResponses(401, 422),
        },
      },
    },
    async (request, reply) => {
      const rows = await customers.iterate(tenantOf(request).organizationId, request.query);
      return sendCsv(request, reply, {
        columns: CSV_COLUMNS,
        rows: (async function* () {
          for await (const customer of rows) yield customerCells(customer);
        })(),
        filename: 'customers.csv',
        what: 'customer export',
      });
    },
  );

  app.get(
    '/v1/customers/:id',
    {
      config: { scope: 'till' },
      schema: {
        tags,
        summary: 'Get a member',
        params: IdParams,
        response: { 200: CustomerRef, ...errorResponses(401, 404) },
      },
    },
    async (request) =>
      presentCustomer(await customers.get(tenantOf(request).organizationId, request.params.id)),
  );

  app.patch(
    '/v1/customers/:id',
    {
      schema: {
        tags,
        summary:
          'Change a member: given fields replace, null clears; address, company and consents merge key by key',
        params: IdParams,
        body: UpdateCustomerBody,
        response: { 200: CustomerRef, ...errorResponses(401, 404, 409, 422) },
      },
    },
    async (request) =>
      presentCustomer(
        await customers.update(tenantOf(request).organizationId, request.params.id, request.body),
      ),
  );

  app.delete(
    '/v1/customers/:id',
    {
      schema: {
        tags,
        summary: 'Remove a member from the organization',
        description:
          'Soft delete: personal data is erased as by anonymize, and the member is gone from the API (404), ' +
          'but the row stays so that ledger entries and transactions keep their member and totals add up.',
        params: IdParams,
        response: { 204: Type.Null(), ...errorResponses(401, 404) },
      },
    },
    async (request, reply) => {
      await customers.remove(tenantOf(request).organizationId, request.params.id);
      return reply.code(204).send(null);
    },
  );

  for (const [action, summary] of Object.entries(ACTIONS) as [keyof typeof ACTIONS, string][]) {
    app.post(
      `/v1/customers/:id/${action}`,
      {
        schema: {
          tags,
          summary,
          params: IdParams,
          response: { 200: CustomerRef, ...errorResponses(401, 404) },
        },
      },
      async (request) =>
        presentCustomer(await customers[action](tenantOf(request).organizationId, request.params.id)),
    );
  }

  app.post(
    '/v1/customers/:id/anonymize',
    {
      schema: {
        tags,
        summary: 'Erase a member’s personal data (GDPR); id, ledger and transactions stay',
        description:
          'Names, contact data, identifiers (email, phone, card, external id, referral code), labels, ' +
          'consents and notes are wiped, so the old email, phone and card no longer resolve. Irreversible; ' +
          'repeating it changes nothing.',
        params: IdParams,
        response: { 200: CustomerRef, ...errorResponses(401, 404) },
      },
    },
    async (request) =>
      presentCustomer(await customers.anonymize(tenantOf(request).organizationId, request.params.id)),
  );

  app.get(
    '/v1/customers/:id/card.svg',
    {
      schema: {
        tags,
        summary: 'The member’s card: a QR code whose content is exactly the card number (SVG)',
        params: IdParams,
        produces: ['image/svg+xml'],
        response: {
          200: { description: 'SVG image', content: { 'image/svg+xml': { schema: Type.String() } } },
          ...errorResponses(401, 404),
        },
      },
    },
    async (request, reply) => {
      const cardNumber = await cardNumberOf(request.params.id, tenantOf(request).organizationId);
      return reply.type('image/svg+xml').send(await cardSvg(cardNumber));
    },
  );

  app.get(
    '/v1/customers/:id/card.png',
    {
      schema: {
        tags,
        summary: 'The member’s card: a QR code whose content is exactly the card number (PNG)',
        params: IdParams,
        querystring: PngQuery,
        produces: ['image/png'],
        response: { 200: PngImage, ...errorResponses(401, 404, 422) },
      },
    },
    async (request, reply) => {
      const cardNumber = await cardNumberOf(request.params.id, tenantOf(request).organizationId);
      return reply.type('image/png').send(await cardPng(cardNumber, request.query.size ?? 512));
    },
  );

  async function cardNumberOf(id: string, organizationId: string): Promise<string> {
    const customer = await customers.get(organizationId, id);
    if (!customer.loyaltyCardNumber) throw notFound('loyalty card');
    return customer.loyaltyCardNumber;
  }

  importRoutes(app, customers);
  cardPageRoutes(app, customers);
}
