import { fromPoints, toWholePoints } from '../../domain/points.ts';
import { AppError } from '../../errors.ts';
import type { EventRow } from '../../modules/events/service.ts';
import type { WebhookFormatter } from '../../modules/webhooks/formats.ts';
import { type ComebackServices, comebackCustomers } from './customers.ts';

/**
 * Comeback's webhooks, `{type, eventTime, created, data}`, from Regulars' events. The document's
 * table names the time `eventTime`, its examples `created`: both are sent, with the same value.
 * An endpoint gets them with `format: "comeback"` and Comeback's token as a static header
 * (`headers: {"Authorization": "<token>"}`): Comeback authenticates webhooks as it does its API.
 *
 *   customer.created                                    → customer:created (the customer object)
 *   customer.updated, .status_changed, .anonymized,
 *   tier.changed (the level is part of the object)      → customer:updated (the customer object)
 *   points.* (earned, added, spent, expired, …)         → customer-points:updated
 *   redemption.committed                                → promotion:applied, one per promotion
 *
 * Anything else has no Comeback message: nothing is sent for it.
 */

const CUSTOMER_CREATED = new Set(['customer.created']);
const CUSTOMER_UPDATED = new Set([
  'customer.updated',
  'customer.status_changed',
  'customer.anonymized',
  'tier.changed',
]);

/** The payload of a points event, amounts as the API prints them (45.5 points). */
interface PointsPayload {
  customerId: string;
  pointTypeId: string;
  delta?: number;
  locationId?: string | null;
  balance: { active: number };
}

interface RedemptionPayload {
  customerId: string;
  rewards: Array<{ rewardId: string | null }>;
}

/**
 * customer-points:updated: what the points event changed and the spendable balance after it, in
 * whole points as the document's Integer says, the fraction dropped (see translate.ts).
 */
export function pointsData(payload: PointsPayload) {
  return {
    customerId: payload.customerId,
    locationId: payload.locationId ?? null,
    // Activations (pending points becoming spendable) carry no delta: they were counted when earned.
    addedPoints: toWholePoints(fromPoints(payload.delta ?? 0)),
    newPointsValue: toWholePoints(fromPoints(payload.balance.active)),
    pointTypeId: payload.pointTypeId,
  };
}

/** promotion:applied, once per promotion a committed redemption applied. */
export function promotionsApplied(payload: RedemptionPayload) {
  return payload.rewards
    .filter((reward) => reward.rewardId !== null)
    .map((reward) => ({ customerId: payload.customerId, promotionId: reward.rewardId! }));
}

export function comebackWebhookFormat(services: ComebackServices): WebhookFormatter {
  const present = comebackCustomers(services);

  /** The customer as they are now; nothing when they were deleted since. */
  async function customerData(event: EventRow) {
    try {
      const customer = await services.customers.get(event.organizationId, event.subjectId);
      return [await present.view(event.organizationId, customer)];
    } catch (error) {
      if (error instanceof AppError && error.status === 404) return [];
      throw error;
    }
  }

  return async (event) => {
    const at = event.createdAt.toISOString();
    const message = (type: string) => (data: unknown) => ({ type, eventTime: at, created: at, data });
    if (event.subjectType === 'customer' && CUSTOMER_CREATED.has(event.type)) {
      return (await customerData(event)).map(message('customer:created'));
    }
    if (event.subjectType === 'customer' && CUSTOMER_UPDATED.has(event.type)) {
      return (await customerData(event)).map(message('customer:updated'));
    }
    if (event.type.startsWith('points.')) {
      return [message('customer-points:updated')(pointsData(event.payload as unknown as PointsPayload))];
    }
    if (event.type === 'redemption.committed') {
      return promotionsApplied(event.payload as unknown as RedemptionPayload).map(
        message('promotion:applied'),
      );
    }
    return [];
  };
}
