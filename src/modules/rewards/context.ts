import type { ConfigCache } from '../../db/config-cache.ts';
import type { Db, Executor } from '../../db/connection.ts';
import type { OwnIds } from '../../db/references.ts';
import { answered, mapped, type PartRead, readPart } from '../../db/together.ts';
import type { Hundredths } from '../../domain/points.ts';
import type { Audience, Blocker, RewardTerms } from '../../domain/rewards.ts';
import { AppError, nullIfNotFound, validationFailed } from '../../errors.ts';
import type { CustomersService } from '../customers/service.ts';
import type { LedgerService } from '../ledger/service.ts';
import type { LocationsService } from '../locations/service.ts';
import type { OrganizationsService } from '../organizations/service.ts';
import type { PointTypesService } from '../point-types/service.ts';
import type { Catalog } from './catalog.ts';

/**
 * Tier and segments of a member, as a part of a read several modules answer together; the
 * tiers/segments module provides it, with the tier's discount benefit in hundredths of a percent
 * (1250 = 12.5 %) when the tier has one.
 */
export interface RewardAudienceProvider {
  describePart(
    executor: Executor,
    organizationId: string,
    customerId: string,
  ): Promise<PartRead<{ tierId: string | null; segmentIds: string[]; tierDiscountPercent: number | null }>>;
}

export interface RewardsDependencies {
  customers: CustomersService;
  ledger: LedgerService;
  organizations: OrganizationsService;
  locations: LocationsService;
  pointTypes: PointTypesService;
  /** Say which of the ids a reward is restricted to are the organization's. */
  tiers: { ownIds: OwnIds };
  segments: { ownIds: OwnIds };
  /** Keeps the catalogue's definitions in memory (see catalog.active). */
  configCache: ConfigCache;
  /** Absent until the tiers/segments module is wired: then nobody is in a tier or segment. */
  audience?: RewardAudienceProvider | undefined;
}

export type Customer = Awaited<ReturnType<CustomersService['get']>>;

/** What the rewards use cases share: the database, the other modules' services, the catalogue. */
export interface RewardsContext extends RewardsDependencies {
  db: Db;
  catalog: Catalog;
}

/** The member's audience, read only when a reward is restricted to tiers or segments or gives the tier's discount. */
export async function audiencePart(
  context: RewardsContext,
  executor: Executor,
  organizationId: string,
  customerId: string,
  rewards: RewardTerms[],
): Promise<PartRead<Audience>> {
  const needed = rewards.some(
    (reward) => reward.tierIds.length > 0 || reward.segmentIds.length > 0 || reward.config.fromTier,
  );
  if (!needed || !context.audience) {
    return answered({ customerId, tierId: null, segmentIds: [], tierDiscountPercent: null });
  }
  return mapped(await context.audience.describePart(executor, organizationId, customerId), (described) => ({
    customerId,
    ...described,
  }));
}

export async function audienceOf(
  context: RewardsContext,
  executor: Executor,
  organizationId: string,
  customerId: string,
  rewards: RewardTerms[],
): Promise<Audience> {
  return readPart(executor, await audiencePart(context, executor, organizationId, customerId, rewards));
}

/** The time zone of a location (or of the organization when there is none). 422 for a foreign one. */
export async function timeZoneAt(
  context: RewardsContext,
  executor: Executor,
  organizationId: string,
  locationId: string | null | undefined,
  path: string,
): Promise<string> {
  const organization = await context.organizations.get(organizationId, executor);
  if (!locationId) return organization.timeZone;
  const location = await nullIfNotFound(context.locations.get(organizationId, locationId, executor));
  if (!location) throw validationFailed(path, 'is not a location of this organization');
  return location.timeZone ?? organization.timeZone;
}

/**
 * Active points per point type, and which type is the default (from the configuration cache), as
 * a part that can ride on another statement (see db/together.ts).
 */
export async function pointsPart(
  context: RewardsContext,
  organizationId: string,
  customerId: string,
  executor: Executor = context.db,
): Promise<PartRead<{ available: Map<string, Hundredths>; defaultTypeId: string }>> {
  const fallback = await context.pointTypes.getDefault(organizationId, executor);
  return mapped(context.ledger.activeBalancesPart(organizationId, customerId), (available) => ({
    available,
    defaultTypeId: fallback.id,
  }));
}

export async function pointsOf(
  context: RewardsContext,
  organizationId: string,
  customerId: string,
  executor: Executor = context.db,
) {
  return readPart(executor, await pointsPart(context, organizationId, customerId, executor));
}

const LIMIT_CODES = new Set(['limit_reached', 'member_limit_reached', 'member_period_limit_reached']);

/** The error a use case answers when rewards cannot be taken: one code, every reason listed. */
export function blockedError(
  blockers: Array<{ path: string; blocker: Blocker }>,
  fallback: string,
): AppError {
  const codes = blockers.map(({ blocker }) => blocker.code);
  let code = fallback;
  if (codes.every((c) => c === 'insufficient_points')) code = 'insufficient_points';
  else if (codes.every((c) => LIMIT_CODES.has(c))) code = 'reward_limit_reached';
  else if (codes.every((c) => c === 'no_codes_left')) code = 'no_codes_left';
  else if (codes.every((c) => c === 'customer_inactive')) code = 'customer_inactive';
  const errors = blockers.map(({ path, blocker }) => ({
    path,
    message: `${blocker.code}: ${blocker.message}`,
  }));
  return new AppError(code, errors.map((e) => `${e.path} ${e.message}`).join('; '), { errors });
}

export const CUSTOMER_INACTIVE: Blocker = {
  code: 'customer_inactive',
  message: 'the member is not active and cannot take rewards',
};
