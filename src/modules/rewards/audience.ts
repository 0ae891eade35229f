import type { Executor } from '../../db/connection.ts';
import { AppError } from '../../errors.ts';
import type { RewardAudienceProvider } from './context.ts';

interface AudienceSource {
  describe(
    executor: Executor,
    organizationId: string,
    customerId: string,
  ): Promise<{ tierId: string | null; segmentIds: string[] }>;
}

interface TierSource {
  /** A tier with its discount benefit in hundredths of a percent. */
  get(organizationId: string, id: string, executor?: Executor): Promise<{ discountPercent: number }>;
}

/**
 * The members' audience as rewards read it: tier and segments from the tiers/segments module,
 * plus the tier's discount benefit (what a `fromTier` percentage reward gives).
 */
export function rewardAudience(audience: AudienceSource, tiers: TierSource): RewardAudienceProvider {
  return {
    async describe(executor, organizationId, customerId) {
      const described = await audience.describe(executor, organizationId, customerId);
      if (!described.tierId) return { ...described, tierDiscountPercent: null };
      const tier = await tiers.get(organizationId, described.tierId, executor).catch((error: unknown) => {
        if (error instanceof AppError && error.status === 404) return null;
        throw error;
      });
      return { ...described, tierDiscountPercent: tier?.discountPercent || null };
    },
  };
}
