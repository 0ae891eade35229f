import { Type } from 'typebox';
import { REWARD_TYPES } from '../../domain/rewards.ts';
import { tenantOf } from '../../http/auth.ts';
import { Page, PageQuery, pageRequest, toPage } from '../../http/pagination.ts';
import { errorResponses, IdParams, Uuid } from '../../http/schemas.ts';
import type { App } from '../../http/types.ts';
import {
  CreateCategoryBody,
  CreateRewardBody,
  TYPE_DESCRIPTION,
  UpdateCategoryBody,
  UpdateRewardBody,
} from './contract.ts';
import { couponRoutes } from './coupon-routes.ts';
import { CategorySchema, presentCategory, presentReward, RewardSchema } from './presenters.ts';
import { redemptionRoutes } from './redemption-routes.ts';
import type { RewardsService } from './service.ts';

const ListQuery = Type.Object({
  ...PageQuery,
  type: Type.Optional(Type.Enum(REWARD_TYPES, { description: 'Only rewards of this type' })),
  active: Type.Optional(Type.Boolean({ description: 'Only active (true) or inactive (false) rewards' })),
  categoryId: Type.Optional(Uuid('Only rewards in this category')),
  posCode: Type.Optional(
    Type.String({ maxLength: 100, description: 'The reward the till knows by this code' }),
  ),
});

const CodesBody = Type.Object(
  {
    codes: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 100 }), {
        maxItems: 10_000,
        description: 'Codes to import (codes already known are skipped)',
        examples: [['PARTNER-7GH2', 'PARTNER-9KQ4']],
      }),
    ),
    generate: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 10_000, description: 'How many random codes to generate' }),
    ),
    length: Type.Optional(
      Type.Integer({ minimum: 6, maximum: 32, description: 'Length of generated codes (10)' }),
    ),
  },
  { additionalProperties: false, minProperties: 1 },
);

const CodesResponse = Type.Object({
  added: Type.Integer({ description: 'Codes added to the pool' }),
  skipped: Type.Integer({ description: 'Codes the organization already had' }),
  codes: Type.Integer({ description: 'Codes in the pool' }),
  available: Type.Integer({ description: 'Codes not yet given to a coupon' }),
});

/** The catalogue: rewards (with their code pools) and reward categories. */
export function rewardRoutes(app: App, rewards: RewardsService) {
  app.addSchema(RewardSchema);
  app.addSchema(CategorySchema);
  const RewardRef = Type.Ref('Reward');
  const CategoryRef = Type.Ref('RewardCategory');
  const { catalog } = rewards;
  const tags = ['rewards'];

  app.post(
    '/v1/rewards',
    {
      schema: {
        tags,
        summary: 'Create a reward',
        description: `What each type takes off an order: ${TYPE_DESCRIPTION}.`,
        body: CreateRewardBody,
        response: { 201: RewardRef, ...errorResponses(401, 409, 422) },
      },
    },
    async (request, reply) => {
      const row = await catalog.create(tenantOf(request).organizationId, request.body);
      return reply.code(201).send(presentReward(row));
    },
  );

  app.get(
    '/v1/rewards',
    {
      schema: {
        tags,
        summary: 'List rewards',
        querystring: ListQuery,
        response: { 200: Page(RewardRef), ...errorResponses(401, 422) },
      },
    },
    async (request) => {
      const page = pageRequest(request.query);
      const rows = await catalog.list(tenantOf(request).organizationId, request.query, page);
      const result = toPage(rows, page, (row) => row.id);
      return { data: result.data.map(presentReward), nextCursor: result.nextCursor };
    },
  );

  app.get(
    '/v1/rewards/:id',
    {
      schema: {
        tags,
        summary: 'Get a reward',
        params: IdParams,
        response: { 200: RewardRef, ...errorResponses(401, 404) },
      },
    },
    async (request) => presentReward(await catalog.get(tenantOf(request).organizationId, request.params.id)),
  );

  app.patch(
    '/v1/rewards/:id',
    {
      schema: {
        tags,
        summary: 'Change a reward (its type cannot change)',
        params: IdParams,
        body: UpdateRewardBody,
        response: { 200: RewardRef, ...errorResponses(401, 404, 409, 422) },
      },
    },
    async (request) =>
      presentReward(await catalog.update(tenantOf(request).organizationId, request.params.id, request.body)),
  );

  app.delete(
    '/v1/rewards/:id',
    {
      schema: {
        tags,
        summary: 'Delete a reward (coupons already claimed stay usable)',
        params: IdParams,
        response: { 204: Type.Null(), ...errorResponses(401, 404) },
      },
    },
    async (request, reply) => {
      await catalog.remove(tenantOf(request).organizationId, request.params.id);
      return reply.code(204).send(null);
    },
  );

  for (const action of ['activate', 'deactivate'] as const) {
    app.post(
      `/v1/rewards/:id/${action}`,
      {
        schema: {
          tags,
          summary: action === 'activate' ? 'Activate a reward' : 'Deactivate a reward',
          params: IdParams,
          response: { 200: RewardRef, ...errorResponses(401, 404) },
        },
      },
      async (request) =>
        presentReward(
          await catalog.setActive(tenantOf(request).organizationId, request.params.id, action === 'activate'),
        ),
    );
  }

  app.post(
    '/v1/rewards/:id/codes',
    {
      schema: {
        tags,
        summary: 'Add codes to the reward pool (imported or generated)',
        description:
          'A reward with a pool hands its codes out one per claimed coupon and cannot be claimed once they run out; discount_code rewards always use their pool.',
        params: IdParams,
        body: CodesBody,
        response: { 200: CodesResponse, ...errorResponses(401, 404, 422) },
      },
    },
    async (request) => catalog.addCodes(tenantOf(request).organizationId, request.params.id, request.body),
  );

  app.get(
    '/v1/rewards/:id/codes',
    {
      schema: {
        tags,
        summary: 'How many codes the reward pool holds and has left',
        params: IdParams,
        response: { 200: Type.Omit(CodesResponse, ['added', 'skipped']), ...errorResponses(401, 404) },
      },
    },
    async (request) => {
      const { organizationId } = tenantOf(request);
      await catalog.get(organizationId, request.params.id);
      return catalog.codeCounts(organizationId, request.params.id);
    },
  );

  const categoryTags = ['reward categories'];
  app.post(
    '/v1/reward-categories',
    {
      schema: {
        tags: categoryTags,
        summary: 'Create a reward category',
        body: CreateCategoryBody,
        response: { 201: CategoryRef, ...errorResponses(401, 422) },
      },
    },
    async (request, reply) => {
      const row = await catalog.categories.create(tenantOf(request).organizationId, request.body);
      return reply.code(201).send(presentCategory(row));
    },
  );

  app.get(
    '/v1/reward-categories',
    {
      schema: {
        tags: categoryTags,
        summary: 'List reward categories in display order (sortOrder)',
        querystring: Type.Object({
          active: Type.Optional(Type.Boolean({ description: 'Only active or inactive' })),
        }),
        response: { 200: Type.Object({ data: Type.Array(CategoryRef) }), ...errorResponses(401, 422) },
      },
    },
    async (request) => ({
      data: (await catalog.categories.list(tenantOf(request).organizationId, request.query)).map(
        presentCategory,
      ),
    }),
  );

  app.get(
    '/v1/reward-categories/:id',
    {
      schema: {
        tags: categoryTags,
        summary: 'Get a reward category',
        params: IdParams,
        response: { 200: CategoryRef, ...errorResponses(401, 404) },
      },
    },
    async (request) =>
      presentCategory(await catalog.categories.get(tenantOf(request).organizationId, request.params.id)),
  );

  app.patch(
    '/v1/reward-categories/:id',
    {
      schema: {
        tags: categoryTags,
        summary: 'Change a reward category',
        params: IdParams,
        body: UpdateCategoryBody,
        response: { 200: CategoryRef, ...errorResponses(401, 404, 422) },
      },
    },
    async (request) =>
      presentCategory(
        await catalog.categories.update(tenantOf(request).organizationId, request.params.id, request.body),
      ),
  );

  app.delete(
    '/v1/reward-categories/:id',
    {
      schema: {
        tags: categoryTags,
        summary: 'Delete a reward category (its rewards stay, outside it)',
        params: IdParams,
        response: { 204: Type.Null(), ...errorResponses(401, 404) },
      },
    },
    async (request, reply) => {
      await catalog.categories.remove(tenantOf(request).organizationId, request.params.id);
      return reply.code(204).send(null);
    },
  );
}

/** Every route of the rewards module, schemas first (the later ones refer to `Reward` and `Coupon`). */
export function registerRewardRoutes(app: App, rewards: RewardsService) {
  rewardRoutes(app, rewards);
  couponRoutes(app, rewards);
  redemptionRoutes(app, rewards);
}
