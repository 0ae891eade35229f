import { and, eq, lt } from 'drizzle-orm';
import type { Db } from '../../db/connection.ts';
import { AppError } from '../../errors.ts';
import { idempotencyKeys } from './schema.ts';

/** Master-key calls act on the platform, not a tenant: their keys live under the nil organization. */
export const PLATFORM_SCOPE = '00000000-0000-0000-0000-000000000000';
const RETENTION_MS = 24 * 60 * 60 * 1000;

export interface StoredResponse {
  statusCode: number;
  contentType: string | null;
  body: string;
}

export function createIdempotencyService(db: Db) {
  const where = (scope: string, key: string) =>
    and(eq(idempotencyKeys.organizationId, scope), eq(idempotencyKeys.key, key));

  return {
    /**
     * Claims the key for a new request, or returns the response to replay.
     * Same key with another request → 422; the first request still running → 409.
     */
    async begin(scope: string, key: string, requestHash: string): Promise<StoredResponse | null> {
      // A key past its 24 h retention is free again.
      await db
        .delete(idempotencyKeys)
        .where(and(where(scope, key), lt(idempotencyKeys.expiresAt, new Date())));
      const claimed = await db
        .insert(idempotencyKeys)
        .values({ organizationId: scope, key, requestHash, expiresAt: new Date(Date.now() + RETENTION_MS) })
        .onConflictDoNothing()
        .returning({ key: idempotencyKeys.key });
      if (claimed.length > 0) return null;

      const [existing] = await db.select().from(idempotencyKeys).where(where(scope, key));
      if (!existing) return this.begin(scope, key, requestHash); // it expired between the two statements
      if (existing.requestHash !== requestHash) {
        throw new AppError(
          'idempotency_conflict',
          'this Idempotency-Key was already used with a different request',
        );
      }
      if (existing.statusCode === null) {
        throw new AppError(
          'idempotency_in_progress',
          'a request with this Idempotency-Key is still being processed',
        );
      }
      return {
        statusCode: existing.statusCode,
        contentType: existing.contentType,
        body: existing.responseBody ?? '',
      };
    },

    async complete(scope: string, key: string, response: StoredResponse): Promise<void> {
      await db
        .update(idempotencyKeys)
        .set({
          statusCode: response.statusCode,
          contentType: response.contentType,
          responseBody: response.body,
        })
        .where(where(scope, key));
    },

    /** A request that failed on our side (5xx) may be retried with the same key. */
    async release(scope: string, key: string): Promise<void> {
      await db.delete(idempotencyKeys).where(where(scope, key));
    },
  };
}

export type IdempotencyService = ReturnType<typeof createIdempotencyService>;
