import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  foreignKey,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { createdAt, idList, openingHours, organizationId, updatedAt, weekdays } from '../../db/columns.ts';
import type { DiscountScope } from '../../domain/discounts.ts';
import type {
  DeliveryStatus,
  PeriodLimit,
  RewardChannel,
  RewardConfig,
  RewardType,
} from '../../domain/rewards.ts';
import type { RedemptionItem, RedemptionOrder, RedemptionPoints } from './types.ts';

/** Name and description per locale (`{"es": {"name": "Café gratis"}}`). */
export type Translations = Record<string, { name?: string; description?: string }>;

export const rewardCategories = pgTable(
  'reward_categories',
  {
    organizationId: organizationId(),
    id: uuid('id').notNull(),
    name: text('name').notNull(),
    translations: jsonb('translations').$type<Translations>().notNull().default({}),
    active: boolean('active').notNull().default(true),
    sortOrder: integer('sort_order').notNull().default(0),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [primaryKey({ columns: [t.organizationId, t.id] })],
);

/**
 * The catalogue. `value` is in engine units (percent in hundredths, money in minor units, units),
 * `cost_points` in hundredths. `taken` counts live uses (claimed coupons + direct redemptions,
 * reservations included): it only moves in SQL with a guard against `total_limit`.
 */
export const rewards = pgTable(
  'rewards',
  {
    organizationId: organizationId(),
    id: uuid('id').notNull(),
    name: text('name').notNull(),
    description: text('description'),
    translations: jsonb('translations').$type<Translations>().notNull().default({}),
    type: text('type').$type<RewardType>().notNull(),
    value: bigint('value', { mode: 'number' }),
    config: jsonb('config').$type<RewardConfig>().notNull().default({}),
    scope: jsonb('scope').$type<DiscountScope>().notNull().default({ skus: [], categories: [] }),
    categoryIds: idList('category_ids'),
    costPoints: bigint('cost_points', { mode: 'number' }).notNull().default(0),
    /** null = the organization's default point type. */
    pointTypeId: uuid('point_type_id'),
    posCode: text('pos_code'),
    active: boolean('active').notNull().default(true),
    startsAt: timestamp('starts_at', { withTimezone: true }),
    endsAt: timestamp('ends_at', { withTimezone: true }),
    weekdays: weekdays(),
    hours: openingHours(),
    locationIds: idList('location_ids'),
    channels: jsonb('channels').$type<RewardChannel[]>().notNull().default([]),
    tierIds: idList('tier_ids'),
    segmentIds: idList('segment_ids'),
    customerIds: idList('customer_ids'),
    visibleFrom: timestamp('visible_from', { withTimezone: true }),
    visibleTo: timestamp('visible_to', { withTimezone: true }),
    totalLimit: integer('total_limit'),
    memberLimit: integer('member_limit'),
    memberPeriodLimit: jsonb('member_period_limit').$type<PeriodLimit | null>(),
    allowRepeat: boolean('allow_repeat').notNull().default(false),
    stackable: boolean('stackable').notNull().default(true),
    minimumOrder: bigint('minimum_order', { mode: 'number' }).notNull().default(0),
    couponDelayDays: integer('coupon_delay_days').notNull().default(0),
    couponValidDays: integer('coupon_valid_days'),
    taken: integer('taken').notNull().default(0),
    deletedAt: timestamp('deleted_at', { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.id] }),
    uniqueIndex('rewards_pos_code_unique')
      .on(t.organizationId, t.posCode)
      .where(sql`${t.posCode} is not null and ${t.deletedAt} is null`),
  ],
);

/** Imported or generated codes a reward hands out; `coupon_id` is set when one is given away. */
export const rewardCodes = pgTable(
  'reward_codes',
  {
    organizationId: organizationId(),
    id: uuid('id').notNull(),
    rewardId: uuid('reward_id').notNull(),
    code: text('code').notNull(),
    couponId: uuid('coupon_id'),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.id] }),
    uniqueIndex('reward_codes_code_unique').on(t.organizationId, t.code),
    index('reward_codes_free_idx').on(t.organizationId, t.rewardId, t.id).where(sql`${t.couponId} is null`),
    foreignKey({
      name: 'reward_codes_reward_fk',
      columns: [t.organizationId, t.rewardId],
      foreignColumns: [rewards.organizationId, rewards.id],
    }),
  ],
);

export const COUPON_STATUSES = ['active', 'used', 'expired', 'cancelled'] as const;
export type CouponStatus = (typeof COUPON_STATUSES)[number];

/**
 * A claimed reward. `redemption_id` is set while a checkout reservation holds the coupon and stays
 * once that redemption uses it. `status = expired` is written by the scheduler; readers treat an
 * active coupon past `expires_at` as expired anyway.
 */
export const coupons = pgTable(
  'coupons',
  {
    organizationId: organizationId(),
    id: uuid('id').notNull(),
    code: text('code').notNull(),
    rewardId: uuid('reward_id').notNull(),
    customerId: uuid('customer_id').notNull(),
    /** The claim (a reward usage) that issued it. */
    claimId: uuid('claim_id').notNull(),
    status: text('status').$type<CouponStatus>().notNull(),
    activeFrom: timestamp('active_from', { withTimezone: true }).notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }),
    costPoints: bigint('cost_points', { mode: 'number' }).notNull().default(0),
    usedAt: timestamp('used_at', { withTimezone: true }),
    redemptionId: uuid('redemption_id'),
    /** Where it was used when marked by hand: a ticket id or document number, a location. */
    usedOn: text('used_on'),
    locationId: uuid('location_id'),
    deliveryStatus: text('delivery_status').$type<DeliveryStatus>(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.id] }),
    uniqueIndex('coupons_code_unique').on(t.organizationId, t.code),
    index('coupons_customer_idx').on(t.organizationId, t.customerId, t.id),
    index('coupons_reward_idx').on(t.organizationId, t.rewardId, t.id),
    // The coupons used on a day (analytics).
    index('coupons_used_at_idx').on(t.organizationId, t.usedAt).where(sql`${t.usedAt} is not null`),
    // What the scheduler scans, across tenants: active coupons that reached their expiry.
    index('coupons_expiry_idx')
      .on(t.expiresAt)
      .where(sql`${t.status} = 'active' and ${t.expiresAt} is not null`),
    foreignKey({
      name: 'coupons_reward_fk',
      columns: [t.organizationId, t.rewardId],
      foreignColumns: [rewards.organizationId, rewards.id],
    }),
  ],
);

/**
 * Each time a member took a reward: a claim (quantity = coupons issued) or a direct redemption at
 * checkout (quantity 1). Limits count the rows not released; `released_at` is set when a
 * reservation expires or a redemption is released.
 */
export const rewardUsages = pgTable(
  'reward_usages',
  {
    organizationId: organizationId(),
    id: uuid('id').notNull(),
    rewardId: uuid('reward_id').notNull(),
    customerId: uuid('customer_id').notNull(),
    kind: text('kind').$type<'claim' | 'redemption'>().notNull(),
    quantity: integer('quantity').notNull(),
    points: bigint('points', { mode: 'number' }).notNull().default(0),
    pointTypeId: uuid('point_type_id'),
    redemptionId: uuid('redemption_id'),
    usedAt: timestamp('used_at', { withTimezone: true }).notNull(),
    releasedAt: timestamp('released_at', { withTimezone: true }),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.id] }),
    index('reward_usages_member_idx').on(t.organizationId, t.customerId, t.rewardId, t.usedAt),
    // The claims and redemptions of a day (analytics).
    index('reward_usages_used_at_idx').on(t.organizationId, t.usedAt),
    index('reward_usages_redemption_idx')
      .on(t.organizationId, t.redemptionId)
      .where(sql`${t.redemptionId} is not null`),
  ],
);

/**
 * One row per member × reward with a per-member limit, locked (upsert) by whoever is about to take
 * the reward: two tills serving the same member count and add their usage one after the other.
 */
export const rewardMemberLocks = pgTable(
  'reward_member_locks',
  {
    organizationId: organizationId(),
    rewardId: uuid('reward_id').notNull(),
    customerId: uuid('customer_id').notNull(),
    lockedAt: timestamp('locked_at', { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.organizationId, t.rewardId, t.customerId] })],
);

export const REDEMPTION_STATUSES = ['reserved', 'committed', 'released'] as const;
export type RedemptionStatus = (typeof REDEMPTION_STATUSES)[number];

/**
 * Rewards applied to one order at checkout. At most one redemption per order that is not released
 * (partial unique index), so a POS retrying a reserve or commit finds the first one.
 */
export const redemptions = pgTable(
  'redemptions',
  {
    organizationId: organizationId(),
    id: uuid('id').notNull(),
    /** The order's document number: the ticket sent later with the same number is linked to it. */
    orderId: text('order_id').notNull(),
    customerId: uuid('customer_id').notNull(),
    status: text('status').$type<RedemptionStatus>().notNull(),
    locationId: uuid('location_id'),
    channel: text('channel').$type<RewardChannel>().notNull(),
    currency: text('currency').notNull(),
    order: jsonb('order').$type<RedemptionOrder>().notNull(),
    items: jsonb('items').$type<RedemptionItem[]>().notNull().default([]),
    totalDiscount: bigint('total_discount', { mode: 'number' }).notNull().default(0),
    points: jsonb('points').$type<RedemptionPoints[]>().notNull().default([]),
    expiresAt: timestamp('expires_at', { withTimezone: true }),
    reservedAt: timestamp('reserved_at', { withTimezone: true }),
    committedAt: timestamp('committed_at', { withTimezone: true }),
    releasedAt: timestamp('released_at', { withTimezone: true }),
    releaseReason: text('release_reason').$type<'released' | 'expired' | 'ticket_cancelled'>(),
    transactionId: uuid('transaction_id'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.id] }),
    uniqueIndex('redemptions_order_unique')
      .on(t.organizationId, t.orderId)
      .where(sql`${t.status} <> 'released'`),
    index('redemptions_order_idx').on(t.organizationId, t.orderId, t.id),
    index('redemptions_customer_idx').on(t.organizationId, t.customerId, t.id),
    // The redemptions committed on a day (analytics).
    index('redemptions_committed_at_idx')
      .on(t.organizationId, t.committedAt)
      .where(sql`${t.committedAt} is not null`),
    // Reservations to release when they expire (lazily per organization, and by the scheduler).
    index('redemptions_expiry_idx').on(t.organizationId, t.expiresAt).where(sql`${t.status} = 'reserved'`),
  ],
);
