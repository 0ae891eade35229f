import type { OrderInput } from '../../modules/rewards/order.ts';
import type { RequestedReward } from '../../modules/rewards/planner.ts';
import type { RedemptionView } from '../../modules/rewards/redemptions.ts';
import type { GatewayDiscount, RedeemRequest } from './contract.ts';

/** orderLive ⇄ canonical order, redemption ⇄ the gateway's discount list. Shapes only. */

const money = (value: number | null | undefined) => Math.max(0, value ?? 0);

/**
 * Product rows become lines (the POS product id is the SKU); a menu is one line at its price.
 * Line ids carry their list: product and menu rows may share an id.
 */
export function toOrder(request: RedeemRequest, locationId: string | null): OrderInput {
  const { orderLive } = request;
  const products = (orderLive.data?.productRowList ?? []).filter((row) => !row.isCanceled);
  const lines = [
    ...products.map((row) => ({
      lineId: `product:${row.id}`,
      sku: row.productId ?? null,
      ...(row.name ? { name: row.name } : {}),
      quantity: row.quantity && row.quantity > 0 ? row.quantity : 1,
      total: money(row.totalRowWithModifier ?? row.totalRow),
      category: row.categoryName ?? row.categoryId ?? null,
    })),
    ...(orderLive.data?.menuRowList ?? []).map((menu) => ({
      lineId: `menu:${menu.id}`,
      sku: menu.menuId ?? null,
      ...(menu.name ? { name: menu.name } : {}),
      total: money(menu.totalRow),
    })),
  ];
  const linesTotal = lines.reduce((sum, line) => sum + line.total, 0);
  return {
    documentNumber: orderLive.id,
    source: 'pos-gateway',
    channel: 'pos',
    locationId,
    totals: {
      total: orderLive.total != null && orderLive.total >= 0 ? orderLive.total : linesTotal,
      discount: money(orderLive.totalDiscount),
    },
    lines,
  };
}

export function toRequestedRewards(request: RedeemRequest): RequestedReward[] {
  return request.rewards.map((reward) =>
    reward.couponCode ? { couponCode: reward.couponCode } : { rewardId: reward.rewardId ?? undefined },
  );
}

/** Reward types whose discount the gateway's AMOUNT/PERCENT list cannot carry. */
export const NOT_EXPRESSIBLE = new Set(['gift', 'custom']);

/**
 * A whole-ticket percentage is one PERCENT; anything else is one AMOUNT per line or ticket part
 * it touches, naming the SKU when it lands on a product.
 */
export function toDiscounts(
  redemption: RedemptionView,
  gatewayIdOf: (rewardId: string) => string,
): GatewayDiscount[] {
  return redemption.items
    .filter((item) => item.applied && item.rewardId !== null)
    .flatMap((item): GatewayDiscount[] => {
      const common = { id: gatewayIdOf(item.rewardId!), name: item.name, couponCode: item.couponCode };
      const wholeTicket = item.parts.every((part) => part.lineId === null);
      if (item.percent !== null && wholeTicket) {
        return [{ ...common, type: 'PERCENT', productSku: null, value: item.percent }];
      }
      return item.parts
        .filter((part) => part.amount > 0)
        .map((part) => ({ ...common, type: 'AMOUNT' as const, productSku: part.sku, value: part.amount }));
    });
}
