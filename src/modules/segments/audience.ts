import type { Db, Executor, Tx } from '../../db/connection.ts';
import { combined, readPart } from '../../db/together.ts';
import { transaction } from '../../db/transaction.ts';
import { localToday } from '../../domain/segments/calendar.ts';
import { needsOf } from '../../domain/segments/criteria.ts';
import { AppError } from '../../errors.ts';
import type { CustomersService } from '../customers/service.ts';
import type { TriggerService } from '../earning-rules/trigger-service.ts';
import type { LedgerService } from '../ledger/service.ts';
import type { Organization } from '../organizations/service.ts';
import type { ManualInput, TiersService } from '../tiers/service.ts';
import type { SegmentsService } from './service.ts';
import * as store from './store.ts';

/**
 * The audience of a member — their tier and their segments — kept current across modules:
 *  - in the same database transaction as a ticket, a return or a cancellation (`afterPurchase`,
 *    registered with the transactions service): tier first, then segments, which may read it;
 *  - right after a profile or points change commits (`watchCustomers`, `watchLedger` wrap those
 *    services): a few milliseconds later, in a transaction of its own;
 *  - by manual tier assignment, by tier or segment changes (recomputes), and once per local day
 *    per organization (time-based criteria, rolling windows, downgrade grace periods).
 */

export interface AudienceDependencies {
  tiers: TiersService;
  segments: SegmentsService;
  customers: Pick<CustomersService, 'get'>;
  organizations: { list(page: { limit: number; afterId: string | undefined }): Promise<Organization[]> };
  /** Where a refresh that runs after a committed change reports failure (the daily run heals it). */
  onError?: ((error: unknown) => void) | undefined;
}

export function createAudience(db: Db, deps: AudienceDependencies) {
  const { tiers, segments } = deps;

  async function memberExists(tx: Tx, organizationId: string, customerId: string): Promise<boolean> {
    try {
      await deps.customers.get(organizationId, customerId, tx);
      return true;
    } catch (error) {
      if (error instanceof AppError && error.status === 404) return false;
      throw error;
    }
  }

  /** One member, inside the caller's transaction: tier, then segments (which may read the tier). */
  async function refreshIn(tx: Tx, organizationId: string, customerId: string, now: Date, known = false) {
    if (known || (await memberExists(tx, organizationId, customerId))) {
      await tiers.reevaluate(tx, organizationId, customerId, now);
    } else {
      await tiers.forget(tx, organizationId, customerId);
    }
    await segments.refreshMember(tx, organizationId, customerId, now);
  }

  function refreshMember(organizationId: string, customerId: string, now = new Date()) {
    return transaction(db, (tx) => refreshIn(tx, organizationId, customerId, now));
  }

  /**
   * Whether moving points can move a member: a points tier basis, or an active segment on the
   * points balance (a tier_in segment follows the tier). Read from the configuration cache, so a
   * program on money bases pays nothing after a spend.
   */
  async function pointsMatter(organizationId: string): Promise<boolean> {
    if ((await tiers.programOf(db, organizationId)).unit === 'points') return true;
    return (await segments.activeSegments(db, organizationId)).some(
      (segment) => needsOf(segment.parts).points,
    );
  }

  /** The member's tier, multiplier and segments, as a part of a read several modules answer together. */
  async function describePart(executor: Executor, organizationId: string, customerId: string) {
    return combined(
      {
        tier: await tiers.describePart(executor, organizationId, customerId, new Date()),
        segmentIds: await segments.segmentIdsPart(executor, organizationId, customerId),
      },
      ({ tier, segmentIds }) => ({ ...tier, segmentIds }),
    );
  }

  /** After a change that already committed: a failure here must not turn a success into an error. */
  async function refreshAfterCommit(organizationId: string, customerIds: Iterable<string>) {
    for (const customerId of new Set(customerIds)) {
      try {
        await refreshMember(organizationId, customerId);
      } catch (error) {
        if (!deps.onError) throw error;
        deps.onError(error);
      }
    }
  }

  /** Tiers of every member, then the segments that read tiers if anyone moved. */
  async function recomputeTiers(organizationId: string, now = new Date()) {
    const result = await tiers.recompute(organizationId, { now });
    if (result.changed > 0) {
      await segments.recomputeAll(organizationId, { now, which: (s) => s.active && needsOf(s.parts).tier });
    }
    return result;
  }

  /** The daily run of one organization: every tier, then every segment. */
  async function daily(organizationId: string, now = new Date()) {
    const tierResult = await tiers.recompute(organizationId, { now });
    const segmentResults = await segments.recomputeAll(organizationId, { now });
    return { tiers: tierResult, segments: segmentResults };
  }

  return {
    refreshMember,
    refreshAfterCommit,
    recomputeTiers,
    daily,

    /** The transactions service's AudienceProvider: the member's tier, multiplier and segments. */
    async describe(executor: Executor, organizationId: string, customerId: string) {
      return readPart(executor, await describePart(executor, organizationId, customerId));
    },

    describePart,

    /** Registered with the transactions service: runs in the ticket's own transaction (the member exists). */
    afterPurchase(tx: Tx, organizationId: string, customerId: string) {
      return refreshIn(tx, organizationId, customerId, new Date(), true);
    },

    async assignTier(organizationId: string, customerId: string, input: ManualInput, now = new Date()) {
      await transaction(db, async (tx) => {
        await tiers.assign(tx, organizationId, customerId, input, now);
        await segments.refreshMember(tx, organizationId, customerId, now);
      });
      return tiers.memberTier(organizationId, customerId, now);
    },

    async unassignTier(organizationId: string, customerId: string, now = new Date()) {
      await transaction(db, async (tx) => {
        await tiers.unassign(tx, organizationId, customerId, now);
        await segments.refreshMember(tx, organizationId, customerId, now);
      });
      return tiers.memberTier(organizationId, customerId, now);
    },

    /**
     * What the scheduler does on every tick: ends the manual assignments that expired, then runs
     * the daily refresh of each organization whose local day turned since its last one.
     */
    async runScheduled(now = new Date()) {
      let expired = 0;
      const seen = new Set<string>();
      for (;;) {
        const due = (await tiers.dueManualExpiries(now)).filter(
          (row) => !seen.has(`${row.organizationId}/${row.customerId}`),
        );
        if (due.length === 0) break;
        for (const row of due) {
          seen.add(`${row.organizationId}/${row.customerId}`);
          await refreshMember(row.organizationId, row.customerId, now);
          expired++;
        }
      }
      let refreshed = 0;
      let afterId: string | undefined;
      for (;;) {
        const page = await deps.organizations.list({ limit: 100, afterId });
        for (const organization of page.slice(0, 100)) {
          const today = localToday(now, organization.timeZone);
          if (await store.claimDailyRefresh(db, organization.id, today, now)) {
            await daily(organization.id, now);
            refreshed++;
          }
        }
        if (page.length <= 100) break;
        afterId = page[99]!.id;
      }
      return { expired, refreshed };
    },

    /** The customers service, refreshing the member's audience after each change of their record. */
    watchCustomers<T extends CustomersService>(customers: T): T {
      const after = async <R extends { id: string }>(organizationId: string, work: Promise<R>) => {
        const customer = await work;
        await refreshAfterCommit(organizationId, [customer.id]);
        return customer;
      };
      return {
        ...customers,
        create: (organizationId, input) => after(organizationId, customers.create(organizationId, input)),
        update: (organizationId, id, patch) =>
          after(organizationId, customers.update(organizationId, id, patch)),
        activate: (organizationId, id) => after(organizationId, customers.activate(organizationId, id)),
        deactivate: (organizationId, id) => after(organizationId, customers.deactivate(organizationId, id)),
        block: (organizationId, id) => after(organizationId, customers.block(organizationId, id)),
        anonymize: (organizationId, id) => after(organizationId, customers.anonymize(organizationId, id)),
        async remove(organizationId, id) {
          await customers.remove(organizationId, id);
          await refreshAfterCommit(organizationId, [id.toLowerCase()]);
        },
      } satisfies CustomersService;
    },

    /** Points from triggers (custom events, QR codes…): refresh whoever earned, once committed. */
    watchTriggers(triggers: TriggerService): TriggerService {
      return {
        ...triggers,
        async award(input, tx) {
          const evaluation = await triggers.award(input, tx);
          if (!tx && evaluation.entries.length > 0) {
            await refreshAfterCommit(input.organizationId, [input.customerId]);
          }
          return evaluation;
        },
      };
    },

    /**
     * The ledger, refreshing the audience of whoever's points moved. Operations that run in a
     * caller's transaction (a ticket's earning) are left to that caller's `afterPurchase`.
     */
    watchLedger(ledger: LedgerService): LedgerService {
      type Moved = { entry: { customerId: string }; counterpart?: { customerId: string } };
      const wrap =
        <I extends { organizationId: string }, R extends Moved>(
          operation: (input: I, tx?: Tx) => Promise<R>,
        ) =>
        async (input: I, tx?: Tx): Promise<R> => {
          const result = await operation(input, tx);
          if (!tx && (await pointsMatter(input.organizationId))) {
            const moved = [result.entry.customerId];
            if (result.counterpart) moved.push(result.counterpart.customerId);
            await refreshAfterCommit(input.organizationId, moved);
          }
          return result;
        };
      return {
        ...ledger,
        earn: wrap(ledger.earn),
        add: wrap(ledger.add),
        spend: wrap(ledger.spend),
        block: wrap(ledger.block),
        adjust: wrap(ledger.adjust),
        cancel: wrap(ledger.cancel),
        transfer: wrap(ledger.transfer),
        reverse: wrap(ledger.reverse),
      };
    },
  };
}

export type Audience = ReturnType<typeof createAudience>;
