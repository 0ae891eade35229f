import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  computeDiscounts,
  type DiscountOrder,
  type DiscountRequest,
  type DiscountRule,
  type OrderLine,
  withDiscountsRestored,
} from './discounts.ts';

const line = (lineId: string, total: number, extra: Partial<OrderLine> = {}): OrderLine => ({
  lineId,
  sku: lineId.toUpperCase(),
  category: null,
  quantity: 1,
  unitPrice: null,
  total,
  ...extra,
});

const order = (lines: OrderLine[], extra: Partial<DiscountOrder> = {}): DiscountOrder => {
  const deliveryFee = extra.deliveryFee ?? 0;
  return { lines, deliveryFee, total: lines.reduce((sum, l) => sum + l.total, 0) + deliveryFee, ...extra };
};

const ask = (
  rule: DiscountRule,
  scope: Partial<DiscountRequest['scope']> = {},
  key = '0',
): DiscountRequest => ({
  key,
  rule,
  scope: { skus: scope.skus ?? [], categories: scope.categories ?? [] },
  minimumOrder: 0,
});

/** A realistic dinner ticket: five lines, two of them drinks. */
const dinner = order([
  line('1', 1250, { sku: 'BURGER', category: 'mains' }),
  line('2', 890, { sku: 'PIZZA', category: 'mains' }),
  line('3', 350, { sku: 'COLA', category: 'drinks' }),
  line('4', 275, { sku: 'BEER', category: 'drinks' }),
  line('5', 600, { sku: 'CAKE', category: 'desserts' }),
]);

describe('percentage discounts', () => {
  it('takes the percent off the two eligible lines of five, one discount line each', () => {
    const [result] = computeDiscounts(dinner, [
      ask({ kind: 'percentage', percent: 1000, maxAmount: null }, { categories: ['mains'] }),
    ]);
    // 10 % of 21.40 = 2.14, split 1.25 / 0.89 in proportion.
    expect(result).toMatchObject({ amount: 214, percent: 1000, reason: null });
    expect(result!.parts).toEqual([
      { appliesTo: 'line', lineId: '1', sku: 'BURGER', amount: 125 },
      { appliesTo: 'line', lineId: '2', sku: 'PIZZA', amount: 89 },
    ]);
  });

  it('on the whole ticket it is one ticket line, rounded half up to the minor unit', () => {
    const [result] = computeDiscounts(dinner, [ask({ kind: 'percentage', percent: 1250, maxAmount: null })]);
    // 12.5 % of 33.65 = 4.20625 → 4.21.
    expect(result!.amount).toBe(421);
    expect(result!.parts).toEqual([{ appliesTo: 'ticket', lineId: null, sku: null, amount: 421 }]);
  });

  it('rounds 0.5 of a minor unit up and less down', () => {
    const half = computeDiscounts(order([line('1', 5)]), [
      ask({ kind: 'percentage', percent: 1000, maxAmount: null }),
    ]);
    expect(half[0]!.amount).toBe(1); // 0.5 → 1
    const less = computeDiscounts(order([line('1', 4)]), [
      ask({ kind: 'percentage', percent: 1000, maxAmount: null }),
    ]);
    expect(less[0]!.reason).toBe('nothing_left_to_discount'); // 0.4 → 0: nothing given
  });

  it('is capped by maxAmount', () => {
    const [result] = computeDiscounts(dinner, [ask({ kind: 'percentage', percent: 5000, maxAmount: 500 })]);
    expect(result!.amount).toBe(500);
  });

  it('100 % takes the eligible lines to zero and no further', () => {
    const [result] = computeDiscounts(dinner, [
      ask({ kind: 'percentage', percent: 10_000, maxAmount: null }, { skus: ['CAKE'] }),
    ]);
    expect(result!.amount).toBe(600);
  });
});

describe('amount discounts', () => {
  it('an amount larger than the ticket is capped at the ticket', () => {
    const small = order([line('1', 300), line('2', 150)]);
    const [result] = computeDiscounts(small, [ask({ kind: 'amount', amount: 1000 })]);
    expect(result!.amount).toBe(450);
    expect(result!.parts).toEqual([{ appliesTo: 'ticket', lineId: null, sku: null, amount: 450 }]);
  });

  it('never exceeds what the customer pays when the order total is below its lines', () => {
    const discounted = order([line('1', 1000)], { total: 700 });
    const [result] = computeDiscounts(discounted, [ask({ kind: 'amount', amount: 900 })]);
    expect(result!.amount).toBe(700);
  });

  it('scoped to a category it only touches those lines, in proportion', () => {
    const [result] = computeDiscounts(dinner, [
      ask({ kind: 'amount', amount: 300 }, { categories: ['drinks'] }),
    ]);
    expect(result!.parts).toEqual([
      { appliesTo: 'line', lineId: '3', sku: 'COLA', amount: 168 },
      { appliesTo: 'line', lineId: '4', sku: 'BEER', amount: 132 },
    ]);
  });

  it('finds nothing to discount when no line is in scope', () => {
    const [result] = computeDiscounts(dinner, [ask({ kind: 'amount', amount: 300 }, { skus: ['WINE'] })]);
    expect(result).toMatchObject({ amount: 0, parts: [], reason: 'no_eligible_lines' });
  });
});

describe('item rewards', () => {
  it('2x1 makes the cheaper unit free', () => {
    const pizzas = order([
      line('1', 1200, { sku: 'PIZZA-A', category: 'pizza' }),
      line('2', 900, { sku: 'PIZZA-B', category: 'pizza' }),
      line('3', 300, { sku: 'COLA' }),
    ]);
    const [result] = computeDiscounts(pizzas, [
      ask({ kind: 'buy_x_get_y', buy: 2, free: 1 }, { categories: ['pizza'] }),
    ]);
    expect(result!.parts).toEqual([{ appliesTo: 'line', lineId: '2', sku: 'PIZZA-B', amount: 900 }]);
  });

  it('2x1 on one line of four units frees two of them', () => {
    const coffees = order([line('1', 800, { sku: 'COFFEE', quantity: 4, unitPrice: 200 })]);
    const [result] = computeDiscounts(coffees, [
      ask({ kind: 'buy_x_get_y', buy: 2, free: 1 }, { skus: ['COFFEE'] }),
    ]);
    expect(result!.amount).toBe(400);
  });

  it('3x2 pairs units dearest first: the cheapest of each full group is free', () => {
    const units = order([line('1', 500), line('2', 400), line('3', 300), line('4', 200)]);
    const [result] = computeDiscounts(units, [ask({ kind: 'buy_x_get_y', buy: 3, free: 1 })]);
    // Groups [500, 400, 300] and [200]: only the first is complete.
    expect(result!.parts).toEqual([{ appliesTo: 'line', lineId: '3', sku: '3', amount: 300 }]);
  });

  it('2x1 needs two eligible units', () => {
    const [result] = computeDiscounts(dinner, [
      ask({ kind: 'buy_x_get_y', buy: 2, free: 1 }, { skus: ['CAKE'] }),
    ]);
    expect(result!.reason).toBe('not_enough_units');
  });

  it('a free product lands on the matching line, one unit of it', () => {
    const ticket = order([
      line('1', 1250, { sku: 'BURGER' }),
      line('2', 500, { sku: 'COFFEE', quantity: 2 }),
    ]);
    const [result] = computeDiscounts(ticket, [ask({ kind: 'free_units', units: 1 }, { skus: ['COFFEE'] })]);
    expect(result!.parts).toEqual([{ appliesTo: 'line', lineId: '2', sku: 'COFFEE', amount: 250 }]);
  });

  it('a free product among several matching lines is the cheapest unit', () => {
    const ticket = order([line('1', 320, { category: 'coffee' }), line('2', 180, { category: 'coffee' })]);
    const [result] = computeDiscounts(ticket, [
      ask({ kind: 'free_units', units: 1 }, { categories: ['coffee'] }),
    ]);
    expect(result!.parts).toEqual([{ appliesTo: 'line', lineId: '2', sku: '2', amount: 180 }]);
  });

  it('weighed goods never become free units', () => {
    const ticket = order([line('1', 450, { sku: 'CHEESE', quantity: 0.35 })]);
    const [result] = computeDiscounts(ticket, [ask({ kind: 'free_units', units: 1 }, { skus: ['CHEESE'] })]);
    expect(result!.reason).toBe('nothing_left_to_discount');
  });

  it('the same free product twice takes two different units', () => {
    const ticket = order([line('1', 600, { sku: 'COFFEE', quantity: 2, unitPrice: 300 })]);
    const results = computeDiscounts(ticket, [
      ask({ kind: 'free_units', units: 1 }, { skus: ['COFFEE'] }, 'a'),
      ask({ kind: 'free_units', units: 1 }, { skus: ['COFFEE'] }, 'b'),
      ask({ kind: 'free_units', units: 1 }, { skus: ['COFFEE'] }, 'c'),
    ]);
    expect(results.map((r) => r.amount)).toEqual([300, 300, 0]);
  });
});

describe('delivery, cashback and rewards with nothing to take off', () => {
  it('free delivery takes the delivery fee off', () => {
    const [result] = computeDiscounts(order([line('1', 1000)], { deliveryFee: 250 }), [
      ask({ kind: 'delivery' }),
    ]);
    expect(result!.parts).toEqual([{ appliesTo: 'delivery', lineId: null, sku: null, amount: 250 }]);
  });

  it('free delivery without a delivery fee says so', () => {
    expect(computeDiscounts(dinner, [ask({ kind: 'delivery' })])[0]!.reason).toBe('no_delivery_fee');
  });

  it('cashback turns points into money and uses only the points it needs', () => {
    // 5 cents a point, 100 points offered = 5.00; the ticket only has 3.00 left → 60 points.
    const ticket = order([line('1', 300)]);
    const [result] = computeDiscounts(ticket, [ask({ kind: 'points_value', pointValue: 5, points: 10_000 })]);
    expect(result).toMatchObject({ amount: 300, pointsUsed: 6000 });
  });

  it('cashback with fractional points rounds the money down and the points up', () => {
    // 12.34 points × 0.07 = 0.8638 → 0.86, which needs 12.2857… → 12.29 points.
    const [result] = computeDiscounts(order([line('1', 5000)]), [
      ask({ kind: 'points_value', pointValue: 7, points: 1234 }),
    ]);
    expect(result).toMatchObject({ amount: 86, pointsUsed: 1229 });
  });

  it('a gift gives a zero line', () => {
    const [result] = computeDiscounts(dinner, [ask({ kind: 'none' })]);
    expect(result).toMatchObject({ amount: 0, reason: null });
    expect(result!.parts).toHaveLength(1);
  });

  it('the minimum order is checked on the order before rewards', () => {
    const request = { ...ask({ kind: 'amount', amount: 100 }), minimumOrder: 5000 };
    expect(computeDiscounts(dinner, [request])[0]!.reason).toBe('minimum_order_not_met');
  });
});

describe('several rewards on one order', () => {
  it('apply in a fixed order: item rewards, then percentages, then amounts', () => {
    const ticket = order([line('1', 1000, { sku: 'MENU' }), line('2', 200, { sku: 'COFFEE' })]);
    const asked = [
      ask({ kind: 'amount', amount: 100 }, {}, 'amount'),
      ask({ kind: 'percentage', percent: 1000, maxAmount: null }, {}, 'percent'),
      ask({ kind: 'free_units', units: 1 }, { skus: ['COFFEE'] }, 'coffee'),
    ];
    const results = computeDiscounts(ticket, asked);
    expect(results.map((r) => [r.key, r.amount])).toEqual([
      ['amount', 100],
      ['percent', 100], // 10 % of what the free coffee left: 10.00
      ['coffee', 200],
    ]);
    // The same rewards asked in another order give the same discounts.
    const reversed = computeDiscounts(ticket, [...asked].reverse());
    expect(reversed.map((r) => [r.key, r.amount]).reverse()).toEqual(results.map((r) => [r.key, r.amount]));
  });

  it('once the order is at zero later rewards find nothing left', () => {
    const ticket = order([line('1', 500)]);
    const results = computeDiscounts(ticket, [
      ask({ kind: 'amount', amount: 400 }, {}, 'a'),
      ask({ kind: 'amount', amount: 400 }, {}, 'b'),
    ]);
    expect(results.map((r) => r.amount)).toEqual([400, 100]);
  });
});

describe('restoring discounts on the ticket that arrives later', () => {
  const ticket = {
    lines: [
      { lineId: '1', sku: 'BURGER', total: 1125 },
      { lineId: '2', sku: 'COFFEE', total: 0 },
    ],
    totals: { deliveryFee: 0, total: 1125 },
  };

  it('gives each line back its discount and the ticket its total', () => {
    const restored = withDiscountsRestored(ticket, [
      { appliesTo: 'line', lineId: '1', sku: 'BURGER', amount: 125 },
      { appliesTo: 'line', lineId: 'x', sku: 'COFFEE', amount: 250 },
    ]);
    expect(restored.lines.map((l) => l.total)).toEqual([1250, 250]);
    expect(restored.totals.total).toBe(1500);
  });

  it('spreads a ticket discount over the lines in proportion', () => {
    const restored = withDiscountsRestored(
      {
        ...ticket,
        lines: [
          { lineId: '1', sku: 'A', total: 300 },
          { lineId: '2', sku: 'B', total: 100 },
        ],
      },
      [{ appliesTo: 'ticket', lineId: null, sku: null, amount: 100 }],
    );
    expect(restored.lines.map((l) => l.total)).toEqual([375, 125]);
  });
});

describe('properties', () => {
  const lineArb = fc.record({
    total: fc.integer({ min: 0, max: 100_000 }),
    quantity: fc.oneof(fc.integer({ min: 1, max: 6 }), fc.constantFrom(0.5, 1.25)),
    sku: fc.constantFrom('A', 'B', 'C', null),
    category: fc.constantFrom('x', 'y', null),
    unitPrice: fc.option(fc.integer({ min: 0, max: 50_000 }), { nil: null }),
  });
  const ruleArb: fc.Arbitrary<DiscountRule> = fc.oneof(
    fc.record({
      kind: fc.constant('percentage' as const),
      percent: fc.integer({ min: 1, max: 10_000 }),
      maxAmount: fc.option(fc.integer({ min: 1, max: 50_000 }), { nil: null }),
    }),
    fc.record({ kind: fc.constant('amount' as const), amount: fc.integer({ min: 1, max: 200_000 }) }),
    fc.record({ kind: fc.constant('free_units' as const), units: fc.integer({ min: 1, max: 5 }) }),
    fc.record({
      kind: fc.constant('buy_x_get_y' as const),
      buy: fc.integer({ min: 2, max: 4 }),
      free: fc.constant(1),
    }),
    fc.record({
      kind: fc.constant('points_value' as const),
      pointValue: fc.integer({ min: 1, max: 100 }),
      points: fc.integer({ min: 0, max: 1_000_000 }),
    }),
    fc.constant({ kind: 'delivery' as const }),
    fc.constant({ kind: 'none' as const }),
  );
  const scopeArb = fc.record({
    skus: fc.subarray(['A', 'B', 'C']),
    categories: fc.subarray(['x', 'y']),
  });
  const caseArb = fc.record({
    lines: fc.array(lineArb, { maxLength: 8 }),
    deliveryFee: fc.integer({ min: 0, max: 1000 }),
    totalOffset: fc.integer({ min: -5000, max: 5000 }),
    requests: fc.array(fc.record({ rule: ruleArb, scope: scopeArb }), { minLength: 1, maxLength: 6 }),
  });

  it('never negative, whole minor units, never above a line, the delivery fee or the order', () => {
    fc.assert(
      fc.property(caseArb, (input) => {
        const lines = input.lines.map((l, i) => ({ lineId: String(i + 1), ...l }));
        const linesTotal = lines.reduce((sum, l) => sum + l.total, 0);
        const total = Math.max(linesTotal + input.deliveryFee + input.totalOffset, 0);
        const discountOrder = { lines, deliveryFee: input.deliveryFee, total };
        const results = computeDiscounts(
          discountOrder,
          input.requests.map((r, i) => ({ key: String(i), ...r, minimumOrder: 0 })),
        );
        let grand = 0;
        const perLine = new Map<string, number>();
        let delivery = 0;
        for (const [index, result] of results.entries()) {
          expect(result.key).toBe(String(index));
          expect(Number.isInteger(result.amount)).toBe(true);
          expect(result.amount).toBeGreaterThanOrEqual(0);
          expect(result.parts.reduce((sum, p) => sum + p.amount, 0)).toBe(result.amount);
          const rule = input.requests[index]!.rule;
          if (rule.kind === 'points_value') {
            expect(result.pointsUsed).toBeLessThanOrEqual(rule.points);
            expect(result.amount * 100).toBeLessThanOrEqual(result.pointsUsed * rule.pointValue);
          }
          if (rule.kind === 'percentage' && rule.maxAmount !== null) {
            expect(result.amount).toBeLessThanOrEqual(rule.maxAmount);
          }
          if (rule.kind === 'amount') expect(result.amount).toBeLessThanOrEqual(rule.amount);
          for (const part of result.parts) {
            expect(part.amount).toBeGreaterThanOrEqual(0);
            if (part.appliesTo === 'line')
              perLine.set(part.lineId!, (perLine.get(part.lineId!) ?? 0) + part.amount);
            if (part.appliesTo === 'delivery') delivery += part.amount;
          }
          grand += result.amount;
        }
        expect(grand).toBeLessThanOrEqual(total);
        expect(delivery).toBeLessThanOrEqual(input.deliveryFee);
        for (const l of lines) expect(perLine.get(l.lineId) ?? 0).toBeLessThanOrEqual(l.total);
      }),
      { numRuns: 500 },
    );
  });

  it('a single percentage is the percent of the eligible lines, rounded half up, never more', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 100_000 }), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 1, max: 10_000 }),
        (totals, percent) => {
          const lines = totals.map((total, i) => line(String(i + 1), total));
          const [result] = computeDiscounts(order(lines), [
            ask({ kind: 'percentage', percent, maxAmount: null }),
          ]);
          const base = totals.reduce((sum, t) => sum + t, 0);
          const exact = (base * percent) / 10_000;
          expect(Math.abs(result!.amount - exact)).toBeLessThanOrEqual(0.5);
          expect(result!.amount).toBeLessThanOrEqual(base);
        },
      ),
      { numRuns: 300 },
    );
  });
});
