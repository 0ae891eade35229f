import { type TSchema, Type } from 'typebox';
import { tenantOf } from '../../http/auth.ts';
import { Page, PageQuery, pageRequest, toPage } from '../../http/pagination.ts';
import { errorResponses, IdParams, Timestamp, Uuid } from '../../http/schemas.ts';
import type { App } from '../../http/types.ts';
import type { Brand, Location, LocationsService } from './service.ts';

const nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

const brandName = Type.String({
  minLength: 1,
  maxLength: 200,
  description: 'Brand name',
  examples: ['La Tasca Express'],
});
const brandExternalId = nullable(
  Type.String({ maxLength: 200, description: "The brand's id in the POS", examples: ['brand-7'] }),
);

const BrandSchema = Type.Object(
  { id: Uuid('Brand id'), name: brandName, externalId: brandExternalId },
  { $id: 'Brand' },
);

const BrandBody = Type.Object(
  { name: brandName, externalId: Type.Optional(brandExternalId) },
  { additionalProperties: false },
);

const name = Type.String({
  minLength: 1,
  maxLength: 200,
  description: 'Name shown to staff and members',
  examples: ['La Tasca Gràcia'],
});

/** Every location field but the name, all nullable. */
const details = {
  address: nullable(
    Type.String({ maxLength: 500, description: 'Street address', examples: ['Carrer de Verdi 12'] }),
  ),
  postalCode: nullable(Type.String({ maxLength: 20, description: 'Postal code', examples: ['08012'] })),
  city: nullable(Type.String({ maxLength: 200, description: 'City', examples: ['Barcelona'] })),
  region: nullable(
    Type.String({ maxLength: 200, description: 'Region or province', examples: ['Catalonia'] }),
  ),
  country: nullable(
    Type.String({ pattern: '^[A-Z]{2}$', description: 'ISO 3166-1 alpha-2 country', examples: ['ES'] }),
  ),
  latitude: nullable(
    Type.Number({ minimum: -90, maximum: 90, description: 'Latitude', examples: [41.4036] }),
  ),
  longitude: nullable(
    Type.Number({ minimum: -180, maximum: 180, description: 'Longitude', examples: [2.1565] }),
  ),
  timeZone: nullable(
    Type.String({
      maxLength: 64,
      description: "IANA time zone; null = the organization's",
      examples: ['Europe/Madrid'],
    }),
  ),
  externalId: nullable(
    Type.String({ maxLength: 200, description: "The location's id in the POS", examples: ['store-12'] }),
  ),
};

const LocationSchema = Type.Object(
  {
    id: Uuid('Location id'),
    name,
    ...details,
    deleted: Type.Boolean({ description: 'Soft-deleted locations keep their history' }),
    brands: Type.Array(Type.Ref('Brand')),
    createdAt: Timestamp('When the location was created'),
    updatedAt: Timestamp('When it last changed'),
  },
  { $id: 'Location' },
);

const CreateLocationBody = Type.Object(
  {
    name,
    ...Type.Partial(Type.Object(details)).properties,
    brands: Type.Optional(
      Type.Array(BrandBody, { maxItems: 100, description: 'Brands sold at this location' }),
    ),
  },
  { additionalProperties: false },
);

const UpdateLocationBody = Type.Partial(
  Type.Object({
    name,
    ...details,
    deleted: Type.Boolean({ description: 'false restores a deleted location' }),
  }),
  { additionalProperties: false, minProperties: 1 },
);

const ListQuery = Type.Object({
  ...PageQuery,
  externalId: Type.Optional(Type.String({ description: 'Only the location with this external id' })),
  includeDeleted: Type.Optional(
    Type.Boolean({ default: false, description: 'Include soft-deleted locations' }),
  ),
});

const BrandParams = Type.Object({ id: Uuid('Location id'), brandId: Uuid('Brand id') });

function presentBrand(brand: Brand) {
  return { id: brand.id, name: brand.name, externalId: brand.externalId };
}

function presentLocation(location: Location) {
  return {
    id: location.id,
    name: location.name,
    address: location.address,
    postalCode: location.postalCode,
    city: location.city,
    region: location.region,
    country: location.country,
    latitude: location.latitude,
    longitude: location.longitude,
    timeZone: location.timeZone,
    externalId: location.externalId,
    deleted: location.deleted,
    brands: location.brands.map(presentBrand),
    createdAt: location.createdAt.toISOString(),
    updatedAt: location.updatedAt.toISOString(),
  };
}

export function locationRoutes(app: App, locations: LocationsService) {
  app.addSchema(BrandSchema);
  app.addSchema(LocationSchema);
  const LocationRef = Type.Ref('Location');
  const tags = ['locations'];

  app.post(
    '/v1/locations',
    {
      schema: {
        tags,
        summary: 'Create a location, optionally with its brands',
        body: CreateLocationBody,
        response: { 201: LocationRef, ...errorResponses(401, 409, 422) },
      },
    },
    async (request, reply) => {
      const location = await locations.create(tenantOf(request).organizationId, request.body);
      return reply.code(201).send(presentLocation(location));
    },
  );

  app.get(
    '/v1/locations',
    {
      // A till picks the location it posts at from this list (names only, nothing to change).
      config: { scope: 'till' },
      schema: {
        tags,
        summary: 'List locations (deleted ones only when asked)',
        querystring: ListQuery,
        response: { 200: Page(LocationRef), ...errorResponses(401, 422) },
      },
    },
    async (request) => {
      const page = pageRequest(request.query);
      const rows = await locations.list(tenantOf(request).organizationId, request.query, page);
      const result = toPage(rows, page, (row) => row.id);
      return { data: result.data.map(presentLocation), nextCursor: result.nextCursor };
    },
  );

  app.get(
    '/v1/locations/:id',
    {
      schema: {
        tags,
        summary: 'Get a location with its brands',
        params: IdParams,
        response: { 200: LocationRef, ...errorResponses(401, 404) },
      },
    },
    async (request) =>
      presentLocation(await locations.get(tenantOf(request).organizationId, request.params.id)),
  );

  app.patch(
    '/v1/locations/:id',
    {
      schema: {
        tags,
        summary: 'Change a location',
        params: IdParams,
        body: UpdateLocationBody,
        response: { 200: LocationRef, ...errorResponses(401, 404, 409, 422) },
      },
    },
    async (request) =>
      presentLocation(
        await locations.update(tenantOf(request).organizationId, request.params.id, request.body),
      ),
  );

  app.delete(
    '/v1/locations/:id',
    {
      schema: {
        tags,
        summary: 'Soft-delete a location: it stays in history, flagged deleted',
        params: IdParams,
        response: { 200: LocationRef, ...errorResponses(401, 404) },
      },
    },
    async (request) =>
      presentLocation(await locations.remove(tenantOf(request).organizationId, request.params.id)),
  );

  app.post(
    '/v1/locations/:id/brands',
    {
      schema: {
        tags,
        summary: 'Add a brand to a location',
        params: IdParams,
        body: BrandBody,
        response: { 201: Type.Ref('Brand'), ...errorResponses(401, 404, 422) },
      },
    },
    async (request, reply) => {
      const brand = await locations.addBrand(
        tenantOf(request).organizationId,
        request.params.id,
        request.body,
      );
      return reply.code(201).send(presentBrand(brand));
    },
  );

  app.patch(
    '/v1/locations/:id/brands/:brandId',
    {
      schema: {
        tags,
        summary: 'Change a brand',
        params: BrandParams,
        body: Type.Partial(BrandBody, { additionalProperties: false, minProperties: 1 }),
        response: { 200: Type.Ref('Brand'), ...errorResponses(401, 404, 422) },
      },
    },
    async (request) => {
      const { id, brandId } = request.params;
      return presentBrand(
        await locations.updateBrand(tenantOf(request).organizationId, id, brandId, request.body),
      );
    },
  );

  app.delete(
    '/v1/locations/:id/brands/:brandId',
    {
      schema: {
        tags,
        summary: 'Remove a brand from a location',
        params: BrandParams,
        response: { 204: Type.Null(), ...errorResponses(401, 404) },
      },
    },
    async (request, reply) => {
      const { id, brandId } = request.params;
      await locations.removeBrand(tenantOf(request).organizationId, id, brandId);
      return reply.code(204).send(null);
    },
  );
}
