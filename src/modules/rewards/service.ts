import type { Db } from '../../db/connection.ts';
import { createAvailability } from './availability.ts';
import { createCatalog } from './catalog.ts';
import type { RewardsContext, RewardsDependencies } from './context.ts';
import { createCoupons } from './coupons.ts';
import { createPlanner } from './planner.ts';
import { createRedemptions } from './redemptions.ts';
import { expireCoupons } from './store.ts';

export type { RewardAudienceProvider, RewardsDependencies } from './context.ts';

/**
 * Rewards: the catalogue, what a member can use now, claims and coupons, and checkout
 * redemptions. The one door of the module: dialects (Comeback promotions, the POS gateway's
 * redeem) translate their shapes and call these, and nothing else.
 */
export function createRewardsService(db: Db, deps: RewardsDependencies) {
  const catalog = createCatalog(db, deps);
  const context: RewardsContext = { ...deps, db, catalog };
  // Claims and coupon uses release expired reservations first (redemptions owns that sweep).
  const coupons = createCoupons(context, (organizationId, now) => redemptions.sweep(organizationId, now));
  const planner = createPlanner(context, coupons);
  const redemptions = createRedemptions(context, planner);
  const available = createAvailability(context, coupons, redemptions.sweep);

  return {
    catalog,
    coupons,
    redemptions,
    /** GET /v1/customers/{id}/rewards: every reward on show, with canRedeem and the reasons. */
    available,

    /**
     * What the scheduler does (and what readers do lazily anyway): releases reservations whose
     * time is up and marks coupons past their expiry as expired. Safe on several nodes at once.
     */
    async processDue(options: { now?: Date; batchSize?: number } = {}) {
      const now = options.now ?? new Date();
      const reservationsReleased = await redemptions.sweep(undefined, now);
      let couponsExpired = 0;
      for (;;) {
        const expired = await expireCoupons(db, now, options.batchSize ?? 500);
        couponsExpired += expired;
        if (expired < (options.batchSize ?? 500)) break;
      }
      return { reservationsReleased, couponsExpired };
    },
  };
}

export type RewardsService = ReturnType<typeof createRewardsService>;
