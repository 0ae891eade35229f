import { and, asc, eq, inArray, lte, sql } from 'drizzle-orm';
import type { Executor } from '../../db/connection.ts';
import { newId } from '../../db/ids.ts';
import {
  applePasses,
  applePassRegistrations,
  applePassTokens,
  googlePassObjects,
  type PassChannel,
  passNotifications,
} from './schema.ts';

type Key = { organizationId: string; customerId: string };

const applePassKey = (key: Key) =>
  and(eq(applePasses.organizationId, key.organizationId), eq(applePasses.customerId, key.customerId));

/** Records a handed-out pass (first time only) and the hash of its new token. */
export async function issueApplePass(tx: Executor, key: Key, fingerprint: string, tokenHash: string) {
  await tx
    .insert(applePasses)
    .values({ ...key, fingerprint })
    .onConflictDoNothing();
  await tx
    .insert(applePassTokens)
    .values({ ...key, tokenHash })
    .onConflictDoNothing();
}

export async function findApplePass(executor: Executor, key: Key, options: { forUpdate?: boolean } = {}) {
  const query = executor.select().from(applePasses).where(applePassKey(key));
  const [row] = options.forUpdate ? await query.for('update') : await query;
  return row;
}

export async function tokenKnown(executor: Executor, key: Key, tokenHash: string): Promise<boolean> {
  const [row] = await executor
    .select({ one: sql<number>`1` })
    .from(applePassTokens)
    .where(
      and(
        eq(applePassTokens.organizationId, key.organizationId),
        eq(applePassTokens.customerId, key.customerId),
        eq(applePassTokens.tokenHash, tokenHash),
      ),
    );
  return row !== undefined;
}

/** true when the device was not registered for this pass before. */
export async function register(executor: Executor, key: Key, deviceLibraryId: string, pushToken: string) {
  const [row] = await executor
    .insert(applePassRegistrations)
    .values({ ...key, deviceLibraryId, pushToken })
    .onConflictDoUpdate({
      target: [
        applePassRegistrations.organizationId,
        applePassRegistrations.deviceLibraryId,
        applePassRegistrations.customerId,
      ],
      set: { pushToken, updatedAt: sql`now()` },
    })
    .returning({ created: sql<boolean>`xmax = 0` });
  return row?.created === true;
}

export async function unregister(executor: Executor, key: Key, deviceLibraryId: string) {
  await executor
    .delete(applePassRegistrations)
    .where(
      and(
        eq(applePassRegistrations.organizationId, key.organizationId),
        eq(applePassRegistrations.customerId, key.customerId),
        eq(applePassRegistrations.deviceLibraryId, deviceLibraryId),
      ),
    );
}

/** The device's passes changed after `since` (all of them without it), and the latest change. */
export async function updatedForDevice(
  executor: Executor,
  organizationId: string,
  deviceLibraryId: string,
  since: Date | undefined,
) {
  const conditions = [
    eq(applePassRegistrations.organizationId, organizationId),
    eq(applePassRegistrations.deviceLibraryId, deviceLibraryId),
  ];
  // Tags are milliseconds; PostgreSQL keeps microseconds: compare at the tag's precision.
  if (since) conditions.push(sql`date_trunc('milliseconds', ${applePasses.updatedAt}) > ${since}`);
  return executor
    .select({ serialNumber: applePasses.customerId, updatedAt: applePasses.updatedAt })
    .from(applePassRegistrations)
    .innerJoin(
      applePasses,
      and(
        eq(applePasses.organizationId, applePassRegistrations.organizationId),
        eq(applePasses.customerId, applePassRegistrations.customerId),
      ),
    )
    .where(and(...conditions))
    .orderBy(asc(applePasses.customerId));
}

/**
 * Forgets a member's Apple card after their erasure: its devices, its tokens and the pass itself,
 * so the web service answers 401 for it and nothing that named the member stays behind.
 */
export async function forgetApplePass(tx: Executor, key: Key) {
  const of = <T extends typeof applePassRegistrations | typeof applePassTokens>(table: T) =>
    and(eq(table.organizationId, key.organizationId), eq(table.customerId, key.customerId));
  await tx.delete(applePassRegistrations).where(of(applePassRegistrations));
  await tx.delete(applePassTokens).where(of(applePassTokens));
  await tx.delete(applePasses).where(applePassKey(key));
}

/** Moves the pass's update time (and fingerprint) on and queues one push per registered device. */
export async function markAppleChanged(tx: Executor, key: Key, fingerprint: string, now: Date) {
  // In a later whole second than before: Last-Modified has whole seconds, so a change within the
  // second a phone last fetched would otherwise answer 304 and hide the change.
  await tx
    .update(applePasses)
    .set({
      fingerprint,
      updatedAt: sql`greatest(now(), date_trunc('second', ${applePasses.updatedAt}) + interval '1 second')`,
    })
    .where(applePassKey(key));
  const devices = await tx
    .select({ pushToken: applePassRegistrations.pushToken })
    .from(applePassRegistrations)
    .where(
      and(
        eq(applePassRegistrations.organizationId, key.organizationId),
        eq(applePassRegistrations.customerId, key.customerId),
      ),
    );
  await queueNotifications(
    tx,
    devices.map((device) => ({ ...key, channel: 'apns' as const, pushToken: device.pushToken })),
    now,
  );
}

export async function recordGoogleObject(tx: Executor, key: Key, fingerprint: string) {
  await tx
    .insert(googlePassObjects)
    .values({ ...key, fingerprint })
    .onConflictDoNothing();
}

export async function findGoogleObject(executor: Executor, key: Key, options: { forUpdate?: boolean } = {}) {
  const query = executor
    .select()
    .from(googlePassObjects)
    .where(
      and(
        eq(googlePassObjects.organizationId, key.organizationId),
        eq(googlePassObjects.customerId, key.customerId),
      ),
    );
  const [row] = options.forUpdate ? await query.for('update') : await query;
  return row;
}

export async function markGoogleChanged(tx: Executor, key: Key, fingerprint: string, now: Date) {
  await tx
    .update(googlePassObjects)
    .set({ fingerprint, updatedAt: sql`now()` })
    .where(
      and(
        eq(googlePassObjects.organizationId, key.organizationId),
        eq(googlePassObjects.customerId, key.customerId),
      ),
    );
  await queueNotifications(tx, [{ ...key, channel: 'google', pushToken: null }], now);
}

async function queueNotifications(
  tx: Executor,
  rows: (Key & { channel: PassChannel; pushToken: string | null })[],
  now: Date,
) {
  if (rows.length === 0) return;
  await tx.insert(passNotifications).values(rows.map((row) => ({ ...row, id: newId(), nextAttemptAt: now })));
}

export type NotificationRow = typeof passNotifications.$inferSelect;

/**
 * Claims due notifications for `leaseMs` (another worker takes them over after that) and returns
 * them; SKIP LOCKED keeps concurrent workers off each other's rows.
 */
export async function claimDue(tx: Executor, now: Date, limit: number, leaseMs: number) {
  const due = await tx
    .select({ organizationId: passNotifications.organizationId, id: passNotifications.id })
    .from(passNotifications)
    .where(and(eq(passNotifications.status, 'pending'), lte(passNotifications.nextAttemptAt, now)))
    .orderBy(asc(passNotifications.nextAttemptAt))
    .limit(limit)
    .for('update', { skipLocked: true });
  if (due.length === 0) return [];
  const ids = due.map((row) => row.id);
  return tx
    .update(passNotifications)
    .set({
      nextAttemptAt: new Date(now.getTime() + leaseMs),
      attempts: sql`${passNotifications.attempts} + 1`,
    })
    .where(inArray(passNotifications.id, ids))
    .returning();
}

export async function finishNotification(
  executor: Executor,
  row: NotificationRow,
  outcome: { status: 'sent' | 'dead' | 'pending'; nextAttemptAt?: Date; error?: string | undefined },
) {
  await executor
    .update(passNotifications)
    .set({
      status: outcome.status,
      lastError: outcome.error ?? null,
      updatedAt: sql`now()`,
      ...(outcome.nextAttemptAt ? { nextAttemptAt: outcome.nextAttemptAt } : {}),
    })
    .where(and(eq(passNotifications.organizationId, row.organizationId), eq(passNotifications.id, row.id)));
}

/** A device Apple says is gone: no more pushes to it for any pass. */
export async function forgetPushToken(executor: Executor, organizationId: string, pushToken: string) {
  await executor
    .delete(applePassRegistrations)
    .where(
      and(
        eq(applePassRegistrations.organizationId, organizationId),
        eq(applePassRegistrations.pushToken, pushToken),
      ),
    );
}
