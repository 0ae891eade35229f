import { describe, expect, it } from 'vitest';
import { evaluateTicket } from './evaluate.ts';
import { line, member, rule, spend, ticket } from './fixtures.ts';
import { evaluateTrigger } from './triggers.ts';
import type { EvaluationSettings, Label, RuleConfig } from './types.ts';

/**
 * Open Loyalty's evaluator (supplement §5.3–5.5, OL 3.2's OloyEarningRuleEvaluator), each case
 * beside what Regulars' own semantics give for the same rules.
 */
const regulars: EvaluationSettings = { timeZone: 'Europe/Warsaw', rounding: 'down', precision: 'hundredths' };
const ol: EvaluationSettings = { ...regulars, semantics: 'openloyalty' };

const promo: Label = { key: 'promo', value: 'yes' };
const outlet: Label = { key: 'outlet', value: 'yes' };
const byLabel = (...pairs: Array<[Label, number]>): RuleConfig => ({
  type: 'multiply_by_label',
  config: { multipliers: pairs.map(([label, multiplier]) => ({ ...label, multiplier })) },
});
const byProduct = (skus: string[], multiplier: number): RuleConfig => ({
  type: 'multiply_by_product',
  config: { skus, labels: [], multiplier },
});
const product = (skus: string[], points: number): RuleConfig => ({
  type: 'product_purchase',
  config: { skus, points, per: 'unit' },
});

describe('Open Loyalty earning semantics', () => {
  it("earn the document's demo figure: 6.9 points on 3.00 at 2.3 points per unit", () => {
    const result = evaluateTicket(ticket([line('SKU1', 300)]), member(), [rule(spend(230))], ol);
    expect(result.total).toBe(690);
    expect(result.entries).toMatchObject([{ ruleType: 'spend', lineId: 'SKU1', points: 690 }]);
  });

  it('stop after a rule flagged as the last executed rule, and not after one its minimum order skipped', () => {
    const sale = ticket([line('A', 1000)]);
    const double = rule(byProduct(['A'], 200));
    const last = rule(spend(100), { stopsEvaluation: true });
    expect(evaluateTicket(sale, member(), [last, double], ol).total).toBe(1000);
    expect(evaluateTicket(sale, member(), [rule(spend(100)), double], ol).total).toBe(2000);
    // Skipped by its minimum order, the flagged rule did not execute: the others run.
    const skipped = rule(spend(500, { minimumOrder: 5000 }), { stopsEvaluation: true });
    expect(evaluateTicket(sale, member(), [skipped, rule(spend(100)), double], ol).total).toBe(2000);
  });

  it('stop after a flagged multiplier even when it matched no line (OL multipliers always execute)', () => {
    const sale = ticket([line('A', 1000)]);
    const unrelated = rule(byProduct(['Z'], 300), { stopsEvaluation: true });
    const bonus = rule(product(['A'], 500));
    expect(evaluateTicket(sale, member(), [rule(spend(100)), unrelated, bonus], ol).total).toBe(1000);
    expect(evaluateTicket(sale, member(), [rule(spend(100)), bonus], ol).total).toBe(1500);
  });

  it('reduce the points of labelled items with a multiplier below 1, and cancel them with 0', () => {
    const sale = ticket([line('A', 1000, { labels: [promo] }), line('B', 1000, { labels: [outlet] })]);
    const rules = [rule(spend(100)), rule(byLabel([promo, 50], [outlet, 0]))];
    const result = evaluateTicket(sale, member(), rules, ol);
    expect(result.total).toBe(500);
    // The breakdown adds up: the multiplier takes 5 from A and 10 from B.
    expect(result.entries.reduce((sum, entry) => sum + entry.points, 0)).toBe(500);
    expect(result.entries).toContainEqual(
      expect.objectContaining({ ruleType: 'multiply_by_label', lineId: 'B', points: -1000 }),
    );
  });

  it('combine several multipliers on one item by product, where Regulars adds them', () => {
    const sale = ticket([line('A', 1000, { labels: [promo, outlet] })]);
    const rules = [rule(spend(100)), rule(byProduct(['A'], 200)), rule(byLabel([promo, 300]))];
    expect(evaluateTicket(sale, member(), rules, ol).total).toBe(6000);
    expect(evaluateTicket(sale, member(), rules, regulars).total).toBe(4000);
    // One label rule with two matching pairs multiplies both: 10 × 3 × 0.5.
    const pairs = [rule(spend(100)), rule(byLabel([promo, 300], [outlet, 50]))];
    expect(evaluateTicket(sale, member(), pairs, ol).total).toBe(1500);
  });

  it('multiply a SKU shared by two lines once per matching line, as OL does', () => {
    const sale = ticket([line('1', 1000, { sku: 'A' }), line('2', 1000, { sku: 'A' })]);
    const rules = [rule(spend(100)), rule(byProduct(['A'], 200))];
    // Both lines fill bucket A (20); each matching line doubles it: 80.
    expect(evaluateTicket(sale, member(), rules, ol).total).toBe(8000);
  });

  it('keep points per SKU and point type: a multiplier of one type leaves another type’s points alone', () => {
    const sale = ticket([line('A', 1000, { labels: [promo] })]);
    const stars = { pointTypeId: 'stars' };
    const rules = [rule(spend(100)), rule(spend(300), stars), rule(byLabel([promo, 0]))];
    const result = evaluateTicket(sale, member(), rules, ol);
    // The ×0 multiplier (default type) cancels the 10 points; the 30 stars stay whole.
    expect(result.total).toBe(3000);
    expect(result.entries).toEqual([
      expect.objectContaining({ ruleType: 'spend', ruleId: rules[0]!.id, points: 1000 }),
      expect.objectContaining({ ruleType: 'spend', ruleId: rules[1]!.id, points: 3000 }),
      expect.objectContaining({ ruleType: 'multiply_by_label', points: -1000 }),
    ]);
    // A stars multiplier doubles the stars only; stars product points go to the stars bucket.
    const starRules = [rule(spend(100)), rule(spend(300), stars), rule(byLabel([promo, 200]), stars)];
    expect(evaluateTicket(sale, member(), starRules, ol).total).toBe(7000);
    const bonus = [rule(spend(100)), rule(product(['A'], 500), stars), rule(byLabel([promo, 0]))];
    expect(evaluateTicket(sale, member(), bonus, ol).total).toBe(500);
  });

  it('pay product-purchase points once per matching line, whatever the quantity, and never multiply them', () => {
    const sale = ticket([
      line('1', 1000, { sku: 'A', quantity: 3 }),
      line('2', 500, { sku: 'A', quantity: 2 }),
      line('3', 500, { sku: 'B', quantity: 4 }),
    ]);
    const rules = [rule(product(['A', 'B'], 500)), rule(byProduct(['A', 'B'], 200))];
    expect(evaluateTicket(sale, member(), rules, ol).total).toBe(1500);
    // Regulars pays per unit (3 + 2 + 4) and its multiplier doubles them.
    expect(evaluateTicket(sale, member(), rules, regulars).total).toBe(9000);
  });

  it('round each read of an item’s points half up to hundredths, as PHP round($x, 2) does', () => {
    const sale = ticket([line('A', 33)]);
    // 0.33 × 1.5 = 0.495: OL reads 0.50 and doubles it to 1.00; Regulars gives 0.495 × 2 rounded down.
    const rules = [rule(spend(150)), rule(byProduct(['A'], 200))];
    expect(evaluateTicket(sale, member(), rules, ol).total).toBe(100);
    expect(evaluateTicket(sale, member(), rules, regulars).total).toBe(98);
  });

  it('pay only the highest of several event rules of one event, where Regulars pays them all', () => {
    const small = rule({ type: 'event', config: { event: 'registration', points: 1000 } });
    const large = rule({ type: 'event', config: { event: 'registration', points: 5000 } });
    const occasion = { ...ol, at: new Date('2026-11-20T12:00:00Z'), locationId: null };
    const registered = { kind: 'event', event: 'registration' } as const;
    expect(evaluateTrigger(registered, member(), [small, large], occasion).total).toBe(5000);
    expect(
      evaluateTrigger(registered, member(), [small, large], { ...occasion, semantics: 'regulars' }).total,
    ).toBe(6000);
    const first = [
      rule({ type: 'event', config: { event: 'first_purchase', points: 300 } }),
      rule({ type: 'event', config: { event: 'first_purchase', points: 200 } }),
    ];
    expect(evaluateTicket(ticket([line('A', 100)]), member({ purchasesBefore: 0 }), first, ol).total).toBe(
      300,
    );
  });

  it('pay the highest custom-event rule, and referral rules apart from event rules', () => {
    const occasion = { ...ol, at: new Date('2026-11-20T12:00:00Z'), locationId: null };
    const likes = [
      rule({ type: 'custom_event', config: { eventName: 'like', points: 200 } }),
      rule({ type: 'custom_event', config: { eventName: 'like', points: 700 } }),
    ];
    expect(evaluateTrigger({ kind: 'custom_event', name: 'like' }, member(), likes, occasion).total).toBe(
      700,
    );
    const welcome = rule({ type: 'event', config: { event: 'registration', points: 1000 } });
    const referral = (referrerPoints: number, referredPoints: number) =>
      rule({ type: 'referral', config: { trigger: 'registration', referrerPoints, referredPoints } });
    const result = evaluateTrigger(
      { kind: 'event', event: 'registration' },
      member({ referredBy: 'friend' }),
      [welcome, referral(500, 100), referral(300, 400)],
      occasion,
    );
    expect(result.total).toBe(1400);
    expect(result.entries.filter((entry) => entry.beneficiary === 'referrer')).toMatchObject([
      { points: 500 },
    ]);
  });
});
