import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../../../test/support/context.ts';
import { createCustomer } from '../../../test/support/ledger.ts';
import { AppError } from '../../errors.ts';
import { type Actor, SYSTEM } from './service.ts';

/**
 * A seeded random walk of 1,000 operations of every kind over a few members and two point types
 * (one pending and expiring at the end of the local day), with a clock that moves forward. After
 * it, `verify` must find every lot and balance equal to what the entries say. A failure prints
 * the seed; the same seed replays the same walk.
 */
const SEED = Number(process.env.LEDGER_SEED ?? 20261121);
const OPERATIONS = 1000;

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

function mulberry32(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe(`randomized ledger (seed ${SEED})`, () => {
  it(`stays exact through ${OPERATIONS} random operations: verify finds 0 mismatches`, async () => {
    const random = mulberry32(SEED);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    const amount = () => 1 + Math.floor(random() * (random() < 0.2 ? 50_000 : 3_000));

    const org = await ctx.createOrganization({ timeZone: 'Europe/Madrid' });
    const { ledger, pointTypes } = ctx.services;
    const standard = (await pointTypes.getDefault(org.id)).id;
    const short = (
      await pointTypes.create(org.id, {
        name: 'Short-lived',
        code: 'short',
        expiresAfterDays: 3,
        expiryRounding: 'end_of_day',
        pendingDays: 2,
      })
    ).id;
    const types = [standard, short];
    const customers = [
      ...(await Promise.all(Array.from({ length: 5 }, () => createCustomer(ctx, org.id)))),
      await createCustomer(ctx, org.id, { status: 'inactive' }),
    ].map((customer) => customer.id);
    const actor: Actor = SYSTEM;

    let now = new Date('2030-01-01T08:00:00Z');
    const entries: { id: string; kind: string }[] = [];
    const blocks: string[] = [];
    const tickets: string[] = [];
    const outcomes = new Map<string, number>();
    const count = (key: string) => outcomes.set(key, (outcomes.get(key) ?? 0) + 1);

    for (let step = 0; step < OPERATIONS; step++) {
      now = new Date(now.getTime() + Math.floor(random() * 6 * 3_600_000));
      const customerId = pick(customers);
      const pointTypeId = pick(types);
      const base = { organizationId: org.id, customerId, pointTypeId, actor, now };
      const roll = random();
      let operation = '';
      try {
        if (roll < 0.2) {
          operation = 'earn';
          const ticket = tickets.length > 0 && random() < 0.1 ? pick(tickets) : `ticket-${step}`;
          tickets.push(ticket);
          const result = await ledger.earn({
            ...base,
            points: amount(),
            source: { type: 'transaction', id: ticket },
          });
          if (!result.replayed) entries.push(result.entry);
        } else if (roll < 0.35) {
          operation = 'add';
          const expiresAt =
            random() < 0.5
              ? new Date(now.getTime() + Math.floor(random() * 5 * 86_400_000) + 60_000)
              : undefined;
          entries.push(
            (await ledger.add({ ...base, points: amount(), expiresAt, reason: 'random add' })).entry,
          );
        } else if (roll < 0.52) {
          operation = 'spend';
          entries.push((await ledger.spend({ ...base, points: amount() })).entry);
        } else if (roll < 0.6) {
          operation = 'block';
          const result = await ledger.block({ ...base, points: amount() });
          entries.push(result.entry);
          blocks.push(result.entry.id);
        } else if (roll < 0.65 && blocks.length > 0) {
          operation = 'capture';
          const blockId = pick(blocks);
          const block = await ledger.getEntry(org.id, blockId);
          const result = await ledger.spend({
            ...base,
            customerId: block.customerId,
            pointTypeId: block.pointTypeId,
            points: block.points,
            blockEntryId: blockId,
          });
          entries.push(result.entry);
        } else if (roll < 0.75 && entries.length > 0) {
          operation = 'cancel';
          const target = pick(entries);
          entries.push(
            (await ledger.cancel({ organizationId: org.id, entryId: target.id, actor, now })).entry,
          );
        } else if (roll < 0.85) {
          operation = 'transfer';
          const to = pick(customers.filter((id) => id !== customerId));
          const result = await ledger.transfer({ ...base, to, points: amount() });
          entries.push(result.entry, result.counterpart);
        } else if (roll < 0.9 && tickets.length > 0) {
          operation = 'reverse';
          const result = await ledger.reverse({
            ...base,
            points: amount(),
            source: { type: 'transaction', id: `return-${step}` },
            original: { type: 'transaction', id: pick(tickets) },
          });
          entries.push(result.entry);
        } else if (roll < 0.95) {
          operation = 'adjust';
          const points = random() < 0.5 ? amount() : -amount();
          entries.push((await ledger.adjust({ ...base, points, reason: 'random adjust' })).entry);
        } else {
          operation = 'process';
          await ledger.processDue({ now, organizationId: org.id });
        }
        count(`${operation}:ok`);
      } catch (error) {
        // Refusals are part of the walk (short balances, inactive members, settled blocks…);
        // anything else is a bug.
        if (!(error instanceof AppError) || error.status >= 500) {
          throw new Error(`seed ${SEED}, step ${step} (${operation}): ${String(error)}`, { cause: error });
        }
        count(`${operation}:${error.code}`);
      }
    }
    await ledger.processDue({ now: new Date(now.getTime() + 30 * 86_400_000), organizationId: org.id });

    const report = await ledger.verify({ organizationId: org.id });
    expect(report.mismatches, `seed ${SEED}`).toEqual([]);
    // The walk really exercised every path, refusals included.
    for (const key of [
      'earn:ok',
      'add:ok',
      'spend:ok',
      'spend:insufficient_points',
      'block:ok',
      'capture:ok',
      'cancel:ok',
      'cancel:entry_not_cancellable',
      'transfer:ok',
      'reverse:ok',
      'adjust:ok',
      'process:ok',
      'earn:customer_inactive',
    ]) {
      expect(
        outcomes.get(key) ?? 0,
        `${key} in ${JSON.stringify(Object.fromEntries(outcomes))}`,
      ).toBeGreaterThan(0);
    }
    expect(report.entries).toBeGreaterThan(500);
    // Thirty days after the last operation every short-lived point has expired or been used.
    for (const customerId of customers) {
      const shortBalance = (await ledger.balances(org.id, customerId, now)).find(
        (b) => b.pointType.id === short,
      );
      expect(shortBalance?.active ?? 0).toBe(0);
      expect(shortBalance?.pending ?? 0).toBe(0);
    }
  });
});
