import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { REWARD_CHANNELS } from '../../domain/rewards.ts';
import { actorOf, tenantOf } from '../../http/auth.ts';
import { requireAccessToLocated } from '../../http/location-access.ts';
import { Page, PageQuery, pageRequest, toPage } from '../../http/pagination.ts';
import { errorResponses, IdParams, Uuid } from '../../http/schemas.ts';
import type { App } from '../../http/types.ts';
import { TransactionInputSchema } from '../transactions/contract.ts';
import { presentRedemption, RedemptionSchema } from './presenters.ts';
import { REDEMPTION_STATUSES } from './schema.ts';
import type { RewardsService } from './service.ts';

const {
  documentNumber: _documentNumber,
  totals,
  type: _type,
  revisedDocumentNumber: _revised,
  status: _status,
  customer: _customer,
  customerData: _customerData,
  payments: _payments,
  ...orderFields
} = TransactionInputSchema.properties;

/** The canonical transaction shape (lines with SKUs, categories, amounts); totals optional. */
export const OrderSchema = Type.Object(
  {
    documentNumber: Type.String({
      minLength: 1,
      maxLength: 200,
      description:
        'The order id: one redemption per order, and the ticket later sent with this document number is linked to it',
      examples: ['T-2026-000123'],
    }),
    ...orderFields,
    totals: Type.Optional(totals),
  },
  { additionalProperties: false, description: 'The order being paid' },
);

const RequestedRewardSchema = Type.Object(
  {
    rewardId: Type.Optional(
      Type.String({ minLength: 1, maxLength: 200, description: 'A reward id, or its posCode' }),
    ),
    posCode: Type.Optional(
      Type.String({ minLength: 1, maxLength: 100, description: 'The reward by its posCode' }),
    ),
    couponCode: Type.Optional(
      Type.String({ minLength: 1, maxLength: 100, description: 'A coupon the member claimed' }),
    ),
    points: Type.Optional(
      Type.Number({
        exclusiveMinimum: 0,
        description: 'Cashback only: points to turn into money (default: as many as the order needs)',
      }),
    ),
  },
  { additionalProperties: false, minProperties: 1 },
);

const RedeemBody = Type.Object(
  {
    customerId: Type.String({
      minLength: 1,
      maxLength: 320,
      description: 'The member: id, loyalty card number (QR), phone, email or external id',
    }),
    order: OrderSchema,
    rewards: Type.Array(RequestedRewardSchema, { minItems: 1, maxItems: 50 }),
    mode: Type.Optional(
      Type.Union([Type.Literal('validate'), Type.Literal('reserve'), Type.Literal('commit')], {
        description:
          'validate (default): compute, write nothing; reserve: hold points, limits and coupons for ttlSeconds; commit: charge now',
      }),
    ),
    ttlSeconds: Type.Optional(
      Type.Integer({
        minimum: 10,
        maximum: 86_400,
        description: 'How long a reservation holds (default 900)',
      }),
    ),
    channel: Type.Optional(
      Type.Enum(REWARD_CHANNELS, {
        description: "Reward channel; default from the order's channel (pos, or online)",
      }),
    ),
  },
  { additionalProperties: false },
);

const ListQuery = Type.Object({
  ...PageQuery,
  customerId: Type.Optional(Uuid('Redemptions of this member')),
  orderId: Type.Optional(Type.String({ maxLength: 200, description: 'Redemptions of this order' })),
  status: Type.Optional(Type.Enum(REDEMPTION_STATUSES)),
});

/** Checkout: rewards applied to an order, validated, reserved, committed, released. */
export function redemptionRoutes(app: App, rewards: RewardsService) {
  app.addSchema(RedemptionSchema);
  const RedemptionRef = Type.Ref('Redemption');
  const tags = ['redemptions'];
  const { redemptions } = rewards;
  // A till restricted to some locations commits and releases only their redemptions.
  const requireRedemptionAccess = (request: FastifyRequest & { params: { id: string } }) => {
    const tenant = tenantOf(request);
    return requireAccessToLocated(
      tenant,
      () => redemptions.get(tenant.organizationId, request.params.id),
      'params.id',
    );
  };

  app.post(
    '/v1/redemptions',
    {
      config: { scope: 'till' },
      schema: {
        tags,
        summary: 'Apply rewards to an order: validate, reserve or commit',
        description:
          'Answers, per reward, the discount lines (on a line, on the ticket, on the delivery fee) and the points it costs. Discounts are computed on the eligible lines, rounded to the minor unit, never above the order or line total. Reserve and commit are all or nothing (422 redemption_not_applicable with each reason). One redemption per (organization, order): a second reserve or commit for the same order returns the first (replayed: true, 200) and charges nothing again; commit after reserve commits it.',
        body: RedeemBody,
        response: { 200: RedemptionRef, 201: RedemptionRef, ...errorResponses(401, 404, 409, 422) },
      },
    },
    async (request, reply) => {
      const result = await redemptions.redeem(tenantOf(request).organizationId, {
        ...request.body,
        mode: request.body.mode ?? 'validate',
        actor: actorOf(request),
      });
      const created = result.id !== null && !result.replayed && request.body.mode !== 'validate';
      return reply.code(created ? 201 : 200).send(presentRedemption(result));
    },
  );

  app.get(
    '/v1/redemptions',
    {
      schema: {
        tags,
        summary: 'List redemptions, newest first',
        querystring: ListQuery,
        response: { 200: Page(RedemptionRef), ...errorResponses(401, 422) },
      },
    },
    async (request) => {
      const page = pageRequest(request.query);
      const rows = await redemptions.list(tenantOf(request).organizationId, request.query, page);
      const result = toPage(rows, page, (row) => row.id!);
      return { data: result.data.map(presentRedemption), nextCursor: result.nextCursor };
    },
  );

  app.get(
    '/v1/redemptions/:id',
    {
      config: { scope: 'till' },
      schema: {
        tags,
        summary: 'Get a redemption',
        params: IdParams,
        response: { 200: RedemptionRef, ...errorResponses(401, 404) },
      },
    },
    async (request) =>
      presentRedemption(await redemptions.get(tenantOf(request).organizationId, request.params.id)),
  );

  app.post(
    '/v1/redemptions/:id/commit',
    {
      config: { scope: 'till' },
      schema: {
        tags,
        summary: 'Commit a reservation: spend its points, use its coupons',
        description:
          'Committing twice is harmless; a released or expired reservation answers 409 redemption_released.',
        params: IdParams,
        response: { 200: RedemptionRef, ...errorResponses(401, 404, 409) },
      },
    },
    async (request) => {
      await requireRedemptionAccess(request);
      return presentRedemption(
        await redemptions.commit(tenantOf(request).organizationId, request.params.id, actorOf(request)),
      );
    },
  );

  app.post(
    '/v1/redemptions/:id/release',
    {
      config: { scope: 'till' },
      schema: {
        tags,
        summary: 'Release a redemption: points, limits and coupons come back (refunded if committed)',
        params: IdParams,
        response: { 200: RedemptionRef, ...errorResponses(401, 404) },
      },
    },
    async (request) => {
      await requireRedemptionAccess(request);
      return presentRedemption(
        await redemptions.release(tenantOf(request).organizationId, request.params.id, actorOf(request)),
      );
    },
  );
}
