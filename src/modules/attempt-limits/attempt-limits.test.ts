import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase } from '../../../test/support/context.ts';
import { type Database, openDatabase } from '../../db/connection.ts';
import { newId } from '../../db/ids.ts';
import { AppError } from '../../errors.ts';
import { organizations } from '../organizations/schema.ts';
import { type AttemptLimit, createAttemptLimits } from './service.ts';

const MINUTE = 60_000;
let test: Awaited<ReturnType<typeof openTestDatabase>>;
/** A second connection pool to the same database, as another process of a cluster has (PostgreSQL). */
let other: Database;

beforeAll(async () => {
  test = await openTestDatabase();
  other = test.url ? await openDatabase({ url: test.url, poolSize: 2 }) : test.database;
});
afterAll(async () => {
  if (other !== test.database) await other.close();
  await test.drop();
});

async function newOrganization(): Promise<string> {
  const id = newId();
  await test.database.db
    .insert(organizations)
    .values({ id, name: 'La Tasca', currency: 'EUR', timeZone: 'Europe/Madrid', country: 'ES' });
  return id;
}

const clock = (start: Date) => {
  let current = start.getTime();
  return { now: () => new Date(current), advance: (ms: number) => (current += ms) };
};

const refusal = (promise: Promise<void>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

describe('attempt limits', () => {
  it('count the attempts recorded by every process on the database, and refuse the one past the limit', async () => {
    const time = clock(new Date('2026-03-01T10:00:00Z'));
    const first = createAttemptLimits(test.database.db, time.now);
    const second = createAttemptLimits(other.db, time.now);
    const limit: AttemptLimit = {
      organizationId: null,
      kind: 'staff_access',
      by: { ip: '198.51.100.1' },
      max: 3,
      windowMs: 15 * MINUTE,
      what: 'attempts from this address',
    };
    await first.record({ organizationId: null, kind: 'staff_access', addressHash: null, ip: '198.51.100.1' });
    await second.record({
      organizationId: null,
      kind: 'staff_access',
      addressHash: null,
      ip: '198.51.100.1',
    });
    await expect(second.refuseOver(limit)).resolves.toBeUndefined();
    await first.record({ organizationId: null, kind: 'staff_access', addressHash: null, ip: '198.51.100.1' });

    const refused = await refusal(second.refuseOver(limit));
    expect(refused).toBeInstanceOf(AppError);
    expect((refused as AppError).code).toBe('rate_limited');
    expect((refused as AppError).message).toBe(
      'too many attempts from this address: at most 3 per 15 minutes; try later',
    );
  });

  it('slide: an attempt stops counting once it is older than the window', async () => {
    const time = clock(new Date('2026-03-02T10:00:00Z'));
    const limits = createAttemptLimits(test.database.db, time.now);
    const limit: AttemptLimit = {
      organizationId: null,
      kind: 'staff_access',
      by: { addressHash: 'hash-of-an-email' },
      max: 1,
      windowMs: 15 * MINUTE,
      what: 'attempts for this email',
    };
    await limits.record({
      organizationId: null,
      kind: 'staff_access',
      addressHash: 'hash-of-an-email',
      ip: '198.51.100.2',
    });
    time.advance(14 * MINUTE);
    expect(await refusal(limits.refuseOver(limit))).toBeInstanceOf(AppError);
    time.advance(1 * MINUTE + 1);
    await expect(limits.refuseOver(limit)).resolves.toBeUndefined();
  });

  it("keep organizations apart: one organization's attempts, and staff attempts, do not count for another", async () => {
    const time = clock(new Date('2026-03-03T10:00:00Z'));
    const limits = createAttemptLimits(test.database.db, time.now);
    const [tasca, bodega] = [await newOrganization(), await newOrganization()];
    const ip = '198.51.100.3';
    await limits.record({ organizationId: tasca, kind: 'join', addressHash: null, ip });
    await limits.record({ organizationId: null, kind: 'join', addressHash: null, ip });
    const joinsAt = (organizationId: string): AttemptLimit => ({
      organizationId,
      kind: 'join',
      by: { ip },
      max: 1,
      windowMs: 15 * MINUTE,
      what: 'joins from this address',
    });
    expect(await refusal(limits.refuseOver(joinsAt(tasca)))).toBeInstanceOf(AppError);
    await expect(limits.refuseOver(joinsAt(bodega))).resolves.toBeUndefined();
  });
});
