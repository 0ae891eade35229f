import { fromLocal, toLocal } from '../zoned-time.ts';

/**
 * Calendar arithmetic of segment criteria, in the organization's time zone. Every window starts
 * at a local midnight, so membership only changes with an event or when the local day turns.
 */

const DAY_MS = 86_400_000;

interface CalendarDay {
  year: number;
  month: number;
  day: number;
}

function today(now: Date, timeZone: string): CalendarDay {
  const { year, month, day } = toLocal(now, timeZone);
  return { year, month, day };
}

function shift(date: CalendarDay, days: number): CalendarDay {
  const moved = new Date(Date.UTC(date.year, date.month - 1, date.day) + days * DAY_MS);
  return { year: moved.getUTCFullYear(), month: moved.getUTCMonth() + 1, day: moved.getUTCDate() };
}

const pad = (value: number, width = 2) => String(value).padStart(width, '0');

function iso(date: CalendarDay): string {
  return `${pad(date.year, 4)}-${pad(date.month)}-${pad(date.day)}`;
}

/** Today's local date, `YYYY-MM-DD`. */
export function localToday(now: Date, timeZone: string): string {
  return iso(today(now, timeZone));
}

/**
 * The first instant of a window of `days` local days ending today (today included): local
 * midnight `days − 1` days ago. It is also the cut-off of "last purchase at least `days` days
 * ago": a purchase before it was made on a local day at least `days` days before today.
 */
export function windowStart(now: Date, timeZone: string, days: number): Date {
  const first = shift(today(now, timeZone), -(days - 1));
  return fromLocal({ ...first, hour: 0, minute: 0, second: 0, millisecond: 0 }, timeZone);
}

/**
 * An instant no later than `windowStart(now, timeZone, days)` in any time zone (local days start
 * within 14 h of UTC's, and a local day lasts at most 25 h): where to start reading purchases
 * before the organization's time zone is known.
 */
export function windowStartInAnyZone(now: Date, days: number): Date {
  return new Date(now.getTime() - (days + 2) * DAY_MS);
}

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/**
 * The `MM-DD` of the next `days` local days (today included). In a year without 29 February, a
 * 29 February anniversary is celebrated on the 28th.
 */
export function anniversaryDays(now: Date, timeZone: string, days: number): string[] {
  const start = today(now, timeZone);
  const result: string[] = [];
  for (let offset = 0; offset < Math.min(days, 366); offset++) {
    const date = shift(start, offset);
    result.push(`${pad(date.month)}-${pad(date.day)}`);
    if (date.month === 2 && date.day === 28 && !isLeap(date.year)) result.push('02-29');
  }
  return [...new Set(result)];
}

/** `MM-DD` of a `YYYY-MM-DD` date. */
export function monthDay(date: string): string {
  return date.slice(5, 10);
}
