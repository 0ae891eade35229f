import { fromLocal, toLocal } from '../zoned-time.ts';
import type { EarningRule, LimitPeriod } from './types.ts';

/**
 * Start of the calendar period a limit counts in, in the organization's time zone: today,
 * this ISO week (Monday), this month, this quarter (3_months), this half-year (6_months),
 * this year; null for `forever`. Pure.
 */
export function periodStart(period: LimitPeriod, at: Date, timeZone: string): Date | null {
  if (period === 'forever') return null;
  const local = toLocal(at, timeZone);
  const midnight = { hour: 0, minute: 0, second: 0, millisecond: 0 };
  const startOfDay = (year: number, month: number, day: number) => {
    const normalized = new Date(Date.UTC(year, month - 1, day));
    return fromLocal(
      {
        year: normalized.getUTCFullYear(),
        month: normalized.getUTCMonth() + 1,
        day: normalized.getUTCDate(),
        ...midnight,
      },
      timeZone,
    );
  };
  switch (period) {
    case 'day':
      return startOfDay(local.year, local.month, local.day);
    case 'week': {
      const weekday = new Date(Date.UTC(local.year, local.month - 1, local.day)).getUTCDay();
      const sinceMonday = (weekday + 6) % 7;
      return startOfDay(local.year, local.month, local.day - sinceMonday);
    }
    case 'month':
      return startOfDay(local.year, local.month, 1);
    case '3_months':
      return startOfDay(local.year, local.month - ((local.month - 1) % 3), 1);
    case '6_months':
      return startOfDay(local.year, local.month <= 6 ? 1 : 7, 1);
    case 'year':
      return startOfDay(local.year, 1, 1);
  }
}

/**
 * Whether what these rules award depends on the member's history (`ruleUsage`, `purchasesBefore`):
 * a limited rule, or a bonus for the first purchase. The caller must then read that history under
 * the member's row lock, or two awards at once would both find the rule unused.
 */
export function readsMemberHistory(rules: EarningRule[]): boolean {
  return rules.some(
    (rule) =>
      rule.limit !== null ||
      (rule.type === 'event' && rule.config.event === 'first_purchase') ||
      (rule.type === 'referral' && rule.config.trigger === 'first_purchase'),
  );
}
