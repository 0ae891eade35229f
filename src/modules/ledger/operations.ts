import type { Executor, Tx } from '../../db/connection.ts';
import { newId } from '../../db/ids.ts';
import {
  activeFromFor,
  allocateFifo,
  compareForConsumption,
  expiresAtFor,
  formatPoints,
  type Hundredths,
  isCredit,
  isSpend,
} from '../../domain/points.ts';
import { AppError, conflict, notFound, validationFailed } from '../../errors.ts';
import type { Organization } from '../organizations/service.ts';
import { effectiveSettings } from '../organizations/settings.ts';
import type { PointTypesService } from '../point-types/service.ts';
import {
  type Actor,
  type EntrySpec,
  openSession,
  record,
  type Session,
  type SourceRef,
  settle,
  spendableLots,
} from './session.ts';
import {
  type BalanceKey,
  type BalanceRow,
  creditEntriesOfSource,
  type EntryRow,
  entriesRelatedTo,
  findEntryBySource,
  getEntry,
  lotsById,
  lotsOfEntries,
  movementsOf,
} from './store.ts';

/**
 * The ledger's write use cases, each inside a transaction it is given: what is allowed (status
 * rules, sufficiency, what can be cancelled) and which lots move. session.ts does the writing.
 */

/** What the ledger needs to know about a customer; the customers service provides it. */
export interface LedgerCustomer {
  id: string;
  status: string;
}

export interface CustomerDirectory {
  get(organizationId: string, id: string, executor?: Executor): Promise<LedgerCustomer>;
  lookup(organizationId: string, identifier: string, executor?: Executor): Promise<LedgerCustomer>;
}

export interface OrganizationDirectory {
  get(organizationId: string, executor?: Executor): Promise<Organization>;
}

export interface LedgerDependencies {
  customers: CustomerDirectory;
  pointTypes: PointTypesService;
  organizations: OrganizationDirectory;
  /**
   * Checks a manual add inside its transaction, with the balance locked, just before its entry is
   * written; it throws to refuse it. The staff module's cashier daily cap (src/modules/staff/cashier-cap.ts).
   */
  beforeManualAdd?: ManualAddGuard | undefined;
}

export type ManualAddGuard = (
  tx: Tx,
  input: CreditInput,
  context: { organization: Organization; now: Date },
) => Promise<void>;

/** What every operation on one customer's points says. */
export interface OperationInput {
  organizationId: string;
  customerId: string;
  /** Omitted = the organization's default point type. */
  pointTypeId?: string | undefined;
  /** Hundredths, > 0 (see domain/points.ts). */
  points: Hundredths;
  reason?: string | null | undefined;
  actor: Actor;
  /** The natural key: the same source never moves the same point type the same way twice. */
  source?: SourceRef | undefined;
  locationId?: string | null | undefined;
  /** The operation's clock (tests pass one; everything else leaves it to now). */
  now?: Date | undefined;
  /**
   * What the caller already read in this same database transaction (a ticket's member and
   * organization): used as is instead of being read again.
   */
  known?:
    | {
        customer?: LedgerCustomer | undefined;
        organization?: Organization | undefined;
        /**
         * The source was created in this same transaction (a new ticket, a new redemption): no
         * entry can name it yet, so there is nothing to replay and the check is skipped.
         */
        newSource?: boolean | undefined;
      }
    | undefined;
}

export interface CreditInput extends OperationInput {
  /** Manual adds only: when the points become spendable (default now). */
  activeFrom?: Date | undefined;
  /** Manual adds only: explicit expiry, null = never; omitted = the point type's policy. */
  expiresAt?: Date | null | undefined;
}

export interface SpendInput extends OperationInput {
  /** Spend exactly the points a block holds (a redemption confirmed at checkout). */
  blockEntryId?: string | undefined;
}

export interface AdjustInput extends Omit<CreditInput, 'points'> {
  /** Signed hundredths: positive adds, negative spends (Last.app's `points` with a `concept`). */
  points: Hundredths;
}

export interface TransferInput extends OperationInput {
  /** The receiver: a customer id or any identifier `customers.lookup` understands. */
  to: string;
}

export interface ReverseInput extends OperationInput {
  /** The ticket whose points a return takes back first (pending ones included). */
  original?: SourceRef | undefined;
}

export interface CancelInput {
  organizationId: string;
  entryId: string;
  reason?: string | null | undefined;
  actor: Actor;
  now?: Date | undefined;
}

export interface OperationResult {
  entry: EntryRow;
  balance: BalanceRow;
  /** True when the source (or the cancelled entry) had been seen before: nothing was changed. */
  replayed: boolean;
}

export interface TransferResult extends OperationResult {
  /** The receiver's `transfer_in` entry. */
  counterpart: EntryRow;
}

export interface ReverseResult extends OperationResult {
  /** Points asked for that the customer no longer had (spent already): not taken. */
  shortfall: Hundredths;
}

function insufficient(available: Hundredths, asked: Hundredths): AppError {
  return new AppError(
    'insufficient_points',
    `the customer has ${formatPoints(available)} active points, fewer than the ${formatPoints(asked)} asked for`,
  );
}

function sum(values: Iterable<number>): number {
  let total = 0;
  for (const value of values) total += value;
  return total;
}

export function createLedgerOperations(deps: LedgerDependencies) {
  const { customers, pointTypes, organizations } = deps;

  async function canEarn(tx: Tx, organizationId: string, customer: LedgerCustomer, receiving = false) {
    if (customer.status === 'active') return;
    const organization = await organizations.get(organizationId, tx);
    if (effectiveSettings(organization.settings).inactiveCustomersEarn) return;
    throw new AppError(
      'customer_inactive',
      `the ${receiving ? 'receiving ' : ''}customer is ${customer.status} and cannot receive points`,
    );
  }

  function canSpend(customer: LedgerCustomer) {
    if (customer.status !== 'active') {
      throw new AppError('customer_inactive', `the customer is ${customer.status} and cannot spend points`);
    }
  }

  /**
   * A source seen before: the first answer again if it was the same request, 409 otherwise.
   * `sign` (adjustments only) is the direction asked for: +10 and −10 are different requests.
   */
  async function replay(
    tx: Tx,
    session: Session,
    input: OperationInput,
    kind: EntryRow['kind'],
    sign?: 1 | -1,
  ): Promise<OperationResult | undefined> {
    if (!input.source || input.known?.newSource) return undefined;
    const { key } = session;
    const existing = await findEntryBySource(tx, key.organizationId, input.source, key.pointTypeId, kind);
    if (!existing) return undefined;
    const asked = Math.abs(input.points);
    // A return takes what it can: its entry may hold less than was asked for.
    const sameAmount = kind === 'reverse' ? existing.points <= asked : existing.points === asked;
    const sameDirection = sign === undefined || Math.sign(existing.delta) === sign;
    if (existing.customerId !== key.customerId || !sameAmount || !sameDirection) {
      throw conflict(
        'source_already_used',
        `${input.source.type} ${input.source.id} already moved these points in another way (entry ${existing.id})`,
      );
    }
    return { entry: existing, balance: session.balance, replayed: true };
  }

  async function begin(tx: Tx, input: OperationInput) {
    const now = input.now ?? new Date();
    const pointType = await pointTypes.resolve(input.organizationId, input.pointTypeId, tx);
    const known = input.known?.customer;
    const customer =
      known?.id === input.customerId
        ? known
        : await customers.get(input.organizationId, input.customerId, tx);
    const key: BalanceKey = {
      organizationId: input.organizationId,
      customerId: customer.id,
      pointTypeId: pointType.id,
    };
    return { now, pointType, customer, key };
  }

  async function credit(
    tx: Tx,
    input: CreditInput,
    kind: 'earn' | 'add' | 'adjust',
  ): Promise<OperationResult> {
    const { now, pointType, customer, key } = await begin(tx, input);
    // A credit adds a lot and moves no other: it reads only the lots settling touches.
    const session = await openSession(tx, key, now, 'due');
    const replayed = await replay(tx, session, input, kind, kind === 'adjust' ? 1 : undefined);
    if (replayed) return replayed;
    if (!pointType.active) {
      throw new AppError(
        'point_type_inactive',
        `point type ${pointType.code} is inactive: it credits no points`,
      );
    }
    await canEarn(tx, input.organizationId, customer);
    const organization = input.known?.organization ?? (await organizations.get(input.organizationId, tx));
    const { timeZone } = organization;
    const activeFrom = kind === 'earn' ? activeFromFor(pointType, now, timeZone) : (input.activeFrom ?? now);
    let expiresAt: Date | null;
    if (input.expiresAt !== undefined) {
      expiresAt = input.expiresAt;
      if (expiresAt !== null && expiresAt.getTime() <= Math.max(now.getTime(), activeFrom.getTime())) {
        throw validationFailed('body.expiresAt', 'must be later than now and than activeFrom');
      }
    } else {
      expiresAt = expiresAtFor(pointType, activeFrom, timeZone);
      if (expiresAt !== null && expiresAt.getTime() <= now.getTime()) {
        throw validationFailed(
          'body.activeFrom',
          'is so long ago that the points would already have expired',
        );
      }
    }
    if (kind === 'add') await deps.beforeManualAdd?.(tx, input, { organization, now });
    const entry = await record(tx, session, {
      kind,
      reason: input.reason,
      actor: input.actor,
      source: input.source,
      locationId: input.locationId,
      newLots: [{ amount: input.points, activeFrom, expiresAt }],
    });
    return { entry, balance: session.balance, replayed: false };
  }

  async function debit(
    tx: Tx,
    input: SpendInput,
    kind: 'spend' | 'block' | 'adjust',
  ): Promise<OperationResult> {
    const { now, customer, key } = await begin(tx, input);
    const session = await openSession(tx, key, now);
    const replayed = await replay(tx, session, input, kind, kind === 'adjust' ? -1 : undefined);
    if (replayed) return replayed;
    canSpend(customer);
    if (input.blockEntryId !== undefined) return capture(tx, session, input);
    const lots = spendableLots(session);
    const { allocations, shortfall } = allocateFifo(lots, input.points);
    if (shortfall > 0) throw insufficient(sum(lots.map((lot) => lot.remaining)), input.points);
    const entry = await record(tx, session, {
      kind,
      reason: input.reason,
      actor: input.actor,
      source: input.source,
      locationId: input.locationId,
      movements: allocations.map(({ lotId, points }) => ({
        lotId,
        remainingDelta: -points,
        blockedDelta: kind === 'block' ? points : 0,
      })),
    });
    return { entry, balance: session.balance, replayed: false };
  }

  /** Spends what a block holds: the blocked points leave the same lots they were held in. */
  async function capture(tx: Tx, session: Session, input: SpendInput): Promise<OperationResult> {
    const { organizationId } = session.key;
    const block = await getEntry(tx, organizationId, input.blockEntryId!);
    if (
      block?.kind !== 'block' ||
      block.customerId !== session.key.customerId ||
      block.pointTypeId !== session.key.pointTypeId
    ) {
      throw validationFailed('body.blockEntryId', "is not a block of this customer's points of this type");
    }
    if ((await entriesRelatedTo(tx, organizationId, block.id)).length > 0) {
      throw new AppError('block_settled', 'this block has already been released or spent');
    }
    if (block.points !== input.points) {
      throw validationFailed(
        'body.points',
        `must equal the ${formatPoints(block.points)} points the block holds`,
      );
    }
    const held = await movementsOf(tx, organizationId, block.id);
    const entry = await record(tx, session, {
      kind: 'spend',
      reason: input.reason,
      actor: input.actor,
      source: input.source,
      locationId: input.locationId ?? block.locationId,
      relatedEntryId: block.id,
      movements: held.map((movement) => ({
        lotId: movement.lotId,
        remainingDelta: 0,
        blockedDelta: -movement.blockedDelta,
      })),
    });
    return { entry, balance: session.balance, replayed: false };
  }

  async function cancel(tx: Tx, input: CancelInput): Promise<OperationResult> {
    const now = input.now ?? new Date();
    const { organizationId } = input;
    const original = await getEntry(tx, organizationId, input.entryId);
    if (!original) throw notFound('ledger entry');
    const key: BalanceKey = {
      organizationId,
      customerId: original.customerId,
      pointTypeId: original.pointTypeId,
    };
    const session = await openSession(tx, key, now);
    const undoKind = original.kind === 'block' ? 'unblock' : 'cancel';
    const source = { type: 'entry', id: original.id };
    const existing = await findEntryBySource(tx, organizationId, source, key.pointTypeId, undoKind);
    if (existing) return { entry: existing, balance: session.balance, replayed: true };
    const common: Omit<EntrySpec, 'kind'> = {
      reason: input.reason,
      actor: input.actor,
      source,
      locationId: original.locationId,
      relatedEntryId: original.id,
    };

    let entry: EntryRow;
    if (isCredit(original.kind, original.delta) && original.kind !== 'transfer_in') {
      // Cancelling a credit removes what is left of it; what was spent stays spent.
      const lots = (await lotsOfEntries(tx, organizationId, [original.id])).map(
        (lot) => session.lots.get(lot.id) ?? lot,
      );
      if (lots.some((lot) => lot.blocked > 0)) {
        throw new AppError(
          'points_blocked',
          'part of these points is blocked: cancel or spend the block first',
        );
      }
      entry = await record(tx, session, {
        ...common,
        kind: 'cancel',
        movements: lots
          .filter((lot) => lot.remaining > 0)
          .map((lot) => ({ lotId: lot.id, remainingDelta: -lot.remaining, blockedDelta: 0 })),
      });
    } else if (isSpend(original.kind, original.delta)) {
      // Cancelling a spend gives the points back, each part with the expiry of the lot it came from.
      const taken = await movementsOf(tx, organizationId, original.id);
      const sources = new Map(
        (
          await lotsById(
            tx,
            organizationId,
            taken.map((movement) => movement.lotId),
          )
        ).map((lot) => [lot.id, lot]),
      );
      entry = await record(tx, session, {
        ...common,
        kind: 'cancel',
        newLots: taken
          .map((movement) => ({
            amount: -(movement.remainingDelta + movement.blockedDelta),
            activeFrom: now,
            expiresAt: sources.get(movement.lotId)?.expiresAt ?? null,
          }))
          .filter((lot) => lot.amount > 0),
      });
      // Points whose original expiry has passed come back only to expire at once.
      await settle(tx, session);
    } else if (original.kind === 'block') {
      const settled = await entriesRelatedTo(tx, organizationId, original.id);
      if (settled.length > 0) throw new AppError('block_settled', 'this block has already been spent');
      const held = await movementsOf(tx, organizationId, original.id);
      entry = await record(tx, session, {
        ...common,
        kind: 'unblock',
        movements: held.map((movement) => ({
          lotId: movement.lotId,
          remainingDelta: movement.blockedDelta,
          blockedDelta: -movement.blockedDelta,
        })),
      });
      await settle(tx, session);
    } else {
      throw new AppError('entry_not_cancellable', `a ${original.kind} entry cannot be cancelled`);
    }
    return { entry, balance: session.balance, replayed: false };
  }

  async function transfer(tx: Tx, input: TransferInput): Promise<TransferResult> {
    const { now, pointType, customer: sender, key: senderKey } = await begin(tx, input);
    let receiver: LedgerCustomer;
    try {
      receiver = await customers.lookup(input.organizationId, input.to, tx);
    } catch (error) {
      if (error instanceof AppError && error.status === 404) {
        throw validationFailed('body.to', 'matches no customer of this organization');
      }
      throw error;
    }
    if (receiver.id === sender.id) throw validationFailed('body.to', 'must be another customer');
    const receiverKey: BalanceKey = { ...senderKey, customerId: receiver.id };
    // Both balances locked, always in the same order, so two opposite transfers cannot deadlock.
    const [first, second] = sender.id < receiver.id ? [senderKey, receiverKey] : [receiverKey, senderKey];
    const firstSession = await openSession(tx, first, now);
    const secondSession = await openSession(tx, second, now);
    const [from, to] =
      sender.id < receiver.id ? [firstSession, secondSession] : [secondSession, firstSession];

    const replayed = await replay(tx, from, input, 'transfer_out');
    if (replayed) {
      const counterpart = await getEntry(tx, input.organizationId, replayed.entry.relatedEntryId!);
      return { ...replayed, counterpart: counterpart! };
    }
    canSpend(sender);
    const lots = spendableLots(from);
    const { allocations, shortfall } = allocateFifo(lots, input.points);
    if (shortfall > 0) throw insufficient(sum(lots.map((lot) => lot.remaining)), input.points);
    const outId = newId();
    const inId = newId();
    const entry = await record(tx, from, {
      id: outId,
      kind: 'transfer_out',
      reason: input.reason,
      actor: input.actor,
      source: input.source,
      locationId: input.locationId,
      relatedEntryId: inId,
      counterpartyCustomerId: receiver.id,
      movements: allocations.map(({ lotId, points }) => ({
        lotId,
        remainingDelta: -points,
        blockedDelta: 0,
      })),
    });
    // Checked after the sender's side is written on purpose: whatever fails on the receiver's
    // side rolls the whole transfer back.
    if (!pointType.active) {
      throw new AppError(
        'point_type_inactive',
        `point type ${pointType.code} is inactive: it credits no points`,
      );
    }
    await canEarn(tx, input.organizationId, receiver, true);
    const counterpart = await record(tx, to, {
      id: inId,
      kind: 'transfer_in',
      reason: input.reason,
      actor: input.actor,
      source: input.source,
      locationId: input.locationId,
      relatedEntryId: outId,
      counterpartyCustomerId: sender.id,
      // One lot per lot the points came from, each keeping its expiry.
      newLots: allocations.map(({ lotId, points }) => ({
        amount: points,
        activeFrom: now,
        expiresAt: from.lots.get(lotId)!.expiresAt,
      })),
    });
    return { entry, counterpart, balance: from.balance, replayed: false };
  }

  async function reverse(tx: Tx, input: ReverseInput): Promise<ReverseResult> {
    const { now, key } = await begin(tx, input);
    const session = await openSession(tx, key, now);
    const replayed = await replay(tx, session, input, 'reverse');
    if (replayed) return { ...replayed, shortfall: input.points - replayed.entry.points };
    // First what is left of the ticket's own points, pending or not; then any spendable points.
    const ownEntries = input.original ? await creditEntriesOfSource(tx, key, input.original) : [];
    const ownEntryIds = new Set(ownEntries.map((entry) => entry.id));
    const own = [...session.lots.values()]
      .filter((lot) => ownEntryIds.has(lot.entryId) && lot.remaining > 0)
      .sort(compareForConsumption);
    const others = spendableLots(session).filter((lot) => !ownEntryIds.has(lot.entryId));
    const fromOwn = allocateFifo(own, input.points);
    const fromOthers = allocateFifo(others, fromOwn.shortfall);
    const entry = await record(tx, session, {
      kind: 'reverse',
      reason: input.reason,
      actor: input.actor,
      source: input.source,
      locationId: input.locationId,
      movements: [...fromOwn.allocations, ...fromOthers.allocations].map(({ lotId, points }) => ({
        lotId,
        remainingDelta: -points,
        blockedDelta: 0,
      })),
    });
    return { entry, balance: session.balance, replayed: false, shortfall: fromOthers.shortfall };
  }

  return { credit, debit, cancel, transfer, reverse };
}
