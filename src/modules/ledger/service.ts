import type { Db, Executor, Tx } from '../../db/connection.ts';
import type { PageRequest } from '../../db/pagination.ts';
import { readPart } from '../../db/together.ts';
import { sqlState, transaction, UNIQUE_VIOLATION, violatedConstraint } from '../../db/transaction.ts';
import { isUuid } from '../../domain/customers.ts';
import type { Hundredths } from '../../domain/points.ts';
import { localDate } from '../../domain/zoned-time.ts';
import { notFound, validationFailed } from '../../errors.ts';
import type { PointType } from '../point-types/service.ts';
import { type ManualChange, settleCreditNow } from './manual.ts';
import { type MovementFilter, type MovementPage, movements } from './movements.ts';
import {
  type AdjustInput,
  type CancelInput,
  type CreditInput,
  createLedgerOperations,
  type LedgerDependencies,
  type ReverseInput,
  type SpendInput,
  type TransferInput,
} from './operations.ts';
import { startSession } from './session.ts';
import {
  activeBalancesPart,
  type BalanceKey,
  balancesOf,
  dueBalances,
  type EntryRow,
  getEntry,
  type HistoryFilter,
  history,
  lotsExpiringBetween,
  tryLockBalance,
} from './store.ts';
import { verifyLedger } from './verify.ts';

export type {
  Movement,
  MovementDirection,
  MovementFilter,
  MovementPage,
  MovementSort,
  MovementState,
} from './movements.ts';
export { isMovement, MOVEMENT_DIRECTIONS, MOVEMENT_STATES } from './movements.ts';
export type {
  AdjustInput,
  CancelInput,
  CreditInput,
  CustomerDirectory,
  LedgerCustomer,
  LedgerDependencies,
  ManualAddGuard,
  OperationInput,
  OperationResult,
  OrganizationDirectory,
  ReverseInput,
  ReverseResult,
  SpendInput,
  TransferInput,
  TransferResult,
} from './operations.ts';
export type { Actor, SourceRef } from './session.ts';
export { SYSTEM } from './session.ts';
export type { BalanceRow, EntryRow, HistoryFilter } from './store.ts';

export interface PointTypeBalance {
  pointType: PointType;
  active: Hundredths;
  pending: Hundredths;
  blocked: Hundredths;
  earned: Hundredths;
  spent: Hundredths;
  expired: Hundredths;
  /** Points that will expire in the next 30 days, by the last local day they can be spent. */
  expiring: { date: string; points: Hundredths }[];
}

export interface ProcessResult {
  balances: number;
  lotsActivated: number;
  lotsExpired: number;
  /** Balances another node or request was working on: the next run picks them up. */
  skipped: number;
}

const EXPIRING_WINDOW_DAYS = 30;
const SOURCE_UNIQUE = 'ledger_entries_source_unique';
const LOCATION_FK = 'ledger_entries_location_fk';
const FOREIGN_KEY_VIOLATION = '23503';

/**
 * The points ledger: the one door through which points move. Every operation takes an optional
 * `tx`: other modules (earning on a ticket, a redemption) pass their own transaction so the points
 * move atomically with their change; without one the operation runs in its own transaction.
 */
export function createLedgerService(db: Db, deps: LedgerDependencies) {
  const { customers, pointTypes, organizations } = deps;
  const { credit, debit, cancel, transfer, reverse } = createLedgerOperations(deps);

  async function run<T>(tx: Tx | undefined, work: (tx: Tx) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return tx ? await work(tx) : await transaction(db, work);
      } catch (error) {
        const state = sqlState(error);
        const constraint = violatedConstraint(error);
        // Two first requests with one source raced on two balances: run again, find the winner's entry.
        if (!tx && attempt < 3 && state === UNIQUE_VIOLATION && constraint === SOURCE_UNIQUE) continue;
        if (state === FOREIGN_KEY_VIOLATION && constraint === LOCATION_FK) {
          throw validationFailed('body.locationId', 'is not a location of this organization');
        }
        throw error;
      }
    }
  }

  /** Settles one balance for the scheduler, unless someone else holds it right now. */
  function processBalance(key: BalanceKey, now: Date) {
    return transaction(db, async (tx) => {
      const balance = await tryLockBalance(tx, key);
      if (!balance) return undefined;
      return (await startSession(tx, key, balance, now, 'due')).settled;
    });
  }

  return {
    /** Points earned on a ticket or by a rule: pending for the point type's `pendingDays`. */
    earn: (input: CreditInput, tx?: Tx) => run(tx, (t) => credit(t, input, 'earn')),
    /** Manual credit: active now (or at `activeFrom`), expiring per policy or at `expiresAt`. */
    add: (input: CreditInput, tx?: Tx) => run(tx, (t) => credit(t, input, 'add')),
    /** 422 `insufficient_points` when the active balance is smaller than `points`. */
    spend: (input: SpendInput, tx?: Tx) => run(tx, (t) => debit(t, input, 'spend')),
    /** Holds active points (FIFO) until the block is spent (`spend` with `blockEntryId`) or cancelled. */
    block: (input: SpendInput, tx?: Tx) => run(tx, (t) => debit(t, input, 'block')),
    /** A signed adjustment: an add when positive, a spend when negative. */
    adjust: (input: AdjustInput, tx?: Tx) =>
      run(tx, (t) =>
        input.points >= 0
          ? credit(t, input, 'adjust')
          : debit(t, { ...input, points: -input.points }, 'adjust'),
      ),
    cancel: (input: CancelInput, tx?: Tx) => run(tx, (t) => cancel(t, input)),
    transfer: (input: TransferInput, tx?: Tx) => run(tx, (t) => transfer(t, input)),
    /** A return: takes back up to `points`, the ticket's own points first; never below zero. */
    reverse: (input: ReverseInput, tx?: Tx) => run(tx, (t) => reverse(t, input)),

    /**
     * A pending credit's points become spendable now (409 `not_pending` otherwise), or an active
     * credit's points left expire now (409 `not_active`): Open Loyalty's manual activate / expire.
     */
    settleNow: (input: { organizationId: string; entryId: string; change: ManualChange }, tx?: Tx) => {
      if (!isUuid(input.entryId)) throw notFound('ledger entry');
      return run(tx, (t) =>
        settleCreditNow(t, input.organizationId, input.entryId.toLowerCase(), input.change, new Date()),
      );
    },

    async getEntry(organizationId: string, entryId: string, executor: Executor = db): Promise<EntryRow> {
      const entry = isUuid(entryId) ? await getEntry(executor, organizationId, entryId) : undefined;
      if (!entry) throw notFound('ledger entry');
      return entry;
    },

    async history(
      organizationId: string,
      customerId: string,
      filter: HistoryFilter,
      page: PageRequest,
    ): Promise<EntryRow[]> {
      await customers.get(organizationId, customerId);
      return history(db, organizationId, customerId, filter, page);
    },

    /** Every member's entries, newest first: the organization's whole ledger, a page at a time. */
    entries(organizationId: string, filter: HistoryFilter, page: PageRequest): Promise<EntryRow[]> {
      return history(db, organizationId, undefined, filter, page);
    },

    /**
     * The organization's (or one member's) point movements with their direction and state now,
     * filtered, sorted and paged in SQL, and how many match (see movements.ts).
     */
    async movements(organizationId: string, filter: MovementFilter, page: MovementPage, now = new Date()) {
      if (filter.customerId) await customers.get(organizationId, filter.customerId);
      return movements(db, organizationId, filter, page, now);
    },

    /** Every active point type (and any other the customer holds), with balances and what expires soon. */
    async balances(
      organizationId: string,
      customerId: string,
      now = new Date(),
    ): Promise<PointTypeBalance[]> {
      await customers.get(organizationId, customerId);
      const [types, rows, organization] = await Promise.all([
        pointTypes.all(organizationId),
        balancesOf(db, organizationId, customerId),
        organizations.get(organizationId),
      ]);
      const horizon = new Date(now.getTime() + EXPIRING_WINDOW_DAYS * 86_400_000);
      const expiring = await lotsExpiringBetween(db, organizationId, customerId, now, horizon);
      const byType = new Map(rows.map((row) => [row.pointTypeId, row]));
      return types
        .filter((type) => type.active || byType.has(type.id))
        .map((pointType) => {
          const row = byType.get(pointType.id);
          const days = new Map<string, number>();
          for (const lot of expiring) {
            if (lot.pointTypeId !== pointType.id || lot.expiresAt === null) continue;
            // The last local day on which the points can still be spent.
            const date = localDate(new Date(lot.expiresAt.getTime() - 1), organization.timeZone);
            days.set(date, (days.get(date) ?? 0) + lot.remaining);
          }
          return {
            pointType,
            active: row?.active ?? 0,
            pending: row?.pending ?? 0,
            blocked: row?.blocked ?? 0,
            earned: row?.earned ?? 0,
            spent: row?.spent ?? 0,
            expired: row?.expired ?? 0,
            expiring: [...days.entries()]
              .sort(([a], [b]) => (a < b ? -1 : 1))
              .map(([date, points]) => ({ date, points })),
          };
        });
    },

    /**
     * Active points per point type as stored: one indexed read, for screens that ask "can the
     * member afford it" (the cashier's reward list). Operations re-check under the balance lock.
     */
    activeBalances(
      organizationId: string,
      customerId: string,
      executor: Executor = db,
    ): Promise<Map<string, Hundredths>> {
      return readPart(executor, activeBalancesPart(organizationId, customerId));
    },

    activeBalancesPart,

    /** Recomputes lots and balances from the entries; see verify.ts. */
    verify: (options: { organizationId?: string | undefined } = {}) => verifyLedger(db, options),

    /**
     * Activates and expires every lot that is due at `now`, balance by balance (each in its own
     * transaction, under the balance's row lock). Safe on several nodes at once: a balance another
     * node is settling is skipped (`SKIP LOCKED`), and settling twice finds nothing the second time.
     */
    async processDue(options: { now?: Date; organizationId?: string; batchSize?: number } = {}) {
      const now = options.now ?? new Date();
      const batchSize = options.batchSize ?? 500;
      const result: ProcessResult = { balances: 0, lotsActivated: 0, lotsExpired: 0, skipped: 0 };
      const seen = new Set<string>();
      for (;;) {
        const keys = await dueBalances(db, now, batchSize, options.organizationId);
        const fresh = keys.filter(
          (key) => !seen.has(`${key.organizationId}/${key.customerId}/${key.pointTypeId}`),
        );
        if (fresh.length === 0) break;
        for (const key of fresh) {
          seen.add(`${key.organizationId}/${key.customerId}/${key.pointTypeId}`);
          const settled = await processBalance(key, now);
          if (!settled) {
            result.skipped++;
            continue;
          }
          result.balances++;
          result.lotsActivated += settled.lotsActivated;
          result.lotsExpired += settled.lotsExpired;
        }
        if (keys.length < batchSize) break;
      }
      return result;
    },
  };
}

export type LedgerService = ReturnType<typeof createLedgerService>;
