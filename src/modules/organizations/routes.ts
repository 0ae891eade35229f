import { Type } from 'typebox';
import { tenantOf } from '../../http/auth.ts';
import { Page, PageQuery, pageRequest, toPage } from '../../http/pagination.ts';
import { errorResponses, IdParams, Timestamp, Uuid } from '../../http/schemas.ts';
import type { App } from '../../http/types.ts';
import type { Organization, OrganizationsService } from './service.ts';
import { organizationSettings, ProgramSettingsSchema } from './settings.ts';

const OrganizationSchema = Type.Object(
  {
    id: Uuid('Organization id'),
    name: Type.String({ description: 'Display name', examples: ['La Tasca Group'] }),
    currency: Type.String({ description: 'Default ISO 4217 currency', examples: ['EUR'] }),
    timeZone: Type.String({ description: 'IANA time zone', examples: ['Europe/Madrid'] }),
    country: Type.String({
      description: 'Default ISO 3166-1 alpha-2 country, used to read local phone numbers',
      examples: ['ES'],
    }),
    settings: Type.Object(ProgramSettingsSchema.properties, {
      description: 'Program settings with defaults applied',
    }),
    createdAt: Timestamp('When the organization was created'),
    updatedAt: Timestamp('When it last changed'),
  },
  { $id: 'Organization' },
);

const fields = {
  name: Type.String({
    minLength: 1,
    maxLength: 200,
    description: 'Display name',
    examples: ['La Tasca Group'],
  }),
  currency: Type.String({
    pattern: '^[A-Z]{3}$',
    description: 'ISO 4217 currency (default EUR)',
    examples: ['EUR'],
  }),
  timeZone: Type.String({
    minLength: 1,
    maxLength: 64,
    description: 'IANA time zone (default UTC)',
    examples: ['Europe/Madrid'],
  }),
  country: Type.String({
    pattern: '^[A-Z]{2}$',
    description: 'ISO 3166-1 alpha-2 country (default ES)',
    examples: ['ES'],
  }),
  settings: ProgramSettingsSchema,
};

const CreateOrganizationBody = Type.Object(
  {
    name: fields.name,
    currency: Type.Optional(fields.currency),
    timeZone: Type.Optional(fields.timeZone),
    country: Type.Optional(fields.country),
    settings: Type.Optional(fields.settings),
  },
  { additionalProperties: false },
);

const UpdateOrganizationBody = Type.Partial(Type.Object(fields), {
  additionalProperties: false,
  minProperties: 1,
});

export function presentOrganization(organization: Organization) {
  return {
    id: organization.id,
    name: organization.name,
    currency: organization.currency,
    timeZone: organization.timeZone,
    country: organization.country,
    settings: organizationSettings(organization),
    createdAt: organization.createdAt.toISOString(),
    updatedAt: organization.updatedAt.toISOString(),
  };
}

export function organizationRoutes(app: App, organizations: OrganizationsService) {
  app.addSchema(OrganizationSchema);
  const OrganizationRef = Type.Ref('Organization');

  app.post(
    '/v1/organizations',
    {
      config: { auth: 'master' },
      schema: {
        tags: ['platform'],
        summary: 'Create an organization (master key)',
        body: CreateOrganizationBody,
        response: { 201: OrganizationRef, ...errorResponses(401, 422) },
      },
    },
    async (request, reply) => {
      const organization = await organizations.create(request.body);
      return reply.code(201).send(presentOrganization(organization));
    },
  );

  app.get(
    '/v1/organizations',
    {
      config: { auth: 'master' },
      schema: {
        tags: ['platform'],
        summary: 'List organizations (master key)',
        querystring: Type.Object(PageQuery),
        response: { 200: Page(OrganizationRef), ...errorResponses(401, 422) },
      },
    },
    async (request) => {
      const page = pageRequest(request.query);
      const rows = await organizations.list(page);
      const result = toPage(rows, page, (row) => row.id);
      return { data: result.data.map(presentOrganization), nextCursor: result.nextCursor };
    },
  );

  app.get(
    '/v1/organizations/:id',
    {
      config: { auth: 'master' },
      schema: {
        tags: ['platform'],
        summary: 'Get an organization (master key)',
        params: IdParams,
        response: { 200: OrganizationRef, ...errorResponses(401, 404) },
      },
    },
    async (request) => presentOrganization(await organizations.get(request.params.id)),
  );

  app.get(
    '/v1/organization',
    {
      schema: {
        tags: ['organization'],
        summary: "The caller's organization and its program settings",
        response: { 200: OrganizationRef, ...errorResponses(401) },
      },
    },
    async (request) => presentOrganization(await organizations.get(tenantOf(request).organizationId)),
  );

  app.patch(
    '/v1/organization',
    {
      schema: {
        tags: ['organization'],
        summary: "Change the caller's organization; `settings` keys are merged into the current ones",
        body: UpdateOrganizationBody,
        response: { 200: OrganizationRef, ...errorResponses(401, 422) },
      },
    },
    async (request) =>
      presentOrganization(await organizations.update(tenantOf(request).organizationId, request.body)),
  );
}
