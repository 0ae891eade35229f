import { Type } from 'typebox';
import type { Channel } from '../../domain/earning/types.ts';
import { tenantOf } from '../../http/auth.ts';
import { Page, PageQuery, pageRequest, toPage } from '../../http/pagination.ts';
import { errorResponses, IdParams, Timestamp, Uuid } from '../../http/schemas.ts';
import type { App } from '../../http/types.ts';
import { CreateRuleBody, configToApi, RULE_TYPES, scopeFields, UpdateRuleBody } from './contract.ts';
import type { EarningRuleRow, EarningRulesService } from './service.ts';

const RuleSchema = Type.Object(
  {
    id: Uuid('Rule id'),
    type: Type.String({ description: 'Rule type', examples: ['spend'] }),
    config: Type.Record(Type.String(), Type.Unknown(), {
      description: "The type's settings, points as decimals",
    }),
    ...scopeFields,
    createdAt: Timestamp('When the rule was created'),
    updatedAt: Timestamp('When it last changed'),
  },
  { $id: 'EarningRule' },
);

const ListQuery = Type.Object({
  ...PageQuery,
  type: Type.Optional(Type.Enum(RULE_TYPES, { description: 'Only rules of this type' })),
  active: Type.Optional(Type.Boolean({ description: 'Only active (true) or inactive (false) rules' })),
});

function presentRule(row: EarningRuleRow) {
  return {
    id: row.id,
    type: row.type,
    config: configToApi(row.config),
    name: row.name,
    description: row.description,
    active: row.active,
    startsAt: row.startsAt?.toISOString() ?? null,
    endsAt: row.endsAt?.toISOString() ?? null,
    weekdays: row.weekdays,
    hours: row.hours,
    locationIds: row.locationIds,
    brandIds: row.brandIds,
    channels: row.channels as Channel[],
    tierIds: row.tierIds,
    segmentIds: row.segmentIds,
    priority: row.priority,
    stackable: row.stackable,
    stopsEvaluation: row.stopsEvaluation,
    limit: row.limit,
    pointTypeId: row.pointTypeId,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export function earningRuleRoutes(app: App, rules: EarningRulesService) {
  app.addSchema(RuleSchema);
  const RuleRef = Type.Ref('EarningRule');
  const tags = ['earning rules'];

  app.post(
    '/v1/earning-rules',
    {
      schema: {
        tags,
        summary: 'Create an earning rule',
        description:
          "Base rules (spend, product_purchase, visit, first-purchase event, purchase referral) earn in priority order; an exclusive rule that earns drops the others; multipliers then add (multiplier − 1) × what base rules earned on matching lines; the tier multiplier applies last. Each breakdown entry is rounded once to the program precision (`pointsPrecision`) with its rounding (`pointsRounding`). A `stopsEvaluation` rule that runs is the last. The program setting `earningSemantics: openloyalty` combines rules as Open Loyalty does instead (README, Open Loyalty's semantics).",
        body: CreateRuleBody,
        response: { 201: RuleRef, ...errorResponses(401, 422) },
      },
    },
    async (request, reply) => {
      const row = await rules.create(tenantOf(request).organizationId, request.body);
      return reply.code(201).send(presentRule(row));
    },
  );

  app.get(
    '/v1/earning-rules',
    {
      schema: {
        tags,
        summary: 'List earning rules',
        querystring: ListQuery,
        response: { 200: Page(RuleRef), ...errorResponses(401, 422) },
      },
    },
    async (request) => {
      const page = pageRequest(request.query);
      const rows = await rules.list(tenantOf(request).organizationId, request.query, page);
      const result = toPage(rows, page, (row) => row.id);
      return { data: result.data.map(presentRule), nextCursor: result.nextCursor };
    },
  );

  app.get(
    '/v1/earning-rules/:id',
    {
      schema: {
        tags,
        summary: 'Get an earning rule',
        params: IdParams,
        response: { 200: RuleRef, ...errorResponses(401, 404) },
      },
    },
    async (request) => presentRule(await rules.get(tenantOf(request).organizationId, request.params.id)),
  );

  app.patch(
    '/v1/earning-rules/:id',
    {
      schema: {
        tags,
        summary: 'Change an earning rule (its type cannot change)',
        params: IdParams,
        body: UpdateRuleBody,
        response: { 200: RuleRef, ...errorResponses(401, 404, 422) },
      },
    },
    async (request) =>
      presentRule(await rules.update(tenantOf(request).organizationId, request.params.id, request.body)),
  );

  app.delete(
    '/v1/earning-rules/:id',
    {
      schema: {
        tags,
        summary: 'Delete an earning rule (points it earned stay)',
        params: IdParams,
        response: { 204: Type.Null(), ...errorResponses(401, 404) },
      },
    },
    async (request, reply) => {
      await rules.remove(tenantOf(request).organizationId, request.params.id);
      return reply.code(204).send(null);
    },
  );

  for (const action of ['activate', 'deactivate'] as const) {
    app.post(
      `/v1/earning-rules/:id/${action}`,
      {
        schema: {
          tags,
          summary: action === 'activate' ? 'Activate an earning rule' : 'Deactivate an earning rule',
          params: IdParams,
          response: { 200: RuleRef, ...errorResponses(401, 404) },
        },
      },
      async (request) =>
        presentRule(
          await rules.setActive(tenantOf(request).organizationId, request.params.id, action === 'activate'),
        ),
    );
  }
}
