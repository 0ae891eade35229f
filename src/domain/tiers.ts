/**
 * Tier (level) evaluation: which tier a member holds given the value of the program's basis,
 * the downgrade policy and any manual assignment. Pure: no IO, the clock is an argument.
 *
 * A member's state has two halves. The *automatic* tier follows the basis under the downgrade
 * policy; a *manual* assignment, when there is one and it has not expired, overrides it: locked,
 * the member holds exactly that tier; unlocked, it is a floor (the member still moves up on their
 * own). When the assignment ends the member simply falls back to the automatic tier, which was
 * kept current all along.
 */

export const TIER_BASES = [
  'lifetime_points',
  'points_in_window',
  'active_points',
  'total_spent',
  'spent_in_window',
] as const;
export type TierBasis = (typeof TIER_BASES)[number];

export const DOWNGRADE_POLICIES = ['never', 'immediate', 'after_days'] as const;
export type DowngradePolicyName = (typeof DOWNGRADE_POLICIES)[number];

export type DowngradePolicy =
  | { policy: 'never' }
  | { policy: 'immediate' }
  | { policy: 'after_days'; days: number };

/** Thresholds are points (integer hundredths) or money (minor units), depending on the basis. */
export function basisUnit(basis: TierBasis): 'points' | 'money' {
  return basis === 'total_spent' || basis === 'spent_in_window' ? 'money' : 'points';
}

export function isWindowed(basis: TierBasis): boolean {
  return basis === 'points_in_window' || basis === 'spent_in_window';
}

export interface TierDefinition {
  id: string;
  /** Basis value from which the tier is reached, in basis units. */
  threshold: number;
  /** Earning multiplier in hundredths (100 = ×1). */
  multiplier: number;
  active: boolean;
  sortOrder: number;
}

export interface ManualAssignment {
  tierId: string;
  /** Locked: exactly this tier. Unlocked: at least this tier. */
  locked: boolean;
  /** null = until removed. */
  expiresAt: Date | null;
}

export interface TierState {
  automaticTierId: string | null;
  /** Since when the basis has been below the automatic tier's threshold (null = it is not). */
  belowSince: Date | null;
  manual: ManualAssignment | null;
}

export const EMPTY_STATE: TierState = { automaticTierId: null, belowSince: null, manual: null };

const DAY_MS = 86_400_000;

/** Ladder order: threshold, then sort order, then id (stable whatever order tiers are read in). */
export function compareTiers(a: TierDefinition, b: TierDefinition): number {
  return a.threshold - b.threshold || a.sortOrder - b.sortOrder || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** The active tiers, lowest first. */
export function ladder(tiers: readonly TierDefinition[]): TierDefinition[] {
  return tiers.filter((tier) => tier.active).sort(compareTiers);
}

/** The highest active tier whose threshold the value reaches; null below every threshold. */
export function qualifyingTier(tiers: readonly TierDefinition[], value: number): TierDefinition | null {
  let best: TierDefinition | null = null;
  for (const tier of ladder(tiers)) if (tier.threshold <= value) best = tier;
  return best;
}

function activeTier(tiers: readonly TierDefinition[], id: string | null): TierDefinition | null {
  if (id === null) return null;
  return tiers.find((tier) => tier.id === id && tier.active) ?? null;
}

/** The higher of two tiers on the ladder (null counts as below every tier). */
function higher(a: TierDefinition | null, b: TierDefinition | null): TierDefinition | null {
  if (a === null) return b;
  if (b === null) return a;
  return compareTiers(a, b) >= 0 ? a : b;
}

/**
 * The automatic half: up at once whenever the basis reaches a higher tier; down only as the
 * policy says. A tier that was deactivated or deleted is left at once, whatever the policy.
 */
export function evaluateAutomatic(
  tiers: readonly TierDefinition[],
  current: Pick<TierState, 'automaticTierId' | 'belowSince'>,
  value: number,
  policy: DowngradePolicy,
  now: Date,
): Pick<TierState, 'automaticTierId' | 'belowSince'> {
  const qualified = qualifyingTier(tiers, value);
  const held = activeTier(tiers, current.automaticTierId);
  if (held === null || (qualified !== null && compareTiers(qualified, held) >= 0)) {
    return { automaticTierId: qualified?.id ?? null, belowSince: null };
  }
  // Below the held tier's threshold.
  const downgraded = { automaticTierId: qualified?.id ?? null, belowSince: null };
  switch (policy.policy) {
    case 'immediate':
      return downgraded;
    case 'never':
      return { automaticTierId: held.id, belowSince: current.belowSince ?? now };
    case 'after_days': {
      const since = current.belowSince ?? now;
      if (now.getTime() - since.getTime() >= policy.days * DAY_MS) return downgraded;
      return { automaticTierId: held.id, belowSince: since };
    }
  }
}

/** Whether a manual assignment still applies at `now` (not expired, its tier still active). */
export function manualApplies(
  tiers: readonly TierDefinition[],
  manual: ManualAssignment | null,
  now: Date,
): manual is ManualAssignment {
  if (manual === null) return false;
  if (manual.expiresAt !== null && manual.expiresAt.getTime() <= now.getTime()) return false;
  return activeTier(tiers, manual.tierId) !== null;
}

/** The tier the member holds: the manual assignment's when it applies, the automatic one otherwise. */
export function effectiveTier(
  tiers: readonly TierDefinition[],
  state: TierState,
  now: Date,
): TierDefinition | null {
  const automatic = activeTier(tiers, state.automaticTierId);
  if (!manualApplies(tiers, state.manual, now)) return automatic;
  const manual = activeTier(tiers, state.manual.tierId);
  return state.manual.locked ? manual : higher(manual, automatic);
}

export interface Evaluation {
  state: TierState;
  tierId: string | null;
  /** The manual assignment ended in this evaluation (expired, or its tier is gone). */
  manualEnded: boolean;
}

/** One evaluation of a member: the new state and the tier it gives. */
export function evaluateTier(
  tiers: readonly TierDefinition[],
  state: TierState,
  value: number,
  policy: DowngradePolicy,
  now: Date,
): Evaluation {
  const automatic = evaluateAutomatic(tiers, state, value, policy, now);
  const manual = manualApplies(tiers, state.manual, now) ? state.manual : null;
  const next: TierState = { ...automatic, manual };
  return {
    state: next,
    tierId: effectiveTier(tiers, next, now)?.id ?? null,
    manualEnded: state.manual !== null && manual === null,
  };
}

export interface Progress {
  current: TierDefinition | null;
  next: TierDefinition | null;
  /** Basis units still missing to reach `next` (0 when already reached). */
  missingForNext: number | null;
  /** Basis units missing to stay at or above the current tier's threshold (0 when it is met). */
  missingToKeep: number | null;
  /** When the member drops from the current tier if nothing changes (after_days only). */
  downgradeAt: Date | null;
}

/** Where the member stands on the ladder: what the next tier needs, what keeping this one needs. */
export function tierProgress(
  tiers: readonly TierDefinition[],
  state: TierState,
  value: number,
  policy: DowngradePolicy,
  now: Date,
): Progress {
  const current = effectiveTier(tiers, state, now);
  const steps = ladder(tiers);
  const next =
    current === null ? (steps[0] ?? null) : (steps.find((tier) => compareTiers(tier, current) > 0) ?? null);
  const missingToKeep = current === null ? null : Math.max(0, current.threshold - value);
  let downgradeAt: Date | null = null;
  const heldAutomatically = current !== null && current.id === state.automaticTierId;
  if (
    heldAutomatically &&
    policy.policy === 'after_days' &&
    missingToKeep !== null &&
    missingToKeep > 0 &&
    !(manualApplies(tiers, state.manual, now) && state.manual.tierId === current.id)
  ) {
    downgradeAt = new Date((state.belowSince ?? now).getTime() + policy.days * DAY_MS);
  }
  return {
    current,
    next,
    missingForNext: next === null ? null : Math.max(0, next.threshold - value),
    missingToKeep,
    downgradeAt,
  };
}

export function downgradePolicyOf(settings: {
  tierDowngradePolicy: DowngradePolicyName;
  tierDowngradeDays: number;
}): DowngradePolicy {
  return settings.tierDowngradePolicy === 'after_days'
    ? { policy: 'after_days', days: settings.tierDowngradeDays }
    : { policy: settings.tierDowngradePolicy };
}
