import { allocateProportionally, currencyExponent } from '../money.ts';
import { type AwardRounding, type Hundredths, roundAward } from '../points.ts';
import { evaluateOlTicket, highestOnly, isOlTicketRule } from './openloyalty.ts';
import { applies, byPriority, hasLabel, type Occasion, spendEligible } from './scope.ts';
import type {
  BreakdownEntry,
  EarningRule,
  Evaluation,
  EvaluationSettings,
  MemberContext,
  Ticket,
  TicketLine,
} from './types.ts';

/**
 * The earning engine: which points a completed sale earns, rule by rule. Pure (no IO, no clock).
 *
 * Order of combination, documented in README ("How rules combine"):
 *  1. base rules (spend, product_purchase, visit, first-purchase event, purchase referral) earn
 *     independently, in priority order; if an exclusive (non-stackable) rule earns, it alone
 *     keeps its points and every other base rule's are dropped;
 *  2. multiplier rules (multiply_by_product, multiply_by_label) add (multiplier − 1) × what
 *     base rules earned on the lines they match; several multipliers add up, they do not compound;
 *  3. the member's tier multiplier adds (multiplier − 1) × everything the member earned in 1–2.
 * A rule with `stopsEvaluation` that runs (a base rule that earns, a multiplier that matches a
 * line) is the last rule of the ticket: the rules after it in priority order do not run.
 * Programs with `openloyalty` semantics combine spend, multiplier and product rules as Open Loyalty
 * does instead (openloyalty.ts); their other rules earn as here, except that of several
 * first-purchase event rules only the highest pays, and of purchase referrals the highest per beneficiary.
 * Every entry is computed exactly (bigint fractions of a hundredth) and rounded once, to the
 * program's precision (hundredths or whole points) with its rounding mode (roundAward); the total
 * is the sum of the rounded entries, so the breakdown adds up.
 */

/** Exact amounts: 1 hundredth of a point = `scale` units (10^currency exponent × 10^4). */
interface Earned {
  rule: EarningRule;
  lineId: string | null;
  units: bigint;
  beneficiary: 'member' | 'referrer';
  /** Spend rules earn one entry per rule; these are the lines it covered and its rate, for multipliers. */
  spend?: { lineIds: string[]; pointsPerUnit: number };
}

interface Context {
  ticket: Ticket;
  member: MemberContext | null;
  scale: bigint;
  /** Each line's total after its share of the ticket discount. */
  netTotals: Map<string, number>;
}

const HUNDRED = 100n;

/** Units per minor unit of money for a rate in hundredths per whole unit: rate × scale / 10^exp. */
function unitsPerMinor(pointsPerUnit: number, context: Context): bigint {
  return (BigInt(pointsPerUnit) * context.scale) / 10n ** BigInt(currencyExponent(context.ticket.currency));
}

function spendEarnings(rule: EarningRule & { type: 'spend' }, context: Context): Earned[] {
  const { ticket } = context;
  const config = rule.config;
  if (ticket.totals.total < config.minimumOrder) return [];
  const lineIds: string[] = [];
  let amount = 0;
  for (const line of ticket.lines) {
    const net = context.netTotals.get(line.lineId) ?? 0;
    if (net <= 0 || !spendEligible(line, config)) continue;
    lineIds.push(line.lineId);
    amount += net;
  }
  if (!config.excludeDeliveryFee) amount += ticket.totals.deliveryFee;
  if (amount <= 0) return [];
  const units = BigInt(amount) * unitsPerMinor(config.pointsPerUnit, context);
  return [
    {
      rule,
      lineId: null,
      units,
      beneficiary: 'member',
      spend: { lineIds, pointsPerUnit: config.pointsPerUnit },
    },
  ];
}

function fixed(
  rule: EarningRule,
  points: Hundredths,
  context: Context,
  lineId: string | null = null,
): Earned {
  return { rule, lineId, units: BigInt(points) * context.scale, beneficiary: 'member' };
}

function baseEarnings(rule: EarningRule, context: Context): Earned[] {
  const { ticket, member } = context;
  switch (rule.type) {
    case 'spend':
      return spendEarnings(rule, context);
    case 'product_purchase': {
      const matching = ticket.lines.filter(
        (line) => line.sku !== null && rule.config.skus.includes(line.sku),
      );
      if (rule.config.per === 'ticket')
        return matching.length > 0 ? [fixed(rule, rule.config.points, context)] : [];
      return matching
        .filter((line) => Math.floor(line.quantity) > 0)
        .map((line) => fixed(rule, rule.config.points * Math.floor(line.quantity), context, line.lineId));
    }
    case 'visit':
      return ticket.totals.total >= rule.config.minimumOrder
        ? [fixed(rule, rule.config.points, context)]
        : [];
    case 'event':
      return rule.config.event === 'first_purchase' && member?.purchasesBefore === 0
        ? [fixed(rule, rule.config.points, context)]
        : [];
    case 'referral': {
      const { trigger, referrerPoints, referredPoints } = rule.config;
      if (!member?.referredBy) return [];
      if (trigger === 'registration' || (trigger === 'first_purchase' && member.purchasesBefore > 0))
        return [];
      const earned: Earned[] = [];
      if (referredPoints > 0) earned.push(fixed(rule, referredPoints, context));
      if (referrerPoints > 0)
        earned.push({ ...fixed(rule, referrerPoints, context), beneficiary: 'referrer' });
      return earned;
    }
    default:
      return [];
  }
}

/** Multiplier (hundredths) a multiplier rule gives a line, or null when it does not touch the line. */
function multiplierFor(rule: EarningRule, line: TicketLine): number | null {
  if (rule.type === 'multiply_by_product') {
    const bySku = line.sku !== null && rule.config.skus.includes(line.sku);
    return bySku || hasLabel(line.labels, rule.config.labels) ? rule.config.multiplier : null;
  }
  if (rule.type === 'multiply_by_label') {
    const matches = rule.config.multipliers.filter((m) => hasLabel(line.labels, [m]));
    return matches.length > 0 ? Math.max(...matches.map((m) => m.multiplier)) : null;
  }
  return null;
}

/**
 * What base rules earned the member on each line, summed once for all multiplier rules. Spend
 * rules add their rates per line first, so a line costs one multiplication however many rules cover it.
 */
function baseByLine(base: Earned[], context: Context): Map<string, bigint> {
  const byLine = new Map<string, bigint>();
  const spendRate = new Map<string, number>();
  for (const entry of base) {
    if (entry.beneficiary !== 'member') continue;
    if (entry.spend) {
      for (const lineId of entry.spend.lineIds) {
        spendRate.set(lineId, (spendRate.get(lineId) ?? 0) + entry.spend.pointsPerUnit);
      }
    } else if (entry.lineId !== null) {
      byLine.set(entry.lineId, (byLine.get(entry.lineId) ?? 0n) + entry.units);
    }
  }
  for (const [lineId, rate] of spendRate) {
    const units = BigInt(context.netTotals.get(lineId) ?? 0) * unitsPerMinor(rate, context);
    byLine.set(lineId, (byLine.get(lineId) ?? 0n) + units);
  }
  return byLine;
}

function multiplierEarnings(rule: EarningRule, baseOfLine: Map<string, bigint>, context: Context): Earned[] {
  const earned: Earned[] = [];
  for (const line of context.ticket.lines) {
    const multiplier = multiplierFor(rule, line);
    if (multiplier === null || multiplier <= 100) continue;
    const lineBase = baseOfLine.get(line.lineId) ?? 0n;
    if (lineBase === 0n) continue;
    earned.push({
      rule,
      lineId: line.lineId,
      units: (lineBase * BigInt(multiplier - 100)) / HUNDRED,
      beneficiary: 'member',
    });
  }
  return earned;
}

function isMultiplier(rule: EarningRule): boolean {
  return rule.type === 'multiply_by_product' || rule.type === 'multiply_by_label';
}

/**
 * The discount to share over the lines: the ticket's own, or more when the lines add up to more
 * than was paid for goods (a POS that leaves a discount out of its totals), so spend never earns
 * on money the customer did not pay.
 */
function effectiveDiscount(ticket: Ticket, lineTotals: number[]): number {
  const linesSum = lineTotals.reduce((sum, total) => sum + total, 0);
  const paidForGoods = Math.max(
    0,
    ticket.totals.total - ticket.totals.deliveryFee - ticket.totals.tipsAndFees,
  );
  return Math.min(linesSum, Math.max(ticket.totals.discount, linesSum - paidForGoods));
}

export function evaluateTicket(
  ticket: Ticket,
  member: MemberContext | null,
  rules: EarningRule[],
  settings: EvaluationSettings,
): Evaluation {
  if (ticket.type !== 'sale' || ticket.status !== 'completed') return { entries: [], total: 0 };
  const occasion: Occasion = {
    at: ticket.purchasedAt,
    timeZone: settings.timeZone,
    locationId: ticket.locationId,
    brandId: ticket.brandId,
    channel: ticket.channel,
  };
  const ordered = rules.filter((rule) => applies(rule, occasion, member)).sort(byPriority);
  const lineTotals = ticket.lines.map((line) => Math.max(line.total, 0));
  const discounts = allocateProportionally(effectiveDiscount(ticket, lineTotals), lineTotals);
  const context: Context = {
    ticket,
    member,
    scale: 10n ** BigInt(currencyExponent(ticket.currency)) * 10_000n,
    netTotals: new Map(ticket.lines.map((line, index) => [line.lineId, line.total - discounts[index]!])),
  };

  let entries: BreakdownEntry[];
  let memberUnits: bigint;
  if (settings.semantics === 'openloyalty') {
    const ol = evaluateOlTicket(ordered, {
      ticket,
      scale: context.scale,
      netTotals: context.netTotals,
      unitsPerMinor: (rate) => unitsPerMinor(rate, context),
    });
    const others = ordered
      .filter((rule) => !isOlTicketRule(rule))
      .flatMap((rule) => baseEarnings(rule, context));
    const fixedEntries = [
      ...others.filter((entry) => entry.rule.type !== 'event' && entry.rule.type !== 'referral'),
      ...highestOnly(
        others.filter((entry) => entry.rule.type === 'event'),
        (entry) => entry.units,
      ),
      ...highestOnly(
        others.filter((entry) => entry.rule.type === 'referral'),
        (entry) => entry.units,
      ),
    ].filter((entry) => entry.units > 0n);
    entries = [...ol.entries, ...fixedEntries.map((entry) => toEntry(entry, context.scale, settings))];
    memberUnits =
      BigInt(ol.total) * context.scale +
      fixedEntries.filter((e) => e.beneficiary === 'member').reduce((sum, e) => sum + e.units, 0n);
  } else {
    const applicable = ordered.slice(0, lastRunning(ordered, context) + 1);
    let base = applicable
      .filter((rule) => !isMultiplier(rule))
      .flatMap((rule) => baseEarnings(rule, context));
    const exclusive = base.find((entry) => !entry.rule.stackable && entry.units > 0n);
    if (exclusive) base = base.filter((entry) => entry.rule === exclusive.rule);

    const multipliers = applicable.filter(isMultiplier);
    const baseOfLine = multipliers.length > 0 ? baseByLine(base, context) : new Map<string, bigint>();
    const extras = multipliers.flatMap((rule) => multiplierEarnings(rule, baseOfLine, context));
    const all = [...base, ...extras].filter((entry) => entry.units > 0n);
    entries = all.map((entry) => toEntry(entry, context.scale, settings));
    memberUnits = all.filter((e) => e.beneficiary === 'member').reduce((sum, e) => sum + e.units, 0n);
  }

  if (member && member.tierMultiplier > 100 && memberUnits > 0n) {
    const units = (memberUnits * BigInt(member.tierMultiplier - 100)) / HUNDRED;
    const points = roundAward(units, context.scale, settings);
    if (points > 0) {
      entries.push({
        ruleId: member.tierId ?? 'tier',
        ruleName: 'Tier multiplier',
        ruleType: 'tier_multiplier',
        lineId: null,
        points,
        beneficiary: 'member',
      });
    }
  }
  return summarize(entries.filter((entry) => entry.points !== 0));
}

/** The index of the last rule that runs: the first `stopsEvaluation` rule that runs, else the last. */
function lastRunning(ordered: EarningRule[], context: Context): number {
  for (const [index, rule] of ordered.entries()) {
    if (!rule.stopsEvaluation) continue;
    const runs = isMultiplier(rule)
      ? context.ticket.lines.some((line) => multiplierFor(rule, line) !== null)
      : baseEarnings(rule, context).some((entry) => entry.units > 0n);
    if (runs) return index;
  }
  return ordered.length - 1;
}

function toEntry(earned: Earned, scale: bigint, rounding: AwardRounding): BreakdownEntry {
  return {
    ruleId: earned.rule.id,
    ruleName: earned.rule.name,
    ruleType: earned.rule.type,
    lineId: earned.lineId,
    points: roundAward(earned.units, scale, rounding),
    beneficiary: earned.beneficiary,
  };
}

export function summarize(entries: BreakdownEntry[]): Evaluation {
  const total = entries.filter((e) => e.beneficiary === 'member').reduce((sum, e) => sum + e.points, 0);
  return { entries, total };
}
