import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { audienceClient, type Json } from '../../../test/support/audience.ts';
import { createTestContext, type TestContext } from '../../../test/support/context.ts';
import { rawRows } from '../../db/connection.ts';
import type { Criterion, CriterionBody, SegmentPart } from '../../domain/segments/criteria.ts';
import { needsOf, purchasesReadFrom } from '../../domain/segments/criteria.ts';
import { segmentMatches } from '../../domain/segments/match.ts';
import { matchingMembersQuery } from './compile.ts';
import { loadSnapshot } from './snapshot.ts';

/**
 * The set-based SQL of a segment and the pure predicates over one member's snapshot must agree:
 * random segments over a random population (tickets, returns, completions, cancellations,
 * assignments, labels, consents, birthdays, tiers, points), compared member by member. The
 * predicates read the lines bought from their summary (customer_lines) and the SQL from the
 * tickets, so this also checks that every path keeps the summary exact.
 */

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

const DAY = 86_400_000;
const SKUS = ['CROQ-01', 'Agua', 'PAELLA', 'flan'];
const CATEGORIES = ['Tapas', 'drinks', 'Mains'];
const MAKERS = ['Casa Paco', 'acme'];
const LINE_LABELS = [
  { key: 'diet', value: 'vegan' },
  { key: 'Promo', value: 'Summer' },
];
const MEMBER_LABELS = [
  { key: 'vip', value: 'gold' },
  { key: 'vip', value: 'silver' },
  { key: 'staff', value: '' },
];

/** A small deterministic PRNG, so the population is the same on every run and database. */
function random(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    pick: <T>(values: readonly T[]) => values[Math.floor(next() * values.length)]!,
    chance: (p: number) => next() < p,
  };
}

describe('segment SQL = pure predicates', () => {
  it('agrees on every member for random segments over a random population', async () => {
    const org = await ctx.createOrganization();
    const api = audienceClient(ctx, org);
    const rng = random(6);
    const locations = [
      (await api.ok('POST', '/v1/locations', { name: 'Gràcia' })).id as string,
      (await api.ok('POST', '/v1/locations', { name: 'Born' })).id as string,
    ];
    const tiers = [
      (await api.tier({ name: 'Base', conditionValue: 0 })).id,
      (await api.tier({ name: 'Gold', conditionValue: 6000 })).id,
    ];
    const now = new Date();
    const memberIds: string[] = [];
    for (let i = 0; i < 24; i++) {
      const birthday = new Date(now.getTime() + rng.int(-20, 20) * DAY).toISOString().slice(5, 10);
      const m = await api.member({
        labels: MEMBER_LABELS.filter(() => rng.chance(0.3)).slice(0, 2),
        marketingConsents: { email: rng.chance(0.4), sms: rng.chance(0.2) },
        ...(rng.chance(0.7)
          ? { birthDate: `${rng.int(1950, 2005)}-${birthday === '02-29' ? '02-28' : birthday}` }
          : {}),
      });
      memberIds.push(m.id);
      for (let t = rng.int(0, 4); t > 0; t--) {
        const lines = Array.from({ length: rng.int(1, 3) }, () => ({
          sku: rng.pick(SKUS),
          category: rng.chance(0.8) ? rng.pick(CATEGORIES) : null,
          maker: rng.chance(0.5) ? rng.pick(MAKERS) : null,
          labels: LINE_LABELS.filter(() => rng.chance(0.25)),
          total: rng.int(1, 40) * 100,
        }));
        const total = lines.reduce((sum, line) => sum + line.total, 0);
        let status = rng.chance(0.1) ? 'pending' : 'completed';
        // Some tickets find their member later, by assignment (after a return, sometimes).
        const unassigned = rng.chance(0.15);
        const ticket = {
          documentNumber: `D-${i}-${t}`,
          lines,
          totals: { total },
          status,
          customer: unassigned ? { loyaltyCardNumber: 'NOBODY' } : { customerId: m.id },
          purchasedAt: new Date(
            now.getTime() - rng.int(0, 120) * DAY - rng.int(0, 86_399) * 1000,
          ).toISOString(),
          ...(rng.chance(0.7) ? { locationId: rng.pick(locations) } : {}),
        };
        const sale = await api.ok<Json>('POST', '/v1/transactions', ticket);
        if (status === 'pending' && rng.chance(0.5)) {
          status = 'completed';
          await api.ok('POST', '/v1/transactions', { ...ticket, status }, 200);
        }
        if (status === 'completed' && rng.chance(0.25)) {
          await api.giveBack(ticket.documentNumber, rng.chance(0.5) ? total : Math.ceil(total / 2));
        }
        if (rng.chance(0.15)) {
          await api.ok('POST', '/v1/transactions', { ...ticket, status: 'cancelled' }, 200);
        }
        if (unassigned) {
          const assign = `/v1/transactions/${sale.transaction.id}/assign`;
          await api.ok('POST', assign, { identifier: m.loyaltyCardNumber }, 200);
        }
      }
      if (rng.chance(0.4)) {
        await api.ok('POST', `/v1/customers/${m.id}/points/add`, { points: rng.int(1, 200), reason: 'gift' });
      }
      if (rng.chance(0.15)) await api.ok('POST', `/v1/customers/${m.id}/deactivate`, undefined, 200);
    }
    const defaultPointTypeId = (await ctx.services.pointTypes.getDefault(org.id)).id;

    const bound = (max: number) => fc.option(fc.integer({ min: 0, max }), { nil: null });
    const range = (max: number) =>
      fc.tuple(bound(max), bound(max)).filter(([min, top]) => min !== null || top !== null);
    const days = fc.option(fc.constantFrom(1, 7, 30, 90), { nil: null });
    const someOf = <T>(values: readonly T[]) => fc.subarray([...values], { minLength: 1 });
    const anyCase = (values: readonly string[]) =>
      someOf(values).chain((picked) =>
        fc.tuple(...picked.map((v) => fc.constantFrom(v, v.toLowerCase(), v.toUpperCase()))),
      );
    const instant = fc
      .integer({ min: -130, max: 5 })
      .map((d) => new Date(now.getTime() + d * DAY).toISOString());
    const criterion: fc.Arbitrary<CriterionBody> = fc.oneof(
      someOf(locations).map((locationIds) => ({ type: 'bought_at_locations' as const, locationIds })),
      fc
        .tuple(range(5), days)
        .map(([[min, max], d]) => ({ type: 'transaction_count' as const, min, max, days: d })),
      range(5000).map(([min, max]) => ({ type: 'average_ticket' as const, min, max })),
      fc
        .tuple(range(15000), days)
        .map(([[min, max], d]) => ({ type: 'total_spent' as const, min, max, days: d })),
      fc
        .tuple(fc.option(instant, { nil: null }), fc.option(instant, { nil: null }))
        .filter(([from, to]) => from !== null || to !== null)
        .map(([from, to]) => ({ type: 'purchase_period' as const, from, to })),
      anyCase(SKUS).map((skus) => ({ type: 'bought_skus' as const, skus })),
      anyCase(CATEGORIES).map((categories) => ({ type: 'bought_categories' as const, categories })),
      anyCase(MAKERS).map((makers) => ({ type: 'bought_makers' as const, makers })),
      someOf(LINE_LABELS).map((labels) => ({
        type: 'bought_labels' as const,
        labels: labels.map((l) => ({ key: l.key.toUpperCase(), value: l.value })),
      })),
      fc
        .tuple(fc.constantFrom('birthday' as const, 'registration' as const), fc.integer({ min: 1, max: 30 }))
        .map(([anniversaryType, d]) => ({ type: 'anniversary' as const, anniversaryType, days: d })),
      fc.integer({ min: 1, max: 90 }).map((d) => ({ type: 'last_purchase_days_ago' as const, days: d })),
      someOf(MEMBER_LABELS).map((labels) => ({
        type: 'customer_has_labels' as const,
        labels: labels.map((l, i) => (i % 2 === 0 ? { key: l.key } : l)),
      })),
      someOf(memberIds).map((customerIds) => ({ type: 'customer_list' as const, customerIds })),
      someOf(tiers).map((tierIds) => ({ type: 'tier_in' as const, tierIds })),
      range(20000).map(([min, max]) => ({ type: 'points_balance' as const, min, max, pointTypeId: null })),
      fc
        .subarray(['email', 'sms', 'push'] as const)
        .map((channels) => ({ type: 'marketing_consent' as const, channels: [...channels] })),
    );
    let id = 0;
    const parts = fc.array(
      fc.array(criterion, { minLength: 1, maxLength: 3 }).map(
        (criteria): SegmentPart => ({
          id: `p${id++}`,
          criteria: criteria.map((c) => ({ ...c, id: `c${id++}` }) as Criterion),
        }),
      ),
      { minLength: 1, maxLength: 3 },
    );

    const db = ctx.database.db;
    let nonEmpty = 0;
    await fc.assert(
      fc.asyncProperty(parts, async (segment) => {
        const sql = matchingMembersQuery(segment, {
          organizationId: org.id,
          now,
          timeZone: 'Europe/Madrid',
          defaultPointTypeId,
        });
        const bySql = (await rawRows<{ customer_id: string }>(db, sql)).map((r) => r.customer_id).sort();
        const needs = { ...needsOf(segment), purchasesFrom: purchasesReadFrom(segment, now) };
        const byPredicate: string[] = [];
        for (const memberId of memberIds) {
          const { member, timeZone } = await loadSnapshot(db, org.id, memberId, needs);
          if (member && segmentMatches(segment, member, { now, timeZone, defaultPointTypeId })) {
            byPredicate.push(memberId);
          }
        }
        if (bySql.length > 0) nonEmpty++;
        expect(bySql).toEqual(byPredicate.sort());
      }),
      { numRuns: 60, seed: 20261121 },
    );
    // The comparison means something only if segments do select members.
    expect(nonEmpty).toBeGreaterThan(10);
  }, 180_000);
});
