import { and, eq, gt, isNull, lt, type SQL, sql } from 'drizzle-orm';
import type { Executor } from '../../db/connection.ts';
import { newId } from '../../db/ids.ts';
import { AppError } from '../../errors.ts';
import { type AccessAttemptKind, accessAttempts } from './schema.ts';

/** How long attempts are kept for the limits to count: longer than any window. */
const ATTEMPTS_KEPT_MS = 24 * 60 * 60 * 1000;
const MINUTE = 60_000;

export interface AccessAttempt {
  /** The member's organization; null for staff attempts. */
  organizationId: string | null;
  kind: AccessAttemptKind;
  addressHash: string | null;
  ip: string;
}

/** At most `max` attempts of a kind per `windowMs` (a sliding window), counted by address or by IP. */
export interface AttemptLimit {
  organizationId: string | null;
  kind: AccessAttemptKind;
  by: { addressHash: string } | { ip: string };
  max: number;
  windowMs: number;
  /** What is counted, for the refusal: "sign-in codes for this address". */
  what: string;
}

const sameOrganization = (organizationId: string | null): SQL =>
  organizationId === null
    ? isNull(accessAttempts.organizationId)
    : eq(accessAttempts.organizationId, organizationId);

/**
 * The one mechanism that slows guessers down at every door where people sign in (staff passwords,
 * members' one-time codes, public joins): attempts are rows, limits count them.
 */
export function createAttemptLimits(db: Executor, now: () => Date = () => new Date()) {
  async function countSince(limit: AttemptLimit, since: Date): Promise<number> {
    const [row] = await db
      .select({ count: sql<string>`count(*)` })
      .from(accessAttempts)
      .where(
        and(
          sameOrganization(limit.organizationId),
          eq(accessAttempts.kind, limit.kind),
          'ip' in limit.by
            ? eq(accessAttempts.ip, limit.by.ip)
            : eq(accessAttempts.addressHash, limit.by.addressHash),
          gt(accessAttempts.createdAt, since),
        ),
      );
    return Number(row?.count ?? 0);
  }

  return {
    /** Refuses (429) when the attempts counted since the window began have reached the limit. */
    async refuseOver(limit: AttemptLimit): Promise<void> {
      const since = new Date(now().getTime() - limit.windowMs);
      if ((await countSince(limit, since)) < limit.max) return;
      const minutes = Math.round(limit.windowMs / MINUTE);
      throw new AppError(
        'rate_limited',
        `too many ${limit.what}: at most ${limit.max} per ${minutes} minutes; try later`,
      );
    },

    /** Records an attempt, and forgets the same scope's attempts too old for any limit to count. */
    async record(attempt: AccessAttempt): Promise<void> {
      const at = now();
      await db.insert(accessAttempts).values({ ...attempt, id: newId(), createdAt: at });
      await db
        .delete(accessAttempts)
        .where(
          and(
            sameOrganization(attempt.organizationId),
            lt(accessAttempts.createdAt, new Date(at.getTime() - ATTEMPTS_KEPT_MS)),
          ),
        );
    },
  };
}

export type AttemptLimits = ReturnType<typeof createAttemptLimits>;
