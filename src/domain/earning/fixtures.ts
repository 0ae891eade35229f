import type { EarningRule, MemberContext, RuleConfig, RuleScope, Ticket, TicketLine } from './types.ts';

/** Builders for engine tests: sensible defaults, override what the case is about. */

let nextId = 0;

export function rule(config: RuleConfig, scope: Partial<RuleScope> = {}): EarningRule {
  nextId += 1;
  return {
    id: `rule-${String(nextId).padStart(4, '0')}`,
    name: `${config.type} rule`,
    active: true,
    startsAt: null,
    endsAt: null,
    weekdays: [],
    hours: null,
    locationIds: [],
    brandIds: [],
    channels: [],
    tierIds: [],
    segmentIds: [],
    priority: 100,
    stackable: true,
    stopsEvaluation: false,
    limit: null,
    pointTypeId: null,
    ...scope,
    ...config,
  } as EarningRule;
}

export function spend(
  pointsPerUnit: number,
  overrides: Partial<Extract<RuleConfig, { type: 'spend' }>['config']> = {},
) {
  return {
    type: 'spend' as const,
    config: {
      pointsPerUnit,
      excludedSkus: [],
      excludedCategories: [],
      includeLabels: [],
      excludeLabels: [],
      excludeDeliveryFee: false,
      minimumOrder: 0,
      ...overrides,
    },
  };
}

export function line(lineId: string, total: number, overrides: Partial<TicketLine> = {}): TicketLine {
  return { lineId, sku: lineId, quantity: 1, total, category: null, labels: [], ...overrides };
}

export function ticket(lines: TicketLine[], overrides: Partial<Ticket> = {}): Ticket {
  const linesTotal = lines.reduce((sum, l) => sum + l.total, 0);
  return {
    type: 'sale',
    status: 'completed',
    channel: 'pos',
    locationId: 'loc-1',
    brandId: null,
    purchasedAt: new Date('2026-11-20T12:00:00Z'),
    currency: 'EUR',
    totals: { deliveryFee: 0, discount: 0, total: linesTotal, tipsAndFees: 0 },
    lines,
    ...overrides,
  };
}

export function member(overrides: Partial<MemberContext> = {}): MemberContext {
  return {
    customerId: 'cust-1',
    tierId: null,
    segmentIds: [],
    purchasesBefore: 3,
    referredBy: null,
    ruleUsage: {},
    tierMultiplier: 100,
    ...overrides,
  };
}
