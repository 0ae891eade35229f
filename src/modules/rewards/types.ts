import type { DiscountPart } from '../../domain/discounts.ts';
import type { Hundredths } from '../../domain/points.ts';
import type { Blocker, RewardType } from '../../domain/rewards.ts';

/** Shapes kept in the redemptions table's JSON columns (engine units: minor units, hundredths). */

export interface RedemptionOrderLine {
  lineId: string;
  sku: string | null;
  name: string | null;
  category: string | null;
  quantity: number;
  unitPrice: number | null;
  total: number;
}

/** The order a redemption was computed on, normalized (line ids filled in, totals known). */
export interface RedemptionOrder {
  documentNumber: string;
  source: string;
  channel: string;
  locationId: string | null;
  brandId: string | null;
  purchasedAt: string;
  currency: string;
  totals: { deliveryFee: number; discount: number; total: number };
  lines: RedemptionOrderLine[];
  metadata: Record<string, unknown>;
}

/** One reward asked for on an order, and what it gave. */
export interface RedemptionItem {
  /** Position in the request's `rewards` list. */
  index: number;
  rewardId: string | null;
  couponId: string | null;
  couponCode: string | null;
  name: string | null;
  type: RewardType | null;
  applied: boolean;
  reasons: Blocker[];
  discount: number;
  /** Hundredths of a percent, for percentage discounts. */
  percent: number | null;
  parts: DiscountPart[];
  pointTypeId: string | null;
  points: Hundredths;
  /** The usage row a direct redemption added (limits count it). */
  usageId: string | null;
}

/** Points a redemption holds or charged, per point type. */
export interface RedemptionPoints {
  pointTypeId: string;
  points: Hundredths;
  blockEntryId: string | null;
  spendEntryId: string | null;
}
