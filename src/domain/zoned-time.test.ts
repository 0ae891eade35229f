import { describe, expect, it } from 'vitest';
import { addLocalDays, endOfLocalDay, endOfLocalMonth, fromLocal, localDate, toLocal } from './zoned-time.ts';

const MADRID = 'Europe/Madrid';
const at = (iso: string) => new Date(iso);
const wall = (year: number, month: number, day: number, hour = 0, minute = 0) => ({
  year,
  month,
  day,
  hour,
  minute,
  second: 0,
  millisecond: 0,
});

describe('zoned time', () => {
  it('reads the wall clock of a zone, winter and summer', () => {
    expect(toLocal(at('2026-01-10T22:30:00Z'), MADRID)).toMatchObject({ day: 10, hour: 23, minute: 30 });
    expect(toLocal(at('2026-07-10T22:30:00Z'), MADRID)).toMatchObject({ day: 11, hour: 0, minute: 30 });
    expect(localDate(at('2026-07-10T22:30:00Z'), MADRID)).toBe('2026-07-11');
    expect(localDate(at('2026-07-10T22:30:00Z'), 'UTC')).toBe('2026-07-10');
  });

  it('turns a wall-clock reading back into the instant', () => {
    expect(fromLocal(wall(2026, 1, 11, 0), MADRID).toISOString()).toBe('2026-01-10T23:00:00.000Z');
    expect(fromLocal(wall(2026, 7, 11, 0), MADRID).toISOString()).toBe('2026-07-10T22:00:00.000Z');
    expect(fromLocal(wall(2026, 7, 11, 0), 'America/New_York').toISOString()).toBe(
      '2026-07-11T04:00:00.000Z',
    );
  });

  it('skips a reading that does not exist (spring gap) and takes the first of one that happens twice', () => {
    // Madrid, 29 March 2026: 02:00 → 03:00. 02:30 never happens; a clock moved forward shows 03:30.
    expect(fromLocal(wall(2026, 3, 29, 2, 30), MADRID).toISOString()).toBe('2026-03-29T01:30:00.000Z');
    // Madrid, 25 October 2026: 03:00 → 02:00. 02:30 happens at 00:30Z (summer) and 01:30Z (winter).
    expect(fromLocal(wall(2026, 10, 25, 2, 30), MADRID).toISOString()).toBe('2026-10-25T00:30:00.000Z');
  });

  it('adds calendar days keeping the wall-clock time across a DST change', () => {
    // 11:00 in Madrid on 1 March (UTC+1) → 11:00 on 31 March (UTC+2).
    expect(addLocalDays(at('2026-03-01T10:00:00Z'), 30, MADRID).toISOString()).toBe(
      '2026-03-31T09:00:00.000Z',
    );
    expect(addLocalDays(at('2026-03-01T10:00:00Z'), 30, 'UTC').toISOString()).toBe(
      '2026-03-31T10:00:00.000Z',
    );
  });

  it('finds the end of the local day and month (the next local midnight)', () => {
    expect(endOfLocalDay(at('2026-01-10T22:30:00Z'), MADRID).toISOString()).toBe('2026-01-10T23:00:00.000Z');
    expect(endOfLocalDay(at('2026-01-10T23:30:00Z'), MADRID).toISOString()).toBe('2026-01-11T23:00:00.000Z');
    expect(endOfLocalMonth(at('2026-01-31T23:30:00Z'), MADRID).toISOString()).toBe(
      '2026-02-28T23:00:00.000Z',
    );
    expect(endOfLocalMonth(at('2026-12-15T12:00:00Z'), MADRID).toISOString()).toBe(
      '2026-12-31T23:00:00.000Z',
    );
    expect(endOfLocalMonth(at('2024-02-10T12:00:00Z'), 'UTC').toISOString()).toBe('2024-03-01T00:00:00.000Z');
  });

  it('handles a zone whose clocks jump at midnight: the day ends when the new day starts', () => {
    // Santiago de Chile, 7 September 2025: 00:00 → 01:00, so that day starts at 01:00 local (04:00Z).
    expect(endOfLocalDay(at('2025-09-06T15:00:00Z'), 'America/Santiago').toISOString()).toBe(
      '2025-09-07T04:00:00.000Z',
    );
  });
});
