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

/**
 * At most `max` attempts like this one (same organization and kind, from the same IP or for the
 * same address) per `windowMs`, a sliding window.
 */
export interface AttemptLimit {
  per: 'ip' | 'address';
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
  /** Attempts like this one since the window began (none when the limit is per address and it has none). */
  async function countLike(attempt: AccessAttempt, limit: AttemptLimit): Promise<number> {
    const sameSource =
      limit.per === 'ip'
        ? eq(accessAttempts.ip, attempt.ip)
        : attempt.addressHash === null
          ? undefined
          : eq(accessAttempts.addressHash, attempt.addressHash);
    if (!sameSource) return 0;
    const since = new Date(now().getTime() - limit.windowMs);
    const [row] = await db
      .select({ count: sql<string>`count(*)` })
      .from(accessAttempts)
      .where(
        and(
          sameOrganization(attempt.organizationId),
          eq(accessAttempts.kind, attempt.kind),
          sameSource,
          gt(accessAttempts.createdAt, since),
        ),
      );
    return Number(row?.count ?? 0);
  }

  function refusal(limit: AttemptLimit): AppError {
    const minutes = Math.round(limit.windowMs / MINUTE);
    return new AppError(
      'rate_limited',
      `too many ${limit.what}: at most ${limit.max} per ${minutes} minutes; try later`,
    );
  }

  /** Records an attempt, and forgets the same scope's attempts too old for any limit to count. */
  async function record(attempt: AccessAttempt): Promise<void> {
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
  }

  return {
    record,

    /**
     * Counts the attempt, then refuses it (429) when it is past one of the limits. Recording first
     * (its own statement, committed at once) and counting after is what stops a burst: each attempt
     * counts at least itself and every one recorded before it, so no more than `max` pass (in a
     * burst some may also count later ones, and be refused sooner).
     */
    async admit(attempt: AccessAttempt, limits: readonly AttemptLimit[]): Promise<void> {
      await record(attempt);
      for (const limit of limits) if ((await countLike(attempt, limit)) > limit.max) throw refusal(limit);
    },

    /**
     * Refuses (429) when attempts like this one have reached the limit, without counting it: for
     * attempts that count only when they fail (a wrong code), recorded afterwards.
     */
    async refuseOver(attempt: AccessAttempt, limit: AttemptLimit): Promise<void> {
      if ((await countLike(attempt, limit)) >= limit.max) throw refusal(limit);
    },
  };
}

export type AttemptLimits = ReturnType<typeof createAttemptLimits>;
