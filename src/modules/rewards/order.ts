import type { DiscountOrder } from '../../domain/discounts.ts';
import { allocateProportionally } from '../../domain/money.ts';
import type { RewardChannel } from '../../domain/rewards.ts';
import { validationFailed } from '../../errors.ts';
import type { RedemptionOrder } from './types.ts';

/** The order of a redemption as a POS sends it: the canonical transaction shape, totals optional. */
export interface OrderInput {
  documentNumber: string;
  source?: string | undefined;
  channel?: string | undefined;
  locationId?: string | null | undefined;
  brandId?: string | null | undefined;
  purchasedAt?: string | undefined;
  currency?: string | undefined;
  totals?:
    | {
        total: number;
        deliveryFee?: number | undefined;
        discount?: number | undefined;
        serviceFee?: number | undefined;
        otherFees?: number | undefined;
        tip?: number | undefined;
      }
    | undefined;
  lines: Array<{
    lineId?: string | undefined;
    sku?: string | null | undefined;
    name?: string | undefined;
    quantity?: number | undefined;
    unitPrice?: number | undefined;
    total: number;
    category?: string | null | undefined;
  }>;
  metadata?: Record<string, unknown> | undefined;
}

/** Line ids filled in (position, 1-based, as tickets do), totals known. 422 on duplicate line ids. */
export function normalizeOrder(
  input: OrderInput,
  defaults: { currency: string; now: Date },
): RedemptionOrder {
  const lines = input.lines.map((line, index) => ({
    lineId: line.lineId ?? String(index + 1),
    sku: line.sku ?? null,
    name: line.name ?? null,
    category: line.category ?? null,
    quantity: line.quantity ?? 1,
    unitPrice: line.unitPrice ?? null,
    total: line.total,
  }));
  const seen = new Set<string>();
  lines.forEach((line, index) => {
    if (seen.has(line.lineId))
      throw validationFailed(`body.order.lines.${index}.lineId`, 'is used by another line');
    seen.add(line.lineId);
  });
  const totals = input.totals;
  const deliveryFee = totals?.deliveryFee ?? 0;
  const discount = totals?.discount ?? 0;
  const linesTotal = lines.reduce((sum, line) => sum + line.total, 0);
  // Without totals the order costs what its lines cost.
  const total = totals ? totals.total : Math.max(linesTotal, 0);
  const currency = input.currency ?? defaults.currency;
  if (currency !== defaults.currency) {
    throw validationFailed('body.order.currency', `must be the program currency ${defaults.currency}`);
  }
  return {
    documentNumber: input.documentNumber,
    source: input.source ?? 'api',
    channel: input.channel ?? 'pos',
    locationId: input.locationId ?? null,
    brandId: input.brandId ?? null,
    purchasedAt: input.purchasedAt ?? defaults.now.toISOString(),
    currency,
    totals: { deliveryFee, discount, total },
    lines,
    metadata: input.metadata ?? {},
  };
}

/** The reward channel of an order's sales channel: the till, or online. */
export function rewardChannelOf(channel: string): RewardChannel {
  return channel === 'pos' || channel === 'kiosk' ? 'pos' : 'online';
}

/** What discounts work on: each line net of its share of a discount already on the order. */
export function discountOrderOf(order: RedemptionOrder): DiscountOrder {
  const shares = allocateProportionally(
    order.totals.discount,
    order.lines.map((line) => Math.max(line.total, 0)),
  );
  return {
    lines: order.lines.map((line, index) => ({
      lineId: line.lineId,
      sku: line.sku,
      category: line.category,
      quantity: line.quantity,
      unitPrice: line.unitPrice,
      total: Math.max(line.total - (shares[index] ?? 0), 0),
    })),
    deliveryFee: order.totals.deliveryFee,
    total: order.totals.total,
  };
}
