import { and, asc, eq, gte, inArray, lt, type SQL, sql } from 'drizzle-orm';
import { type Db, type Executor, type Tx, tableRows } from '../../db/connection.ts';
import { newId } from '../../db/ids.ts';
import { afterCursor, fetchSize, type PageRequest } from '../../db/pagination.ts';
import { requireOwnId } from '../../db/references.ts';
import { answered, type PartRead, readTogether, withWrites } from '../../db/together.ts';
import { sqlState, transaction, UNIQUE_VIOLATION } from '../../db/transaction.ts';
import { isUuid } from '../../domain/customers.ts';
import { type GivenDiscount, withDiscountsRestored } from '../../domain/discounts.ts';
import { evaluateTicket } from '../../domain/earning/evaluate.ts';
import { readsMemberHistory } from '../../domain/earning/limits.ts';
import { pointsToReverse } from '../../domain/earning/returns.ts';
import type { BreakdownEntry, EarningRule, Evaluation, MemberContext } from '../../domain/earning/types.ts';
import { isCurrency } from '../../domain/locale.ts';
import { AppError, notFound, nullIfNotFound, validationFailed } from '../../errors.ts';
import type { CustomersService } from '../customers/service.ts';
import { type AudienceProvider, type EarningRulesService, NO_AUDIENCE } from '../earning-rules/service.ts';
import { emit } from '../events/service.ts';
import { type Actor, type LedgerService, SYSTEM } from '../ledger/service.ts';
import type { LocationsService } from '../locations/service.ts';
import type { Organization, OrganizationsService } from '../organizations/service.ts';
import { type EffectiveSettings, effectiveSettings } from '../organizations/settings.ts';
import type { RedeemInput } from '../rewards/redemptions.ts';
import type { CustomerIdentification, TransactionInput } from './contract.ts';
import { isKeptPurchase, linesBoughtWrite, purchasesPart, statsWrite } from './purchases.ts';
import { customerStats, transactions } from './schema.ts';
import { contentHash, toContent, toTicket } from './ticket.ts';

export type TransactionRow = typeof transactions.$inferSelect;
type Label = { key: string; value: string };
/** As many labels as a ticket may arrive with (contract.ts). */
const MAX_LABELS = 50;
type Customer = Awaited<ReturnType<CustomersService['get']>>;

export interface TransactionsDependencies {
  customers: CustomersService;
  ledger: LedgerService;
  earningRules: EarningRulesService;
  organizations: OrganizationsService;
  locations: LocationsService;
  audience?: AudienceProvider;
  /**
   * Called in the ticket's own database transaction whenever a member's purchases changed (a sale
   * earned, a return, a cancellation): tiers and segments re-evaluate the member there.
   */
  afterPurchase?: Array<(tx: Tx, organizationId: string, customerId: string) => Promise<void>>;
  redemptions?: RedemptionHook;
}

/** Rewards redeemed at the till for an order; the rewards module provides it. */
export interface RedemptionHook {
  /**
   * In the ticket's transaction, whenever a sale arrives or changes status: links it to the
   * redemption of its order (same document number), commits or releases that redemption, and
   * returns the discounts it gave (empty unless committed).
   */
  syncTicket(
    tx: Tx,
    ticket: Pick<TransactionRow, 'organizationId' | 'id' | 'documentNumber' | 'status'>,
    known?: { order: unknown },
  ): Promise<GivenDiscount[]>;
  /** The order's redemption, locked, as a part of the member's read (then handed to syncTicket as known). */
  orderPart(organizationId: string, documentNumber: string): PartRead<unknown>;
  /** Commits rewards on the order in the ticket's transaction (one redemption per order). */
  redeemIn(tx: Tx, organizationId: string, redemption: TicketRedemption & { actor: Actor }): Promise<unknown>;
  /** Releases reservations whose time is up: before redeemIn, outside the ticket's transaction. */
  sweep(organizationId: string, now: Date): Promise<number>;
}

/** Rewards the member takes at the till on the ticket's own order. */
export type TicketRedemption = Pick<RedeemInput, 'customerId' | 'order' | 'rewards'>;

/** The organization, its settings and its active rules, as one ticket sees them. */
interface SaleContext {
  timeZone: string;
  member: MemberContext | null;
  /** The order's redemption, when the read asked for it: for syncTicket. */
  order?: { order: unknown };
}

interface Program {
  organization: Organization;
  settings: EffectiveSettings;
  rules: EarningRule[];
}

export interface IngestResult {
  transaction: TransactionRow;
  /** False when this exact ticket had been received before: nothing changed, the first result is returned. */
  created: boolean;
}

export interface IngestOptions {
  /** Refuse (422 `customer_inactive`, nothing written) a ticket whose member is inactive or blocked. */
  rejectInactiveMember?: boolean;
  /**
   * Rewards to charge on this order in the ticket's own transaction: the ticket is recorded with
   * them charged, or neither is (a POS that sends the order and its promotions in one request).
   * A ticket received before is answered as before and charges nothing.
   */
  redeem?: TicketRedemption | undefined;
}

export interface TransactionFilter {
  customerId?: string | undefined;
  locationId?: string | undefined;
  documentNumber?: string | undefined;
  type?: 'sale' | 'return' | undefined;
  status?: 'pending' | 'completed' | 'cancelled' | undefined;
  from?: string | undefined;
  to?: string | undefined;
}

type NewTicket = typeof transactions.$inferInsert & Pick<TransactionRow, 'locationId' | 'customerId'>;

/** A new ticket's document number was taken meanwhile: the attempt is rolled back and made again. */
class DocumentTaken extends Error {}

const IDENTIFIER_ORDER = ['customerId', 'loyaltyCardNumber', 'phone', 'email', 'externalId'] as const;

function memberPoints(entries: BreakdownEntry[]): number {
  return entries.filter((e) => e.beneficiary === 'member').reduce((sum, e) => sum + e.points, 0);
}

/** The ticket, locked until the transaction ends: edits after the fact read and write it in turn. */
async function lockTransaction(tx: Tx, organizationId: string, id: string): Promise<TransactionRow> {
  const [row] = await tx
    .select()
    .from(transactions)
    .where(and(eq(transactions.organizationId, organizationId), eq(transactions.id, id)))
    .for('update');
  if (!row) throw notFound('transaction');
  return row;
}

/**
 * Tickets in, points out. Every ticket is stored; a matched member earns in the same database
 * transaction, through the ledger, with the ticket as the source (so the same ticket never earns twice).
 */
export function createTransactionsService(db: Db, deps: TransactionsDependencies) {
  const { customers, ledger, earningRules, organizations, locations } = deps;

  function redemptionHook(): RedemptionHook {
    if (!deps.redemptions)
      throw new Error('rewards cannot be redeemed on a ticket without the rewards module');
    return deps.redemptions;
  }

  async function purchasesChanged(tx: Tx, organizationId: string, customerIds: Iterable<string>) {
    for (const customerId of new Set(customerIds)) {
      for (const hook of deps.afterPurchase ?? []) await hook(tx, organizationId, customerId);
    }
  }

  /** The member a ticket names; `forUpdate` row-locks them until the transaction ends. */
  async function findCustomer(
    tx: Executor,
    organizationId: string,
    identification: CustomerIdentification | undefined,
    options: { forUpdate?: boolean } = {},
  ) {
    if (!identification) return null;
    for (const field of IDENTIFIER_ORDER) {
      const value = identification[field];
      if (!value) continue;
      try {
        return field === 'customerId'
          ? await customers.get(organizationId, value, tx, options)
          : await customers.lookup(organizationId, value, tx, options);
      } catch (error) {
        if (!(error instanceof AppError && error.status === 404)) throw error;
      }
    }
    return null;
  }

  async function timeZoneOf(
    tx: Executor,
    organizationId: string,
    locationId: string | null | undefined,
    fallback: string,
  ) {
    if (!locationId) return fallback;
    const location = await locations.get(organizationId, locationId, tx);
    return location.timeZone ?? fallback;
  }

  /**
   * Where and for whom a sale is evaluated: the local time zone and what is known of the member —
   * four modules' reads in one round trip, with the order's redemption too when `order` is asked.
   */
  async function saleContext(
    tx: Executor,
    program: Program,
    row: Pick<TransactionRow, 'content'>,
    customer: Customer | null,
    order?: { documentNumber: string },
  ): Promise<SaleContext> {
    const { organization, rules } = program;
    const organizationId = organization.id;
    const at = new Date(row.content.purchasedAt);
    const timeZone = await timeZoneOf(tx, organizationId, row.content.locationId, organization.timeZone);
    if (!customer) return { timeZone, member: null };
    const orderPart = order && deps.redemptions?.orderPart(organizationId, order.documentNumber);
    const read = await readTogether(tx, {
      purchasesBefore: purchasesPart(organizationId, customer.id),
      audience: deps.audience
        ? await deps.audience.describePart(tx, organizationId, customer.id)
        : NO_AUDIENCE,
      ruleUsage: earningRules.usagePart(organizationId, customer.id, rules, at, timeZone),
      order: orderPart ?? answered(undefined),
    });
    return {
      timeZone,
      member: {
        customerId: customer.id,
        ...read.audience,
        purchasesBefore: read.purchasesBefore,
        referredBy: (customer as { referredBy?: string | null }).referredBy ?? null,
        ruleUsage: read.ruleUsage,
      },
      ...(orderPart ? { order: { order: read.order } } : {}),
    };
  }

  /** What the program is right now: read once per ticket and handed down. */
  async function programOf(
    executor: Executor,
    organizationId: string,
    organization?: Organization,
  ): Promise<Program> {
    const current = organization ?? (await organizations.get(organizationId, executor));
    return {
      organization: current,
      settings: effectiveSettings(current.settings),
      rules: await earningRules.activeRules(organizationId, executor),
    };
  }

  /** What the ticket earns in context (for nobody in particular when the member is null). */
  function evaluateIn(
    program: Program,
    row: Pick<TransactionRow, 'content'>,
    context: SaleContext,
    rewardDiscounts: GivenDiscount[],
  ): Evaluation {
    const { settings, rules } = program;
    // What rewards took off the order earns too when the program says so.
    const paid = toTicket(row.content);
    const ticket = settings.rewardDiscountsEarn ? withDiscountsRestored(paid, rewardDiscounts) : paid;
    return evaluateTicket(ticket, context.member, rules, {
      timeZone: context.timeZone,
      rounding: settings.pointsRounding,
      precision: settings.pointsPrecision,
      semantics: settings.earningSemantics,
    });
  }

  async function evaluate(
    tx: Executor,
    program: Program,
    row: Pick<TransactionRow, 'content'>,
    customer: Customer | null,
    rewardDiscounts: GivenDiscount[] = [],
  ): Promise<Evaluation> {
    return evaluateIn(program, row, await saleContext(tx, program, row, customer), rewardDiscounts);
  }

  async function updateStats(
    tx: Tx,
    organizationId: string,
    customerId: string,
    delta: { count: number; spent: number; at: Date | null },
  ) {
    await tx.execute(statsWrite(organizationId, customerId, delta));
  }

  /**
   * What a completed sale with a member writes beside its row: the rules' awards, the member's
   * purchase statistics and lines bought (sent with the row's own insert or update: see withWrites).
   */
  function saleWrites(
    row: Pick<TransactionRow, 'organizationId' | 'id' | 'status' | 'total' | 'purchasedAt' | 'content'> & {
      returnedAmount?: number;
    },
    customer: Customer,
    evaluation: Evaluation,
  ): SQL[] {
    const awards = earningRules.awardsWrite(
      row.organizationId,
      customer.id,
      { type: 'transaction', id: row.id },
      evaluation.entries,
      row.purchasedAt,
    );
    const stats = statsWrite(row.organizationId, customer.id, {
      count: 1,
      spent: row.total,
      at: row.purchasedAt,
    });
    // A sale returned in full before it found its member (then assigned) buys nothing.
    const lines = isKeptPurchase(row)
      ? [linesBoughtWrite(row.organizationId, customer.id, row.content.lines, 1)]
      : [];
    return [...(awards ? [awards] : []), stats, ...lines];
  }

  /** What a completed sale earns its member, before anything is credited (nothing for a member who may not earn). */
  async function evaluateSale(
    tx: Tx,
    program: Program,
    row: Pick<TransactionRow, 'content'>,
    customer: Customer,
    discounts: GivenDiscount[],
  ): Promise<Evaluation> {
    // Inactive and blocked members earn only if the program says so; their tickets count all the same.
    if (!mayEarn(program, customer.status)) return { entries: [], total: 0 };
    // When what it earns depends on the member's history, that is read under their lock.
    if (readsMemberHistory(program.rules))
      await customers.get(customer.organizationId, customer.id, tx, { forUpdate: true });
    return evaluate(tx, program, row, customer, discounts);
  }

  function mayEarn(program: Program, status: string) {
    return status === 'active' || program.settings.inactiveCustomersEarn;
  }

  /**
   * Credits what a sale earned through the ledger (the member, and a referrer the rules reward)
   * and refreshes their tiers and segments. The sale's row and its saleWrites come first.
   */
  async function creditSale(
    tx: Tx,
    row: Pick<
      TransactionRow,
      'organizationId' | 'id' | 'documentNumber' | 'locationId' | 'total' | 'purchasedAt'
    >,
    customer: Customer,
    evaluation: Evaluation,
    program: Program,
    actor: Actor,
    newTicket: boolean,
  ): Promise<void> {
    const pointTypeOf = (ruleId: string) =>
      program.rules.find((rule) => rule.id === ruleId)?.pointTypeId ?? undefined;
    const credits = new Map<
      string,
      { customerId: string; pointTypeId: string | undefined; points: number; beneficiary: string }
    >();
    for (const entry of evaluation.entries) {
      const customerId =
        entry.beneficiary === 'member'
          ? customer.id
          : (customer as { referredBy?: string | null }).referredBy;
      if (!customerId) continue;
      const pointTypeId = pointTypeOf(entry.ruleId);
      const key = `${entry.beneficiary}:${pointTypeId ?? 'default'}`;
      const credit = credits.get(key) ?? {
        customerId,
        pointTypeId,
        points: 0,
        beneficiary: entry.beneficiary,
      };
      credit.points += entry.points;
      credits.set(key, credit);
    }
    for (const credit of credits.values()) {
      if (credit.points <= 0) continue;
      if (credit.beneficiary === 'referrer') {
        const referrer = await customers.get(row.organizationId, credit.customerId, tx);
        if (!mayEarn(program, referrer.status)) continue;
      }
      await ledger.earn(
        {
          organizationId: row.organizationId,
          customerId: credit.customerId,
          pointTypeId: credit.pointTypeId,
          points: credit.points,
          reason:
            credit.beneficiary === 'member'
              ? `ticket ${row.documentNumber}`
              : `referral: ticket ${row.documentNumber}`,
          actor,
          source: { type: credit.beneficiary === 'member' ? 'transaction' : 'referral', id: row.id },
          locationId: row.locationId,
          known: { customer, organization: program.organization, newSource: newTicket },
        },
        tx,
      );
    }
    // The member, and a referrer who was credited too.
    await purchasesChanged(tx, row.organizationId, [
      customer.id,
      ...[...credits.values()].map((credit) => credit.customerId),
    ]);
  }

  /** A stored sale completes with a member (a status change, an assignment): it earns now. */
  async function earn(
    tx: Tx,
    row: TransactionRow,
    customer: Customer,
    actor: Actor,
    rewardDiscounts?: GivenDiscount[],
  ): Promise<TransactionRow> {
    const discounts = rewardDiscounts ?? (await deps.redemptions?.syncTicket(tx, row)) ?? [];
    const program = await programOf(tx, row.organizationId);
    const evaluation = await evaluateSale(tx, program, row, customer, discounts);
    const [updated] = await tableRows(
      tx,
      transactions,
      withWrites(
        saleWrites(row, customer, evaluation),
        sql`update ${transactions}
            set points_earned = ${evaluation.total}, breakdown = ${JSON.stringify(evaluation.entries)}::jsonb,
              updated_at = ${new Date()}
            where organization_id = ${row.organizationId} and id = ${row.id}
            returning *`,
      ),
    );
    await creditSale(tx, row, customer, evaluation, program, actor, false);
    return updated!;
  }

  /** Takes back points of a sale (a return, or a cancellation) and records how much could not be taken. */
  async function takeBack(
    tx: Tx,
    sale: TransactionRow,
    points: number,
    source: { type: string; id: string },
    actor: Actor,
  ) {
    if (points <= 0 || !sale.customerId) return { reversed: 0, shortfall: 0 };
    const result = await ledger.reverse(
      {
        organizationId: sale.organizationId,
        customerId: sale.customerId,
        points,
        reason: `return of ticket ${sale.documentNumber}`,
        actor,
        source,
        original: { type: 'transaction', id: sale.id },
        locationId: sale.locationId,
      },
      tx,
    );
    return { reversed: points - result.shortfall, shortfall: result.shortfall };
  }

  /** Every ticket asks first (written by hand, as the other per-ticket reads: see tableRows). */
  async function lockDocument(tx: Tx, organizationId: string, source: string, documentNumber: string) {
    const [row] = await tableRows(
      tx,
      transactions,
      sql`select * from ${transactions}
          where organization_id = ${organizationId} and source = ${source} and document_number = ${documentNumber}
          for update`,
    );
    return row;
  }

  async function changeStatus(
    tx: Tx,
    row: TransactionRow,
    status: TransactionRow['status'],
    actor: Actor,
  ): Promise<TransactionRow> {
    if (row.status === 'cancelled' || (row.status === 'completed' && status === 'pending')) {
      throw new AppError('invalid_status_change', `a ${row.status} ticket cannot become ${status}`);
    }
    let [current] = await tx
      .update(transactions)
      .set({ status, content: { ...row.content, status }, updatedAt: new Date() })
      .where(and(eq(transactions.organizationId, row.organizationId), eq(transactions.id, row.id)))
      .returning();
    const rewardDiscounts =
      row.type === 'sale' ? await deps.redemptions?.syncTicket(tx, current!) : undefined;
    if (status === 'completed' && row.type === 'sale' && row.customerId) {
      const customer = await customers.get(row.organizationId, row.customerId, tx);
      current = await earn(tx, current!, customer, actor, rewardDiscounts);
    }
    if (status === 'cancelled' && row.status === 'completed' && row.type === 'sale' && row.customerId) {
      const outstanding = row.pointsEarned - row.pointsReversed;
      const { reversed } = await takeBack(
        tx,
        row,
        outstanding,
        { type: 'transaction_cancellation', id: row.id },
        actor,
      );
      await earningRules.removeAwards(tx, row.organizationId, { type: 'transaction', id: row.id });
      await updateStats(tx, row.organizationId, row.customerId, {
        count: -1,
        spent: -(row.total - row.returnedAmount),
        at: null,
      });
      if (isKeptPurchase(row)) {
        await tx.execute(linesBoughtWrite(row.organizationId, row.customerId, row.content.lines, -1));
      }
      await purchasesChanged(tx, row.organizationId, [row.customerId]);
      [current] = await tx
        .update(transactions)
        .set({ pointsReversed: row.pointsReversed + reversed })
        .where(and(eq(transactions.organizationId, row.organizationId), eq(transactions.id, row.id)))
        .returning();
    }
    await emit(tx, {
      organizationId: row.organizationId,
      type: 'transaction.status_changed',
      subject: { type: 'transaction', id: row.id },
      payload: { transactionId: row.id, from: row.status, to: status, customerId: row.customerId },
    });
    return current!;
  }

  async function applyReturn(
    tx: Tx,
    row: TransactionRow,
    actor: Actor,
    organization: Organization,
  ): Promise<TransactionRow> {
    const revised = row.content.revisedDocumentNumber;
    if (!revised) throw validationFailed('body.revisedDocumentNumber', 'is required for a return');
    const sale = await lockDocument(tx, row.organizationId, row.source, revised);
    if (sale?.type !== 'sale')
      throw validationFailed('body.revisedDocumentNumber', `no sale ${revised} from source ${row.source}`);
    if (sale.returnedAmount + row.total > sale.total) {
      throw new AppError(
        'return_exceeds_sale',
        `returning ${row.total} would exceed what is left of sale ${revised}`,
        {
          errors: [
            {
              path: 'body.totals.total',
              message: `at most ${sale.total - sale.returnedAmount} can still be returned`,
            },
          ],
        },
      );
    }
    const toReverse = pointsToReverse({
      earned: sale.pointsEarned,
      alreadyReversed: sale.pointsReversed,
      sold: sale.total,
      returnedBefore: sale.returnedAmount,
      returnedNow: row.total,
      precision: effectiveSettings(organization.settings).pointsPrecision,
    });
    const { reversed, shortfall } = await takeBack(
      tx,
      sale,
      toReverse,
      { type: 'transaction', id: row.id },
      actor,
    );
    const returnedNow = sale.returnedAmount + row.total;
    await tx
      .update(transactions)
      .set({
        returnedAmount: returnedNow,
        pointsReversed: sale.pointsReversed + reversed,
        updatedAt: new Date(),
      })
      .where(and(eq(transactions.organizationId, sale.organizationId), eq(transactions.id, sale.id)));
    if (sale.customerId) {
      await updateStats(tx, sale.organizationId, sale.customerId, { count: 0, spent: -row.total, at: null });
      if (isKeptPurchase(sale) && !isKeptPurchase({ ...sale, returnedAmount: returnedNow })) {
        await tx.execute(linesBoughtWrite(sale.organizationId, sale.customerId, sale.content.lines, -1));
      }
      await purchasesChanged(tx, sale.organizationId, [sale.customerId]);
    }
    const [updated] = await tx
      .update(transactions)
      .set({
        originalTransactionId: sale.id,
        customerId: sale.customerId,
        pointsReversed: reversed,
        reversalShortfall: shortfall,
      })
      .where(and(eq(transactions.organizationId, row.organizationId), eq(transactions.id, row.id)))
      .returning();
    await emit(tx, {
      organizationId: row.organizationId,
      type: 'transaction.returned',
      subject: { type: 'transaction', id: sale.id },
      payload: {
        transactionId: sale.id,
        returnId: row.id,
        amount: row.total,
        pointsReversed: reversed,
        shortfall,
        customerId: sale.customerId,
      },
    });
    return updated!;
  }

  async function checkReferences(tx: Executor, organizationId: string, input: TransactionInput) {
    if (input.currency && !isCurrency(input.currency))
      throw validationFailed('body.currency', 'must be an ISO 4217 currency code');
    if (input.locationId) {
      const location = await nullIfNotFound(locations.get(organizationId, input.locationId, tx));
      if (!location) throw validationFailed('body.locationId', 'is not a location of this organization');
      if (input.brandId && !location.brands.some((brand) => brand.id === input.brandId)) {
        throw validationFailed('body.brandId', 'is not a brand of this location');
      }
    } else {
      await requireOwnId(
        locations.ownBrandIds,
        organizationId,
        input.brandId,
        { path: 'body.brandId', noun: 'a brand' },
        tx,
      );
    }
  }

  /** A ticket received before: the same answer again, or its status change; other content is refused. */
  async function receivedAgain(
    tx: Tx,
    existing: TransactionRow,
    input: TransactionInput,
    hash: string,
    actor: Actor,
  ): Promise<IngestResult> {
    if (existing.contentHash !== hash) {
      throw new AppError(
        'document_conflict',
        `document ${input.documentNumber} was already received with different content`,
      );
    }
    const status = input.status ?? 'completed';
    if (status === existing.status) return { transaction: existing, created: false };
    return { transaction: await changeStatus(tx, existing, status, actor), created: false };
  }

  /**
   * Stores a new ticket with what it earned, unless its document number is taken (then nothing is
   * written and undefined is returned).
   */
  async function insertTicket(
    tx: Tx,
    ticket: Omit<NewTicket, 'pointsEarned' | 'breakdown'>,
    evaluation: Evaluation,
    writes: SQL[],
  ): Promise<TransactionRow | undefined> {
    const [row] = await tableRows(
      tx,
      transactions,
      withWrites(
        writes,
        sql`insert into ${transactions} (organization_id, id, source, document_number, type, status,
            location_id, purchased_at, currency, total, customer_id, identification, content, content_hash,
            points_earned, breakdown)
          values (${ticket.organizationId}, ${ticket.id}, ${ticket.source}, ${ticket.documentNumber},
            ${ticket.type}, ${ticket.status}, ${ticket.locationId}, ${ticket.purchasedAt}, ${ticket.currency},
            ${ticket.total}, ${ticket.customerId}, ${JSON.stringify(ticket.identification)}::jsonb,
            ${JSON.stringify(ticket.content)}::jsonb, ${ticket.contentHash}, ${evaluation.total},
            ${JSON.stringify(evaluation.entries)}::jsonb)
          on conflict (organization_id, source, document_number) do nothing
          returning *`,
      ),
    );
    return row;
  }

  /**
   * One attempt at a ticket. `checkFirst` looks for an earlier ticket with this document number
   * before anything else; without it (the first attempt) the ticket is taken as new, and its
   * insert — which carries what it earned, so no second write is needed — is what finds out:
   * DocumentTaken then sends the caller round again, checking first.
   */
  async function ingestOnce(
    organizationId: string,
    input: TransactionInput,
    actor: Actor,
    options: IngestOptions,
    checkFirst: boolean,
  ): Promise<IngestResult> {
    return transaction(db, async (tx) => {
      const hash = contentHash(input);
      const source = input.source ?? 'api';
      if (checkFirst) {
        const existing = await lockDocument(tx, organizationId, source, input.documentNumber);
        if (existing) return receivedAgain(tx, existing, input, hash, actor);
      }
      await checkReferences(tx, organizationId, input);
      const organization = await organizations.get(organizationId, tx);
      const content = toContent(input, { currency: organization.currency, now: new Date() });
      const completedSale = content.type === 'sale' && content.status === 'completed';
      // The program comes from the configuration cache; knowing it first lets the member be read
      // already locked when what they earn depends on their history, rather than locked after.
      const program = completedSale ? await programOf(tx, organizationId, organization) : undefined;
      const forUpdate = program !== undefined && readsMemberHistory(program.rules);
      const customer =
        content.type === 'sale'
          ? await findCustomer(tx, organizationId, input.customer, { forUpdate })
          : null;
      if (options.rejectInactiveMember && customer && customer.status !== 'active') {
        throw new AppError(
          'customer_inactive',
          `the member is ${customer.status}: the ticket was not recorded`,
        );
      }
      // Before the ticket's own reads, so that the ticket finds its order's redemption.
      if (options.redeem) await redemptionHook().redeemIn(tx, organizationId, { ...options.redeem, actor });
      const ticket = {
        organizationId,
        id: newId(),
        source,
        documentNumber: input.documentNumber,
        type: content.type,
        status: content.status,
        locationId: content.locationId ?? null,
        purchasedAt: new Date(content.purchasedAt),
        currency: content.currency,
        total: content.totals.total,
        customerId: customer?.id ?? null,
        identification: input.customer ?? null,
        content,
        contentHash: hash,
      };
      // Buffered until the commit: gone with the rest if the document number turns out taken.
      await emit(tx, {
        organizationId,
        type: 'transaction.created',
        subject: { type: 'transaction', id: ticket.id },
        payload: {
          transactionId: ticket.id,
          documentNumber: ticket.documentNumber,
          type: ticket.type,
          status: ticket.status,
          customerId: ticket.customerId,
          total: ticket.total,
        },
      });
      // A member who earns is read with the order's redemption in one statement (saleContext).
      const context =
        program && customer && mayEarn(program, customer.status)
          ? await saleContext(tx, program, ticket, customer, { documentNumber: ticket.documentNumber })
          : undefined;
      const rewardDiscounts =
        ticket.type === 'sale' ? await deps.redemptions?.syncTicket(tx, ticket, context?.order) : undefined;
      const evaluation =
        program && context
          ? evaluateIn(program, ticket, context, rewardDiscounts ?? [])
          : { entries: [], total: 0 };
      const writes = program && customer ? saleWrites(ticket, customer, evaluation) : [];
      const row = await insertTicket(tx, ticket, evaluation, writes);
      if (!row) throw new DocumentTaken();
      if (program && customer) await creditSale(tx, row, customer, evaluation, program, actor, true);
      if (row.type === 'return' && row.status === 'completed')
        return { transaction: await applyReturn(tx, row, actor, organization), created: true };
      return { transaction: row, created: true };
    });
  }

  return {
    async ingest(
      organizationId: string,
      input: TransactionInput,
      actor: Actor = SYSTEM,
      options: IngestOptions = {},
    ): Promise<IngestResult> {
      if (options.redeem) await redemptionHook().sweep(organizationId, new Date());
      try {
        return await ingestOnce(organizationId, input, actor, options, false);
      } catch (error) {
        // The document number was taken (a retry, a status change, two tills at once), or the
        // ticket was refused, or another till redeemed on the same order at the same moment:
        // checking first, an earlier ticket answers as it always does.
        const orderRaced = options.redeem !== undefined && sqlState(error) === UNIQUE_VIOLATION;
        if (error instanceof DocumentTaken || error instanceof AppError || orderRaced)
          return ingestOnce(organizationId, input, actor, options, true);
        throw error;
      }
    },

    /** Attaches an unassigned ticket to a member; a completed sale earns now. */
    async assign(
      organizationId: string,
      id: string,
      identifier: string,
      actor: Actor = SYSTEM,
    ): Promise<TransactionRow> {
      return transaction(db, async (tx) => {
        const row = await lockTransaction(tx, organizationId, id);
        if (row.customerId)
          throw new AppError('already_assigned', 'this transaction already belongs to a member');
        if (row.type !== 'sale') throw new AppError('not_assignable', 'returns follow the sale they return');
        const customer = await customers.lookup(organizationId, identifier, tx);
        let [assigned] = await tx
          .update(transactions)
          .set({ customerId: customer.id, updatedAt: new Date() })
          .where(and(eq(transactions.organizationId, organizationId), eq(transactions.id, id)))
          .returning();
        if (assigned!.status === 'completed') assigned = await earn(tx, assigned!, customer, actor);
        await emit(tx, {
          organizationId,
          type: 'transaction.assigned',
          subject: { type: 'transaction', id },
          payload: { transactionId: id, customerId: customer.id, pointsEarned: assigned!.pointsEarned },
        });
        return assigned!;
      });
    },

    /**
     * Changes a ticket's own labels after the fact (Open Loyalty lets a back office or the member
     * relabel a transaction): `set` replaces them, then `add` appends those not there yet and
     * `remove` drops every equal pair. Points are not re-evaluated: earning rules read line labels,
     * not the ticket's, and what a ticket earned was settled when it completed with its member, as
     * in Open Loyalty. The content hash stays the one received, so a retry of the original ticket
     * still answers it. Emits `transaction.labels_changed`.
     */
    async changeLabels(
      organizationId: string,
      id: string,
      change: { set?: Label[] | undefined; add?: Label[] | undefined; remove?: Label[] | undefined },
      actor: Actor = SYSTEM,
    ): Promise<TransactionRow> {
      return transaction(db, async (tx) => {
        const row = await lockTransaction(tx, organizationId, id);
        const before = row.content.labels ?? [];
        const same = (a: Label, b: Label) => a.key === b.key && a.value === b.value;
        let after = change.set ? [...change.set] : [...before];
        for (const label of change.add ?? []) if (!after.some((l) => same(l, label))) after.push(label);
        after = after.filter((label) => !(change.remove ?? []).some((l) => same(l, label)));
        // `set` alone is bounded by the schema, so only `add` on top of the labels kept can overflow.
        if (after.length > MAX_LABELS)
          throw validationFailed(
            change.add?.length ? 'body.add' : 'body.set',
            `a transaction has at most ${MAX_LABELS} labels`,
          );
        const unchanged =
          after.length === before.length && after.every((label, i) => same(label, before[i]!));
        if (unchanged) return row;
        const [updated] = await tx
          .update(transactions)
          .set({ content: { ...row.content, labels: after }, updatedAt: new Date() })
          .where(and(eq(transactions.organizationId, organizationId), eq(transactions.id, id)))
          .returning();
        await emit(tx, {
          organizationId,
          type: 'transaction.labels_changed',
          subject: { type: 'transaction', id },
          payload: { transactionId: id, customerId: row.customerId, labels: after, changedBy: actor.type },
          changes: { labels: { before, after } },
        });
        return updated!;
      });
    },

    /** The breakdown a ticket would earn, for the identified member if any; writes nothing. */
    async simulate(
      organizationId: string,
      input: TransactionInput,
    ): Promise<Evaluation & { customerId: string | null }> {
      await checkReferences(db, organizationId, input);
      const organization = await organizations.get(organizationId);
      const content = toContent(
        { ...input, type: 'sale' },
        { currency: organization.currency, now: new Date() },
      );
      const customer = await findCustomer(db, organizationId, input.customer);
      const evaluation = await evaluate(
        db,
        await programOf(db, organizationId, organization),
        { content: { ...content, status: 'completed' } },
        customer,
      );
      return { ...evaluation, customerId: customer?.id ?? null };
    },

    /** The ticket a source knows by this document number, if Regulars has it. */
    async findByDocument(organizationId: string, source: string, documentNumber: string) {
      const [row] = await db
        .select()
        .from(transactions)
        .where(
          and(
            eq(transactions.organizationId, organizationId),
            eq(transactions.source, source),
            eq(transactions.documentNumber, documentNumber),
          ),
        );
      return row ?? null;
    },

    async get(organizationId: string, id: string): Promise<TransactionRow> {
      const [row] = await db
        .select()
        .from(transactions)
        .where(and(eq(transactions.organizationId, organizationId), eq(transactions.id, id)));
      if (!row) throw notFound('transaction');
      return row;
    },

    /** The document numbers of these tickets, by id (one read for a list that names its tickets). */
    async documentNumbers(organizationId: string, ids: readonly string[]): Promise<Map<string, string>> {
      const wanted = [...new Set(ids.filter(isUuid).map((id) => id.toLowerCase()))];
      if (wanted.length === 0) return new Map();
      const rows = await db
        .select({ id: transactions.id, documentNumber: transactions.documentNumber })
        .from(transactions)
        .where(and(eq(transactions.organizationId, organizationId), inArray(transactions.id, wanted)));
      return new Map(rows.map((row) => [row.id, row.documentNumber]));
    },

    list(organizationId: string, filter: TransactionFilter, page: PageRequest): Promise<TransactionRow[]> {
      return db
        .select()
        .from(transactions)
        .where(
          and(
            eq(transactions.organizationId, organizationId),
            filter.customerId ? eq(transactions.customerId, filter.customerId) : undefined,
            filter.locationId ? eq(transactions.locationId, filter.locationId) : undefined,
            filter.documentNumber ? eq(transactions.documentNumber, filter.documentNumber) : undefined,
            filter.type ? eq(transactions.type, filter.type) : undefined,
            filter.status ? eq(transactions.status, filter.status) : undefined,
            filter.from ? gte(transactions.purchasedAt, new Date(filter.from)) : undefined,
            filter.to ? lt(transactions.purchasedAt, new Date(filter.to)) : undefined,
            afterCursor(transactions.id, page),
          ),
        )
        .orderBy(asc(transactions.id))
        .limit(fetchSize(page));
    },

    /** Purchase statistics of a member (zeros before the first purchase). */
    async stats(organizationId: string, customerId: string, executor: Executor = db) {
      const [row] = await executor
        .select()
        .from(customerStats)
        .where(
          and(eq(customerStats.organizationId, organizationId), eq(customerStats.customerId, customerId)),
        );
      const count = row?.transactionsCount ?? 0;
      const spent = row?.totalSpent ?? 0;
      return {
        transactionsCount: count,
        totalSpent: spent,
        averageTicket: count > 0 ? Math.floor(spent / count) : 0,
        firstPurchaseAt: row?.firstPurchaseAt ?? null,
        lastPurchaseAt: row?.lastPurchaseAt ?? null,
      };
    },

    memberPoints,
  };
}

export type TransactionsService = ReturnType<typeof createTransactionsService>;
