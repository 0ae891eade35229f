import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compareTiers,
  type DowngradePolicy,
  EMPTY_STATE,
  effectiveTier,
  evaluateAutomatic,
  evaluateTier,
  qualifyingTier,
  type TierDefinition,
  type TierState,
  tierProgress,
} from './tiers.ts';

const DAY = 86_400_000;
const t0 = new Date('2026-01-10T12:00:00Z');
const at = (days: number) => new Date(t0.getTime() + days * DAY);

const tier = (id: string, threshold: number, extra: Partial<TierDefinition> = {}): TierDefinition => ({
  id,
  threshold,
  multiplier: 100,
  active: true,
  sortOrder: 0,
  ...extra,
});

const BRONZE = tier('bronze', 0);
const SILVER = tier('silver', 100);
const GOLD = tier('gold', 500, { multiplier: 150 });
const LADDER = [GOLD, BRONZE, SILVER];

const IMMEDIATE: DowngradePolicy = { policy: 'immediate' };
const NEVER: DowngradePolicy = { policy: 'never' };
const AFTER_10: DowngradePolicy = { policy: 'after_days', days: 10 };

const holding = (id: string | null, belowSince: Date | null = null): TierState => ({
  automaticTierId: id,
  belowSince,
  manual: null,
});

describe('qualifyingTier', () => {
  it('is the highest active tier whose threshold the value reaches', () => {
    expect(qualifyingTier(LADDER, 0)?.id).toBe('bronze');
    expect(qualifyingTier(LADDER, 499)?.id).toBe('silver');
    expect(qualifyingTier(LADDER, 500)?.id).toBe('gold');
    expect(qualifyingTier([SILVER], 50)).toBeNull();
    expect(qualifyingTier([BRONZE, { ...GOLD, active: false }], 1000)?.id).toBe('bronze');
  });

  it('breaks a tie of thresholds by sort order, then id', () => {
    const plain = tier('b-plain', 100);
    const premium = tier('a-premium', 100, { sortOrder: 1 });
    expect(qualifyingTier([premium, plain], 100)?.id).toBe('a-premium');
    expect(qualifyingTier([tier('b', 100), tier('a', 100)], 100)?.id).toBe('b');
  });
});

describe('evaluateAutomatic', () => {
  it('moves up at once, whatever the policy', () => {
    for (const policy of [IMMEDIATE, NEVER, AFTER_10]) {
      expect(evaluateAutomatic(LADDER, holding('silver', at(0)), 700, policy, at(1))).toEqual({
        automaticTierId: 'gold',
        belowSince: null,
      });
    }
  });

  it('immediate: moves down to the tier the value reaches', () => {
    expect(evaluateAutomatic(LADDER, holding('gold'), 120, IMMEDIATE, at(0))).toEqual({
      automaticTierId: 'silver',
      belowSince: null,
    });
    expect(
      evaluateAutomatic([SILVER, GOLD], holding('gold'), 20, IMMEDIATE, at(0)).automaticTierId,
    ).toBeNull();
  });

  it('never: keeps the tier and remembers since when the value is below it', () => {
    const first = evaluateAutomatic(LADDER, holding('gold'), 120, NEVER, at(0));
    expect(first).toEqual({ automaticTierId: 'gold', belowSince: at(0) });
    expect(evaluateAutomatic(LADDER, first, 0, NEVER, at(900))).toEqual({
      automaticTierId: 'gold',
      belowSince: at(0),
    });
  });

  it('after_days: keeps the tier N days below the threshold, then drops to what the value reaches', () => {
    let state = evaluateAutomatic(LADDER, holding('gold'), 120, AFTER_10, at(0));
    expect(state).toEqual({ automaticTierId: 'gold', belowSince: at(0) });
    state = evaluateAutomatic(LADDER, state, 0, AFTER_10, at(9.99));
    expect(state.automaticTierId).toBe('gold');
    state = evaluateAutomatic(LADDER, state, 120, AFTER_10, at(10));
    expect(state).toEqual({ automaticTierId: 'silver', belowSince: null });
  });

  it('after_days: reaching the threshold again resets the countdown', () => {
    let state = evaluateAutomatic(LADDER, holding('gold'), 120, AFTER_10, at(0));
    state = evaluateAutomatic(LADDER, state, 600, AFTER_10, at(5));
    expect(state).toEqual({ automaticTierId: 'gold', belowSince: null });
    state = evaluateAutomatic(LADDER, state, 120, AFTER_10, at(8));
    expect(evaluateAutomatic(LADDER, state, 120, AFTER_10, at(17)).automaticTierId).toBe('gold');
    expect(evaluateAutomatic(LADDER, state, 120, AFTER_10, at(18)).automaticTierId).toBe('silver');
  });

  it('leaves a deactivated or deleted tier at once, whatever the policy', () => {
    const ladder = [BRONZE, SILVER, { ...GOLD, active: false }];
    expect(evaluateAutomatic(ladder, holding('gold'), 0, NEVER, at(0)).automaticTierId).toBe('bronze');
    expect(evaluateAutomatic([BRONZE], holding('gone'), 0, NEVER, at(0)).automaticTierId).toBe('bronze');
  });
});

describe('manual assignment', () => {
  const manual = (tierId: string, locked: boolean, expiresAt: Date | null = null): TierState => ({
    ...holding('silver'),
    manual: { tierId, locked, expiresAt },
  });

  it('locked: exactly that tier, up or down, until it expires', () => {
    expect(effectiveTier(LADDER, manual('bronze', true), at(0))?.id).toBe('bronze');
    expect(effectiveTier(LADDER, manual('gold', true, at(5)), at(4))?.id).toBe('gold');
    expect(effectiveTier(LADDER, manual('gold', true, at(5)), at(5))?.id).toBe('silver');
  });

  it('unlocked: a floor under the automatic tier', () => {
    expect(effectiveTier(LADDER, manual('bronze', false), at(0))?.id).toBe('silver');
    expect(effectiveTier(LADDER, manual('gold', false), at(0))?.id).toBe('gold');
  });

  it('ends when it expires or its tier is no longer active, and says so', () => {
    const expired = evaluateTier(LADDER, manual('gold', true, at(5)), 120, IMMEDIATE, at(6));
    expect(expired).toMatchObject({ tierId: 'silver', manualEnded: true, state: { manual: null } });
    const inactive = evaluateTier(
      [BRONZE, SILVER, { ...GOLD, active: false }],
      manual('gold', true),
      120,
      NEVER,
      at(0),
    );
    expect(inactive).toMatchObject({ tierId: 'silver', manualEnded: true });
    const kept = evaluateTier(LADDER, manual('gold', true, at(5)), 0, IMMEDIATE, at(1));
    expect(kept).toMatchObject({ tierId: 'gold', manualEnded: false, state: { automaticTierId: 'bronze' } });
  });
});

describe('tierProgress', () => {
  it('names the next tier and what is missing for it and to keep the current one', () => {
    expect(tierProgress(LADDER, holding('silver'), 150, IMMEDIATE, at(0))).toEqual({
      current: SILVER,
      next: GOLD,
      missingForNext: 350,
      missingToKeep: 0,
      downgradeAt: null,
    });
    expect(tierProgress(LADDER, holding('gold', at(2)), 120, AFTER_10, at(3))).toMatchObject({
      current: GOLD,
      next: null,
      missingForNext: null,
      missingToKeep: 380,
      downgradeAt: at(12),
    });
    expect(tierProgress([SILVER, GOLD], EMPTY_STATE, 30, IMMEDIATE, at(0))).toMatchObject({
      current: null,
      next: SILVER,
      missingForNext: 70,
      missingToKeep: null,
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Properties

const arbLadder = fc.uniqueArray(
  fc.record({
    id: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'),
    threshold: fc.integer({ min: 0, max: 1000 }),
    multiplier: fc.integer({ min: 100, max: 300 }),
    active: fc.boolean(),
    sortOrder: fc.integer({ min: -2, max: 2 }),
  }),
  { selector: (t) => t.id, minLength: 1, maxLength: 6 },
);
const arbPolicy: fc.Arbitrary<DowngradePolicy> = fc.oneof(
  fc.constant<DowngradePolicy>({ policy: 'never' }),
  fc.constant<DowngradePolicy>({ policy: 'immediate' }),
  fc.integer({ min: 1, max: 60 }).map((days): DowngradePolicy => ({ policy: 'after_days', days })),
);
const arbSteps = fc.array(
  fc.record({ value: fc.integer({ min: 0, max: 1200 }), days: fc.integer({ min: 0, max: 40 }) }),
  { minLength: 1, maxLength: 20 },
);
const rank = (tiers: TierDefinition[], id: string | null) => {
  const held = tiers.find((t) => t.id === id && t.active);
  return held ? held : null;
};

describe('properties', () => {
  it('immediate always holds exactly the tier the value reaches', () => {
    fc.assert(
      fc.property(arbLadder, arbSteps, (tiers, steps) => {
        let state: TierState = EMPTY_STATE;
        let now = t0;
        for (const step of steps) {
          now = new Date(now.getTime() + step.days * DAY);
          const result = evaluateTier(tiers, state, step.value, IMMEDIATE, now);
          expect(result.tierId).toBe(qualifyingTier(tiers, step.value)?.id ?? null);
          state = result.state;
        }
      }),
    );
  });

  it('whatever the policy, a member never holds less than the value reaches, and never is monotone', () => {
    fc.assert(
      fc.property(arbLadder, arbPolicy, arbSteps, (tiers, policy, steps) => {
        let state: TierState = EMPTY_STATE;
        let now = t0;
        let previous: TierDefinition | null = null;
        for (const step of steps) {
          now = new Date(now.getTime() + step.days * DAY);
          state = evaluateTier(tiers, state, step.value, policy, now).state;
          const held = rank(tiers, state.automaticTierId);
          const reached = qualifyingTier(tiers, step.value);
          if (reached) expect(held && compareTiers(held, reached) >= 0).toBe(true);
          if (policy.policy === 'never' && previous)
            expect(held && compareTiers(held, previous) >= 0).toBe(true);
          previous = held;
        }
      }),
    );
  });

  it('after_days drops a tier only after N days continuously below its threshold', () => {
    fc.assert(
      fc.property(arbLadder, fc.integer({ min: 1, max: 30 }), arbSteps, (tiers, days, steps) => {
        const policy: DowngradePolicy = { policy: 'after_days', days };
        let state: TierState = EMPTY_STATE;
        let now = t0;
        let belowFrom: Date | null = null;
        for (const step of steps) {
          now = new Date(now.getTime() + step.days * DAY);
          const before = rank(tiers, state.automaticTierId);
          belowFrom = before && step.value < before.threshold ? (belowFrom ?? now) : null;
          state = evaluateTier(tiers, state, step.value, policy, now).state;
          const after = rank(tiers, state.automaticTierId);
          if (before && (!after || compareTiers(after, before) < 0)) {
            expect(belowFrom).not.toBeNull();
            expect(now.getTime() - belowFrom!.getTime()).toBeGreaterThanOrEqual(days * DAY);
          }
          if (after?.id !== before?.id) belowFrom = null;
        }
      }),
    );
  });

  it('a locked, unexpired manual tier is what the member holds; an unlocked one is a floor', () => {
    fc.assert(
      fc.property(
        arbLadder,
        arbPolicy,
        fc.integer({ min: 0, max: 1200 }),
        fc.boolean(),
        (tiers, policy, value, locked) => {
          const active = tiers.filter((t) => t.active);
          fc.pre(active.length > 0);
          const manualTier = active[0]!;
          const state: TierState = {
            ...EMPTY_STATE,
            manual: { tierId: manualTier.id, locked, expiresAt: at(30) },
          };
          const result = evaluateTier(tiers, state, value, policy, at(1));
          const held = rank(tiers, result.tierId)!;
          if (locked) expect(held.id).toBe(manualTier.id);
          else {
            expect(compareTiers(held, manualTier)).toBeGreaterThanOrEqual(0);
            const automatic = rank(tiers, result.state.automaticTierId);
            if (automatic) expect(compareTiers(held, automatic)).toBeGreaterThanOrEqual(0);
          }
        },
      ),
    );
  });
});
