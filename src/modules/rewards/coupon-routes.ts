import { Type } from 'typebox';
import { toPoints } from '../../domain/points.ts';
import { DELIVERY_STATUSES, REWARD_CHANNELS, type RewardChannel } from '../../domain/rewards.ts';
import { actorOf, tenantOf } from '../../http/auth.ts';
import { Page, PageQuery, pageRequest, toPage } from '../../http/pagination.ts';
import { errorResponses, IdParams, Timestamp, Uuid } from '../../http/schemas.ts';
import type { App } from '../../http/types.ts';
import type { ClaimResult } from './coupons.ts';
import { CouponSchema, localized, presentCoupon, presentReward, ReasonSchema } from './presenters.ts';
import { COUPON_STATUSES } from './schema.ts';
import type { RewardsService } from './service.ts';

const Channel = Type.Enum(REWARD_CHANNELS, {
  description:
    'pos (default) or online: what applies to an order now; shop or admin: what can be claimed now',
});

export const AvailableQuery = Type.Object({
  locationId: Type.Optional(Uuid('Where the member is (location rules and time zone)')),
  channel: Type.Optional(Channel),
  locale: Type.Optional(
    Type.String({ maxLength: 35, description: 'Names and descriptions in this locale', examples: ['es'] }),
  ),
  redeemable: Type.Optional(Type.Boolean({ description: 'Only what can be taken now' })),
});

export const AvailableResponse = Type.Object({
  customerId: Uuid('The member'),
  locationId: Type.Union([Uuid('The location asked about'), Type.Null()]),
  channel: Type.String(),
  balances: Type.Array(
    Type.Object({ pointTypeId: Uuid('Point type'), points: Type.Number({ description: 'Active points' }) }),
  ),
  data: Type.Array(
    Type.Object({
      reward: Type.Ref('Reward'),
      name: Type.String({ description: 'In the locale asked for' }),
      description: Type.Union([Type.String(), Type.Null()]),
      canRedeem: Type.Boolean({ description: 'The member can take it here, now' }),
      reasons: Type.Array(ReasonSchema, { description: 'Why not, when canRedeem is false' }),
      pointsRequired: Type.Number({ description: 'Points it costs now (0 when a held coupon is used)' }),
      pointTypeId: Uuid('Point type the cost is paid in'),
      coupons: Type.Array(
        Type.Object({
          id: Uuid('Coupon id'),
          code: Type.String(),
          expiresAt: Type.Union([Timestamp('Valid until'), Type.Null()]),
        }),
        { description: "The member's coupons of this reward usable here and now" },
      ),
    }),
  ),
});

const ClaimParams = Type.Object({ id: Uuid('Customer id'), rewardId: Uuid('Reward id') });
const ClaimBody = Type.Object(
  {
    quantity: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 100, description: 'Coupons to claim (default 1)' }),
    ),
    channel: Type.Optional(
      Type.Union([Type.Literal('shop'), Type.Literal('admin')], {
        description: 'shop (default): the member claims it; admin: staff claim it for the member',
      }),
    ),
  },
  { additionalProperties: false },
);
export const ClaimResponse = Type.Object({
  claimId: Uuid('The claim'),
  rewardId: Uuid('The reward'),
  customerId: Uuid('The member'),
  quantity: Type.Integer(),
  pointsSpent: Type.Number({ description: 'Points spent (two decimals)' }),
  pointTypeId: Type.Union([Uuid('Point type spent'), Type.Null()]),
  coupons: Type.Array(Type.Ref('Coupon')),
});

const CouponQuery = Type.Object({
  ...PageQuery,
  customerId: Type.Optional(Uuid('Coupons of this member')),
  rewardId: Type.Optional(Uuid('Coupons of this reward')),
  code: Type.Optional(Type.String({ maxLength: 100, description: 'The coupon with this code' })),
  status: Type.Optional(Type.Enum(COUPON_STATUSES)),
  deliveryStatus: Type.Optional(Type.Enum(DELIVERY_STATUSES)),
});

const UseBody = Type.Object(
  {
    usedOn: Type.Optional(
      Type.Union([Type.String({ maxLength: 200 }), Type.Null()], {
        description: 'The ticket it was used on (id or document number)',
        examples: ['T-2026-000123'],
      }),
    ),
    locationId: Type.Optional(Type.Union([Uuid('Where it was used'), Type.Null()])),
  },
  { additionalProperties: false },
);

const DeliveryBody = Type.Object(
  {
    status: Type.Enum(DELIVERY_STATUSES, { description: 'New delivery status' }),
  },
  { additionalProperties: false },
);

/** The answer of GET /v1/customers/{id}/rewards (and of a member's own GET /v1/me/rewards). */
export function presentAvailable(
  customerId: string,
  query: { locationId?: string | undefined; channel?: RewardChannel | undefined },
  result: Awaited<ReturnType<RewardsService['available']>>,
  locale: string | undefined,
) {
  return {
    customerId,
    locationId: query.locationId ?? null,
    channel: query.channel ?? 'pos',
    balances: [...result.balances].map(([pointTypeId, points]) => ({
      pointTypeId,
      points: toPoints(points),
    })),
    data: result.data.map((item) => ({
      reward: presentReward(item.reward),
      ...localized(item.reward, locale),
      canRedeem: item.canRedeem,
      reasons: item.reasons,
      pointsRequired: toPoints(item.pointsRequired),
      pointTypeId: item.pointTypeId,
      coupons: item.coupons.map((coupon) => ({
        id: coupon.id,
        code: coupon.code,
        expiresAt: coupon.expiresAt?.toISOString() ?? null,
      })),
    })),
  };
}

/** The answer of a claim: the coupons it issued and the points it spent. */
export function presentClaim(customerId: string, result: ClaimResult) {
  return {
    claimId: result.claimId,
    rewardId: result.reward.id,
    customerId,
    quantity: result.quantity,
    pointsSpent: toPoints(result.points),
    pointTypeId: result.pointTypeId,
    coupons: result.coupons.map((coupon) => presentCoupon(coupon)),
  };
}

/** What a member can use now, claims, and the coupons they produce. */
export function couponRoutes(app: App, rewards: RewardsService) {
  app.addSchema(CouponSchema);
  const CouponRef = Type.Ref('Coupon');
  const tags = ['coupons'];

  app.get(
    '/v1/customers/:id/rewards',
    {
      config: { scope: 'till' },
      schema: {
        tags: ['rewards'],
        summary: 'What the member can use now',
        description:
          'Every reward on show, plus those the member holds a usable coupon of, each with canRedeem and, when false, the reasons (not enough points, outside hours, limit reached, not in segment…). On pos/online: can it be applied to an order here now (directly or with a coupon); on shop/admin: can it be claimed now.',
        params: IdParams,
        querystring: AvailableQuery,
        response: { 200: AvailableResponse, ...errorResponses(401, 404, 422) },
      },
    },
    async (request) => {
      const { organizationId } = tenantOf(request);
      const { locale, ...query } = request.query;
      const result = await rewards.available(organizationId, request.params.id, query);
      return presentAvailable(request.params.id, query, result, locale);
    },
  );

  app.post(
    '/v1/customers/:id/rewards/:rewardId/claim',
    {
      config: { scope: 'till' },
      schema: {
        tags: ['rewards'],
        summary: 'Claim a reward: spend its points, get coupons',
        description:
          "Checks the reward's window, channel, audience and limits, spends costPoints × quantity and issues the coupons (codes from the reward pool when it has one). 422 insufficient_points, 409 reward_limit_reached or no_codes_left, 422 reward_not_available with every reason.",
        params: ClaimParams,
        body: ClaimBody,
        response: { 201: ClaimResponse, ...errorResponses(401, 404, 409, 422) },
      },
    },
    async (request, reply) => {
      const { organizationId } = tenantOf(request);
      const result = await rewards.coupons.claim(organizationId, request.params.id, request.params.rewardId, {
        ...request.body,
        actor: actorOf(request),
      });
      return reply.code(201).send(presentClaim(request.params.id, result));
    },
  );

  app.get(
    '/v1/coupons',
    {
      schema: {
        tags,
        summary: 'List coupons',
        querystring: CouponQuery,
        response: { 200: Page(CouponRef), ...errorResponses(401, 422) },
      },
    },
    async (request) => {
      const page = pageRequest(request.query);
      const rows = await rewards.coupons.list(tenantOf(request).organizationId, request.query, page);
      const result = toPage(rows, page, (row) => row.id);
      return { data: result.data.map((coupon) => presentCoupon(coupon)), nextCursor: result.nextCursor };
    },
  );

  app.get(
    '/v1/coupons/:id',
    {
      config: { scope: 'till' },
      schema: {
        tags,
        summary: 'Get a coupon',
        params: IdParams,
        response: { 200: CouponRef, ...errorResponses(401, 404) },
      },
    },
    async (request) =>
      presentCoupon(await rewards.coupons.get(tenantOf(request).organizationId, request.params.id)),
  );

  app.post(
    '/v1/coupons/:id/use',
    {
      config: { scope: 'till' },
      schema: {
        tags,
        summary: 'Mark a coupon used (outside a checkout redemption)',
        params: IdParams,
        body: UseBody,
        response: { 200: CouponRef, ...errorResponses(401, 404, 409, 422) },
      },
    },
    async (request) =>
      presentCoupon(
        await rewards.coupons.use(tenantOf(request).organizationId, request.params.id, request.body),
      ),
  );

  app.post(
    '/v1/coupons/:id/unuse',
    {
      schema: {
        tags,
        summary: 'Undo marking a coupon used',
        params: IdParams,
        response: { 200: CouponRef, ...errorResponses(401, 404, 409) },
      },
    },
    async (request) =>
      presentCoupon(await rewards.coupons.unuse(tenantOf(request).organizationId, request.params.id)),
  );

  app.post(
    '/v1/coupons/:id/delivery-status',
    {
      schema: {
        tags,
        summary: 'Change the delivery status of a gift (ordered, shipped, delivered, cancelled)',
        params: IdParams,
        body: DeliveryBody,
        response: { 200: CouponRef, ...errorResponses(401, 404, 422) },
      },
    },
    async (request) =>
      presentCoupon(
        await rewards.coupons.setDeliveryStatus(
          tenantOf(request).organizationId,
          request.params.id,
          request.body.status,
        ),
      ),
  );
}
