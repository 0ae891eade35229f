import { describe, expect, it } from 'vitest';
import { rule, spend } from './fixtures.ts';
import { periodStart, readsMemberHistory } from './limits.ts';

// Saturday 2026-11-21 00:30 in Madrid (UTC+1) is still Friday 23:30 in UTC.
const at = new Date('2026-11-20T23:30:00Z');

describe('limit periods', () => {
  it.each([
    ['day', '2026-11-20T23:00:00.000Z'],
    ['week', '2026-11-15T23:00:00.000Z'],
    ['month', '2026-10-31T23:00:00.000Z'],
    ['3_months', '2026-09-30T22:00:00.000Z'],
    ['6_months', '2026-06-30T22:00:00.000Z'],
    ['year', '2025-12-31T23:00:00.000Z'],
  ] as const)('start the %s at local midnight in the organization time zone', (period, expected) => {
    expect(periodStart(period, at, 'Europe/Madrid')?.toISOString()).toBe(expected);
  });

  it('has no start for forever', () => {
    expect(periodStart('forever', at, 'Europe/Madrid')).toBeNull();
  });
});

describe('rules that read the member history', () => {
  it('are the limited ones and the first-purchase bonuses, nothing else', () => {
    const plain = rule(spend(1));
    expect(readsMemberHistory([plain])).toBe(false);
    expect(readsMemberHistory([plain, rule(spend(1), { limit: { count: 1, period: 'day' } })])).toBe(true);
    expect(
      readsMemberHistory([rule({ type: 'event', config: { event: 'first_purchase', points: 2000 } })]),
    ).toBe(true);
    expect(readsMemberHistory([rule({ type: 'event', config: { event: 'birthday', points: 1000 } })])).toBe(
      false,
    );
    const referral = (trigger: 'registration' | 'first_purchase') =>
      rule({ type: 'referral', config: { trigger, referrerPoints: 500, referredPoints: 500 } });
    expect(readsMemberHistory([referral('first_purchase')])).toBe(true);
    expect(readsMemberHistory([referral('registration')])).toBe(false);
  });
});
