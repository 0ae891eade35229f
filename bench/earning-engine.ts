import { evaluateTicket } from '../src/domain/earning/evaluate.ts';
import type { EarningRule, MemberContext, RuleConfig, Ticket } from '../src/domain/earning/types.ts';
import { time, writeResult } from './support.ts';

/**
 * Issue 5 target: a 20-line ticket against 1,000 active rules in under 1 ms (median).
 * Run: npm run bench:engine. The baseline is the same ticket against one spend rule, measured in
 * the same run, so the ratio means the same on a noisy machine.
 */

const SKUS = Array.from({ length: 200 }, (_, i) => `SKU-${i}`);

function ruleNumber(i: number): EarningRule {
  const configs: RuleConfig[] = [
    {
      type: 'spend',
      config: {
        pointsPerUnit: 100 + (i % 7),
        excludedSkus: [SKUS[i % 200]!],
        excludedCategories: ['tobacco'],
        includeLabels: [],
        excludeLabels: [],
        excludeDeliveryFee: i % 2 === 0,
        minimumOrder: 500,
      },
    },
    {
      type: 'product_purchase',
      config: { skus: [SKUS[i % 200]!, SKUS[(i * 7) % 200]!], points: 500, per: 'unit' },
    },
    { type: 'multiply_by_product', config: { skus: [SKUS[(i * 3) % 200]!], labels: [], multiplier: 150 } },
    {
      type: 'multiply_by_label',
      config: { multipliers: [{ key: 'promo', value: `p${i % 10}`, multiplier: 200 }] },
    },
    { type: 'visit', config: { points: 100, minimumOrder: 1000 } },
  ];
  return {
    id: `rule-${String(i).padStart(5, '0')}`,
    name: `Rule ${i}`,
    active: true,
    stopsEvaluation: false,
    startsAt: null,
    endsAt: null,
    weekdays: i % 3 === 0 ? [1, 2, 3, 4, 5] : [],
    hours: i % 4 === 0 ? { from: '08:00', to: '23:00' } : null,
    locationIds: i % 5 === 0 ? ['loc-1', 'loc-2'] : [],
    brandIds: [],
    channels: i % 6 === 0 ? ['pos'] : [],
    tierIds: i % 11 === 0 ? ['gold'] : [],
    segmentIds: [],
    priority: i % 50,
    stackable: true,
    limit: i % 9 === 0 ? { count: 3, period: 'week' } : null,
    pointTypeId: null,
    ...configs[i % configs.length]!,
  } as EarningRule;
}

const ticket: Ticket = {
  type: 'sale',
  status: 'completed',
  channel: 'pos',
  locationId: 'loc-1',
  brandId: null,
  purchasedAt: new Date('2026-11-20T13:30:00Z'),
  currency: 'EUR',
  totals: { deliveryFee: 250, discount: 300, total: 0, tipsAndFees: 0 },
  lines: Array.from({ length: 20 }, (_, i) => ({
    lineId: String(i + 1),
    sku: SKUS[(i * 13) % 200]!,
    quantity: 1 + (i % 3),
    total: 350 + i * 40,
    category: i % 4 === 0 ? 'drinks' : 'food',
    labels: i % 5 === 0 ? [{ key: 'promo', value: `p${i % 10}` }] : [],
  })),
};
ticket.totals.total = ticket.lines.reduce((sum, line) => sum + line.total, 0) - 300 + 250;

const member: MemberContext = {
  customerId: 'c-1',
  tierId: 'gold',
  segmentIds: [],
  purchasesBefore: 4,
  referredBy: null,
  ruleUsage: {},
  tierMultiplier: 120,
};
const settings = { timeZone: 'Europe/Madrid', rounding: 'down' as const, precision: 'hundredths' as const };

const rules = Array.from({ length: 1000 }, (_, i) => ruleNumber(i));
const baseline = time(() => evaluateTicket(ticket, member, rules.slice(0, 1), settings), 5000);
const thousand = time(() => evaluateTicket(ticket, member, rules, settings), 2000);
const result = {
  target: { medianMs: 1 },
  baseline: { rules: 1, ...baseline },
  scenario: { rules: 1000, lines: 20, ...thousand },
  ratioToBaseline: Number((thousand.medianMs / baseline.medianMs).toFixed(1)),
  pointsEarned: evaluateTicket(ticket, member, rules, settings).total,
};
const file = writeResult('earning-engine', result);
console.log(
  `earning engine: 20 lines × 1000 rules median ${thousand.medianMs.toFixed(3)} ms, p95 ${thousand.p95Ms.toFixed(3)} ms (1 rule: ${baseline.medianMs.toFixed(3)} ms; ×${result.ratioToBaseline}) → ${file}`,
);
