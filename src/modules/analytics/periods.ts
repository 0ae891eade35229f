/**
 * Calendar arithmetic on local days (`YYYY-MM-DD`): the days themselves carry no time zone, so
 * plain UTC date math is exact for them. Weeks start on Monday (ISO), as PostgreSQL's date_trunc.
 */

export const GRANULARITIES = ['day', 'week', 'month'] as const;
export type Granularity = (typeof GRANULARITIES)[number];

const DAY_MS = 86_400_000;

const toDate = (day: string) => new Date(`${day}T00:00:00Z`);
const toDay = (date: Date) => date.toISOString().slice(0, 10);

export function addDays(day: string, days: number): string {
  return toDay(new Date(toDate(day).getTime() + days * DAY_MS));
}

/** Days from `from` to `to`, both included. */
export function daysBetween(from: string, to: string): number {
  return Math.round((toDate(to).getTime() - toDate(from).getTime()) / DAY_MS) + 1;
}

/** The first day of the day's week or month (the day itself for `day`). */
export function bucketStart(day: string, granularity: Granularity): string {
  if (granularity === 'day') return day;
  if (granularity === 'month') return `${day.slice(0, 7)}-01`;
  const weekday = (toDate(day).getUTCDay() + 6) % 7;
  return addDays(day, -weekday);
}

/** The first day after the bucket that starts on `start`. */
export function bucketEnd(start: string, granularity: Granularity): string {
  if (granularity === 'day') return addDays(start, 1);
  if (granularity === 'week') return addDays(start, 7);
  const date = toDate(start);
  return toDay(new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1)));
}

export interface Bucket {
  /** The period's first day (it may start before the range: the range's part of it is counted). */
  period: string;
  /** The range's days in it, both included. */
  from: string;
  to: string;
}

/** The periods a range covers, in order, each clipped to the range. */
export function bucketsOf(from: string, to: string, granularity: Granularity): Bucket[] {
  const buckets: Bucket[] = [];
  for (let start = bucketStart(from, granularity); start <= to; start = bucketEnd(start, granularity)) {
    const last = addDays(bucketEnd(start, granularity), -1);
    buckets.push({
      period: start,
      from: start < from ? from : start,
      to: last > to ? to : last,
    });
  }
  return buckets;
}

/** The months (`YYYY-MM`) from the month of `from` to the month of `to`. */
export function monthsOf(from: string, to: string): string[] {
  return bucketsOf(from, to, 'month').map((bucket) => bucket.period.slice(0, 7));
}
