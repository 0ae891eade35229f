import { anniversaryDays, localToday, monthDay, windowStart } from './calendar.ts';
import type { ConsentChannel, Criterion, LabelValue, SegmentPart } from './criteria.ts';

/**
 * Segment criteria as pure predicates over one member's snapshot. The full recompute runs the
 * same rules as SQL (src/modules/segments/compile.ts); a differential test keeps the two equal.
 */

export interface PurchaseLine {
  sku: string | null;
  category: string | null;
  maker: string | null;
  labels: LabelValue[];
}

/** A completed sale that was not fully returned. */
export interface Purchase {
  purchasedAt: Date;
  /** Total minus what was returned, in minor units. */
  net: number;
}

/** What all of a member's purchases add up to. */
export interface PurchaseTotals {
  count: number;
  /** Minor units, net of returns. */
  net: number;
  firstAt: Date | null;
  lastAt: Date | null;
  /** Where they bought (purchases without a location are not counted). */
  locationIds: string[];
}

export interface MemberSnapshot {
  customerId: string;
  /** Status `active` (inactive and blocked members only match `customer_list`). */
  active: boolean;
  /** `YYYY-MM-DD` or null. */
  birthDate: string | null;
  registeredAt: Date;
  labels: LabelValue[];
  consents: ConsentChannel[];
  tierId: string | null;
  /** Active points (hundredths) by point type id. */
  points: Record<string, number>;
  purchaseTotals: PurchaseTotals;
  /**
   * The purchases made from `purchasesReadFrom` (criteria.ts) on, one by one: what windows of days
   * and periods with both ends read. Not all of them; the totals answer every other question.
   */
  recentPurchases: Purchase[];
  /**
   * The lines of those purchases, each distinct line once: line criteria ask whether the member
   * ever bought something, not on which ticket, and a regular's history repeats the same menu.
   */
  linesBought: PurchaseLine[];
}

export interface MatchContext {
  now: Date;
  timeZone: string;
  /** What `points_balance` without a point type reads. */
  defaultPointTypeId: string | null;
}

function inRange(value: number, min: number | null, max: number | null): boolean {
  return (min === null || value >= min) && (max === null || value <= max);
}

const lower = (values: readonly string[]) => new Set(values.map((value) => value.toLowerCase()));

function boughtLine(member: MemberSnapshot, test: (line: PurchaseLine) => boolean): boolean {
  return member.linesBought.some(test);
}

function since(member: MemberSnapshot, days: number, context: MatchContext) {
  const start = windowStart(context.now, context.timeZone, days).getTime();
  return member.recentPurchases.filter((purchase) => purchase.purchasedAt.getTime() >= start);
}

function boughtBetween(member: MemberSnapshot, from: number | null, to: number | null): boolean {
  const { firstAt, lastAt } = member.purchaseTotals;
  if (firstAt === null || lastAt === null) return false;
  if (from === null) return to === null || firstAt.getTime() < to;
  if (to === null) return lastAt.getTime() >= from;
  return member.recentPurchases.some((p) => {
    const at = p.purchasedAt.getTime();
    return at >= from && at < to;
  });
}

function sumNet(purchases: readonly Purchase[]): number {
  return purchases.reduce((sum, purchase) => sum + purchase.net, 0);
}

/** One criterion, ignoring the member's status. */
export function criterionHolds(criterion: Criterion, member: MemberSnapshot, context: MatchContext): boolean {
  switch (criterion.type) {
    case 'bought_at_locations':
      return member.purchaseTotals.locationIds.some((id) => criterion.locationIds.includes(id));
    case 'transaction_count': {
      const count =
        criterion.days === null ? member.purchaseTotals.count : since(member, criterion.days, context).length;
      return inRange(count, criterion.min, criterion.max);
    }
    case 'average_ticket': {
      const { count, net } = member.purchaseTotals;
      if (count === 0) return false;
      return (
        (criterion.min === null || net >= criterion.min * count) &&
        (criterion.max === null || net <= criterion.max * count)
      );
    }
    case 'total_spent': {
      const spent =
        criterion.days === null ? member.purchaseTotals.net : sumNet(since(member, criterion.days, context));
      return inRange(spent, criterion.min, criterion.max);
    }
    case 'purchase_period':
      return boughtBetween(
        member,
        criterion.from === null ? null : Date.parse(criterion.from),
        criterion.to === null ? null : Date.parse(criterion.to),
      );
    case 'bought_skus': {
      const wanted = lower(criterion.skus);
      return boughtLine(member, (line) => line.sku !== null && wanted.has(line.sku.toLowerCase()));
    }
    case 'bought_categories': {
      const wanted = lower(criterion.categories);
      return boughtLine(member, (line) => line.category !== null && wanted.has(line.category.toLowerCase()));
    }
    case 'bought_makers': {
      const wanted = lower(criterion.makers);
      return boughtLine(member, (line) => line.maker !== null && wanted.has(line.maker.toLowerCase()));
    }
    case 'bought_labels': {
      const wanted = new Set(criterion.labels.map((l) => labelKey(l.key, l.value)));
      return boughtLine(member, (line) => line.labels.some((l) => wanted.has(labelKey(l.key, l.value))));
    }
    case 'anniversary': {
      const days = new Set(anniversaryDays(context.now, context.timeZone, criterion.days));
      if (criterion.anniversaryType === 'birthday') {
        return member.birthDate !== null && days.has(monthDay(member.birthDate));
      }
      const registered = localToday(member.registeredAt, context.timeZone);
      return registered < localToday(context.now, context.timeZone) && days.has(monthDay(registered));
    }
    case 'last_purchase_days_ago': {
      const { lastAt } = member.purchaseTotals;
      return (
        lastAt !== null &&
        lastAt.getTime() < windowStart(context.now, context.timeZone, criterion.days).getTime()
      );
    }
    case 'customer_has_labels':
      return criterion.labels.some((wanted) =>
        member.labels.some(
          (label) => label.key === wanted.key && (wanted.value === undefined || label.value === wanted.value),
        ),
      );
    case 'customer_list':
      return criterion.customerIds.includes(member.customerId);
    case 'tier_in':
      return member.tierId !== null && criterion.tierIds.includes(member.tierId);
    case 'points_balance': {
      const pointTypeId = criterion.pointTypeId ?? context.defaultPointTypeId;
      const points = pointTypeId === null ? 0 : (member.points[pointTypeId] ?? 0);
      return inRange(points, criterion.min, criterion.max);
    }
    case 'marketing_consent': {
      const channels = criterion.channels.length > 0 ? criterion.channels : null;
      return member.consents.some((channel) => channels === null || channels.includes(channel));
    }
  }
}

/** Labels on ticket lines are compared case-insensitively, as Open Loyalty does. */
export function labelKey(key: string, value: string): string {
  return `${key.toLowerCase()}\u001f${value.toLowerCase()}`;
}

/** A criterion for this member: only active members match, except on an explicit customer list. */
export function criterionMatches(
  criterion: Criterion,
  member: MemberSnapshot,
  context: MatchContext,
): boolean {
  if (!member.active && criterion.type !== 'customer_list') return false;
  return criterionHolds(criterion, member, context);
}

/** Every part has a matching criterion. A segment without parts matches nobody. */
export function segmentMatches(
  parts: readonly SegmentPart[],
  member: MemberSnapshot,
  context: MatchContext,
): boolean {
  if (parts.length === 0) return false;
  return parts.every((part) =>
    part.criteria.some((criterion) => criterionMatches(criterion, member, context)),
  );
}
