import { windowStartInAnyZone } from './calendar.ts';

/**
 * Segment definitions. A member is in a segment when EVERY part matches, and a part matches when
 * ANY of its criteria matches (AND of ORs). This is what Open Loyalty's code and tests do; its prose
 * documentation states the reverse. Money is in minor units, points in integer hundredths.
 */

export const CRITERION_TYPES = [
  'bought_at_locations',
  'transaction_count',
  'average_ticket',
  'total_spent',
  'purchase_period',
  'bought_skus',
  'bought_categories',
  'bought_makers',
  'bought_labels',
  'anniversary',
  'last_purchase_days_ago',
  'customer_has_labels',
  'customer_list',
  'tier_in',
  'points_balance',
  'marketing_consent',
] as const;
export type CriterionType = (typeof CRITERION_TYPES)[number];

export const CONSENT_CHANNELS = ['email', 'sms', 'push'] as const;
export type ConsentChannel = (typeof CONSENT_CHANNELS)[number];

export interface LabelValue {
  key: string;
  value: string;
}

/** An inclusive range; a missing bound is open. */
export interface Range {
  min: number | null;
  max: number | null;
}

export type CriterionBody =
  | { type: 'bought_at_locations'; locationIds: string[] }
  /** Completed sales not fully returned; `days` = only the last N local days (today included). */
  | ({ type: 'transaction_count'; days: number | null } & Range)
  /** Net spent / purchases, compared exactly (min × count ≤ spent ≤ max × count); no purchase, no match. */
  | ({ type: 'average_ticket' } & Range)
  | ({ type: 'total_spent'; days: number | null } & Range)
  /** At least one purchase with from ≤ purchasedAt < to (ISO instants). */
  | { type: 'purchase_period'; from: string | null; to: string | null }
  | { type: 'bought_skus'; skus: string[] }
  | { type: 'bought_categories'; categories: string[] }
  | { type: 'bought_makers'; makers: string[] }
  | { type: 'bought_labels'; labels: LabelValue[] }
  /** Birthday or registration day within the next `days` local days (1 = today only). */
  | { type: 'anniversary'; anniversaryType: 'birthday' | 'registration'; days: number }
  /** Has purchased, and the last purchase was on a local day at least `days` days before today. */
  | { type: 'last_purchase_days_ago'; days: number }
  /** Any of the labels; a label without value matches any value of the key. */
  | { type: 'customer_has_labels'; labels: Array<{ key: string; value?: string | undefined }> }
  /** Exactly these members, active or not. */
  | { type: 'customer_list'; customerIds: string[] }
  | { type: 'tier_in'; tierIds: string[] }
  /** Active (spendable) points of a point type (null = the default one). */
  | ({ type: 'points_balance'; pointTypeId: string | null } & Range)
  /** Marketing consent granted on any of the channels (empty = any channel). */
  | { type: 'marketing_consent'; channels: ConsentChannel[] };

export type Criterion = CriterionBody & { id: string };

export interface SegmentPart {
  id: string;
  criteria: Criterion[];
}

/** Criteria that read the member's purchases. */
export const PURCHASE_CRITERIA: ReadonlySet<CriterionType> = new Set([
  'bought_at_locations',
  'transaction_count',
  'average_ticket',
  'total_spent',
  'purchase_period',
  'bought_skus',
  'bought_categories',
  'bought_makers',
  'bought_labels',
  'last_purchase_days_ago',
]);

/** Criteria that read the lines of the member's purchases. */
export const LINE_CRITERIA: ReadonlySet<CriterionType> = new Set([
  'bought_skus',
  'bought_categories',
  'bought_makers',
  'bought_labels',
]);

/** Criteria whose answer changes with the calendar alone: refreshed every local day. */
export const TIME_CRITERIA: ReadonlySet<CriterionType> = new Set([
  'anniversary',
  'last_purchase_days_ago',
  'transaction_count',
  'total_spent',
]);

export function criteriaOf(parts: readonly SegmentPart[]): Criterion[] {
  return parts.flatMap((part) => part.criteria);
}

/**
 * The earliest purchase a criterion reads one by one (a window of days, a period with both
 * ends), or null: the other purchase criteria read the member's totals.
 */
function readsPurchasesFrom(criterion: Criterion, now: Date): Date | null {
  switch (criterion.type) {
    case 'transaction_count':
    case 'total_spent':
      return criterion.days === null ? null : windowStartInAnyZone(now, criterion.days);
    case 'purchase_period':
      return criterion.from !== null && criterion.to !== null ? new Date(criterion.from) : null;
    default:
      return null;
  }
}

/** What evaluating these parts (of one segment or of several) needs to read about a member. */
export function needsOf(parts: readonly SegmentPart[]) {
  const criteria = criteriaOf(parts);
  return {
    /** The totals of the member's purchases (line criteria read only the distinct lines bought). */
    purchases: criteria.some((c) => PURCHASE_CRITERIA.has(c.type) && !LINE_CRITERIA.has(c.type)),
    lines: criteria.some((c) => LINE_CRITERIA.has(c.type)),
    points: criteria.some((c) => c.type === 'points_balance'),
    tier: criteria.some((c) => c.type === 'tier_in'),
  };
}

/** From when evaluating these parts at `now` reads purchases one by one; null: it reads none. */
export function purchasesReadFrom(parts: readonly SegmentPart[], now: Date): Date | null {
  const starts = criteriaOf(parts)
    .map((criterion) => readsPurchasesFrom(criterion, now))
    .filter((start) => start !== null);
  return starts.length === 0 ? null : new Date(Math.min(...starts.map((start) => start.getTime())));
}

/** Whether the segment's membership can change by the calendar alone (windows, anniversaries). */
export function isTimeBased(parts: readonly SegmentPart[]): boolean {
  return criteriaOf(parts).some(
    (c) =>
      TIME_CRITERIA.has(c.type) &&
      (c.type === 'anniversary' || c.type === 'last_purchase_days_ago' || ('days' in c && c.days !== null)),
  );
}
