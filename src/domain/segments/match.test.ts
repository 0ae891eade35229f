import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { anniversaryDays, localToday, windowStart, windowStartInAnyZone } from './calendar.ts';
import type { Criterion, CriterionBody, SegmentPart } from './criteria.ts';
import {
  criterionMatches,
  type MatchContext,
  type MemberSnapshot,
  type Purchase,
  segmentMatches,
} from './match.ts';

const DAY = 86_400_000;
const NOW = new Date('2026-11-21T10:00:00Z'); // Saturday 11:00 in Madrid
const context: MatchContext = { now: NOW, timeZone: 'Europe/Madrid', defaultPointTypeId: 'pt-default' };

/** A purchase where it was made (the snapshot keeps only the locations, in its totals). */
type Bought = Purchase & { locationId: string | null };

/** A member; `purchases` are all of theirs, read one by one and added up as the snapshot does. */
function member({
  purchases = [],
  ...extra
}: Partial<MemberSnapshot> & { purchases?: Bought[] } = {}): MemberSnapshot {
  const times = purchases.map((p) => p.purchasedAt.getTime());
  return {
    customerId: 'm1',
    active: true,
    birthDate: null,
    registeredAt: new Date('2024-03-01T10:00:00Z'),
    labels: [],
    consents: [],
    tierId: null,
    points: {},
    purchaseTotals: {
      count: purchases.length,
      net: purchases.reduce((sum, p) => sum + p.net, 0),
      firstAt: times.length === 0 ? null : new Date(Math.min(...times)),
      lastAt: times.length === 0 ? null : new Date(Math.max(...times)),
      locationIds: [...new Set(purchases.flatMap((p) => (p.locationId === null ? [] : [p.locationId])))],
    },
    recentPurchases: purchases.map(({ purchasedAt, net }) => ({ purchasedAt, net })),
    linesBought: [],
    ...extra,
  };
}

const purchase = (daysAgo: number, net: number, extra: Partial<Bought> = {}): Bought => ({
  locationId: null,
  purchasedAt: new Date(NOW.getTime() - daysAgo * DAY),
  net,
  ...extra,
});

let ids = 0;
const criterion = (body: CriterionBody): Criterion => ({ ...body, id: `c${++ids}` }) as Criterion;
const matches = (body: CriterionBody, snapshot: MemberSnapshot) =>
  criterionMatches(criterion(body), snapshot, context);

describe('calendar', () => {
  it('starts a window of N local days at local midnight N − 1 days ago', () => {
    expect(windowStart(NOW, 'Europe/Madrid', 1).toISOString()).toBe('2026-11-20T23:00:00.000Z');
    expect(windowStart(NOW, 'Europe/Madrid', 30).toISOString()).toBe('2026-10-22T22:00:00.000Z'); // CEST then
    expect(windowStart(NOW, 'UTC', 2).toISOString()).toBe('2026-11-20T00:00:00.000Z');
  });

  it('reads purchases early enough for a window of days in any time zone, across DST changes', () => {
    const zones = ['Pacific/Kiritimati', 'Pacific/Pago_Pago', 'America/St_Johns', 'Europe/Madrid', 'UTC'];
    fc.assert(
      fc.property(
        fc.date({
          min: new Date('2020-01-01T00:00:00Z'),
          max: new Date('2030-12-31T00:00:00Z'),
          noInvalidDate: true,
        }),
        fc.integer({ min: 1, max: 400 }),
        fc.constantFrom(...zones),
        (now, days, zone) =>
          windowStartInAnyZone(now, days).getTime() <= windowStart(now, zone, days).getTime(),
      ),
      { numRuns: 2000, seed: 20261204 },
    );
  });

  it('lists the anniversary days ahead, across the year end, with 29 February on the 28th in common years', () => {
    expect(anniversaryDays(new Date('2026-12-30T12:00:00Z'), 'UTC', 4)).toEqual([
      '12-30',
      '12-31',
      '01-01',
      '01-02',
    ]);
    expect(anniversaryDays(new Date('2027-02-28T12:00:00Z'), 'UTC', 1)).toEqual(['02-28', '02-29']);
    expect(anniversaryDays(new Date('2028-02-28T12:00:00Z'), 'UTC', 1)).toEqual(['02-28']);
    // 23:30 UTC on the 21st is already the 22nd in Madrid.
    expect(anniversaryDays(new Date('2026-11-21T23:30:00Z'), 'Europe/Madrid', 1)).toEqual(['11-22']);
  });
});

describe('criteria', () => {
  it('transaction_count and total_spent, with and without a window', () => {
    const m = member({ purchases: [purchase(0, 1000), purchase(10, 2000), purchase(40, 4000)] });
    expect(matches({ type: 'transaction_count', min: 3, max: null, days: null }, m)).toBe(true);
    expect(matches({ type: 'transaction_count', min: 3, max: null, days: 30 }, m)).toBe(false);
    expect(matches({ type: 'transaction_count', min: null, max: 0, days: null }, member())).toBe(true);
    expect(matches({ type: 'total_spent', min: 7000, max: 7000, days: null }, m)).toBe(true);
    expect(matches({ type: 'total_spent', min: null, max: 3000, days: 30 }, m)).toBe(true);
  });

  it('purchase_period with one end or both, purchases on either side', () => {
    const m = member({ purchases: [purchase(40, 1000), purchase(10, 1000)] });
    const day = (daysAgo: number) => new Date(NOW.getTime() - daysAgo * DAY).toISOString();
    expect(matches({ type: 'purchase_period', from: day(20), to: null }, m)).toBe(true);
    expect(matches({ type: 'purchase_period', from: day(5), to: null }, m)).toBe(false);
    expect(matches({ type: 'purchase_period', from: null, to: day(30) }, m)).toBe(true);
    expect(matches({ type: 'purchase_period', from: null, to: day(50) }, m)).toBe(false);
    expect(matches({ type: 'purchase_period', from: day(30), to: day(20) }, m)).toBe(false);
    expect(matches({ type: 'purchase_period', from: day(30), to: day(5) }, m)).toBe(true);
    // `to` is exclusive, `from` inclusive.
    expect(matches({ type: 'purchase_period', from: day(10), to: day(9) }, m)).toBe(true);
    expect(matches({ type: 'purchase_period', from: day(11), to: day(10) }, m)).toBe(false);
    expect(matches({ type: 'purchase_period', from: null, to: day(90) }, member())).toBe(false);
  });

  it('average_ticket compares exactly and needs a purchase', () => {
    const m = member({ purchases: [purchase(1, 1000), purchase(2, 1001)] }); // average 1000.5
    expect(matches({ type: 'average_ticket', min: 1001, max: null }, m)).toBe(false);
    expect(matches({ type: 'average_ticket', min: null, max: 1000 }, m)).toBe(false);
    expect(matches({ type: 'average_ticket', min: 1000, max: 1001 }, m)).toBe(true);
    expect(matches({ type: 'average_ticket', min: 0, max: null }, member())).toBe(false);
  });

  it('last_purchase_days_ago counts local days and needs a purchase', () => {
    // Local midnight 29 days ago is the cut-off of "at least 30 days ago".
    const cutoff = windowStart(NOW, 'Europe/Madrid', 30).getTime();
    const before = member({ purchases: [purchase(0, 1, { purchasedAt: new Date(cutoff - 1) })] });
    const on = member({ purchases: [purchase(0, 1, { purchasedAt: new Date(cutoff) })] });
    expect(matches({ type: 'last_purchase_days_ago', days: 30 }, before)).toBe(true);
    expect(matches({ type: 'last_purchase_days_ago', days: 30 }, on)).toBe(false);
    expect(matches({ type: 'last_purchase_days_ago', days: 1 }, member())).toBe(false);
  });

  it('anniversary: birthday in the window; registration on an earlier day only', () => {
    expect(
      matches(
        { type: 'anniversary', anniversaryType: 'birthday', days: 1 },
        member({ birthDate: '1990-11-21' }),
      ),
    ).toBe(true);
    expect(
      matches(
        { type: 'anniversary', anniversaryType: 'birthday', days: 2 },
        member({ birthDate: '1990-11-23' }),
      ),
    ).toBe(false);
    const registration = { type: 'anniversary', anniversaryType: 'registration', days: 1 } as const;
    expect(matches(registration, member({ registeredAt: new Date('2025-11-21T08:00:00Z') }))).toBe(true);
    expect(matches(registration, member({ registeredAt: new Date('2026-11-21T08:00:00Z') }))).toBe(false);
  });

  it('line criteria ignore case; labels match key and value', () => {
    const m = member({
      purchases: [purchase(1, 1000)],
      linesBought: [
        { sku: 'Croq-01', category: 'Tapas', maker: 'ACME', labels: [{ key: 'Diet', value: 'Vegan' }] },
      ],
    });
    expect(matches({ type: 'bought_skus', skus: ['CROQ-01'] }, m)).toBe(true);
    expect(matches({ type: 'bought_categories', categories: ['tapas'] }, m)).toBe(true);
    expect(matches({ type: 'bought_makers', makers: ['acme', 'x'] }, m)).toBe(true);
    expect(matches({ type: 'bought_labels', labels: [{ key: 'diet', value: 'vegan' }] }, m)).toBe(true);
    expect(matches({ type: 'bought_labels', labels: [{ key: 'diet', value: 'keto' }] }, m)).toBe(false);
  });

  it('customer labels, consents, tier, points and location', () => {
    const m = member({
      labels: [{ key: 'vip', value: 'gold' }],
      consents: ['sms'],
      tierId: 't1',
      points: { 'pt-default': 5050, other: 10 },
      purchases: [purchase(1, 1, { locationId: 'loc-1' })],
    });
    expect(matches({ type: 'customer_has_labels', labels: [{ key: 'vip' }] }, m)).toBe(true);
    expect(matches({ type: 'customer_has_labels', labels: [{ key: 'vip', value: 'silver' }] }, m)).toBe(
      false,
    );
    expect(matches({ type: 'marketing_consent', channels: [] }, m)).toBe(true);
    expect(matches({ type: 'marketing_consent', channels: ['email'] }, m)).toBe(false);
    expect(matches({ type: 'tier_in', tierIds: ['t0', 't1'] }, m)).toBe(true);
    expect(matches({ type: 'points_balance', min: 5050, max: null, pointTypeId: null }, m)).toBe(true);
    expect(matches({ type: 'points_balance', min: 11, max: null, pointTypeId: 'other' }, m)).toBe(false);
    expect(matches({ type: 'bought_at_locations', locationIds: ['loc-1'] }, m)).toBe(true);
  });

  it('an inactive member matches only an explicit customer list', () => {
    const m = member({ active: false, labels: [{ key: 'vip', value: '' }] });
    expect(matches({ type: 'customer_has_labels', labels: [{ key: 'vip' }] }, m)).toBe(false);
    expect(matches({ type: 'customer_list', customerIds: ['m1'] }, m)).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
// AND of ORs: the algebra of parts and criteria

const KEYS = ['a', 'b', 'c', 'd'];
const arbMember = fc
  .subarray(KEYS)
  .map((keys) => member({ labels: keys.map((key) => ({ key, value: '' })) }));
const arbCriterion = fc
  .constantFrom(...KEYS)
  .map((key) => criterion({ type: 'customer_has_labels', labels: [{ key }] }));
const arbPart = fc
  .array(arbCriterion, { minLength: 1, maxLength: 3 })
  .map((criteria): SegmentPart => ({ id: `p${++ids}`, criteria }));
const arbParts = fc.array(arbPart, { minLength: 1, maxLength: 4 });

describe('AND of ORs (properties)', () => {
  it('is in the segment exactly when every part has a criterion that matches', () => {
    fc.assert(
      fc.property(arbParts, arbMember, (parts, m) => {
        const has = (c: Criterion) =>
          c.type === 'customer_has_labels' && m.labels.some((l) => l.key === c.labels[0]!.key);
        expect(segmentMatches(parts, m, context)).toBe(parts.every((p) => p.criteria.some(has)));
      }),
    );
  });

  it('a criterion added to a part never removes a member; a part added never adds one', () => {
    fc.assert(
      fc.property(arbParts, arbCriterion, arbPart, arbMember, (parts, extra, part, m) => {
        const before = segmentMatches(parts, m, context);
        const widened = parts.map((p, i) => (i === 0 ? { ...p, criteria: [...p.criteria, extra] } : p));
        if (before) expect(segmentMatches(widened, m, context)).toBe(true);
        if (!before) expect(segmentMatches([...parts, part], m, context)).toBe(false);
      }),
    );
  });

  it('neither the order of parts nor of criteria matters', () => {
    fc.assert(
      fc.property(arbParts, arbMember, (parts, m) => {
        const reversed = [...parts].reverse().map((p) => ({ ...p, criteria: [...p.criteria].reverse() }));
        expect(segmentMatches(reversed, m, context)).toBe(segmentMatches(parts, m, context));
      }),
    );
  });

  it('Open Loyalty’s example: two criteria in one part are a union, in two parts an intersection', () => {
    const [a, b] = [
      criterion({ type: 'customer_has_labels', labels: [{ key: 'a' }] }),
      criterion({ type: 'customer_has_labels', labels: [{ key: 'b' }] }),
    ];
    const onlyA = member({ labels: [{ key: 'a', value: '' }] });
    expect(segmentMatches([{ id: 'p', criteria: [a, b] }], onlyA, context)).toBe(true);
    expect(
      segmentMatches(
        [
          { id: 'p', criteria: [a] },
          { id: 'q', criteria: [b] },
        ],
        onlyA,
        context,
      ),
    ).toBe(false);
    expect(localToday(NOW, 'Europe/Madrid')).toBe('2026-11-21');
  });
});
