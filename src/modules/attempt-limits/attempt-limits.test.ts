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

const staffAttempt = (ip: string, addressHash: string | null = null) =>
  ({ organizationId: null, kind: 'staff_access', addressHash, ip }) as const;

describe('attempt limits', () => {
  it('count the attempts recorded by every process on the database, and refuse the one past the limit', async () => {
    const time = clock(new Date('2026-03-01T10:00:00Z'));
    const first = createAttemptLimits(test.database.db, time.now);
    const second = createAttemptLimits(other.db, time.now);
    const perIp: AttemptLimit = {
      per: 'ip',
      max: 3,
      windowMs: 15 * MINUTE,
      what: 'attempts from this address',
    };
    const attempt = staffAttempt('198.51.100.1');
    await first.admit(attempt, [perIp]);
    await second.admit(attempt, [perIp]);
    await first.admit(attempt, [perIp]);

    const refused = await refusal(second.admit(attempt, [perIp]));
    expect(refused).toBeInstanceOf(AppError);
    expect((refused as AppError).code).toBe('rate_limited');
    expect((refused as AppError).message).toBe(
      'too many attempts from this address: at most 3 per 15 minutes; try later',
    );
  });

  it('let no more than the limit through when attempts arrive all at once', async () => {
    const time = clock(new Date('2026-03-01T12:00:00Z'));
    const processes = [
      createAttemptLimits(test.database.db, time.now),
      createAttemptLimits(other.db, time.now),
    ];
    const perIp: AttemptLimit = {
      per: 'ip',
      max: 3,
      windowMs: 15 * MINUTE,
      what: 'attempts from this address',
    };
    const outcomes = await Promise.all(
      Array.from({ length: 12 }, (_, index) =>
        refusal(processes[index % 2]!.admit(staffAttempt('198.51.100.9'), [perIp])),
      ),
    );
    // Each attempt counts at least itself and those recorded before it; it may also see later ones.
    expect(outcomes.filter((outcome) => outcome === undefined).length).toBeLessThanOrEqual(3);
    expect(outcomes.filter((outcome) => outcome instanceof AppError).length).toBeGreaterThanOrEqual(9);
  });

  it('slide: an attempt stops counting once it is older than the window', async () => {
    const time = clock(new Date('2026-03-02T10:00:00Z'));
    const limits = createAttemptLimits(test.database.db, time.now);
    const perEmail: AttemptLimit = {
      per: 'address',
      max: 1,
      windowMs: 15 * MINUTE,
      what: 'attempts for this email',
    };
    const attempt = staffAttempt('198.51.100.2', 'hash-of-an-email');
    await limits.record(attempt);
    time.advance(14 * MINUTE);
    expect(await refusal(limits.refuseOver(attempt, perEmail))).toBeInstanceOf(AppError);
    time.advance(1 * MINUTE + 1);
    await expect(limits.refuseOver(attempt, perEmail)).resolves.toBeUndefined();
  });

  it("keep organizations apart: one organization's attempts, and staff attempts, do not count for another", async () => {
    const time = clock(new Date('2026-03-03T10:00:00Z'));
    const limits = createAttemptLimits(test.database.db, time.now);
    const [tasca, bodega] = [await newOrganization(), await newOrganization()];
    const ip = '198.51.100.3';
    const joinAt = (organizationId: string | null) =>
      ({ organizationId, kind: 'join', addressHash: null, ip }) as const;
    await limits.record(joinAt(tasca));
    await limits.record(joinAt(null));
    const perIp: AttemptLimit = { per: 'ip', max: 1, windowMs: 15 * MINUTE, what: 'joins from this address' };
    expect(await refusal(limits.refuseOver(joinAt(tasca), perIp))).toBeInstanceOf(AppError);
    await expect(limits.refuseOver(joinAt(bodega), perIp)).resolves.toBeUndefined();
  });
});
