import { describe, expect, it } from 'vitest';
import { EVENT_TYPE_PATTERN, matchesEventType } from './event-types.ts';
import { DEFAULT_RETRY_SCHEDULE_MS, parseSchedule, retryDelayMs } from './retry-schedule.ts';

describe('event type filters', () => {
  it.each([
    [['*'], 'points.added', true],
    [['points.*'], 'points.added', true],
    [['points.*'], 'points.expired.soon', true],
    [['points.*'], 'pointsx.added', false],
    [['points.*'], 'points', false],
    [['location.created'], 'location.created', true],
    [['location.created'], 'location.updated', false],
    [['customer.*', 'location.updated'], 'location.updated', true],
    [[], 'location.updated', false],
  ])('%j matches %s: %s', (patterns, type, expected) => {
    expect(matchesEventType(patterns, type)).toBe(expected);
  });

  it('accept exact names, families and * only', () => {
    const valid = new RegExp(EVENT_TYPE_PATTERN);
    for (const ok of ['*', 'points.*', 'location.created', 'webhook_endpoint.disabled']) {
      expect(valid.test(ok)).toBe(true);
    }
    for (const bad of ['', 'points*', '*.created', 'Points.added', 'points..added', 'points.*.x']) {
      expect(valid.test(bad)).toBe(false);
    }
  });
});

describe('retry schedule', () => {
  it('spreads about 24 hours of retries over 11 attempts by default', () => {
    const total = DEFAULT_RETRY_SCHEDULE_MS.reduce((sum, delay) => sum + delay, 0);
    expect(DEFAULT_RETRY_SCHEDULE_MS).toHaveLength(10);
    expect(total / 3_600_000).toBeGreaterThan(22);
    expect(total / 3_600_000).toBeLessThan(26);
  });

  it('waits longer after each failure, with up to ±20% jitter', () => {
    const schedule = [1000, 10_000, 100_000];
    expect(retryDelayMs(schedule, 3, 0.5)).toBe(1000);
    expect(retryDelayMs(schedule, 2, 0.5)).toBe(10_000);
    expect(retryDelayMs(schedule, 1, 0.5)).toBe(100_000);
    expect(retryDelayMs(schedule, 3, 0)).toBe(800);
    expect(retryDelayMs(schedule, 3, 0.999_999)).toBe(1200);
  });

  it('reads a schedule written as durations', () => {
    expect(parseSchedule('5s, 2m,1h,1d,250ms')).toEqual([5000, 120_000, 3_600_000, 86_400_000, 250]);
    expect(parseSchedule('5 seconds')).toBeUndefined();
    expect(parseSchedule('')).toBeUndefined();
  });
});
