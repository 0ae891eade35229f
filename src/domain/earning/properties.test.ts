import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evaluateTicket } from './evaluate.ts';
import { line, member, rule, spend, ticket } from './fixtures.ts';
import { pointsToReverse } from './returns.ts';
import { evaluateTrigger, type Trigger } from './triggers.ts';
import type { EarningRule, EvaluationSettings, TicketLine } from './types.ts';

const settings: EvaluationSettings = { timeZone: 'Europe/Madrid', rounding: 'down', precision: 'hundredths' };
const skus = ['a', 'b', 'c', 'd', 'e'];
const roundingArb = fc.constantFrom('down' as const, 'half_up' as const, 'up' as const);
/** Fixed awards and rates in hundredths, most of them not whole points. */
const hundredthsArb = fc.integer({ min: 1, max: 5000 });

const lineArb = fc.record({
  sku: fc.constantFrom(...skus),
  total: fc.integer({ min: 0, max: 100_000 }),
  quantity: fc.integer({ min: 1, max: 5 }),
  label: fc.option(fc.constantFrom('veggie', 'promo'), { nil: null }),
});

const ticketArb = fc
  .record({
    lines: fc.array(lineArb, { minLength: 1, maxLength: 20 }),
    discountShare: fc.integer({ min: 0, max: 100 }),
    deliveryFee: fc.integer({ min: 0, max: 1000 }),
  })
  .map(({ lines, discountShare, deliveryFee }) => {
    const ticketLines: TicketLine[] = lines.map((l, index) =>
      line(`l${index}`, l.total, {
        sku: l.sku,
        quantity: l.quantity,
        labels: l.label ? [{ key: 'tag', value: l.label }] : [],
      }),
    );
    const sum = ticketLines.reduce((total, l) => total + l.total, 0);
    const discount = Math.floor((sum * discountShare) / 100);
    return ticket(ticketLines, {
      totals: { deliveryFee, discount, total: sum - discount + deliveryFee, tipsAndFees: 0 },
    });
  });

const rulesArb = fc
  .record({
    rate: fc.integer({ min: 1, max: 1000 }),
    excluded: fc.subarray(skus),
    productPoints: fc.integer({ min: 1, max: 5000 }),
    productSkus: fc.subarray(skus),
    multiplier: fc.integer({ min: 100, max: 500 }),
    stackable: fc.boolean(),
  })
  .map(({ rate, excluded, productPoints, productSkus, multiplier, stackable }) => ({
    excluded,
    rules: [
      rule(spend(rate, { excludedSkus: excluded }), { stackable }),
      rule({ type: 'product_purchase', config: { skus: productSkus, points: productPoints, per: 'unit' } }),
      rule({
        type: 'multiply_by_label',
        config: { multipliers: [{ key: 'tag', value: 'promo', multiplier }] },
      }),
    ] as EarningRule[],
  }));

describe('earning engine invariants', () => {
  it('never earns negative points on a sale, and the total is the sum of the member entries', () => {
    fc.assert(
      fc.property(ticketArb, rulesArb, roundingArb, (t, { rules }, rounding) => {
        const result = evaluateTicket(t, member(), rules, { ...settings, rounding });
        expect(result.entries.every((entry) => entry.points > 0)).toBe(true);
        expect(result.total).toBe(result.entries.reduce((sum, entry) => sum + entry.points, 0));
      }),
    );
  });

  it('gives excluded lines nothing from the spend rule', () => {
    fc.assert(
      fc.property(ticketArb, rulesArb, (t, { rules, excluded }) => {
        const spendRule = rules[0]!;
        const result = evaluateTicket(t, member(), [spendRule], settings);
        const excludedLines = new Set(t.lines.filter((l) => excluded.includes(l.sku!)).map((l) => l.lineId));
        expect(
          result.entries.filter((entry) => entry.lineId !== null && excludedLines.has(entry.lineId)),
        ).toEqual([]);
      }),
    );
  });

  it('earns the same whatever order the rules are loaded in', () => {
    fc.assert(
      fc.property(ticketArb, rulesArb, (t, { rules }) => {
        const forward = evaluateTicket(t, member(), rules, settings);
        const backward = evaluateTicket(t, member(), [...rules].reverse(), settings);
        expect(backward.total).toBe(forward.total);
      }),
    );
  });

  it('never reverses more than was earned, however a ticket is returned in parts', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.integer({ min: 1, max: 100_000 }),
        fc.array(fc.integer({ min: 1, max: 50_000 }), { minLength: 1, maxLength: 10 }),
        fc.constantFrom('hundredths' as const, 'whole' as const),
        (earned, sold, returns, precision) => {
          let returnedBefore = 0;
          let reversed = 0;
          for (const returnedNow of returns) {
            const now = pointsToReverse({
              earned,
              alreadyReversed: reversed,
              sold,
              returnedBefore,
              returnedNow,
              precision,
            });
            expect(now).toBeGreaterThanOrEqual(0);
            if (precision === 'whole' && earned % 100 === 0) expect(now % 100).toBe(0);
            reversed += now;
            returnedBefore += returnedNow;
            expect(reversed).toBeLessThanOrEqual(earned);
          }
          if (returnedBefore >= sold) expect(reversed).toBe(earned);
        },
      ),
    );
  });

  it('awards only whole points, with every rule type, when the program earns whole points', () => {
    const ticketRulesArb = fc
      .record({
        rate: hundredthsArb,
        productPoints: hundredthsArb,
        per: fc.constantFrom('unit' as const, 'ticket' as const),
        visitPoints: hundredthsArb,
        firstPurchasePoints: hundredthsArb,
        referrerPoints: hundredthsArb,
        referredPoints: hundredthsArb,
        productMultiplier: fc.integer({ min: 101, max: 500 }),
        labelMultiplier: fc.integer({ min: 101, max: 500 }),
      })
      .map((r): EarningRule[] => [
        rule(spend(r.rate)),
        rule({ type: 'product_purchase', config: { skus: ['a', 'b'], points: r.productPoints, per: r.per } }),
        rule({ type: 'visit', config: { points: r.visitPoints, minimumOrder: 0 } }),
        rule({ type: 'event', config: { event: 'first_purchase', points: r.firstPurchasePoints } }),
        rule({
          type: 'referral',
          config: {
            trigger: 'first_purchase',
            referrerPoints: r.referrerPoints,
            referredPoints: r.referredPoints,
          },
        }),
        rule({
          type: 'multiply_by_product',
          config: { skus: ['c'], labels: [], multiplier: r.productMultiplier },
        }),
        rule({
          type: 'multiply_by_label',
          config: { multipliers: [{ key: 'tag', value: 'promo', multiplier: r.labelMultiplier }] },
        }),
      ]);
    const newcomer = fc
      .integer({ min: 100, max: 300 })
      .map((tierMultiplier) =>
        member({ purchasesBefore: 0, referredBy: 'cust-0', tierId: 'gold', tierMultiplier }),
      );
    fc.assert(
      fc.property(ticketArb, ticketRulesArb, newcomer, roundingArb, (t, rules, buyer, rounding) => {
        const result = evaluateTicket(t, buyer, rules, { ...settings, rounding, precision: 'whole' });
        for (const entry of result.entries) expect(entry.points % 100).toBe(0);
        expect(result.total % 100).toBe(0);
      }),
    );

    const place = { latitude: 40.4168, longitude: -3.7038 };
    const triggerRulesArb = fc
      .tuple(hundredthsArb, hundredthsArb, hundredthsArb, hundredthsArb, hundredthsArb, hundredthsArb)
      .map(([event, custom, qr, geo, referrer, referred]): EarningRule[] => [
        rule({ type: 'event', config: { event: 'registration', points: event } }),
        rule({ type: 'custom_event', config: { eventName: 'review', points: custom } }),
        rule({ type: 'qr_code', config: { code: 'Q', points: qr } }),
        rule({ type: 'geolocation', config: { ...place, radiusMeters: 100, points: geo } }),
        rule({
          type: 'referral',
          config: { trigger: 'registration', referrerPoints: referrer, referredPoints: referred },
        }),
      ]);
    const triggerArb = fc.constantFrom<Trigger>(
      { kind: 'event', event: 'registration' },
      { kind: 'custom_event', name: 'review' },
      { kind: 'qr_code', code: 'Q' },
      { kind: 'geolocation', ...place },
    );
    fc.assert(
      fc.property(triggerArb, triggerRulesArb, roundingArb, (trigger, rules, rounding) => {
        const occasion = {
          at: new Date('2026-11-20T12:00:00Z'),
          timeZone: 'Europe/Madrid',
          locationId: null,
        };
        const result = evaluateTrigger(trigger, member({ referredBy: 'cust-0' }), rules, {
          ...occasion,
          rounding,
          precision: 'whole',
        });
        for (const entry of result.entries) expect(entry.points % 100).toBe(0);
      }),
    );
  });
});
