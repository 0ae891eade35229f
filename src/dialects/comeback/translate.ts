import { type Hundredths, toWholePoints } from '../../domain/points.ts';
import type { RewardChannel } from '../../domain/rewards.ts';
import type { CreateCustomerBody } from '../../modules/customers/contract.ts';
import type { Customer } from '../../modules/customers/service.ts';
import type { Location } from '../../modules/locations/service.ts';
import type { PointType } from '../../modules/point-types/service.ts';
import type { CreateRewardInput, RewardRow } from '../../modules/rewards/catalog.ts';
import { valueToApi } from '../../modules/rewards/contract.ts';
import type { OrderInput } from '../../modules/rewards/order.ts';
import type { RedemptionView } from '../../modules/rewards/redemptions.ts';
import type { TransactionInput } from '../../modules/transactions/contract.ts';
import type {
  ComebackCustomerInput,
  ComebackOrder,
  ComebackProduct,
  ComebackPromotionInput,
  DiscountType,
} from './contract.ts';

/**
 * Comeback ⇄ Regulars, both ways. Shapes only: what a member earns, what a promotion takes off
 * and who may use it are the engine's answers, which these functions only rename.
 *
 * Comeback types every amount of points as an Integer, and a POS that reads one breaks on 45.5.
 * A program that keeps hundredths is shown in whole points: what a member holds or gained with the
 * fraction dropped (45.5 → 45), what a promotion costs with any fraction counted as a point
 * (9.5 → 10), so a POS that compares the two never offers a promotion the member cannot pay for.
 * The ledger keeps the hundredths; only the display is whole.
 */

export const SOURCE = 'comeback';

const iso = (date: Date) => date.toISOString();

// ---------------------------------------------------------------------------------------------
// Locations

/** One line, as Comeback prints it: "C. de Jovellanos, 6, 28014 Madrid". */
function addressOf(location: Location): string | null {
  const town = [location.postalCode, location.city].filter(Boolean).join(' ');
  const parts = [location.address, town, location.region].filter((part) => part);
  return parts.length > 0 ? parts.join(', ') : null;
}

export function toLocation(location: Location, organizationCountry: string) {
  return {
    id: location.id,
    name: location.name,
    address: addressOf(location),
    organizationId: location.organizationId,
    deleted: location.deleted ? 1 : 0,
    countryCode: location.country ?? organizationCountry,
    latitude: location.latitude,
    longitude: location.longitude,
  };
}

// ---------------------------------------------------------------------------------------------
// Orders

type Line = TransactionInput['lines'][number];

const text = (value: string | number | null | undefined) =>
  value === null || value === undefined ? undefined : String(value);

/**
 * Products become lines (their price is the line's total: Comeback multiplies by the quantity
 * already). An order sent without products is one line worth the whole order before its discount,
 * so that it still counts for spend rules. Line ids are the POS's own when each product has a
 * distinct one, positions otherwise.
 */
export function linesOf(order: ComebackOrder): Line[] {
  const products: ComebackProduct[] = order.products ?? [];
  if (products.length === 0) {
    return [{ lineId: '1', name: 'Order', quantity: 1, total: order.amount + (order.discountAmount ?? 0) }];
  }
  const ids = products.map((product) => text(product.orderProductExternalId));
  const ownIds = ids.every((id) => id !== undefined) && new Set(ids).size === ids.length;
  return products.map((product, index) => ({
    lineId: ownIds ? ids[index]! : String(index + 1),
    sku: text(product.organizationProductExternalId) ?? null,
    ...(product.name ? { name: product.name } : {}),
    ...(product.quantity ? { quantity: product.quantity } : {}),
    total: product.price,
  }));
}

export function toTransaction(
  order: ComebackOrder,
  context: { locationId: string | null; customerId: string | null },
): TransactionInput {
  return {
    documentNumber: String(order.externalId),
    source: SOURCE,
    type: 'sale',
    status: 'completed',
    channel: 'pos',
    locationId: context.locationId,
    totals: { discount: order.discountAmount ?? 0, total: order.amount },
    lines: linesOf(order),
    ...(context.customerId ? { customer: { customerId: context.customerId } } : {}),
    metadata: {
      ...(order.promotionsApplied?.length
        ? { promotionsApplied: order.promotionsApplied.map((promotion) => String(promotion.id)) }
        : {}),
    },
  };
}

/** The order the promotions are redeemed on: its lines at their prices, before any discount. */
export function toRedemptionOrder(order: ComebackOrder, locationId: string | null): OrderInput {
  return {
    documentNumber: String(order.externalId),
    source: SOURCE,
    channel: 'pos',
    locationId,
    lines: linesOf(order).map((line) => ({
      lineId: line.lineId,
      sku: line.sku ?? null,
      name: line.name,
      quantity: line.quantity,
      total: line.total,
    })),
  };
}

/** The answer to POST /v1/orders (undocumented): the order as sent, with its id and time in Regulars. */
export function toOrderResponse(
  order: ComebackOrder,
  stored: { id: string; customerId: string | null; locationId: string | null; createdAt: Date },
) {
  return {
    id: stored.id,
    externalId: String(order.externalId),
    amount: order.amount,
    discountAmount: order.discountAmount ?? 0,
    products: order.products ?? [],
    locationId: stored.locationId,
    customerId: stored.customerId,
    promotionsApplied: (order.promotionsApplied ?? []).map((promotion) => ({ id: String(promotion.id) })),
    creationTime: iso(stored.createdAt),
  };
}

// ---------------------------------------------------------------------------------------------
// Promotions

/** How a reward looks in Comeback's four kinds of promotion, and the number that goes with it. */
export function discountOf(reward: Pick<RewardRow, 'type' | 'config' | 'value'>): {
  discountType: DiscountType;
  discountAmount: number;
} {
  const value = valueToApi(reward.type, reward.config, reward.value) ?? 0;
  switch (reward.type) {
    case 'percentage_discount':
      return { discountType: 'percentage', discountAmount: value };
    case 'amount_discount':
    case 'cashback':
      return { discountType: 'currency', discountAmount: value };
    case 'discount_code':
      return {
        discountType: reward.config.discountType === 'amount' ? 'currency' : 'percentage',
        discountAmount: value,
      };
    case 'bogo':
      return { discountType: '2x1', discountAmount: 0 };
    default:
      // free_product, gift, free_delivery, custom: the POS gives something; value is informational.
      return { discountType: 'products', discountAmount: value };
  }
}

/** A cost in Comeback's Integer points: a fraction counts as one more point (see the top). */
const costOf = (points: Hundredths) => toWholePoints(points, 'up');

const onlineToo = (reward: Pick<RewardRow, 'channels'>) =>
  reward.channels.length === 0 || reward.channels.includes('online');

/** GET /v1/promotions: the document's example says `pointsExpense`, its table `pointsRequired`: both are sent. */
export function toPromotion(reward: RewardRow, defaultPointTypeId: string) {
  const points = costOf(reward.costPoints);
  return {
    id: reward.id,
    name: reward.name,
    description: reward.description ?? '',
    pointsExpense: points,
    pointsRequired: points,
    ...discountOf(reward),
    code: reward.posCode,
    pointTypeId: reward.pointTypeId ?? defaultPointTypeId,
    availableOnline: onlineToo(reward),
  };
}

/** An entry of a customer's `availablePromotions`: `pointsExpense` is what taking it costs this member now. */
export function toAvailablePromotion(reward: RewardRow, pointsRequired: Hundredths) {
  return {
    id: reward.id,
    name: reward.name,
    description: reward.description ?? '',
    ...discountOf(reward),
    pointsExpense: costOf(pointsRequired),
    code: reward.posCode,
    availableOnline: onlineToo(reward),
  };
}

/**
 * POST /v1/promotions → a reward. `percentage` and `currency` are discounts on the order, `2x1`
 * is a buy-2-get-1, and `products` (or no type, when only a POS `code` is given) is a promotion
 * the POS itself knows how to give: Regulars keeps its cost and rules and takes nothing off.
 */
export function toRewardInput(
  promotion: ComebackPromotionInput,
  pointTypeId: string | null,
): CreateRewardInput {
  const amount = promotion.discountAmount ?? null;
  const common = {
    name: promotion.name,
    description: promotion.description ?? null,
    costPoints: promotion.pointsExpense ?? promotion.pointsRequired ?? 0,
    pointTypeId,
    posCode: promotion.code ?? null,
    // Not online: every other channel (empty = all of them).
    ...(promotion.availableOnline === false ? { channels: ['pos', 'shop', 'admin'] as RewardChannel[] } : {}),
  };
  switch (promotion.discountType) {
    case 'percentage':
      return { ...common, type: 'percentage_discount', value: amount };
    case 'currency':
      return { ...common, type: 'amount_discount', value: amount };
    case '2x1':
      return { ...common, type: 'bogo', value: null, config: { buy: 2, free: 1 } };
    default:
      return { ...common, type: 'custom', value: amount };
  }
}

// ---------------------------------------------------------------------------------------------
// Customers

/** One flag for Comeback, three channels in Regulars: true when the member agreed to any of them. */
export function marketingOf(customer: Customer): boolean {
  return Object.values(customer.marketingConsents).some((consent) => consent?.granted === true);
}

export function toCustomerInput(input: ComebackCustomerInput): CreateCustomerBody {
  const marketing = input.marketingCommunication;
  return {
    ...(input.name !== undefined ? { firstName: input.name } : {}),
    ...(input.surname !== undefined ? { lastName: input.surname } : {}),
    ...(input.phoneNumber !== undefined ? { phone: input.phoneNumber } : {}),
    ...(input.email !== undefined ? { email: input.email } : {}),
    ...(input.source !== undefined ? { source: input.source } : {}),
    ...(input.birthDate !== undefined ? { birthDate: input.birthDate } : {}),
    ...(input.externalId !== undefined ? { externalId: input.externalId } : {}),
    ...(marketing !== undefined && marketing !== null
      ? { marketingConsents: { email: marketing, sms: marketing, push: marketing } }
      : {}),
  };
}

export interface CustomerExtras {
  points: Array<{ amount: number; pointTypeId: string; pointTypeName: string }>;
  level: string | null;
  availablePromotions: ReturnType<typeof toAvailablePromotion>[];
}

/** The customer object of GET /v1/customers/:customerId, of the scan, of the list and of the webhooks. */
export function toCustomer(customer: Customer, extras: CustomerExtras) {
  return {
    id: customer.id,
    name: customer.firstName,
    surname: customer.lastName,
    phoneNumber: customer.phone,
    email: customer.email,
    creationTime: iso(customer.createdAt),
    source: customer.source,
    marketingCommunication: marketingOf(customer),
    birthDate: customer.birthDate,
    externalId: customer.externalId,
    appleDownloaded: customer.applePassDownloadedAt !== null,
    androidDownloaded: customer.androidPassDownloadedAt !== null,
    points: extras.points,
    level: extras.level,
    availablePromotions: extras.availablePromotions,
  };
}

export type ComebackCustomer = ReturnType<typeof toCustomer>;

// ---------------------------------------------------------------------------------------------
// Point types and applied promotions

export function toPointType(pointType: PointType, passId: string) {
  return {
    id: pointType.id,
    name: pointType.name,
    expirationDays: pointType.expiresAfterDays,
    allowedPassIds: [passId],
  };
}

/** One entry per promotion a committed redemption applied. */
export function toAppliedPromotions(redemption: RedemptionView) {
  const when = redemption.committedAt ?? redemption.createdAt;
  return redemption.items
    .filter((item) => item.applied && item.rewardId)
    .map((item) => ({
      promotionId: item.rewardId!,
      customerId: redemption.customerId,
      creationTime: when ? iso(when) : null,
      locationId: redemption.locationId,
      // The order as Regulars knows it (the ticket POST /v1/orders made), else the POS's number.
      orderId: redemption.transactionId ?? redemption.orderId,
    }));
}
