/**
 * Wall-clock arithmetic in an IANA time zone with nothing but `Intl`: what day it is in
 * Madrid, the instant a local day or month ends, N local days later (DST-safe). Pure.
 */

/** A wall-clock reading; `month` is 1–12. */
export interface LocalDateTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** The wall clock in `timeZone` at `instant`. */
export function toLocal(instant: Date, timeZone: string): LocalDateTime {
  const parts: Record<string, number> = {};
  for (const part of formatterFor(timeZone).formatToParts(instant)) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  return {
    year: parts.year!,
    month: parts.month!,
    day: parts.day!,
    hour: parts.hour!,
    minute: parts.minute!,
    second: parts.second!,
    millisecond: instant.getUTCMilliseconds(),
  };
}

/** Reads a LocalDateTime as if it were UTC: a plain number to do calendar arithmetic on. */
function asUtcMillis(local: LocalDateTime): number {
  return Date.UTC(
    local.year,
    local.month - 1,
    local.day,
    local.hour,
    local.minute,
    local.second,
    local.millisecond,
  );
}

function fromUtcMillis(millis: number): LocalDateTime {
  const date = new Date(millis);
  return {
    year: date.getUTCFullYear(),
    month: date.getUTCMonth() + 1,
    day: date.getUTCDate(),
    hour: date.getUTCHours(),
    minute: date.getUTCMinutes(),
    second: date.getUTCSeconds(),
    millisecond: date.getUTCMilliseconds(),
  };
}

/** UTC offset of `timeZone` at `instant`, in milliseconds (Madrid in summer: +7,200,000). */
function offsetAt(instant: number, timeZone: string): number {
  return asUtcMillis(toLocal(new Date(instant), timeZone)) - instant;
}

const DAY_MS = 86_400_000;

/**
 * The instant at which the wall clock in `timeZone` reads `local`. A reading that happens twice
 * (autumn change) gives the earlier instant; one that never happens (spring gap) gives the
 * instant right after the gap, as a clock that was moved forward would show it.
 */
export function fromLocal(local: LocalDateTime, timeZone: string): Date {
  const wall = asUtcMillis(local);
  const before = offsetAt(wall - DAY_MS, timeZone);
  const after = offsetAt(wall + DAY_MS, timeZone);
  const candidates = [...new Set([before, after])]
    .map((offset) => wall - offset)
    .filter((instant) => asUtcMillis(toLocal(new Date(instant), timeZone)) === wall);
  if (candidates.length > 0) return new Date(Math.min(...candidates));
  return new Date(wall - before);
}

/** The same wall-clock time `days` calendar days later (a day across a DST change is 23 or 25 h). */
export function addLocalDays(instant: Date, days: number, timeZone: string): Date {
  const local = toLocal(instant, timeZone);
  return fromLocal(fromUtcMillis(asUtcMillis(local) + days * DAY_MS), timeZone);
}

/** The first instant of the local day after the one `instant` falls on (local midnight). */
export function endOfLocalDay(instant: Date, timeZone: string): Date {
  const local = toLocal(instant, timeZone);
  const next = fromUtcMillis(Date.UTC(local.year, local.month - 1, local.day + 1));
  return fromLocal(next, timeZone);
}

/** The first instant of the local month after the one `instant` falls in. */
export function endOfLocalMonth(instant: Date, timeZone: string): Date {
  const local = toLocal(instant, timeZone);
  const next = fromUtcMillis(Date.UTC(local.year, local.month, 1));
  return fromLocal(next, timeZone);
}

/** The local calendar date of `instant`, as `YYYY-MM-DD`. */
export function localDate(instant: Date, timeZone: string): string {
  const { year, month, day } = toLocal(instant, timeZone);
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}
