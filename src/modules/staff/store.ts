import { and, asc, eq, gt, isNull, lt, ne, or, type SQL, sql } from 'drizzle-orm';
import type { Db, Executor } from '../../db/connection.ts';
import { afterCursor, fetchSize, type PageRequest } from '../../db/pagination.ts';
import { platformKeys, staffSessions, staffTokens, staffUsers, type TokenPurpose } from './schema.ts';

/** The SQL of staff accounts, sessions and one-time tokens. */

export type StaffUserRow = typeof staffUsers.$inferSelect;
export type NewStaffUser = typeof staffUsers.$inferInsert;
export type StaffSessionRow = typeof staffSessions.$inferSelect;
export type NewStaffSession = typeof staffSessions.$inferInsert;

const userKey = (organizationId: string, id: string) =>
  and(eq(staffUsers.organizationId, organizationId), eq(staffUsers.id, id));

export async function insertUser(executor: Executor, values: NewStaffUser): Promise<StaffUserRow> {
  const [row] = await executor.insert(staffUsers).values(values).returning();
  return row!;
}

export async function getUser(
  executor: Executor,
  organizationId: string,
  id: string,
): Promise<StaffUserRow | undefined> {
  const [row] = await executor.select().from(staffUsers).where(userKey(organizationId, id));
  return row;
}

/** The row, locked until the transaction ends: changes to one account happen one at a time. */
export async function lockUser(
  executor: Executor,
  organizationId: string,
  id: string,
): Promise<StaffUserRow | undefined> {
  const [row] = await executor.select().from(staffUsers).where(userKey(organizationId, id)).for('update');
  return row;
}

export function listUsers(db: Db, organizationId: string, page: PageRequest): Promise<StaffUserRow[]> {
  return db
    .select()
    .from(staffUsers)
    .where(and(eq(staffUsers.organizationId, organizationId), afterCursor(staffUsers.id, page)))
    .orderBy(asc(staffUsers.id))
    .limit(fetchSize(page));
}

export async function updateUser(
  executor: Executor,
  organizationId: string,
  id: string,
  patch: Partial<NewStaffUser>,
): Promise<StaffUserRow | undefined> {
  const [row] = await executor
    .update(staffUsers)
    .set({ ...patch, updatedAt: new Date() })
    .where(userKey(organizationId, id))
    .returning();
  return row;
}

/** Every account with this email, in one organization or in all. */
export function usersByEmail(db: Db, email: string, organizationId?: string): Promise<StaffUserRow[]> {
  return db
    .select()
    .from(staffUsers)
    .where(
      and(
        eq(sql`lower(${staffUsers.email})`, email.trim().toLowerCase()),
        organizationId ? eq(staffUsers.organizationId, organizationId) : undefined,
      ),
    )
    .orderBy(asc(staffUsers.organizationId))
    .limit(50);
}

/** Active owners of the organization other than `exceptId`: the last one may not go. */
export async function otherActiveOwners(executor: Executor, organizationId: string, exceptId: string) {
  const [row] = await executor
    .select({ count: sql<number>`count(*)::int` })
    .from(staffUsers)
    .where(
      and(
        eq(staffUsers.organizationId, organizationId),
        ne(staffUsers.id, exceptId),
        eq(staffUsers.role, 'owner'),
        eq(staffUsers.status, 'active'),
      ),
    );
  return row?.count ?? 0;
}

/**
 * One more failed sign-in, counted in SQL so that concurrent attempts all count: the one that
 * reaches `maxAttempts` locks the account until `lockedUntil` and starts the count again.
 */
export async function recordFailure(
  db: Db,
  user: { organizationId: string; id: string },
  maxAttempts: number,
  lockedUntil: Date,
): Promise<void> {
  await db
    .update(staffUsers)
    .set({
      failedAttempts: sql`case when ${staffUsers.failedAttempts} + 1 >= ${maxAttempts} then 0 else ${staffUsers.failedAttempts} + 1 end`,
      lockedUntil: sql`case when ${staffUsers.failedAttempts} + 1 >= ${maxAttempts} then ${lockedUntil} else ${staffUsers.lockedUntil} end`,
    })
    .where(userKey(user.organizationId, user.id));
}

// Sessions ---------------------------------------------------------------------------------------

export async function insertSession(executor: Executor, values: NewStaffSession): Promise<StaffSessionRow> {
  const [row] = await executor.insert(staffSessions).values(values).returning();
  return row!;
}

/** A session and its user, as authentication reads them. */
export interface SessionWithUser {
  session: StaffSessionRow;
  user: StaffUserRow;
}

async function sessionWithUser(db: Db, where: SQL | undefined): Promise<SessionWithUser | undefined> {
  const [row] = await db
    .select({ session: staffSessions, user: staffUsers })
    .from(staffSessions)
    .innerJoin(
      staffUsers,
      and(
        eq(staffUsers.organizationId, staffSessions.organizationId),
        eq(staffUsers.id, staffSessions.staffUserId),
      ),
    )
    .where(where)
    .limit(1);
  return row;
}

export function sessionByTokenHash(db: Db, tokenHash: string) {
  return sessionWithUser(db, eq(staffSessions.tokenHash, tokenHash));
}

export function sessionById(db: Db, organizationId: string, id: string) {
  return sessionWithUser(db, and(eq(staffSessions.organizationId, organizationId), eq(staffSessions.id, id)));
}

/** The session whose previous refresh token this is: one that was rotated away. */
export async function sessionByPreviousTokenHash(db: Db, tokenHash: string) {
  const [row] = await db.select().from(staffSessions).where(eq(staffSessions.previousTokenHash, tokenHash));
  return row;
}

/**
 * Swaps the refresh token of a live session for a new one, if `currentHash` is still its current
 * token: two refreshes with one token cannot both succeed.
 */
export async function rotateToken(
  db: Db,
  session: { organizationId: string; id: string },
  currentHash: string,
  nextHash: string,
  now: Date,
): Promise<boolean> {
  const rows = await db
    .update(staffSessions)
    .set({ tokenHash: nextHash, previousTokenHash: currentHash, lastSeenAt: now })
    .where(
      and(
        eq(staffSessions.organizationId, session.organizationId),
        eq(staffSessions.id, session.id),
        eq(staffSessions.tokenHash, currentHash),
        isNull(staffSessions.revokedAt),
        gt(staffSessions.expiresAt, now),
      ),
    )
    .returning({ id: staffSessions.id });
  return rows.length > 0;
}

export async function touchSession(db: Db, session: { organizationId: string; id: string }, now: Date) {
  await db
    .update(staffSessions)
    .set({ lastSeenAt: now })
    .where(and(eq(staffSessions.organizationId, session.organizationId), eq(staffSessions.id, session.id)));
}

export async function revokeSession(
  executor: Executor,
  session: { organizationId: string; id: string },
  now: Date,
): Promise<void> {
  await executor
    .update(staffSessions)
    .set({ revokedAt: now })
    .where(
      and(
        eq(staffSessions.organizationId, session.organizationId),
        eq(staffSessions.id, session.id),
        isNull(staffSessions.revokedAt),
      ),
    );
}

/** Ends every session of a user (disabled, password changed); answers the ids ended. */
export async function revokeUserSessions(
  executor: Executor,
  user: { organizationId: string; id: string },
  now: Date,
): Promise<string[]> {
  const rows = await executor
    .update(staffSessions)
    .set({ revokedAt: now })
    .where(
      and(
        eq(staffSessions.organizationId, user.organizationId),
        eq(staffSessions.staffUserId, user.id),
        isNull(staffSessions.revokedAt),
      ),
    )
    .returning({ id: staffSessions.id });
  return rows.map((row) => row.id);
}

// One-time tokens --------------------------------------------------------------------------------

export async function insertToken(executor: Executor, values: typeof staffTokens.$inferInsert) {
  await executor.insert(staffTokens).values(values);
}

/**
 * Uses a token: marks it used if it is of this purpose, unused and unexpired, in one statement,
 * so that of two requests with one token only one gets it. Answers its user's key, or undefined.
 */
export async function consumeToken(
  executor: Executor,
  tokenHash: string,
  purpose: TokenPurpose,
  now: Date,
): Promise<{ organizationId: string; staffUserId: string } | undefined> {
  const [row] = await executor
    .update(staffTokens)
    .set({ usedAt: now })
    .where(
      and(
        eq(staffTokens.tokenHash, tokenHash),
        eq(staffTokens.purpose, purpose),
        isNull(staffTokens.usedAt),
        gt(staffTokens.expiresAt, now),
      ),
    )
    .returning({ organizationId: staffTokens.organizationId, staffUserId: staffTokens.staffUserId });
  return row;
}

/** Retires a user's unused tokens of a purpose (a new invite replaces the last; a reset ends them all). */
export async function retireTokens(
  executor: Executor,
  user: { organizationId: string; id: string },
  purposes: readonly TokenPurpose[],
  now: Date,
): Promise<void> {
  await executor
    .update(staffTokens)
    .set({ usedAt: now })
    .where(
      and(
        eq(staffTokens.organizationId, user.organizationId),
        eq(staffTokens.staffUserId, user.id),
        or(...purposes.map((purpose) => eq(staffTokens.purpose, purpose))),
        isNull(staffTokens.usedAt),
      ),
    );
}

// Platform keys ----------------------------------------------------------------------------------

/** The stored value of a platform key, storing `candidate` first if there is none (the first start wins). */
export async function platformKey(db: Db, name: string, candidate: string): Promise<string> {
  await db.insert(platformKeys).values({ name, value: candidate }).onConflictDoNothing();
  const [row] = await db.select().from(platformKeys).where(eq(platformKeys.name, name));
  return row!.value;
}

/**
 * Records the TOTP time step of an accepted code, unless that step (or a later one) was used
 * already: of two sign-ins with one code, only one gets through.
 */
export async function claimTotpStep(
  db: Db,
  user: { organizationId: string; id: string },
  step: number,
): Promise<boolean> {
  const rows = await db
    .update(staffUsers)
    .set({ totpLastStep: step })
    .where(
      and(
        userKey(user.organizationId, user.id),
        or(isNull(staffUsers.totpLastStep), lt(staffUsers.totpLastStep, step)),
      ),
    )
    .returning({ id: staffUsers.id });
  return rows.length > 0;
}
