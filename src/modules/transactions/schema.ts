import { type SQL, sql } from 'drizzle-orm';
import {
  bigint,
  index,
  integer,
  jsonb,
  type PgColumn,
  pgTable,
  primaryKey,
  text,
  timestamp,
  unique,
  uuid,
} from 'drizzle-orm/pg-core';
import { createdAt, organizationId, updatedAt } from '../../db/columns.ts';
import type { BreakdownEntry } from '../../domain/earning/types.ts';
import type { CustomerIdentification, TransactionContent } from './contract.ts';

/**
 * SQL: the ticket counts as a purchase for segments (isKeptPurchase in purchases.ts is the same
 * test on a row). One text for the queries (purchases.ts `keptPurchase`) and the index of kept
 * purchases below, whose predicate those queries must imply for PostgreSQL to use it.
 */
export function keptPurchaseOf(t: {
  type: PgColumn;
  status: PgColumn;
  returnedAmount: PgColumn;
  total: PgColumn;
}): SQL {
  return sql`${t.type} = 'sale' and ${t.status} = 'completed' and (${t.returnedAmount} = 0 or ${t.returnedAmount} < ${t.total})`;
}

/**
 * Tickets and orders from every POS, in one canonical shape. `content` keeps what the POS sent
 * (lines, totals, payments, labels…); the columns beside it are what queries filter on.
 */
export const transactions = pgTable(
  'transactions',
  {
    organizationId: organizationId(),
    id: uuid('id').notNull(),
    /** Which integration sent it (`api`, `cheerfy`, `comeback`…): document numbers are unique per source. */
    source: text('source').notNull(),
    documentNumber: text('document_number').notNull(),
    type: text('type', { enum: ['sale', 'return'] }).notNull(),
    status: text('status', { enum: ['pending', 'completed', 'cancelled'] }).notNull(),
    /** For returns: the sale they return (resolved from revisedDocumentNumber). */
    originalTransactionId: uuid('original_transaction_id'),
    locationId: uuid('location_id'),
    purchasedAt: timestamp('purchased_at', { withTimezone: true }).notNull(),
    currency: text('currency').notNull(),
    /** Ticket total in minor units (positive for returns too: the amount returned). */
    total: bigint('total', { mode: 'number' }).notNull(),
    customerId: uuid('customer_id'),
    identification: jsonb('identification').$type<CustomerIdentification | null>(),
    content: jsonb('content').$type<TransactionContent>().notNull(),
    /** Hash of the content without its status: a retry is recognized, a different ticket is refused. */
    contentHash: text('content_hash').notNull(),
    pointsEarned: bigint('points_earned', { mode: 'number' }).notNull().default(0),
    breakdown: jsonb('breakdown').$type<BreakdownEntry[]>().notNull().default([]),
    /** Sales: money returned so far, and points taken back for it. Returns: points taken back / not found. */
    returnedAmount: bigint('returned_amount', { mode: 'number' }).notNull().default(0),
    pointsReversed: bigint('points_reversed', { mode: 'number' }).notNull().default(0),
    reversalShortfall: bigint('reversal_shortfall', { mode: 'number' }).notNull().default(0),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.id] }),
    unique('transactions_document_unique').on(t.organizationId, t.source, t.documentNumber),
    index('transactions_customer_idx').on(t.organizationId, t.customerId, t.purchasedAt),
    index('transactions_location_idx').on(t.organizationId, t.locationId, t.purchasedAt),
    // A member's kept purchases (anonymous tickets left out) with what segment criteria add up:
    // a regular's ticket reads their totals from the index alone instead of one table page per
    // earlier ticket. Its columns cost the tickets' status changes and returns their HOT updates
    // (docs/performance.md).
    index('transactions_kept_purchases_idx')
      .on(t.organizationId, t.customerId, t.purchasedAt, t.total, t.returnedAmount, t.locationId)
      .where(sql`${t.customerId} is not null and ${keptPurchaseOf(t)}`),
  ],
);

/** Purchase statistics per member, kept current with every ticket (segments and tiers read them). */
export const customerStats = pgTable(
  'customer_stats',
  {
    organizationId: organizationId(),
    customerId: uuid('customer_id').notNull(),
    transactionsCount: integer('transactions_count').notNull().default(0),
    /** Minor units of the organization's currency, net of returns. */
    totalSpent: bigint('total_spent', { mode: 'number' }).notNull().default(0),
    firstPurchaseAt: timestamp('first_purchase_at', { withTimezone: true }),
    lastPurchaseAt: timestamp('last_purchase_at', { withTimezone: true }),
  },
  (t) => [primaryKey({ columns: [t.organizationId, t.customerId] })],
);

/**
 * Each distinct line (sku, category, maker, labels) a member bought on the purchases segments
 * count (completed sales not fully returned), with how many of those purchases carry it: segments'
 * line criteria read these few rows instead of every past ticket's lines. Kept current with every
 * ticket, status change, assignment and return (a line whose count falls to 0 stays, unread, and
 * counts again if bought again).
 */
export const customerLines = pgTable(
  'customer_lines',
  {
    organizationId: organizationId(),
    customerId: uuid('customer_id').notNull(),
    /** md5 of [sku, category, maker, labels] as JSON: the line's identity, since any field may be null. */
    lineKey: text('line_key').notNull(),
    sku: text('sku'),
    category: text('category'),
    maker: text('maker'),
    labels: jsonb('labels').$type<Array<{ key: string; value: string }> | null>(),
    purchases: integer('purchases').notNull(),
  },
  (t) => [primaryKey({ columns: [t.organizationId, t.customerId, t.lineKey] })],
);
