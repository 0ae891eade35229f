import { type Static, Type } from 'typebox';
import { toPoints } from '../../domain/points.ts';
import { couponStatus } from '../../domain/rewards.ts';
import { Timestamp, Uuid } from '../../http/schemas.ts';
import type { CategoryRow, RewardRow } from './catalog.ts';
import { rewardFields, valueToApi } from './contract.ts';
import type { CouponView } from './coupons.ts';
import type { RedemptionView } from './redemptions.ts';

/** What goes out: response schemas (they also document the API) and the functions that fill them. */

const iso = (date: Date | null) => date?.toISOString() ?? null;
const NullableTimestamp = (description: string) => Type.Union([Timestamp(description), Type.Null()]);

export const RewardSchema = Type.Object(
  {
    id: Uuid('Reward id'),
    type: Type.String({ description: 'Reward type', examples: ['percentage_discount'] }),
    ...rewardFields,
    usage: Type.Object({
      taken: Type.Integer({ description: 'Claimed coupons plus direct redemptions (reservations included)' }),
      left: Type.Union([Type.Integer(), Type.Null()], {
        description: 'Left of totalLimit; null = unlimited',
      }),
    }),
    createdAt: Timestamp('When it was created'),
    updatedAt: Timestamp('When it last changed'),
  },
  { $id: 'Reward' },
);

export function presentReward(row: RewardRow) {
  return {
    id: row.id,
    type: row.type,
    name: row.name,
    description: row.description,
    translations: row.translations,
    value: valueToApi(row.type, row.config, row.value),
    config: row.config as Record<string, unknown>,
    scope: { skus: row.scope.skus ?? [], categories: row.scope.categories ?? [] },
    categoryIds: row.categoryIds,
    costPoints: toPoints(row.costPoints),
    pointTypeId: row.pointTypeId,
    posCode: row.posCode,
    active: row.active,
    startsAt: iso(row.startsAt),
    endsAt: iso(row.endsAt),
    weekdays: row.weekdays,
    hours: row.hours,
    locationIds: row.locationIds,
    channels: row.channels,
    tierIds: row.tierIds,
    segmentIds: row.segmentIds,
    customerIds: row.customerIds,
    visibleFrom: iso(row.visibleFrom),
    visibleTo: iso(row.visibleTo),
    totalLimit: row.totalLimit,
    memberLimit: row.memberLimit,
    memberPeriodLimit: row.memberPeriodLimit,
    allowRepeat: row.allowRepeat,
    stackable: row.stackable,
    minimumOrder: row.minimumOrder,
    couponDelayDays: row.couponDelayDays,
    couponValidDays: row.couponValidDays,
    usage: {
      taken: row.taken,
      left: row.totalLimit === null ? null : Math.max(row.totalLimit - row.taken, 0),
    },
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** Name and description in `locale` when the reward has them, the defaults otherwise. */
export function localized(row: Pick<RewardRow, 'name' | 'description' | 'translations'>, locale?: string) {
  const language = locale?.split('-')[0];
  const translation = (locale && row.translations[locale]) || (language && row.translations[language]) || {};
  return { name: translation.name ?? row.name, description: translation.description ?? row.description };
}

export const CategorySchema = Type.Object(
  {
    id: Uuid('Category id'),
    name: Type.String(),
    translations: Type.Record(Type.String(), Type.Object({ name: Type.Optional(Type.String()) })),
    active: Type.Boolean(),
    sortOrder: Type.Integer(),
    createdAt: Timestamp('When it was created'),
    updatedAt: Timestamp('When it last changed'),
  },
  { $id: 'RewardCategory' },
);

export function presentCategory(row: CategoryRow) {
  return {
    id: row.id,
    name: row.name,
    translations: row.translations,
    active: row.active,
    sortOrder: row.sortOrder,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export const CouponSchema = Type.Object(
  {
    id: Uuid('Coupon id'),
    code: Type.String({ description: 'What the member shows at the till', examples: ['K7RX2M9QPA'] }),
    rewardId: Uuid('The reward'),
    rewardName: Type.String(),
    rewardType: Type.String({ examples: ['free_product'] }),
    customerId: Uuid('The member who claimed it'),
    claimId: Uuid('The claim that issued it'),
    status: Type.Union(
      [Type.Literal('active'), Type.Literal('used'), Type.Literal('expired'), Type.Literal('cancelled')],
      { description: 'active coupons past expiresAt read as expired' },
    ),
    usable: Type.Boolean({ description: 'Active, past activeFrom, not expired, not held by a reservation' }),
    activeFrom: Timestamp('When it can first be used'),
    expiresAt: NullableTimestamp('When it stops being valid; null = never'),
    costPoints: Type.Number({ description: 'Points paid for it' }),
    usedAt: NullableTimestamp('When it was used'),
    redemptionId: Type.Union([Uuid('The checkout redemption that holds or used it'), Type.Null()]),
    usedOn: Type.Union([Type.String(), Type.Null()], {
      description: 'Ticket it was used on, when marked by hand',
    }),
    locationId: Type.Union([Uuid('Where it was used'), Type.Null()]),
    deliveryStatus: Type.Union(
      [
        Type.Literal('ordered'),
        Type.Literal('shipped'),
        Type.Literal('delivered'),
        Type.Literal('cancelled'),
        Type.Null(),
      ],
      { description: 'Gifts only' },
    ),
    createdAt: Timestamp('When it was issued'),
    updatedAt: Timestamp('When it last changed'),
  },
  { $id: 'Coupon' },
);

export function presentCoupon(coupon: CouponView, now = new Date()) {
  const status = couponStatus(coupon, now);
  return {
    id: coupon.id,
    code: coupon.code,
    rewardId: coupon.rewardId,
    rewardName: coupon.rewardName,
    rewardType: coupon.rewardType,
    customerId: coupon.customerId,
    claimId: coupon.claimId,
    status,
    usable: status === 'active' && coupon.activeFrom <= now && coupon.redemptionId === null,
    activeFrom: coupon.activeFrom.toISOString(),
    expiresAt: iso(coupon.expiresAt),
    costPoints: toPoints(coupon.costPoints),
    usedAt: iso(coupon.usedAt),
    redemptionId: coupon.redemptionId,
    usedOn: coupon.usedOn,
    locationId: coupon.locationId,
    deliveryStatus: coupon.deliveryStatus,
    createdAt: coupon.createdAt.toISOString(),
    updatedAt: coupon.updatedAt.toISOString(),
  };
}

export const ReasonSchema = Type.Object({
  code: Type.String({ description: 'Stable reason code', examples: ['insufficient_points'] }),
  message: Type.String({ description: 'What a cashier can read' }),
});

export const DiscountLineSchema = Type.Object({
  rewardId: Type.Union([Uuid('The reward'), Type.Null()]),
  type: Type.Union([Type.String(), Type.Null()], { examples: ['percentage_discount'] }),
  name: Type.Union([Type.String(), Type.Null()]),
  couponCode: Type.Union([Type.String(), Type.Null()]),
  appliesTo: Type.Union([Type.Literal('line'), Type.Literal('ticket'), Type.Literal('delivery')], {
    description: 'A line of the order, the order as a whole, or its delivery fee',
  }),
  lineId: Type.Union([Type.String(), Type.Null()], { description: 'The order line, when on a line' }),
  sku: Type.Union([Type.String(), Type.Null()]),
  amount: Type.Integer({ description: 'Discount in minor units', examples: [125] }),
  percent: Type.Union([Type.Number(), Type.Null()], { description: 'Percent, for percentage discounts' }),
});

const RedemptionRewardSchema = Type.Object({
  index: Type.Integer({ description: 'Position in the request' }),
  rewardId: Type.Union([Uuid('The reward'), Type.Null()]),
  couponId: Type.Union([Uuid('The coupon used'), Type.Null()]),
  couponCode: Type.Union([Type.String(), Type.Null()]),
  name: Type.Union([Type.String(), Type.Null()]),
  type: Type.Union([Type.String(), Type.Null()]),
  applied: Type.Boolean(),
  reasons: Type.Array(ReasonSchema, { description: 'Why it was not applied' }),
  discount: Type.Integer({ description: 'Minor units' }),
  percent: Type.Union([Type.Number(), Type.Null()]),
  points: Type.Number({ description: 'Points it costs (two decimals)' }),
  pointTypeId: Type.Union([Uuid('Point type charged'), Type.Null()]),
  discounts: Type.Array(DiscountLineSchema),
});

export const RedemptionSchema = Type.Object(
  {
    id: Type.Union([Uuid('Redemption id'), Type.Null()], { description: 'null for a validation' }),
    orderId: Type.String({ description: "The order's document number" }),
    customerId: Uuid('The member'),
    status: Type.Union(
      [
        Type.Literal('validated'),
        Type.Literal('reserved'),
        Type.Literal('committed'),
        Type.Literal('released'),
      ],
      { description: 'validated = nothing was written' },
    ),
    valid: Type.Boolean({ description: 'Every reward asked for can be applied' }),
    replayed: Type.Boolean({ description: 'An earlier request for this order did it: nothing changed now' }),
    locationId: Type.Union([Uuid('Where'), Type.Null()]),
    channel: Type.String({ examples: ['pos'] }),
    currency: Type.String({ examples: ['EUR'] }),
    orderTotal: Type.Integer({ description: 'The order total before these rewards, minor units' }),
    totalDiscount: Type.Integer({ description: 'What the rewards take off, minor units' }),
    totalAfterDiscount: Type.Integer({ description: 'What the member pays, minor units' }),
    pointsCharged: Type.Number({ description: 'Points held or charged, all point types (two decimals)' }),
    points: Type.Array(Type.Object({ pointTypeId: Uuid('Point type'), points: Type.Number() })),
    rewards: Type.Array(RedemptionRewardSchema),
    discounts: Type.Array(DiscountLineSchema, { description: 'Every discount line, for the receipt' }),
    expiresAt: NullableTimestamp('When a reservation is released unless committed'),
    reservedAt: NullableTimestamp('When it was reserved'),
    committedAt: NullableTimestamp('When it was committed'),
    releasedAt: NullableTimestamp('When it was released'),
    releaseReason: Type.Union([Type.String(), Type.Null()], {
      description: 'released (by hand), expired, ticket_cancelled',
    }),
    transactionId: Type.Union([Uuid('The ticket of the order, once it arrived'), Type.Null()]),
    createdAt: NullableTimestamp('When it was created'),
  },
  { $id: 'Redemption' },
);

export function presentRedemption(redemption: RedemptionView): Static<typeof RedemptionSchema> {
  const rewards = redemption.items.map((item) => {
    const percent = item.percent === null ? null : toPoints(item.percent);
    return {
      index: item.index,
      rewardId: item.rewardId,
      couponId: item.couponId,
      couponCode: item.couponCode,
      name: item.name,
      type: item.type,
      applied: item.applied,
      reasons: item.reasons,
      discount: item.discount,
      percent,
      points: toPoints(item.points),
      pointTypeId: item.pointTypeId,
      discounts: item.parts.map((part) => ({
        rewardId: item.rewardId,
        type: item.type,
        name: item.name,
        couponCode: item.couponCode,
        appliesTo: part.appliesTo,
        lineId: part.lineId,
        sku: part.sku,
        amount: part.amount,
        percent,
      })),
    };
  });
  const charged = redemption.points.reduce((sum, entry) => sum + entry.points, 0);
  return {
    id: redemption.id,
    orderId: redemption.orderId,
    customerId: redemption.customerId,
    status: redemption.status,
    valid: redemption.valid,
    replayed: redemption.replayed,
    locationId: redemption.locationId,
    channel: redemption.channel,
    currency: redemption.currency,
    orderTotal: redemption.orderTotal,
    totalDiscount: redemption.totalDiscount,
    totalAfterDiscount: Math.max(redemption.orderTotal - redemption.totalDiscount, 0),
    pointsCharged: toPoints(charged),
    points: redemption.points.map((entry) => ({
      pointTypeId: entry.pointTypeId,
      points: toPoints(entry.points),
    })),
    rewards,
    discounts: rewards.flatMap((reward) => reward.discounts),
    expiresAt: iso(redemption.expiresAt),
    reservedAt: iso(redemption.reservedAt),
    committedAt: iso(redemption.committedAt),
    releasedAt: iso(redemption.releasedAt),
    releaseReason: redemption.releaseReason,
    transactionId: redemption.transactionId,
    createdAt: iso(redemption.createdAt),
  };
}
