import { and, desc, eq, gt, isNull } from 'drizzle-orm';
import type { Executor } from '../../db/connection.ts';
import { newId } from '../../db/ids.ts';
import { type ConsentKind, memberConsents, memberSessions, memberSignInCodes } from './schema.ts';

export type SignInCodeRow = typeof memberSignInCodes.$inferSelect;
export type SessionRow = typeof memberSessions.$inferSelect;
export type ConsentRow = typeof memberConsents.$inferSelect;

/** Ends every code of the member still open: only the newest one sent can sign them in. */
export async function retireCodes(
  executor: Executor,
  organizationId: string,
  customerId: string,
  now: Date,
): Promise<void> {
  await executor
    .update(memberSignInCodes)
    .set({ consumedAt: now })
    .where(
      and(
        eq(memberSignInCodes.organizationId, organizationId),
        eq(memberSignInCodes.customerId, customerId),
        isNull(memberSignInCodes.consumedAt),
      ),
    );
}

export async function insertCode(
  executor: Executor,
  row: Omit<typeof memberSignInCodes.$inferInsert, 'id'>,
): Promise<void> {
  await executor.insert(memberSignInCodes).values({ ...row, id: newId() });
}

/** The member's code that can still be tried (not used, burnt, replaced or expired), row-locked. */
export async function openCodeForUpdate(
  executor: Executor,
  organizationId: string,
  customerId: string,
  now: Date,
): Promise<SignInCodeRow | undefined> {
  const [row] = await executor
    .select()
    .from(memberSignInCodes)
    .where(
      and(
        eq(memberSignInCodes.organizationId, organizationId),
        eq(memberSignInCodes.customerId, customerId),
        isNull(memberSignInCodes.consumedAt),
        gt(memberSignInCodes.expiresAt, now),
      ),
    )
    .orderBy(desc(memberSignInCodes.createdAt))
    .limit(1)
    .for('update');
  return row;
}

export async function updateCode(
  executor: Executor,
  code: SignInCodeRow,
  change: { failedAttempts?: number; consumedAt?: Date },
): Promise<void> {
  await executor
    .update(memberSignInCodes)
    .set(change)
    .where(and(eq(memberSignInCodes.organizationId, code.organizationId), eq(memberSignInCodes.id, code.id)));
}

export async function insertSession(
  executor: Executor,
  row: Omit<typeof memberSessions.$inferInsert, 'id'>,
): Promise<SessionRow> {
  const [session] = await executor
    .insert(memberSessions)
    .values({ ...row, id: newId() })
    .returning();
  return session!;
}

/** The session a token opens: not revoked, not expired. */
export async function liveSession(
  executor: Executor,
  tokenHash: string,
  now: Date,
): Promise<SessionRow | undefined> {
  const [row] = await executor
    .select()
    .from(memberSessions)
    .where(
      and(
        eq(memberSessions.tokenHash, tokenHash),
        isNull(memberSessions.revokedAt),
        gt(memberSessions.expiresAt, now),
      ),
    );
  return row;
}

export async function revokeSession(executor: Executor, tokenHash: string, now: Date): Promise<void> {
  await executor
    .update(memberSessions)
    .set({ revokedAt: now })
    .where(and(eq(memberSessions.tokenHash, tokenHash), isNull(memberSessions.revokedAt)));
}

/** Ends every live session of a member (they erased their account). */
export async function revokeSessionsOf(
  executor: Executor,
  organizationId: string,
  customerId: string,
  now: Date,
): Promise<void> {
  await executor
    .update(memberSessions)
    .set({ revokedAt: now })
    .where(
      and(
        eq(memberSessions.organizationId, organizationId),
        eq(memberSessions.customerId, customerId),
        isNull(memberSessions.revokedAt),
      ),
    );
}

export async function insertConsent(
  executor: Executor,
  row: {
    organizationId: string;
    customerId: string;
    kind: ConsentKind;
    version: string;
    acceptedAt: Date;
    ip: string | null;
    userAgent: string | null;
  },
): Promise<ConsentRow> {
  const [consent] = await executor
    .insert(memberConsents)
    .values({ ...row, id: newId() })
    .returning();
  return consent!;
}

export function consentsOf(executor: Executor, organizationId: string, customerId: string) {
  return executor
    .select()
    .from(memberConsents)
    .where(and(eq(memberConsents.organizationId, organizationId), eq(memberConsents.customerId, customerId)))
    .orderBy(desc(memberConsents.acceptedAt));
}
