import { toWholePoints } from '../../domain/points.ts';
import type { Customer } from '../../modules/customers/service.ts';
import type { Services } from '../../services.ts';
import { type ComebackCustomer, toAvailablePromotion, toCustomer } from './translate.ts';

/** The services the Comeback dialect (routes and webhooks) reads and writes through. */
export type ComebackServices = Pick<
  Services,
  | 'apiKeys'
  | 'customers'
  | 'ledger'
  | 'locations'
  | 'organizations'
  | 'passes'
  | 'pointTypes'
  | 'rewards'
  | 'tiers'
  | 'transactions'
>;

/** Members listed at once while a page of the customer list is assembled. */
const CONCURRENCY = 10;

/**
 * Comeback's customer object: the member, their points per point type, their level (tier) and the
 * promotions they can use now (at a location when one is given). Everything but the renaming is
 * asked of the services: balances of the ledger, the tier of the tiers module, availability of the
 * rewards module.
 */
export function comebackCustomers(services: ComebackServices) {
  async function view(
    organizationId: string,
    customer: Customer,
    locationId?: string | undefined,
  ): Promise<ComebackCustomer> {
    const now = new Date();
    const [balances, tier, available] = await Promise.all([
      services.ledger.balances(organizationId, customer.id, now),
      services.tiers.memberTier(organizationId, customer.id, now),
      services.rewards.available(organizationId, customer.id, {
        locationId,
        channel: 'pos',
        redeemable: true,
        now,
      }),
    ]);
    return toCustomer(customer, {
      points: balances.map((balance) => ({
        amount: toWholePoints(balance.active),
        pointTypeId: balance.pointType.id,
        pointTypeName: balance.pointType.name,
      })),
      level: tier.tier?.name ?? null,
      availablePromotions: available.data.map((item) =>
        toAvailablePromotion(item.reward, item.pointsRequired),
      ),
    });
  }

  return {
    view,

    async views(organizationId: string, customers: Customer[]): Promise<ComebackCustomer[]> {
      const result: ComebackCustomer[] = [];
      for (let start = 0; start < customers.length; start += CONCURRENCY) {
        const chunk = customers.slice(start, start + CONCURRENCY);
        result.push(...(await Promise.all(chunk.map((customer) => view(organizationId, customer)))));
      }
      return result;
    },
  };
}
