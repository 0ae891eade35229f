import type { Hundredths } from '../points.ts';
import { hasLabel, spendEligible } from './scope.ts';
import type { BreakdownEntry, EarningRule, Ticket, TicketLine } from './types.ts';

/**
 * Open Loyalty's ticket evaluator (OL 3.2 `OloyEarningRuleEvaluator`, supplement §5.5), for
 * programs whose `earningSemantics` is `openloyalty`. Pure. Where it differs from Regulars':
 *  - rules run in OL's order: spend (OL `points`) rules, then multipliers, then product purchases,
 *    each group in priority order;
 *  - points are kept per SKU and point type (lines with one SKU share a bucket; a line without one
 *    has its own): a rule reads and writes only the buckets of the point type it credits, so a
 *    multiplier of one type never scales (or cancels) points of another (OL has one point type);
 *  - a multiplier replaces a bucket with bucket × multiplier, so multipliers compound (product, not
 *    sum) and one below 1 reduces, 0 cancels; a label multiplier multiplies every matching label
 *    pair of the line; a line matched twice (two lines of one SKU) multiplies its bucket twice, as OL;
 *    product-purchase points are added after the multipliers and are never multiplied;
 *  - a product-purchase rule pays its points once per matching line, whatever the quantity;
 *  - a rule with `stopsEvaluation` that ran stops the evaluation: a spend rule runs unless its
 *    minimum order skips it, multipliers and product purchases always run;
 *  - rounding is OL's: every read of a bucket rounds it half up to hundredths (PHP `round($x, 2)`),
 *    and the total is the sum of the rounded buckets. The program's pointsRounding and
 *    pointsPrecision do not apply to what a ticket earns.
 * Amounts are exact (bigint units, `scale` units per hundredth of a point); no floating point.
 */

export interface OlContext {
  ticket: Ticket;
  scale: bigint;
  /** Each line's total after its share of the ticket discount. */
  netTotals: Map<string, number>;
  unitsPerMinor: (pointsPerUnit: number) => bigint;
}

/** OL's algorithm priorities: HIGH spend, MEDIUM multipliers, LOW product purchase. */
const ALGORITHM_PRIORITY: Partial<Record<EarningRule['type'], number>> = {
  spend: 1,
  multiply_by_product: 2,
  multiply_by_label: 2,
  product_purchase: 3,
};

export function isOlTicketRule(rule: EarningRule): boolean {
  return ALGORITHM_PRIORITY[rule.type] !== undefined;
}

const DELIVERY = '\u0000delivery';

interface Bucket {
  /** The first line of the bucket (null for the delivery fee): where the breakdown puts its points. */
  lineId: string | null;
  units: bigint;
}

/**
 * The multiplier (hundredths) and how many factors it is made of, or null when the rule does not
 * touch the line. A label rule multiplies every label pair of the line that matches (OL's loop over
 * the rule's pairs and the line's labels).
 */
function factorsFor(rule: EarningRule, line: TicketLine): number[] | null {
  if (rule.type === 'multiply_by_product') {
    const bySku = line.sku !== null && rule.config.skus.includes(line.sku);
    return bySku || hasLabel(line.labels, rule.config.labels) ? [rule.config.multiplier] : null;
  }
  if (rule.type === 'multiply_by_label') {
    const factors: number[] = [];
    for (const pair of rule.config.multipliers) {
      for (const label of line.labels) {
        if (label.key === pair.key && label.value === pair.value) factors.push(pair.multiplier);
      }
    }
    return factors.length > 0 ? factors : null;
  }
  return null;
}

export function evaluateOlTicket(
  rules: EarningRule[],
  context: OlContext,
): { entries: BreakdownEntry[]; total: Hundredths } {
  const { ticket, scale } = context;
  const ordered = rules
    .filter(isOlTicketRule)
    .map((rule, index) => ({ rule, index }))
    .sort((a, b) => ALGORITHM_PRIORITY[a.rule.type]! - ALGORITHM_PRIORITY[b.rule.type]! || a.index - b.index)
    .map(({ rule }) => rule);

  const buckets = new Map<string, Bucket>();
  const bucketOf = (rule: EarningRule, line: TicketLine | null): Bucket => {
    const item = line === null ? DELIVERY : (line.sku ?? `\u0000line:${line.lineId}`);
    // null is the organization's default point type (the evaluator does not know its id).
    const key = `${rule.pointTypeId ?? ''}|${item}`;
    let bucket = buckets.get(key);
    if (!bucket) {
      bucket = { lineId: line?.lineId ?? null, units: 0n };
      buckets.set(key, bucket);
    }
    return bucket;
  };
  /** A bucket as OL reads it: rounded half up to hundredths (in units). */
  const read = (bucket: Bucket): bigint => ((bucket.units * 2n + scale) / (2n * scale)) * scale;
  const byRuleAndLine = new Map<string, { rule: EarningRule; lineId: string | null; units: bigint }>();
  /** Sets a bucket, crediting the change of its read value to the rule (what the breakdown shows). */
  const set = (rule: EarningRule, bucket: Bucket, units: bigint) => {
    const before = read(bucket);
    bucket.units = units;
    const key = `${rule.id}|${bucket.lineId}`;
    const entry = byRuleAndLine.get(key) ?? { rule, lineId: bucket.lineId, units: 0n };
    entry.units += read(bucket) - before;
    byRuleAndLine.set(key, entry);
  };

  for (const rule of ordered) {
    let executed = true;
    switch (rule.type) {
      case 'spend': {
        const config = rule.config;
        const base = ticket.totals.total - (config.excludeDeliveryFee ? ticket.totals.deliveryFee : 0);
        if (config.minimumOrder > 0 && base < config.minimumOrder) {
          executed = false;
          break;
        }
        const perMinor = context.unitsPerMinor(config.pointsPerUnit);
        for (const line of ticket.lines) {
          const net = context.netTotals.get(line.lineId) ?? 0;
          if (net <= 0 || !spendEligible(line, config)) continue;
          const bucket = bucketOf(rule, line);
          set(rule, bucket, read(bucket) + BigInt(net) * perMinor);
        }
        if (!config.excludeDeliveryFee && ticket.totals.deliveryFee > 0) {
          const bucket = bucketOf(rule, null);
          set(rule, bucket, read(bucket) + BigInt(ticket.totals.deliveryFee) * perMinor);
        }
        break;
      }
      case 'multiply_by_product':
      case 'multiply_by_label':
        for (const line of ticket.lines) {
          const factors = factorsFor(rule, line);
          if (factors === null) continue;
          const bucket = bucketOf(rule, line);
          let units = read(bucket);
          for (const factor of factors) units *= BigInt(factor);
          set(rule, bucket, units / 100n ** BigInt(factors.length));
        }
        break;
      case 'product_purchase':
        for (const line of ticket.lines) {
          if (line.sku === null || !rule.config.skus.includes(line.sku)) continue;
          const bucket = bucketOf(rule, line);
          set(rule, bucket, read(bucket) + BigInt(rule.config.points) * scale);
        }
        break;
      default:
        break;
    }
    if (executed && rule.stopsEvaluation) break;
  }

  const entries: BreakdownEntry[] = [...byRuleAndLine.values()]
    .filter((entry) => entry.units !== 0n)
    .map((entry) => ({
      ruleId: entry.rule.id,
      ruleName: entry.rule.name,
      ruleType: entry.rule.type,
      lineId: entry.lineId,
      points: Number(entry.units / scale),
      beneficiary: 'member',
    }));
  const total = [...buckets.values()].reduce((sum, bucket) => sum + Number(read(bucket) / scale), 0);
  return { entries, total };
}

/**
 * OL pays only the highest of several matching event rules, per beneficiary (and per rule type
 * when `group` says so): the first in order on a tie.
 */
export function highestOnly<T extends { beneficiary: string }>(
  entries: T[],
  size: (entry: T) => number | bigint,
  group: (entry: T) => string = (entry) => entry.beneficiary,
): T[] {
  const best = new Map<string, T>();
  for (const entry of entries) {
    const current = best.get(group(entry));
    if (!current || size(entry) > size(current)) best.set(group(entry), entry);
  }
  return entries.filter((entry) => best.get(group(entry)) === entry);
}
