import { allocateProportionally } from './money.ts';
import type { Hundredths } from './points.ts';

/**
 * What rewards take off an order at the till. Pure: no IO, no clock. Money is an integer in minor
 * units. Every discount is computed on what is still left of the lines it may touch, after the
 * discounts applied before it, so that no line, no delivery fee and no order ever goes below zero
 * however many rewards are combined.
 *
 * Application order (a fixed order, so the result never depends on how the POS lists rewards):
 * item rewards first (free units, then buy-X-get-Y), then percentages, then fixed amounts, then
 * points turned into money, then free delivery; rewards of one kind in the order they were asked.
 */

export type Minor = number;

/** One order line as discounts see it. */
export interface OrderLine {
  lineId: string;
  sku: string | null;
  category: string | null;
  /** Units; only whole units can become free units (weighed goods never do). */
  quantity: number;
  /** Price of one unit when the POS sent it; otherwise the line total ÷ quantity. */
  unitPrice: Minor | null;
  /** What the line costs, net of any discount already on the order. */
  total: Minor;
}

export interface DiscountOrder {
  lines: OrderLine[];
  deliveryFee: Minor;
  /** What the customer pays before these rewards: the sum of all discounts never exceeds it. */
  total: Minor;
}

/** Which lines a reward may touch: empty lists = every line. */
export interface DiscountScope {
  skus: string[];
  categories: string[];
}

export type DiscountRule =
  /** `percent` in hundredths of a percent (1050 = 10.5 %), on the eligible lines; optionally capped. */
  | { kind: 'percentage'; percent: number; maxAmount: Minor | null }
  /** A fixed amount off the eligible lines (never more than they cost). */
  | { kind: 'amount'; amount: Minor }
  /** `units` eligible units free, the cheapest first. */
  | { kind: 'free_units'; units: number }
  /** Of every `buy` eligible units (dearest first), the `free` cheapest are free: 2x1, 3x2. */
  | { kind: 'buy_x_get_y'; buy: number; free: number }
  /** Points turned into money: `pointValue` minor units per point, at most `points` (hundredths). */
  | { kind: 'points_value'; pointValue: Minor; points: Hundredths }
  | { kind: 'delivery' }
  /** A reward with nothing to take off (a gift, a custom perk): a zero line for the receipt. */
  | { kind: 'none' };

export interface DiscountRequest {
  /** Identifies the request in the results (e.g. its position in the POS's list). */
  key: string;
  rule: DiscountRule;
  scope: DiscountScope;
  /** The order total (before any reward) must reach this. */
  minimumOrder: Minor;
}

/** Where a part of a discount lands: on one line, on the ticket as a whole, or on the delivery fee. */
export type DiscountTarget = 'line' | 'ticket' | 'delivery';

export interface DiscountPart {
  appliesTo: DiscountTarget;
  lineId: string | null;
  sku: string | null;
  amount: Minor;
}

export type DiscountReason =
  | 'minimum_order_not_met'
  | 'no_eligible_lines'
  | 'nothing_left_to_discount'
  | 'not_enough_units'
  | 'no_delivery_fee';

export interface DiscountResult {
  key: string;
  /** Σ parts. */
  amount: Minor;
  parts: DiscountPart[];
  /** For percentage rules: the percent applied, in hundredths of a percent. */
  percent: number | null;
  /** For points_value rules: the points the discount costs (hundredths). */
  pointsUsed: Hundredths;
  /** Why nothing was taken off; null when the reward applied (a `none` rule applies with amount 0). */
  reason: DiscountReason | null;
}

const KIND_ORDER: DiscountRule['kind'][] = [
  'free_units',
  'buy_x_get_y',
  'percentage',
  'amount',
  'points_value',
  'delivery',
  'none',
];

/** Mutable state of one computation: what is left of each line, of the delivery fee, of the order. */
interface Remaining {
  lines: Map<string, Minor>;
  /** Whole units already given away per line (free units, buy-X-get-Y). */
  unitsTaken: Map<string, number>;
  delivery: Minor;
  order: Minor;
}

export function inScope(line: Pick<OrderLine, 'sku' | 'category'>, scope: DiscountScope): boolean {
  if (scope.skus.length === 0 && scope.categories.length === 0) return true;
  return (
    (line.sku !== null && scope.skus.includes(line.sku)) ||
    (line.category !== null && scope.categories.includes(line.category))
  );
}

function isWholeTicket(scope: DiscountScope): boolean {
  return scope.skus.length === 0 && scope.categories.length === 0;
}

/** x × numerator / denominator, rounded half up, exact for any size (bigint). */
function mulDivHalfUp(x: number, numerator: number, denominator: number): number {
  const product = BigInt(x) * BigInt(numerator);
  const d = BigInt(denominator);
  return Number((product * 2n + d) / (2n * d));
}

function unitValue(line: OrderLine): Minor {
  if (line.unitPrice !== null && line.unitPrice >= 0) return line.unitPrice;
  return line.quantity > 0 ? Math.floor(line.total / line.quantity) : 0;
}

interface Unit {
  line: OrderLine;
  index: number;
  value: Minor;
}

/** The whole units still available on the eligible lines, each worth what is left to take off it. */
function availableUnits(lines: OrderLine[], remaining: Remaining): Unit[] {
  const units: Unit[] = [];
  lines.forEach((line, index) => {
    const left = remaining.lines.get(line.lineId) ?? 0;
    const price = unitValue(line);
    if (left <= 0 || price <= 0) return;
    const whole = Math.floor(line.quantity) - (remaining.unitsTaken.get(line.lineId) ?? 0);
    const count = Math.min(whole, Math.floor(left / price));
    for (let i = 0; i < count; i++) units.push({ line, index, value: price });
  });
  return units;
}

/** Takes `amount` off the eligible lines in proportion to what is left of each. */
function spread(amount: Minor, lines: OrderLine[], remaining: Remaining): Map<string, Minor> {
  const weights = lines.map((line) => remaining.lines.get(line.lineId) ?? 0);
  const parts = allocateProportionally(amount, weights);
  const byLine = new Map<string, Minor>();
  lines.forEach((line, index) => {
    const part = parts[index] ?? 0;
    if (part > 0) byLine.set(line.lineId, part);
  });
  return byLine;
}

function eligibleLeft(lines: OrderLine[], remaining: Remaining): Minor {
  return lines.reduce((sum, line) => sum + Math.max(remaining.lines.get(line.lineId) ?? 0, 0), 0);
}

function empty(request: DiscountRequest, reason: DiscountReason | null): DiscountResult {
  return { key: request.key, amount: 0, parts: [], percent: null, pointsUsed: 0, reason };
}

/** Books per-line amounts: lowers what is left, and reports them as line parts or one ticket part. */
function book(
  byLine: Map<string, Minor>,
  lines: OrderLine[],
  remaining: Remaining,
  asTicket: boolean,
): DiscountPart[] {
  const parts: DiscountPart[] = [];
  let total = 0;
  for (const line of lines) {
    const amount = byLine.get(line.lineId) ?? 0;
    if (amount <= 0) continue;
    remaining.lines.set(line.lineId, (remaining.lines.get(line.lineId) ?? 0) - amount);
    total += amount;
    if (!asTicket) parts.push({ appliesTo: 'line', lineId: line.lineId, sku: line.sku, amount });
  }
  remaining.order -= total;
  if (asTicket && total > 0) parts.push({ appliesTo: 'ticket', lineId: null, sku: null, amount: total });
  return parts;
}

function giveUnits(units: Unit[], remaining: Remaining): Map<string, Minor> {
  const byLine = new Map<string, Minor>();
  let budget = remaining.order;
  for (const unit of units) {
    const id = unit.line.lineId;
    const left = (remaining.lines.get(id) ?? 0) - (byLine.get(id) ?? 0);
    const amount = Math.min(unit.value, left, budget);
    if (amount <= 0) continue;
    byLine.set(id, (byLine.get(id) ?? 0) + amount);
    remaining.unitsTaken.set(id, (remaining.unitsTaken.get(id) ?? 0) + 1);
    budget -= amount;
  }
  return byLine;
}

function applyOne(order: DiscountOrder, request: DiscountRequest, remaining: Remaining): DiscountResult {
  if (order.total < request.minimumOrder) return empty(request, 'minimum_order_not_met');
  const { rule } = request;
  if (rule.kind === 'none') {
    return {
      ...empty(request, null),
      parts: [{ appliesTo: 'ticket', lineId: null, sku: null, amount: 0 }],
    };
  }
  if (rule.kind === 'delivery') {
    if (order.deliveryFee <= 0) return empty(request, 'no_delivery_fee');
    const amount = Math.min(remaining.delivery, remaining.order);
    if (amount <= 0) return empty(request, 'nothing_left_to_discount');
    remaining.delivery -= amount;
    remaining.order -= amount;
    return {
      ...empty(request, null),
      amount,
      parts: [{ appliesTo: 'delivery', lineId: null, sku: null, amount }],
    };
  }

  const lines = order.lines.filter((line) => inScope(line, request.scope) && line.total > 0);
  if (lines.length === 0) return empty(request, 'no_eligible_lines');
  const left = Math.min(eligibleLeft(lines, remaining), remaining.order);
  if (left <= 0) return empty(request, 'nothing_left_to_discount');
  const asTicket = isWholeTicket(request.scope);

  let byLine: Map<string, Minor>;
  let percent: number | null = null;
  let pointsUsed = 0;
  switch (rule.kind) {
    case 'percentage': {
      percent = rule.percent;
      let amount = mulDivHalfUp(eligibleLeft(lines, remaining), rule.percent, 10_000);
      if (rule.maxAmount !== null) amount = Math.min(amount, rule.maxAmount);
      byLine = spread(Math.min(amount, left), lines, remaining);
      break;
    }
    case 'amount':
      byLine = spread(Math.min(rule.amount, left), lines, remaining);
      break;
    case 'points_value': {
      if (rule.pointValue <= 0 || rule.points <= 0) return empty(request, 'nothing_left_to_discount');
      const affordable = Number((BigInt(rule.points) * BigInt(rule.pointValue)) / 100n);
      const amount = Math.min(affordable, left);
      if (amount <= 0) return empty(request, 'nothing_left_to_discount');
      // The fewest hundredths that pay for the amount: never more than the points offered.
      pointsUsed = Number((BigInt(amount) * 100n + BigInt(rule.pointValue) - 1n) / BigInt(rule.pointValue));
      byLine = spread(amount, lines, remaining);
      break;
    }
    case 'free_units': {
      const units = availableUnits(lines, remaining).sort((a, b) => a.value - b.value || a.index - b.index);
      if (units.length === 0) return empty(request, 'nothing_left_to_discount');
      byLine = giveUnits(units.slice(0, Math.max(rule.units, 0)), remaining);
      break;
    }
    case 'buy_x_get_y': {
      const units = availableUnits(lines, remaining).sort((a, b) => b.value - a.value || a.index - b.index);
      if (rule.buy < 2 || rule.free < 1 || rule.free >= rule.buy) return empty(request, 'not_enough_units');
      if (units.length < rule.buy) return empty(request, 'not_enough_units');
      const free: Unit[] = [];
      for (let start = 0; start + rule.buy <= units.length; start += rule.buy) {
        free.push(...units.slice(start + rule.buy - rule.free, start + rule.buy));
      }
      byLine = giveUnits(free, remaining);
      break;
    }
  }
  const itemRule = rule.kind === 'free_units' || rule.kind === 'buy_x_get_y';
  const parts = book(byLine, lines, remaining, asTicket && !itemRule);
  const amount = parts.reduce((sum, part) => sum + part.amount, 0);
  if (amount <= 0) return empty(request, 'nothing_left_to_discount');
  return { key: request.key, amount, parts, percent, pointsUsed, reason: null };
}

/** The discount each request gives on `order`, in the order the requests were given. */
export function computeDiscounts(order: DiscountOrder, requests: DiscountRequest[]): DiscountResult[] {
  const lineTotal = order.lines.reduce((sum, line) => sum + Math.max(line.total, 0), 0);
  const remaining: Remaining = {
    lines: new Map(order.lines.map((line) => [line.lineId, Math.max(line.total, 0)])),
    unitsTaken: new Map(),
    delivery: Math.max(order.deliveryFee, 0),
    order: Math.max(Math.min(order.total, lineTotal + Math.max(order.deliveryFee, 0)), 0),
  };
  const sequence = requests
    .map((request, index) => ({ request, index }))
    .sort(
      (a, b) =>
        KIND_ORDER.indexOf(a.request.rule.kind) - KIND_ORDER.indexOf(b.request.rule.kind) ||
        a.index - b.index,
    );
  const results = new Map<number, DiscountResult>();
  for (const { request, index } of sequence) results.set(index, applyOne(order, request, remaining));
  return requests.map((_, index) => results.get(index)!);
}

/** A discount a redemption gave, as the ticket of the order later sees it. */
export interface GivenDiscount {
  appliesTo: DiscountTarget;
  lineId: string | null;
  sku: string | null;
  amount: Minor;
}

interface TicketLike {
  lines: Array<{ lineId: string; sku: string | null; total: Minor }>;
  totals: { deliveryFee: Minor; total: Minor };
}

/**
 * The ticket as if the discounts had not been given: for programs where discounted amounts earn.
 * A line discount goes back to the line with its id (else the first line with its SKU); a ticket
 * discount, or one whose line is not on the ticket, back over all lines in proportion.
 */
export function withDiscountsRestored<T extends TicketLike>(ticket: T, discounts: GivenDiscount[]): T {
  if (discounts.length === 0) return ticket;
  const added = new Map<string, Minor>();
  let spreadAmount = 0;
  let delivery = 0;
  for (const discount of discounts) {
    if (discount.amount <= 0) continue;
    if (discount.appliesTo === 'delivery') {
      delivery += discount.amount;
      continue;
    }
    const line =
      ticket.lines.find((l) => discount.lineId !== null && l.lineId === discount.lineId) ??
      ticket.lines.find((l) => discount.sku !== null && l.sku === discount.sku);
    if (discount.appliesTo === 'line' && line) {
      added.set(line.lineId, (added.get(line.lineId) ?? 0) + discount.amount);
    } else spreadAmount += discount.amount;
  }
  if (spreadAmount > 0 && ticket.lines.length > 0) {
    const weights = ticket.lines.map((line) => Math.max(line.total, 0));
    const parts = weights.some((weight) => weight > 0)
      ? allocateProportionally(spreadAmount, weights)
      : [spreadAmount, ...weights.slice(1).map(() => 0)];
    ticket.lines.forEach((line, index) => {
      added.set(line.lineId, (added.get(line.lineId) ?? 0) + (parts[index] ?? 0));
    });
  }
  const restored = [...added.values()].reduce((sum, amount) => sum + amount, 0) + delivery;
  return {
    ...ticket,
    lines: ticket.lines.map((line) => ({ ...line, total: line.total + (added.get(line.lineId) ?? 0) })),
    totals: {
      ...ticket.totals,
      deliveryFee: ticket.totals.deliveryFee + delivery,
      total: ticket.totals.total + restored,
    },
  };
}
