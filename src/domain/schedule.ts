import { type LocalDateTime, toLocal } from './zoned-time.ts';

/**
 * When something is available: a start/end window in UTC plus local weekdays and opening hours in
 * a time zone. Shared by whatever has a schedule (earning rules, rewards). Pure.
 */
export interface Schedule {
  startsAt: Date | null;
  endsAt: Date | null;
  /** ISO weekdays (1 = Monday … 7 = Sunday) in the local time zone; empty = every day. */
  weekdays: number[];
  /** Local window `HH:MM`–`HH:MM`, may cross midnight (22:00–02:00); null = all day. */
  hours: { from: string; to: string } | null;
}

/** Why an instant falls outside a schedule. */
export type ScheduleMiss = 'not_started' | 'ended' | 'wrong_day' | 'outside_hours';

function minutesOf(hhmm: string): number {
  const [hours, minutes] = hhmm.split(':').map(Number);
  return hours! * 60 + minutes!;
}

export function isoWeekday(year: number, month: number, day: number): number {
  const weekday = new Date(Date.UTC(year, month - 1, day)).getUTCDay();
  return weekday === 0 ? 7 : weekday;
}

export function withinHours(hours: { from: string; to: string }, local: LocalDateTime): boolean {
  const now = local.hour * 60 + local.minute;
  const from = minutesOf(hours.from);
  const to = minutesOf(hours.to);
  return from <= to ? now >= from && now < to : now >= from || now < to;
}

/**
 * The first reason `at` is outside `schedule`, or null when it is inside. `local` may be passed
 * when the caller already has the wall clock (Intl is the slow part); it is computed otherwise.
 */
export function scheduleMiss(
  schedule: Schedule,
  at: Date,
  timeZone: string,
  local?: LocalDateTime,
): ScheduleMiss | null {
  if (schedule.startsAt && at < schedule.startsAt) return 'not_started';
  if (schedule.endsAt && at >= schedule.endsAt) return 'ended';
  if (schedule.weekdays.length === 0 && schedule.hours === null) return null;
  const wall = local ?? toLocal(at, timeZone);
  if (
    schedule.weekdays.length > 0 &&
    !schedule.weekdays.includes(isoWeekday(wall.year, wall.month, wall.day))
  ) {
    return 'wrong_day';
  }
  if (schedule.hours && !withinHours(schedule.hours, wall)) return 'outside_hours';
  return null;
}
