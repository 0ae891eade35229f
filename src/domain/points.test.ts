import { describe, expect, it } from 'vitest';
import { AppError } from '../errors.ts';
import {
  activeFromFor,
  allocateFifo,
  counterDeltas,
  ENTRY_KINDS,
  expiresAtFor,
  formatPoints,
  fromPoints,
  type LotView,
  MAX_HUNDREDTHS,
  parsePoints,
  roundAward,
  toPoints,
  toWholePoints,
} from './points.ts';

/** Seeded PRNG (mulberry32): property tests that fail the same way every run. */
function random(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function rejection(value: unknown, options = {}) {
  try {
    parsePoints(value, 'body.points', options);
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    const appError = error as AppError;
    expect(appError.status).toBe(422);
    expect(appError.errors?.[0]?.path).toBe('body.points');
    return appError.errors?.[0]?.message;
  }
  throw new Error(`${String(value)} was accepted`);
}

describe('parsePoints', () => {
  it('reads numbers and strings with up to two decimals as exact hundredths', () => {
    expect(parsePoints(12.34, 'p')).toBe(1234);
    expect(parsePoints('12.34', 'p')).toBe(1234);
    expect(parsePoints('12.5', 'p')).toBe(1250);
    expect(parsePoints(7, 'p')).toBe(700);
    expect(parsePoints(0.01, 'p')).toBe(1);
    expect(parsePoints(1.15, 'p')).toBe(115); // 1.15 * 100 is 114.99999999999999 in floating point
    expect(parsePoints(-2.5, 'p', { signed: true })).toBe(-250);
    expect(parsePoints('-0.05', 'p', { signed: true })).toBe(-5);
  });

  it('rejects more than two decimals, naming the field', () => {
    expect(rejection(12.345)).toBe('must have at most 2 decimals');
    expect(rejection('12.345')).toBe('must have at most 2 decimals');
    expect(rejection(0.1 + 0.2)).toBe('must have at most 2 decimals');
    expect(rejection(1e-7)).toBe('must have at most 2 decimals');
  });

  it('rejects zero, negatives (unless signed), non-numbers and amounts beyond 2^53 hundredths', () => {
    expect(rejection(0)).toBe('must not be zero');
    expect(rejection('0.00')).toBe('must not be zero');
    expect(rejection(-1)).toBe('must be greater than 0');
    expect(rejection('abc')).toMatch(/decimal string/);
    expect(rejection('')).toMatch(/decimal string/);
    expect(rejection(' 1')).toMatch(/decimal string/);
    expect(rejection('1e3')).toMatch(/decimal string/);
    expect(rejection(null)).toMatch(/decimal string/);
    expect(rejection(Number.NaN)).toMatch(/finite/);
    expect(rejection(1e21)).toMatch(/too large/);
    expect(parsePoints('90071992547409.91', 'p')).toBe(MAX_HUNDREDTHS);
    expect(rejection('90071992547409.92')).toMatch(/too large/);
  });

  it('round-trips every amount through the API number and the decimal string', () => {
    const next = random(42);
    for (let i = 0; i < 5000; i++) {
      const magnitude = i < 1000 ? i + 1 : Math.floor(next() * 10 ** (1 + Math.floor(next() * 15))) + 1;
      expect(parsePoints(toPoints(magnitude), 'p')).toBe(magnitude);
      expect(parsePoints(formatPoints(magnitude), 'p')).toBe(magnitude);
      expect(parsePoints(formatPoints(-magnitude), 'p', { signed: true })).toBe(-magnitude);
    }
    expect(formatPoints(1234)).toBe('12.34');
    expect(formatPoints(5)).toBe('0.05');
    expect(formatPoints(-5)).toBe('-0.05');
    expect(JSON.stringify({ points: toPoints(1234) })).toBe('{"points":12.34}');
  });
});

describe('roundAward', () => {
  // 45.5 points exactly: 4550 hundredths of 1000 units each.
  const units = 4_550_000n;
  it('keeps hundredths, or rounds to whole points down, half up or up', () => {
    expect(roundAward(units, 1000n, { precision: 'hundredths', rounding: 'down' })).toBe(4550);
    expect(roundAward(units, 1000n, { precision: 'whole', rounding: 'down' })).toBe(4500);
    expect(roundAward(units, 1000n, { precision: 'whole', rounding: 'half_up' })).toBe(4600);
    expect(roundAward(units, 1000n, { precision: 'whole', rounding: 'up' })).toBe(4600);
    expect(roundAward(4_549_999n, 1000n, { precision: 'whole', rounding: 'half_up' })).toBe(4500);
    expect(roundAward(4_500_000n, 1000n, { precision: 'whole', rounding: 'up' })).toBe(4500);
  });
});

describe('whole points for integer-only readers', () => {
  it('drop the fraction toward zero, or count it as one more point', () => {
    expect([4550, 4599, 4500, -350, 0].map((h) => toWholePoints(h))).toEqual([45, 45, 45, -3, 0]);
    expect([950, 901, 900, 0].map((h) => toWholePoints(h, 'up'))).toEqual([10, 10, 9, 0]);
    expect(toWholePoints(MAX_HUNDREDTHS)).toBe(90_071_992_547_409);
  });

  it('read back exactly the hundredths toPoints printed', () => {
    for (const hundredths of [0, 1, 1234, -5, 4550, 10, 123_456_789_012_345, -123_456_789_012_399]) {
      expect(fromPoints(toPoints(hundredths))).toBe(hundredths);
    }
  });
});

describe('allocateFifo', () => {
  const lot = (id: string, remaining: number, expiresAt: string | null): LotView => ({
    id,
    remaining,
    expiresAt: expiresAt ? new Date(expiresAt) : null,
  });

  it('takes the earliest expiry first, never-expiring lots last, then the oldest', () => {
    const lots = [
      lot('01-never', 100, null),
      lot('02-later', 100, '2026-06-01T00:00:00Z'),
      lot('04-soon-newer', 100, '2026-02-01T00:00:00Z'),
      lot('03-soon-older', 100, '2026-02-01T00:00:00Z'),
    ];
    expect(allocateFifo(lots, 250)).toEqual({
      allocations: [
        { lotId: '03-soon-older', points: 100 },
        { lotId: '04-soon-newer', points: 100 },
        { lotId: '02-later', points: 50 },
      ],
      shortfall: 0,
    });
    expect(allocateFifo(lots, 450).shortfall).toBe(50);
    expect(allocateFifo([lot('a', 0, null), lot('b', 5, null)], 5).allocations).toEqual([
      { lotId: 'b', points: 5 },
    ]);
  });

  it('never takes more than asked or than a lot holds (random lots)', () => {
    const next = random(7);
    for (let run = 0; run < 500; run++) {
      const lots = Array.from({ length: 1 + Math.floor(next() * 8) }, (_, i) =>
        lot(
          `lot-${i}`,
          Math.floor(next() * 1000),
          next() < 0.3 ? null : `2026-0${1 + Math.floor(next() * 9)}-01T00:00:00Z`,
        ),
      );
      const asked = 1 + Math.floor(next() * 4000);
      const { allocations, shortfall } = allocateFifo(lots, asked);
      const taken = allocations.reduce((sum, a) => sum + a.points, 0);
      const held = lots.reduce((sum, l) => sum + l.remaining, 0);
      expect(taken + shortfall).toBe(asked);
      expect(taken).toBe(Math.min(asked, held));
      for (const allocation of allocations) {
        expect(allocation.points).toBeGreaterThan(0);
        expect(allocation.points).toBeLessThanOrEqual(lots.find((l) => l.id === allocation.lotId)!.remaining);
      }
    }
  });
});

describe('counterDeltas', () => {
  it('keeps holdings = earned − spent − expired for every kind and sign', () => {
    for (const kind of ENTRY_KINDS) {
      // A block or unblock moves points between active and blocked: its delta is always 0.
      const deltas = kind === 'block' || kind === 'unblock' ? [0] : [-700, 0, 700];
      for (const delta of deltas) {
        const { earned, spent, expired } = counterDeltas(kind, delta);
        expect(earned - spent - expired).toBe(delta);
      }
    }
    expect(counterDeltas('transfer_out', -300)).toEqual({ earned: 0, spent: 300, expired: 0 });
    expect(counterDeltas('cancel', 300)).toEqual({ earned: 0, spent: -300, expired: 0 });
    expect(counterDeltas('cancel', -300)).toEqual({ earned: -300, spent: 0, expired: 0 });
    expect(counterDeltas('expire', -300)).toEqual({ earned: 0, spent: 0, expired: 300 });
  });
});

describe('pending and expiry policy', () => {
  const madrid = 'Europe/Madrid';
  const policy = { expiresAfterDays: 1, expiryRounding: 'none' as const, pendingDays: 0 };

  it('keeps points earned on a ticket pending for N local days, same wall-clock time', () => {
    const earnedAt = new Date('2026-03-20T10:00:00Z'); // 11:00 in Madrid, winter time
    expect(activeFromFor({ ...policy, pendingDays: 14 }, earnedAt, madrid).toISOString()).toBe(
      '2026-04-03T09:00:00.000Z', // 11:00 in Madrid, summer time
    );
    expect(activeFromFor(policy, earnedAt, madrid)).toBe(earnedAt);
  });

  it('expires N days after activation, rounded up to the end of the local day or month', () => {
    const start = new Date('2026-01-10T22:30:00Z'); // 23:30 on 10 January in Madrid
    expect(expiresAtFor(policy, start, madrid)?.toISOString()).toBe('2026-01-11T22:30:00.000Z');
    expect(expiresAtFor({ ...policy, expiryRounding: 'end_of_day' }, start, madrid)?.toISOString()).toBe(
      '2026-01-11T23:00:00.000Z', // midnight at the end of 11 January, Madrid time
    );
    expect(expiresAtFor({ ...policy, expiryRounding: 'end_of_day' }, start, 'UTC')?.toISOString()).toBe(
      '2026-01-12T00:00:00.000Z',
    );
    expect(
      expiresAtFor(
        { ...policy, expiresAfterDays: 30, expiryRounding: 'end_of_month' },
        start,
        madrid,
      )?.toISOString(),
    ).toBe('2026-02-28T23:00:00.000Z'); // 9 February + rounding → end of February, Madrid time
    expect(expiresAtFor({ ...policy, expiresAfterDays: null }, start, madrid)).toBeNull();
  });
});
