import { randomUUID } from 'node:crypto';
import { and, eq, isNull, lt, sql } from 'drizzle-orm';
import type { Db, Tx } from '../../db/connection.ts';
import { AppError } from '../../errors.ts';
import { idempotencyKeys } from './schema.ts';

/** Master-key calls act on the platform, not a tenant: their keys live under the nil organization. */
export const PLATFORM_SCOPE = '00000000-0000-0000-0000-000000000000';
const RETENTION_MS = 24 * 60 * 60 * 1000;
/**
 * How long a claim holds its key without being renewed. A running request renews it every
 * LEASE_RENEWAL_MS; a process that died stops, and a retry takes the key over this long after.
 */
export const LEASE_SECONDS = 5;
export const LEASE_RENEWAL_MS = 1_500;
/** How long a retry waits for the first request with its key to finish before answering 409. */
export const WAIT_FOR_FIRST_MS = 10_000;
const FIRST_POLL_MS = 10;
const LONGEST_POLL_MS = 200;

export interface StoredResponse {
  statusCode: number;
  contentType: string | null;
  body: string;
  /** The field whose secret was replaced by null before storing, if any. */
  withheldField: string | null;
}

/** The right to run the request with this key: only its owner may commit the operation or store its answer. */
export interface Claim {
  scope: string;
  key: string;
  owner: string;
}

export type Begun =
  | { kind: 'claimed'; claim: Claim }
  /**
   * The key's request has finished. `response` null: its operation committed but the process
   * stopped before storing the answer (see `markCommitted`). `requestHash` null: never known.
   */
  | { kind: 'settled'; requestHash: string | null; response: StoredResponse | null };

const leaseFromNow = sql`now() + make_interval(secs => ${LEASE_SECONDS})`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function createIdempotencyService(db: Db) {
  const where = (scope: string, key: string) =>
    and(eq(idempotencyKeys.organizationId, scope), eq(idempotencyKeys.key, key));
  const owned = (claim: Claim) => and(where(claim.scope, claim.key), eq(idempotencyKeys.owner, claim.owner));

  async function insertClaim(claim: Claim, requestHash: string | null): Promise<boolean> {
    const inserted = await db
      .insert(idempotencyKeys)
      .values({
        organizationId: claim.scope,
        key: claim.key,
        requestHash,
        owner: claim.owner,
        leaseExpiresAt: leaseFromNow,
        expiresAt: new Date(Date.now() + RETENTION_MS),
      })
      .onConflictDoNothing()
      .returning({ key: idempotencyKeys.key });
    return inserted.length > 0;
  }

  /** Takes over a claim whose owner stopped renewing before its operation committed. */
  async function takeOver(claim: Claim, previousOwner: string | null, requestHash: string | null) {
    const taken = await db
      .update(idempotencyKeys)
      .set({ owner: claim.owner, leaseExpiresAt: leaseFromNow, requestHash })
      .where(
        and(
          where(claim.scope, claim.key),
          previousOwner === null ? isNull(idempotencyKeys.owner) : eq(idempotencyKeys.owner, previousOwner),
          isNull(idempotencyKeys.statusCode),
          isNull(idempotencyKeys.operationCommittedAt),
          sql`coalesce(${idempotencyKeys.leaseExpiresAt}, '-infinity') < now()`,
        ),
      )
      .returning({ key: idempotencyKeys.key });
    return taken.length > 0;
  }

  async function current(scope: string, key: string) {
    const [row] = await db
      .select({
        requestHash: idempotencyKeys.requestHash,
        statusCode: idempotencyKeys.statusCode,
        contentType: idempotencyKeys.contentType,
        responseBody: idempotencyKeys.responseBody,
        withheldField: idempotencyKeys.withheldField,
        owner: idempotencyKeys.owner,
        committed: sql<boolean>`${idempotencyKeys.operationCommittedAt} is not null`,
        leaseExpired: sql<boolean>`coalesce(${idempotencyKeys.leaseExpiresAt}, '-infinity') < now()`,
      })
      .from(idempotencyKeys)
      .where(where(scope, key));
    return row;
  }

  return {
    /**
     * Claims the key for a new request, or says how its request ended. While another live request
     * holds the key, waits (up to WAIT_FOR_FIRST_MS) for it to finish, then 409; a claim whose owner
     * died is taken over. requestHash null: the body is streamed and compared once read (by the caller).
     */
    async begin(scope: string, key: string, requestHash: string | null): Promise<Begun> {
      // A key past its 24 h retention is free again.
      await db
        .delete(idempotencyKeys)
        .where(and(where(scope, key), lt(idempotencyKeys.expiresAt, new Date())));
      const claim: Claim = { scope, key, owner: randomUUID() };
      const deadline = Date.now() + WAIT_FOR_FIRST_MS;
      for (let pause = FIRST_POLL_MS; ; pause = Math.min(pause * 2, LONGEST_POLL_MS)) {
        if (await insertClaim(claim, requestHash)) return { kind: 'claimed', claim };
        const row = await current(scope, key);
        if (!row) continue; // released or expired between the two statements: claim it again
        const settled = { kind: 'settled' as const, requestHash: row.requestHash };
        if (row.statusCode !== null) {
          const { statusCode, contentType, withheldField } = row;
          return {
            ...settled,
            response: { statusCode, contentType, body: row.responseBody ?? '', withheldField },
          };
        }
        if (requestHash !== null && row.requestHash !== null && row.requestHash !== requestHash) {
          return { ...settled, response: null }; // another request: the caller answers 422 without waiting
        }
        if (row.leaseExpired) {
          if (row.committed) return { ...settled, response: null };
          if (await takeOver(claim, row.owner, requestHash)) return { kind: 'claimed', claim };
          continue;
        }
        if (Date.now() + pause > deadline) {
          throw new AppError(
            'idempotency_in_progress',
            'a request with this Idempotency-Key is still being processed',
          );
        }
        await sleep(pause);
      }
    },

    /** Extends the claim while its request runs; false once it is no longer this claim's. */
    async renew(claim: Claim): Promise<boolean> {
      const renewed = await db
        .update(idempotencyKeys)
        .set({ leaseExpiresAt: leaseFromNow })
        .where(and(owned(claim), isNull(idempotencyKeys.statusCode)))
        .returning({ key: idempotencyKeys.key });
      return renewed.length > 0;
    },

    /**
     * Inside the operation's transaction, just before it commits: records that the operation happened
     * (so no retry runs it again, even if this process dies before storing the answer), and rolls it
     * back if a retry has taken the key over meanwhile (this request's lease ran out).
     */
    async markCommitted(tx: Tx, claim: Claim): Promise<void> {
      const marked = await tx
        .update(idempotencyKeys)
        .set({ operationCommittedAt: sql`now()`, leaseExpiresAt: leaseFromNow })
        .where(and(owned(claim), isNull(idempotencyKeys.statusCode)))
        .returning({ key: idempotencyKeys.key });
      if (marked.length === 0) {
        throw new AppError(
          'idempotency_in_progress',
          'another request with this Idempotency-Key took it over while this one was running',
        );
      }
    },

    /** Stores the answer to replay; requestHash, when given, replaces the one known at the claim. */
    async complete(claim: Claim, response: StoredResponse, requestHash?: string): Promise<void> {
      await db
        .update(idempotencyKeys)
        .set({
          statusCode: response.statusCode,
          contentType: response.contentType,
          responseBody: response.body,
          withheldField: response.withheldField,
          ...(requestHash === undefined ? {} : { requestHash }),
        })
        .where(owned(claim));
    },

    /**
     * A request that failed on our side (5xx) may be retried with the same key — unless its
     * operation committed: then the failure is stored like any answer, so nothing runs twice.
     */
    async release(claim: Claim, response: StoredResponse | null): Promise<void> {
      const released = await db
        .delete(idempotencyKeys)
        .where(and(owned(claim), isNull(idempotencyKeys.operationCommittedAt)))
        .returning({ key: idempotencyKeys.key });
      if (released.length === 0 && response) await this.complete(claim, response);
    },
  };
}

export type IdempotencyService = ReturnType<typeof createIdempotencyService>;
