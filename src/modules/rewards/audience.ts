import type { Executor } from '../../db/connection.ts';
import { mapped, type PartRead } from '../../db/together.ts';
import type { RewardAudienceProvider } from './context.ts';

interface AudienceSource {
  describePart(
    executor: Executor,
    organizationId: string,
    customerId: string,
  ): Promise<PartRead<{ tierId: string | null; segmentIds: string[] }>>;
}

interface TierSource {
  /** Every tier, with its discount benefit in hundredths of a percent (from the configuration cache). */
  ladderOf(
    executor: Executor,
    organizationId: string,
  ): Promise<Array<{ id: string; discountPercent: number }>>;
}

/**
 * The members' audience as rewards read it: tier and segments from the tiers/segments module,
 * plus the tier's discount benefit (what a `fromTier` percentage reward gives).
 */
export function rewardAudience(audience: AudienceSource, tiers: TierSource): RewardAudienceProvider {
  return {
    async describePart(executor, organizationId, customerId) {
      const [described, ladder] = await Promise.all([
        audience.describePart(executor, organizationId, customerId),
        tiers.ladderOf(executor, organizationId),
      ]);
      return mapped(described, ({ tierId, segmentIds }) => ({
        tierId,
        segmentIds,
        tierDiscountPercent: ladder.find((tier) => tier.id === tierId)?.discountPercent || null,
      }));
    },
  };
}
