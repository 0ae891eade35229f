import { describe, expect, it } from 'vitest';
import { evaluateTicket } from './evaluate.ts';
import { line, member, rule, spend, ticket } from './fixtures.ts';
import type { EvaluationSettings, RuleScope } from './types.ts';

const madrid: EvaluationSettings = { timeZone: 'Europe/Madrid', rounding: 'down', precision: 'hundredths' };

describe('spend rules', () => {
  it("earn 6.9 points on a 3.00 ticket at 2.3 points per unit (Open Loyalty's demo figure)", () => {
    const result = evaluateTicket(ticket([line('a', 300)]), member(), [rule(spend(230))], madrid);
    expect(result.total).toBe(690);
    expect(result.entries).toMatchObject([{ ruleType: 'spend', lineId: null, points: 690 }]);
  });

  it('give excluded SKUs, excluded categories and excluded labels nothing', () => {
    const lines = [
      line('burger', 1000),
      line('tobacco', 500),
      line('beer', 400, { category: 'alcohol' }),
      line('gift-card', 2000, { labels: [{ key: 'kind', value: 'voucher' }] }),
    ];
    const rules = [
      rule(
        spend(100, {
          excludedSkus: ['tobacco'],
          excludedCategories: ['alcohol'],
          excludeLabels: [{ key: 'kind', value: 'voucher' }],
        }),
      ),
    ];
    const result = evaluateTicket(ticket(lines), member(), rules, madrid);
    expect(result.total).toBe(1000);
  });

  it('earn only on labelled lines when the rule lists labels to include', () => {
    const lines = [line('menu', 1500, { labels: [{ key: 'promo', value: 'autumn' }] }), line('coffee', 200)];
    const rules = [rule(spend(200, { includeLabels: [{ key: 'promo', value: 'autumn' }] }))];
    expect(evaluateTicket(ticket(lines), member(), rules, madrid).total).toBe(3000);
  });

  it('earn nothing below the minimum order value', () => {
    const rules = [rule(spend(100, { minimumOrder: 1000 }))];
    expect(evaluateTicket(ticket([line('a', 999)]), member(), rules, madrid).total).toBe(0);
    expect(evaluateTicket(ticket([line('a', 1000)]), member(), rules, madrid).total).toBe(1000);
  });

  it('count the delivery fee unless the rule excludes it', () => {
    const delivered = ticket([line('pizza', 1200)], {
      totals: { deliveryFee: 300, discount: 0, total: 1500, tipsAndFees: 0 },
    });
    expect(evaluateTicket(delivered, member(), [rule(spend(100))], madrid).total).toBe(1500);
    expect(
      evaluateTicket(delivered, member(), [rule(spend(100, { excludeDeliveryFee: true }))], madrid).total,
    ).toBe(1200);
  });

  it('earn on what was paid after a ticket discount, shared over the lines in proportion', () => {
    const discounted = ticket([line('a', 1000), line('b', 3000)], {
      totals: { deliveryFee: 0, discount: 1000, total: 3000, tipsAndFees: 0 },
    });
    const double = rule({
      type: 'multiply_by_product',
      config: { skus: ['a'], labels: [], multiplier: 200 },
    });
    const result = evaluateTicket(discounted, member(), [rule(spend(100)), double], madrid);
    // Line a pays 7.50 of the 30.00 after the 10.00 discount: the ×2 on it adds 7.5 points.
    expect(result.entries.map((e) => [e.ruleType, e.lineId, e.points])).toEqual([
      ['spend', null, 3000],
      ['multiply_by_product', 'a', 750],
    ]);
  });

  it('never earn on more than was paid for goods when the lines add up to more than the ticket', () => {
    // 55.00 of lines, but the customer paid 14.10 of which 2.00 tip and 1.00 service fee.
    const inconsistent = ticket([line('a', 5000), line('b', 500)], {
      totals: { deliveryFee: 0, discount: 100, total: 1410, tipsAndFees: 300 },
    });
    expect(evaluateTicket(inconsistent, member(), [rule(spend(100))], madrid).total).toBe(1110);
  });

  it('leave tips and fees out of what earns', () => {
    const tipped = ticket([line('a', 1000)], {
      totals: { deliveryFee: 0, discount: 0, total: 1250, tipsAndFees: 250 },
    });
    expect(evaluateTicket(tipped, member(), [rule(spend(100))], madrid).total).toBe(1000);
  });

  it('round each entry with the program rounding mode', () => {
    const t = ticket([line('a', 150)]); // 1.50 × 0.33 = 0.495 points
    const rules = [rule(spend(33))];
    expect(evaluateTicket(t, member(), rules, { ...madrid, rounding: 'down' }).total).toBe(49);
    expect(evaluateTicket(t, member(), rules, { ...madrid, rounding: 'half_up' }).total).toBe(50);
    expect(evaluateTicket(t, member(), rules, { ...madrid, rounding: 'up' }).total).toBe(50);
  });

  it('earn 45 whole points on €45.50 at 1 point per euro rounding down, 46 rounding half up', () => {
    const t = ticket([line('menu', 4550)]);
    const whole: EvaluationSettings = { ...madrid, precision: 'whole' };
    expect(evaluateTicket(t, member(), [rule(spend(100))], whole).total).toBe(4500);
    expect(evaluateTicket(t, member(), [rule(spend(100))], { ...whole, rounding: 'half_up' }).total).toBe(
      4600,
    );
    expect(evaluateTicket(t, member(), [rule(spend(100))], { ...whole, rounding: 'up' }).total).toBe(4600);
  });

  it('keep 45.5 points on €45.50 when the program keeps hundredths', () => {
    const t = ticket([line('menu', 4550)]);
    expect(evaluateTicket(t, member(), [rule(spend(100))], madrid).total).toBe(4550);
  });

  it('use the currency minor unit: 300 JPY at 1 point per yen is 300 points', () => {
    const yen = ticket([line('ramen', 300)], { currency: 'JPY' });
    expect(evaluateTicket(yen, member(), [rule(spend(100))], madrid).total).toBe(30_000);
  });
});

describe('fixed-point and multiplier rules', () => {
  it('give product_purchase points per unit or once per ticket', () => {
    const t = ticket([line('croissant', 300, { quantity: 3 }), line('coffee', 150)]);
    const perUnit = rule({
      type: 'product_purchase',
      config: { skus: ['croissant'], points: 500, per: 'unit' },
    });
    const perTicket = rule({
      type: 'product_purchase',
      config: { skus: ['croissant', 'coffee'], points: 700, per: 'ticket' },
    });
    expect(evaluateTicket(t, member(), [perUnit], madrid).total).toBe(1500);
    expect(evaluateTicket(t, member(), [perTicket], madrid).total).toBe(700);
  });

  it('multiply what base rules earned on matching lines, adding multipliers rather than compounding them', () => {
    const t = ticket([
      line('burger', 1000, { labels: [{ key: 'brand', value: 'own' }] }),
      line('water', 200),
    ]);
    const base = rule(spend(100));
    const double = rule({
      type: 'multiply_by_product',
      config: { skus: ['burger'], labels: [], multiplier: 200 },
    });
    const byLabel = rule({
      type: 'multiply_by_label',
      config: { multipliers: [{ key: 'brand', value: 'own', multiplier: 150 }] },
    });
    const result = evaluateTicket(t, member(), [base, double, byLabel], madrid);
    // burger: 10 base + 10 (×2) + 5 (×1.5); water: 2.
    expect(result.total).toBe(1000 + 1000 + 500 + 200);
    expect(result.entries.filter((e) => e.ruleId === double.id)).toMatchObject([
      { lineId: 'burger', points: 1000 },
    ]);
  });

  it('let an exclusive rule that earns drop every other base rule', () => {
    const t = ticket([line('a', 1000)]);
    const everyday = rule(spend(100), { priority: 10 });
    const promo = rule(spend(500), { priority: 20, stackable: false });
    const result = evaluateTicket(t, member(), [everyday, promo], madrid);
    expect(result.entries.map((e) => e.ruleId)).toEqual([promo.id]);
    expect(result.total).toBe(5000);
  });

  it('give a visit once the ticket reaches the minimum, and first-purchase points only on the first purchase', () => {
    const visit = rule(
      { type: 'visit', config: { points: 100, minimumOrder: 500 } },
      { limit: { count: 1, period: 'day' } },
    );
    const first = rule({ type: 'event', config: { event: 'first_purchase', points: 2000 } });
    expect(evaluateTicket(ticket([line('a', 499)]), member(), [visit], madrid).total).toBe(0);
    expect(evaluateTicket(ticket([line('a', 500)]), member(), [visit], madrid).total).toBe(100);
    expect(
      evaluateTicket(ticket([line('a', 500)]), member({ ruleUsage: { [visit.id]: 1 } }), [visit], madrid)
        .total,
    ).toBe(0);
    expect(
      evaluateTicket(ticket([line('a', 500)]), member({ purchasesBefore: 0 }), [first], madrid).total,
    ).toBe(2000);
    expect(
      evaluateTicket(ticket([line('a', 500)]), member({ purchasesBefore: 1 }), [first], madrid).total,
    ).toBe(0);
  });

  it("credit the referrer separately from the member's own total", () => {
    const referral = rule({
      type: 'referral',
      config: { trigger: 'first_purchase', referrerPoints: 1000, referredPoints: 500 },
    });
    const result = evaluateTicket(
      ticket([line('a', 100)]),
      member({ purchasesBefore: 0, referredBy: 'friend' }),
      [referral],
      madrid,
    );
    expect(result.total).toBe(500);
    expect(result.entries.map((e) => [e.beneficiary, e.points])).toEqual([
      ['member', 500],
      ['referrer', 1000],
    ]);
  });

  it("apply the member's tier multiplier to everything the member earned", () => {
    const result = evaluateTicket(
      ticket([line('a', 1000)]),
      member({ tierId: 'gold', tierMultiplier: 150 }),
      [rule(spend(100))],
      madrid,
    );
    expect(result.entries.at(-1)).toMatchObject({ ruleType: 'tier_multiplier', ruleId: 'gold', points: 500 });
    expect(result.total).toBe(1500);
  });
});

describe('rule scope', () => {
  const happyHour = () => rule(spend(300), { weekdays: [5], hours: { from: '17:00', to: '19:00' } });

  it('apply weekday and hour windows in the local time zone', () => {
    const rules = [happyHour()];
    // Friday 2026-11-20, 18:30 in Madrid (UTC+1) = 17:30 UTC.
    const inside = ticket([line('a', 100)], { purchasedAt: new Date('2026-11-20T17:30:00Z') });
    const before = ticket([line('a', 100)], { purchasedAt: new Date('2026-11-20T15:30:00Z') });
    const saturday = ticket([line('a', 100)], { purchasedAt: new Date('2026-11-21T17:30:00Z') });
    expect(evaluateTicket(inside, member(), rules, madrid).total).toBe(300);
    expect(evaluateTicket(before, member(), rules, madrid).total).toBe(0);
    expect(evaluateTicket(saturday, member(), rules, madrid).total).toBe(0);
  });

  it('handle an opening window that crosses midnight', () => {
    const night = [rule(spend(100), { hours: { from: '22:00', to: '02:00' } })];
    const at = (iso: string) => ticket([line('a', 100)], { purchasedAt: new Date(iso) });
    expect(evaluateTicket(at('2026-11-20T23:30:00Z'), member(), night, madrid).total).toBe(100); // 00:30 local
    expect(evaluateTicket(at('2026-11-20T21:30:00Z'), member(), night, madrid).total).toBe(100); // 22:30 local
    expect(evaluateTicket(at('2026-11-20T02:30:00Z'), member(), night, madrid).total).toBe(0); // 03:30 local
  });

  it('respect the active window, locations, brands and channels', () => {
    const t = ticket([line('a', 100)], { locationId: 'loc-1', channel: 'delivery', brandId: 'b-1' });
    const cases: Array<[Partial<RuleScope>, number]> = [
      [{ startsAt: new Date('2026-12-01T00:00:00Z') }, 0],
      [{ endsAt: new Date('2026-11-20T12:00:00Z') }, 0],
      [{ endsAt: new Date('2026-11-20T12:00:01Z') }, 100],
      [{ locationIds: ['loc-2'] }, 0],
      [{ locationIds: ['loc-1', 'loc-2'] }, 100],
      [{ brandIds: ['b-2'] }, 0],
      [{ channels: ['pos'] }, 0],
      [{ channels: ['delivery'] }, 100],
      [{ active: false }, 0],
    ];
    for (const [scope, expected] of cases) {
      expect(
        evaluateTicket(t, member(), [rule(spend(100), scope)], madrid).total,
        JSON.stringify(scope),
      ).toBe(expected);
    }
  });

  it('target tiers and segments, and never earn for an unknown member on targeted rules', () => {
    const t = ticket([line('a', 100)]);
    const gold = rule(spend(100), { tierIds: ['gold'] });
    const vip = rule(spend(100), { segmentIds: ['vip'] });
    expect(evaluateTicket(t, member({ tierId: 'gold' }), [gold], madrid).total).toBe(100);
    expect(evaluateTicket(t, member({ tierId: 'silver' }), [gold], madrid).total).toBe(0);
    expect(evaluateTicket(t, member({ segmentIds: ['vip', 'x'] }), [vip], madrid).total).toBe(100);
    expect(evaluateTicket(t, null, [gold, vip], madrid).total).toBe(0);
  });

  it('stop a rule at its per-member limit', () => {
    const limited = rule(spend(100), { limit: { count: 2, period: 'week' } });
    const t = ticket([line('a', 100)]);
    expect(evaluateTicket(t, member({ ruleUsage: { [limited.id]: 1 } }), [limited], madrid).total).toBe(100);
    expect(evaluateTicket(t, member({ ruleUsage: { [limited.id]: 2 } }), [limited], madrid).total).toBe(0);
  });

  it('earn nothing on returns, pending or cancelled tickets', () => {
    const rules = [rule(spend(100))];
    for (const overrides of [
      { type: 'return' as const },
      { status: 'pending' as const },
      { status: 'cancelled' as const },
    ]) {
      expect(evaluateTicket(ticket([line('a', 100)], overrides), member(), rules, madrid).total).toBe(0);
    }
  });
});

describe('the last rule (stopsEvaluation)', () => {
  it('keeps the rules after a flagged rule that earns from running, and lets them run when it earns nothing', () => {
    const sale = ticket([line('a', 1000)]);
    const bonus = rule({ type: 'product_purchase', config: { skus: ['a'], points: 500, per: 'unit' } });
    const last = rule(spend(100), { priority: 1, stopsEvaluation: true });
    expect(evaluateTicket(sale, member(), [last, { ...bonus, priority: 2 }], madrid).total).toBe(1000);
    expect(evaluateTicket(sale, member(), [{ ...last, stopsEvaluation: false }, bonus], madrid).total).toBe(
      1500,
    );
    const idle = rule(spend(100, { minimumOrder: 5000 }), { priority: 1, stopsEvaluation: true });
    expect(evaluateTicket(sale, member(), [idle, { ...bonus, priority: 2 }], madrid).total).toBe(500);
  });
});
