import { describe, expect, it } from 'vitest';
import { member, rule } from './fixtures.ts';
import { pointsToReverse } from './returns.ts';
import { distanceMeters, evaluateTrigger, type TriggerOccasion } from './triggers.ts';

const occasion: TriggerOccasion = {
  at: new Date('2026-11-20T12:00:00Z'),
  timeZone: 'Europe/Madrid',
  locationId: null,
  rounding: 'down',
  precision: 'hundredths',
};

describe('non-ticket triggers', () => {
  it('round a fixed award to whole points when the program earns whole points', () => {
    const review = rule({ type: 'custom_event', config: { eventName: 'review', points: 250 } });
    const trigger = { kind: 'custom_event', name: 'review' } as const;
    const whole: TriggerOccasion = { ...occasion, precision: 'whole' };
    expect(evaluateTrigger(trigger, member(), [review], whole).total).toBe(200);
    expect(evaluateTrigger(trigger, member(), [review], { ...whole, rounding: 'half_up' }).total).toBe(300);
    expect(evaluateTrigger(trigger, member(), [review], occasion).total).toBe(250);
  });

  it('award nothing for a fixed award that rounds to zero whole points', () => {
    const tiny = rule({ type: 'qr_code', config: { code: 'Q', points: 50 } });
    const result = evaluateTrigger({ kind: 'qr_code', code: 'Q' }, member(), [tiny], {
      ...occasion,
      precision: 'whole',
    });
    expect(result).toEqual({ entries: [], total: 0 });
  });

  it('give system-event points for the matching event only', () => {
    const birthday = rule({ type: 'event', config: { event: 'birthday', points: 1000 } });
    const optIn = rule({ type: 'event', config: { event: 'marketing_opt_in', points: 300 } });
    const result = evaluateTrigger(
      { kind: 'event', event: 'birthday' },
      member(),
      [birthday, optIn],
      occasion,
    );
    expect(result.entries.map((e) => e.ruleId)).toEqual([birthday.id]);
    expect(result.total).toBe(1000);
  });

  it('give custom-event points by name, up to the per-member limit', () => {
    const review = rule(
      { type: 'custom_event', config: { eventName: 'left_review', points: 200 } },
      { limit: { count: 1, period: 'month' } },
    );
    const trigger = { kind: 'custom_event' as const, name: 'left_review' };
    expect(evaluateTrigger(trigger, member(), [review], occasion).total).toBe(200);
    expect(
      evaluateTrigger(trigger, member({ ruleUsage: { [review.id]: 1 } }), [review], occasion).total,
    ).toBe(0);
    expect(evaluateTrigger({ kind: 'custom_event', name: 'other' }, member(), [review], occasion).total).toBe(
      0,
    );
  });

  it('give QR-code points for the exact code', () => {
    const poster = rule({ type: 'qr_code', config: { code: 'TABLE-7', points: 100 } });
    expect(evaluateTrigger({ kind: 'qr_code', code: 'TABLE-7' }, member(), [poster], occasion).total).toBe(
      100,
    );
    expect(evaluateTrigger({ kind: 'qr_code', code: 'table-7' }, member(), [poster], occasion).total).toBe(0);
  });

  it('give geolocation points within the radius only', () => {
    const sagradaFamilia = { latitude: 41.4036, longitude: 2.1744 };
    const nearby = rule({
      type: 'geolocation',
      config: { ...sagradaFamilia, radiusMeters: 200, points: 50 },
    });
    // ~110 m north, then ~1.1 km north.
    const close = { kind: 'geolocation' as const, latitude: 41.4046, longitude: 2.1744 };
    const far = { kind: 'geolocation' as const, latitude: 41.4136, longitude: 2.1744 };
    expect(distanceMeters(sagradaFamilia, close)).toBeGreaterThan(100);
    expect(evaluateTrigger(close, member(), [nearby], occasion).total).toBe(50);
    expect(evaluateTrigger(far, member(), [nearby], occasion).total).toBe(0);
  });

  it('reward both sides of a referral at registration', () => {
    const referral = rule({
      type: 'referral',
      config: { trigger: 'registration', referrerPoints: 500, referredPoints: 200 },
    });
    const registered = { kind: 'event' as const, event: 'registration' as const };
    const result = evaluateTrigger(registered, member({ referredBy: 'friend' }), [referral], occasion);
    expect(result.entries.map((e) => [e.beneficiary, e.points])).toEqual([
      ['member', 200],
      ['referrer', 500],
    ]);
    expect(evaluateTrigger(registered, member(), [referral], occasion).total).toBe(0);
  });
});

describe('returns', () => {
  it('reverse half the points when half the ticket comes back, and the rest with the rest', () => {
    const first = pointsToReverse({
      earned: 690,
      alreadyReversed: 0,
      sold: 300,
      returnedBefore: 0,
      returnedNow: 150,
      precision: 'hundredths',
    });
    expect(first).toBe(345);
    const second = pointsToReverse({
      earned: 690,
      alreadyReversed: 345,
      sold: 300,
      returnedBefore: 150,
      returnedNow: 150,
      precision: 'hundredths',
    });
    expect(second).toBe(345);
  });

  it('take back whole points for a partial return in a whole-points program, and all of it with the rest', () => {
    // 45 points earned on 45.50: returning 10.00 takes back 9.89 exactly, 9 whole points.
    const sale = { earned: 4500, sold: 4550, precision: 'whole' as const };
    const first = pointsToReverse({ ...sale, alreadyReversed: 0, returnedBefore: 0, returnedNow: 1000 });
    expect(first).toBe(900);
    const rest = pointsToReverse({ ...sale, alreadyReversed: 900, returnedBefore: 1000, returnedNow: 3550 });
    expect(rest).toBe(3600);
  });
});
