import { Type } from 'typebox';
import { tenantOf } from '../../http/auth.ts';
import { Page, PageQuery, pageRequest, toPage } from '../../http/pagination.ts';
import { errorResponses, IdParams, Timestamp, Uuid } from '../../http/schemas.ts';
import type { App } from '../../http/types.ts';
import type { PointType, PointTypesService } from './service.ts';

const fields = {
  name: Type.String({
    minLength: 1,
    maxLength: 100,
    description: 'Name shown to staff and members',
    examples: ['Burgers'],
  }),
  code: Type.String({
    pattern: '^[a-z0-9][a-z0-9_-]{0,49}$',
    description: 'Short stable handle, unique in the organization (lower case, digits, `_`, `-`)',
    examples: ['burgers'],
  }),
  expiresAfterDays: Type.Union([Type.Integer({ minimum: 1, maximum: 36_500 }), Type.Null()], {
    description: 'Days after points become active until they expire; null = never',
    examples: [365],
  }),
  expiryRounding: Type.Union(
    [Type.Literal('none'), Type.Literal('end_of_day'), Type.Literal('end_of_month')],
    {
      description:
        "Rounds the expiry moment up to the end of that day or month in the organization's time zone",
      examples: ['end_of_day'],
    },
  ),
  pendingDays: Type.Integer({
    minimum: 0,
    maximum: 3650,
    description: 'Days that points earned on tickets stay pending (not spendable) so returns can absorb them',
    examples: [14],
  }),
  valuePerThousandPoints: Type.Union([Type.Integer({ minimum: 0, maximum: 1_000_000_000 }), Type.Null()], {
    description:
      "What 1,000 points are worth, in minor units of the organization's currency (1 point = 1 cent: 1000); " +
      'the analytics value the points members hold with it. null = not set',
    examples: [1000],
  }),
  active: Type.Boolean({ description: 'Inactive types credit no new points; existing points stay usable' }),
  isDefault: Type.Boolean({
    description: 'The type used by calls that name no point type (exactly one per organization)',
  }),
};

const PointTypeSchema = Type.Object(
  {
    id: Uuid('Point type id'),
    ...fields,
    createdAt: Timestamp('When the point type was created'),
    updatedAt: Timestamp('When it last changed'),
  },
  { $id: 'PointType' },
);

const CreatePointTypeBody = Type.Object(
  {
    name: fields.name,
    code: fields.code,
    expiresAfterDays: Type.Optional(fields.expiresAfterDays),
    expiryRounding: Type.Optional(fields.expiryRounding),
    pendingDays: Type.Optional(fields.pendingDays),
    valuePerThousandPoints: Type.Optional(fields.valuePerThousandPoints),
    active: Type.Optional(fields.active),
    isDefault: Type.Optional(fields.isDefault),
  },
  { additionalProperties: false },
);

const UpdatePointTypeBody = Type.Partial(Type.Object(fields), {
  additionalProperties: false,
  minProperties: 1,
});

const ListQuery = Type.Object({
  ...PageQuery,
  active: Type.Optional(Type.Boolean({ description: 'Only active (true) or inactive (false) types' })),
});

export function presentPointType(pointType: PointType) {
  return {
    id: pointType.id,
    name: pointType.name,
    code: pointType.code,
    expiresAfterDays: pointType.expiresAfterDays,
    expiryRounding: pointType.expiryRounding,
    pendingDays: pointType.pendingDays,
    valuePerThousandPoints: pointType.valuePerThousandPoints,
    active: pointType.active,
    isDefault: pointType.isDefault,
    createdAt: pointType.createdAt.toISOString(),
    updatedAt: pointType.updatedAt.toISOString(),
  };
}

export function pointTypeRoutes(app: App, pointTypes: PointTypesService) {
  app.addSchema(PointTypeSchema);
  const PointTypeRef = Type.Ref('PointType');
  const tags = ['points'];

  app.post(
    '/v1/point-types',
    {
      schema: {
        tags,
        summary: 'Create a point type',
        body: CreatePointTypeBody,
        response: { 201: PointTypeRef, ...errorResponses(401, 409, 422) },
      },
    },
    async (request, reply) => {
      const pointType = await pointTypes.create(tenantOf(request).organizationId, request.body);
      return reply.code(201).send(presentPointType(pointType));
    },
  );

  app.get(
    '/v1/point-types',
    {
      schema: {
        tags,
        summary: 'List point types',
        querystring: ListQuery,
        response: { 200: Page(PointTypeRef), ...errorResponses(401, 422) },
      },
    },
    async (request) => {
      const page = pageRequest(request.query);
      const rows = await pointTypes.list(tenantOf(request).organizationId, request.query, page);
      const result = toPage(rows, page, (row) => row.id);
      return { data: result.data.map(presentPointType), nextCursor: result.nextCursor };
    },
  );

  app.get(
    '/v1/point-types/:id',
    {
      schema: {
        tags,
        summary: 'Get a point type',
        params: IdParams,
        response: { 200: PointTypeRef, ...errorResponses(401, 404) },
      },
    },
    async (request) =>
      presentPointType(await pointTypes.get(tenantOf(request).organizationId, request.params.id)),
  );

  app.patch(
    '/v1/point-types/:id',
    {
      schema: {
        tags,
        summary: 'Change a point type; points already credited keep their dates',
        params: IdParams,
        body: UpdatePointTypeBody,
        response: { 200: PointTypeRef, ...errorResponses(401, 404, 409, 422) },
      },
    },
    async (request) =>
      presentPointType(
        await pointTypes.update(tenantOf(request).organizationId, request.params.id, request.body),
      ),
  );
}
