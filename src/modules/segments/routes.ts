import { type TSchema, Type } from 'typebox';
import { tenantOf } from '../../http/auth.ts';
import { Page, PageQuery, pageRequest, toPage } from '../../http/pagination.ts';
import { errorResponses, IdParams, Timestamp, Uuid } from '../../http/schemas.ts';
import type { App } from '../../http/types.ts';
import type { CustomersService } from '../customers/service.ts';
import { CreateSegmentBody, partsToApi, UpdateSegmentBody } from './contract.ts';
import type { SegmentRow, SegmentsService } from './service.ts';

const nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

const CriterionSchema = Type.Object(
  {
    id: Uuid('Criterion id'),
    type: Type.String({ description: 'Criterion type', examples: ['transaction_count'] }),
  },
  { additionalProperties: true, description: '`id`, `type` and the type’s fields, as written' },
);

const SegmentSchema = Type.Object(
  {
    id: Uuid('Segment id'),
    name: Type.String({ examples: ['Lapsed regulars'] }),
    description: nullable(Type.String()),
    active: Type.Boolean(),
    parts: Type.Array(
      Type.Object({
        id: Uuid('Part id'),
        criteria: Type.Array(CriterionSchema, { description: 'ANY of these matches the part' }),
      }),
      { description: 'EVERY part must match' },
    ),
    customersCount: Type.Integer({ description: 'Members in the segment now', examples: [412] }),
    computedAt: nullable(Timestamp('Last full recompute')),
    createdAt: Timestamp('When the segment was created'),
    updatedAt: Timestamp('When it last changed'),
  },
  { $id: 'Segment' },
);

const SegmentMember = Type.Object({
  customerId: Uuid('Member id'),
  firstName: nullable(Type.String()),
  lastName: nullable(Type.String()),
  email: nullable(Type.String()),
  addedAt: Timestamp('When the member joined the segment'),
});

const MemberSegment = Type.Object({
  id: Uuid('Segment id'),
  name: Type.String({ examples: ['Lapsed regulars'] }),
  description: nullable(Type.String()),
  addedAt: Timestamp('When the member joined the segment'),
});

const RecomputeSchema = Type.Object({
  segmentId: Uuid('Segment id'),
  added: Type.Integer({ description: 'Members who joined' }),
  removed: Type.Integer({ description: 'Members who left' }),
  customersCount: Type.Integer({ description: 'Members now' }),
});

export function segmentRoutes(app: App, segments: SegmentsService, customers: Pick<CustomersService, 'get'>) {
  app.addSchema(SegmentSchema);
  const SegmentRef = Type.Ref('Segment');
  const tags = ['segments'];

  async function present(organizationId: string, rows: SegmentRow[]) {
    const counts = await segments.memberCounts(
      organizationId,
      rows.map((row) => row.id),
    );
    return rows.map((row) => ({
      id: row.id,
      name: row.name,
      description: row.description,
      active: row.active,
      parts: partsToApi(row.parts),
      customersCount: counts.get(row.id) ?? 0,
      computedAt: row.computedAt?.toISOString() ?? null,
      createdAt: row.createdAt.toISOString(),
      updatedAt: row.updatedAt.toISOString(),
    }));
  }

  const one = async (organizationId: string, row: SegmentRow) => (await present(organizationId, [row]))[0]!;

  app.post(
    '/v1/segments',
    {
      schema: {
        tags,
        summary: 'Create a segment',
        description:
          'A member is in the segment when EVERY part matches; a part matches when ANY of its criteria matches (Open Loyalty’s semantics, so its segments map over unchanged). Only active members match, except on `customer_list`. An active segment is computed at once; members joining or leaving emit `segment.customer_added` / `segment.customer_removed`.',
        body: CreateSegmentBody,
        response: { 201: SegmentRef, ...errorResponses(401, 409, 422) },
      },
    },
    async (request, reply) => {
      const { organizationId } = tenantOf(request);
      return reply
        .code(201)
        .send(await one(organizationId, await segments.create(organizationId, request.body)));
    },
  );

  app.get(
    '/v1/segments',
    {
      schema: {
        tags,
        summary: 'List segments, with their member counts',
        querystring: Type.Object({
          ...PageQuery,
          active: Type.Optional(
            Type.Boolean({ description: 'Only active (true) or inactive (false) segments' }),
          ),
        }),
        response: { 200: Page(SegmentRef), ...errorResponses(401, 422) },
      },
    },
    async (request) => {
      const { organizationId } = tenantOf(request);
      const page = pageRequest(request.query);
      const result = toPage(await segments.list(organizationId, request.query, page), page, (row) => row.id);
      return { data: await present(organizationId, result.data), nextCursor: result.nextCursor };
    },
  );

  app.get(
    '/v1/segments/:id',
    {
      schema: {
        tags,
        summary: 'Get a segment',
        params: IdParams,
        response: { 200: SegmentRef, ...errorResponses(401, 404) },
      },
    },
    async (request) => {
      const { organizationId } = tenantOf(request);
      return one(organizationId, await segments.get(organizationId, request.params.id));
    },
  );

  app.patch(
    '/v1/segments/:id',
    {
      schema: {
        tags,
        summary: 'Change a segment',
        description:
          '`parts` replaces every part. A change of parts or of `active` recomputes the segment (deactivating empties it).',
        params: IdParams,
        body: UpdateSegmentBody,
        response: { 200: SegmentRef, ...errorResponses(401, 404, 409, 422) },
      },
    },
    async (request) => {
      const { organizationId } = tenantOf(request);
      return one(organizationId, await segments.update(organizationId, request.params.id, request.body));
    },
  );

  app.delete(
    '/v1/segments/:id',
    {
      schema: {
        tags,
        summary: 'Delete a segment (its members leave it)',
        params: IdParams,
        response: { 204: Type.Null(), ...errorResponses(401, 404) },
      },
    },
    async (request, reply) => {
      await segments.remove(tenantOf(request).organizationId, request.params.id);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/segments/:id/recompute',
    {
      schema: {
        tags,
        summary: 'Recompute the segment’s members now',
        params: IdParams,
        response: { 200: RecomputeSchema, ...errorResponses(401, 404) },
      },
    },
    async (request) => {
      const { organizationId } = tenantOf(request);
      const result = await segments.recompute(organizationId, request.params.id);
      const counts = await segments.memberCounts(organizationId, [result.segmentId]);
      return { ...result, customersCount: counts.get(result.segmentId) ?? 0 };
    },
  );

  app.get(
    '/v1/segments/:id/customers',
    {
      schema: {
        tags,
        summary: 'Members of the segment',
        params: IdParams,
        querystring: Type.Object(PageQuery),
        response: { 200: Page(SegmentMember), ...errorResponses(401, 404, 422) },
      },
    },
    async (request) => {
      const { organizationId } = tenantOf(request);
      const segment = await segments.get(organizationId, request.params.id);
      const page = pageRequest(request.query);
      const result = toPage(
        await segments.members(organizationId, segment.id, page),
        page,
        (row) => row.customerId,
      );
      return {
        data: result.data.map((row) => ({ ...row, addedAt: row.addedAt.toISOString() })),
        nextCursor: result.nextCursor,
      };
    },
  );

  app.get(
    '/v1/customers/:id/segments',
    {
      schema: {
        tags,
        summary: 'The segments a member is in',
        params: Type.Object({ id: Uuid('Member id') }),
        querystring: Type.Object(PageQuery),
        response: { 200: Page(MemberSegment), ...errorResponses(401, 404, 422) },
      },
    },
    async (request) => {
      const { organizationId } = tenantOf(request);
      const customer = await customers.get(organizationId, request.params.id);
      const page = pageRequest(request.query);
      const result = toPage(
        await segments.segmentsOf(organizationId, customer.id, page),
        page,
        (row) => row.segment.id,
      );
      return {
        data: result.data.map((row) => ({
          id: row.segment.id,
          name: row.segment.name,
          description: row.segment.description,
          addedAt: row.addedAt.toISOString(),
        })),
        nextCursor: result.nextCursor,
      };
    },
  );
}
