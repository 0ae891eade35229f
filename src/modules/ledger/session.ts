import type { Tx } from '../../db/connection.ts';
import { newId } from '../../db/ids.ts';
import { type Actor, SYSTEM } from '../../domain/actors.ts';
import { counterDeltas, type EntryKind, toPoints } from '../../domain/points.ts';
import { emit } from '../events/service.ts';
import {
  activateLots,
  type BalanceChange,
  type BalanceKey,
  type BalanceRow,
  type EntryRow,
  type LotRow,
  type LotsNeeded,
  lockBalance,
  lockBalanceWithLots,
  type Movement,
  readLots,
  updateBalance,
  writeEntry,
} from './store.ts';

/**
 * The core every ledger operation shares: lock one balance, bring its lots up to date (activate
 * what is due, expire what is due), then append entries whose lot movements and balance change
 * are written together. Nothing here decides *whether* an operation is allowed: service.ts does.
 */

export type { Actor } from '../../domain/actors.ts';
export { SYSTEM };

/** What caused an entry: `transaction` (ticket), `redemption`, `rule`, `import`, `entry`, `external`… */
export interface SourceRef {
  type: string;
  id: string;
}

/** One balance, locked for the rest of the transaction, with the lots it reads as they are now. */
export interface Session {
  key: BalanceKey;
  now: Date;
  balance: BalanceRow;
  /**
   * The lots the operation reads (all holding remaining or blocked points, or only those due to
   * settle: LotsNeeded) plus any this transaction created, by id.
   */
  lots: Map<string, LotRow>;
}

export interface NewLotSpec {
  amount: number;
  activeFrom: Date;
  expiresAt: Date | null;
}

export interface EntrySpec {
  id?: string;
  kind: EntryKind;
  reason?: string | null | undefined;
  actor: Actor;
  source?: SourceRef | undefined;
  locationId?: string | null | undefined;
  relatedEntryId?: string | null | undefined;
  counterpartyCustomerId?: string | null | undefined;
  /** Movements on existing lots of this balance. */
  movements?: Movement[];
  /** Lots this entry creates (credits, transfers in, cancelled spends). */
  newLots?: NewLotSpec[];
}

export interface Settled {
  lotsActivated: number;
  lotsExpired: number;
}

/**
 * Locks `key`'s balance row (creating it if needed), reads the lots the operation needs (all open
 * ones, or for one that moves none only those due to settle: LotsNeeded) and settles them at `now`:
 * one round trip unless another transaction changed or created the balance meanwhile.
 */
export async function openSession(
  tx: Tx,
  key: BalanceKey,
  now: Date,
  needed: LotsNeeded = 'open',
): Promise<Session> {
  const locked = (await lockBalanceWithLots(tx, key, needed, now)) ?? {
    balance: await lockBalance(tx, key),
    lots: undefined,
  };
  return (await startSession(tx, key, locked.balance, now, needed, locked.lots)).session;
}

/**
 * openSession for a balance row the caller has already locked (with the lots it needs, when read
 * under that lock); also says what settling did.
 */
export async function startSession(
  tx: Tx,
  key: BalanceKey,
  balance: BalanceRow,
  now: Date,
  needed: LotsNeeded,
  lotsRead?: LotRow[],
): Promise<{ session: Session; settled: Settled }> {
  const read = lotsRead ?? (await readLots(tx, key, needed, now));
  const lots = new Map(read.map((lot) => [lot.id, lot]));
  const session: Session = { key, now, balance, lots };
  const settled = await settle(tx, session);
  return { session, settled };
}

/** Active, unexpired lots with points left: what can be spent or blocked now. */
export function spendableLots(session: Session): LotRow[] {
  return [...session.lots.values()].filter(
    (lot) =>
      lot.status === 'active' &&
      lot.remaining > 0 &&
      (lot.expiresAt === null || lot.expiresAt.getTime() > session.now.getTime()),
  );
}

/**
 * Activates pending lots whose `activeFrom` has come and expires active lots whose `expiresAt` has
 * passed: the same work the scheduler does, done first by every operation so that what it sees is
 * exact at its own `now`, however late the scheduler runs.
 */
export async function settle(tx: Tx, session: Session): Promise<Settled> {
  const now = session.now.getTime();
  const toActivate = [...session.lots.values()].filter(
    (lot) => lot.status === 'pending' && lot.remaining > 0 && lot.activeFrom.getTime() <= now,
  );
  if (toActivate.length > 0) {
    const points = toActivate.reduce((sum, lot) => sum + lot.remaining, 0);
    await activateLots(
      tx,
      session.key.organizationId,
      toActivate.map((lot) => lot.id),
      session.now,
    );
    for (const lot of toActivate) {
      lot.status = 'active';
      lot.activatedAt = session.now;
    }
    session.balance = await updateBalance(tx, session.key, {
      ...NO_CHANGE,
      active: points,
      pending: -points,
    });
    await emitPointsEvent(tx, session, 'points.activated', { points: toPoints(points) });
  }
  const toExpire = [...session.lots.values()].filter(
    (lot) =>
      lot.status === 'active' &&
      lot.remaining > 0 &&
      lot.expiresAt !== null &&
      lot.expiresAt.getTime() <= now,
  );
  if (toExpire.length > 0) {
    await record(tx, session, {
      kind: 'expire',
      actor: SYSTEM,
      reason: 'points expired',
      movements: toExpire.map((lot) => ({ lotId: lot.id, remainingDelta: -lot.remaining, blockedDelta: 0 })),
    });
  }
  return { lotsActivated: toActivate.length, lotsExpired: toExpire.length };
}

const NO_CHANGE: BalanceChange = { active: 0, pending: 0, blocked: 0, earned: 0, spent: 0, expired: 0 };

/**
 * Appends one entry: the entry row, the lots it creates, its movements on lots and the matching
 * balance change (one statement), then its event. Returns the entry as stored.
 */
export async function record(tx: Tx, session: Session, spec: EntrySpec): Promise<EntryRow> {
  const { key, now } = session;
  const entryId = spec.id ?? newId();
  const newLots: LotRow[] = (spec.newLots ?? []).map((lot) => ({
    organizationId: key.organizationId,
    id: newId(),
    customerId: key.customerId,
    pointTypeId: key.pointTypeId,
    entryId,
    amount: lot.amount,
    remaining: lot.amount,
    blocked: 0,
    status: lot.activeFrom.getTime() > now.getTime() ? 'pending' : 'active',
    activeFrom: lot.activeFrom,
    expiresAt: lot.expiresAt,
    activatedAt: lot.activeFrom.getTime() > now.getTime() ? null : now,
    createdAt: now,
  }));
  const movements: Movement[] = [
    ...(spec.movements ?? []),
    ...newLots.map((lot) => ({ lotId: lot.id, remainingDelta: lot.amount, blockedDelta: 0 })),
  ];
  for (const lot of newLots) session.lots.set(lot.id, { ...lot, remaining: 0 });

  const change = { ...NO_CHANGE };
  let remainingTotal = 0;
  let blockedTotal = 0;
  for (const movement of movements) {
    const lot = session.lots.get(movement.lotId);
    if (!lot) throw new Error(`ledger invariant: lot ${movement.lotId} is not part of this balance`);
    if (lot.status === 'active') change.active += movement.remainingDelta;
    else change.pending += movement.remainingDelta;
    change.blocked += movement.blockedDelta;
    remainingTotal += movement.remainingDelta;
    blockedTotal += movement.blockedDelta;
  }
  const delta = remainingTotal + blockedTotal;
  const points = Math.max(Math.abs(remainingTotal), Math.abs(blockedTotal));
  Object.assign(change, counterDeltas(spec.kind, delta));
  const single = newLots.length === 1 ? newLots[0] : undefined;

  const entry: EntryRow = {
    organizationId: key.organizationId,
    id: entryId,
    customerId: key.customerId,
    pointTypeId: key.pointTypeId,
    kind: spec.kind,
    points,
    delta,
    reason: spec.reason ?? null,
    actorType: spec.actor.type,
    actorId: spec.actor.id,
    sourceType: spec.source?.type ?? null,
    sourceId: spec.source?.id ?? null,
    locationId: spec.locationId ?? null,
    relatedEntryId: spec.relatedEntryId ?? null,
    counterpartyCustomerId: spec.counterpartyCustomerId ?? null,
    activeFrom: single?.activeFrom ?? null,
    expiresAt: single?.expiresAt ?? null,
    createdAt: now,
  };
  session.balance = await writeEntry(tx, { key, entry, newLots, movements, change });
  for (const movement of movements) {
    const lot = session.lots.get(movement.lotId)!;
    lot.remaining += movement.remainingDelta;
    lot.blocked += movement.blockedDelta;
  }
  await emitPointsEvent(tx, session, eventTypeOf(spec.kind, delta), {
    entryId: entry.id,
    kind: entry.kind,
    points: toPoints(points),
    delta: toPoints(delta),
    reason: entry.reason,
    locationId: entry.locationId,
    source: spec.source ?? null,
    ...(entry.counterpartyCustomerId ? { counterpartyCustomerId: entry.counterpartyCustomerId } : {}),
  });
  return entry;
}

function eventTypeOf(kind: EntryKind, delta: number): string {
  switch (kind) {
    case 'earn':
      return 'points.earned';
    case 'add':
      return 'points.added';
    case 'adjust':
      return delta >= 0 ? 'points.added' : 'points.spent';
    case 'spend':
      return 'points.spent';
    case 'block':
      return 'points.blocked';
    case 'unblock':
    case 'cancel':
      return 'points.cancelled';
    case 'expire':
      return 'points.expired';
    case 'transfer_out':
    case 'transfer_in':
      return 'points.transferred';
    case 'reverse':
      return 'points.reversed';
  }
}

/** Every points event names the customer and point type and carries the balance that resulted. */
async function emitPointsEvent(tx: Tx, session: Session, type: string, details: Record<string, unknown>) {
  const { key, balance } = session;
  await emit(tx, {
    organizationId: key.organizationId,
    type,
    subject: { type: 'customer', id: key.customerId },
    payload: {
      customerId: key.customerId,
      pointTypeId: key.pointTypeId,
      ...details,
      balance: {
        active: toPoints(balance.active),
        pending: toPoints(balance.pending),
        blocked: toPoints(balance.blocked),
      },
    },
  });
}
