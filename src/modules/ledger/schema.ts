import { sql } from 'drizzle-orm';
import {
  bigint,
  check,
  foreignKey,
  index,
  pgTable,
  primaryKey,
  text,
  timestamp,
  unique,
  uuid,
} from 'drizzle-orm/pg-core';
import { createdAt, organizationId, updatedAt } from '../../db/columns.ts';
import { ACTOR_TYPES } from '../../domain/actors.ts';
import { ENTRY_KINDS } from '../../domain/points.ts';
import { customers } from '../customers/schema.ts';
import { locations } from '../locations/schema.ts';
import { pointTypes } from '../point-types/schema.ts';

/**
 * Points are integer hundredths in BIGINT columns, read as JavaScript numbers: exact up to
 * 2^53 − 1 hundredths (see src/domain/points.ts), far beyond any real balance.
 */
const points = (name: string) => bigint(name, { mode: 'number' }).notNull();

/**
 * One row per customer × point type: the balance, kept current in the same transaction as the
 * entries that move it (never a SUM over history on read). Every operation on a customer's points
 * of one type starts by locking this row, which is what serializes concurrent spends.
 */
export const pointBalances = pgTable(
  'point_balances',
  {
    organizationId: organizationId(),
    customerId: uuid('customer_id').notNull(),
    pointTypeId: uuid('point_type_id').notNull(),
    /** Spendable now: Σ remaining of active lots. */
    active: points('active').default(0),
    /** Credited but not yet spendable: Σ remaining of pending lots. */
    pending: points('pending').default(0),
    /** Held by blocks: Σ blocked of lots. */
    blocked: points('blocked').default(0),
    earned: points('earned').default(0),
    spent: points('spent').default(0),
    expired: points('expired').default(0),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.customerId, t.pointTypeId] }),
    foreignKey({
      name: 'point_balances_customer_fk',
      columns: [t.organizationId, t.customerId],
      foreignColumns: [customers.organizationId, customers.id],
    }),
    foreignKey({
      name: 'point_balances_point_type_fk',
      columns: [t.organizationId, t.pointTypeId],
      foreignColumns: [pointTypes.organizationId, pointTypes.id],
    }),
    check('point_balances_non_negative', sql`${t.active} >= 0 and ${t.pending} >= 0 and ${t.blocked} >= 0`),
  ],
);

/**
 * The ledger: append-only. `points` is the size of the movement; `delta` its signed effect on
 * what the customer holds (active + pending + blocked): 0 for block/unblock.
 */
export const ledgerEntries = pgTable(
  'ledger_entries',
  {
    organizationId: organizationId(),
    id: uuid('id').notNull(),
    customerId: uuid('customer_id').notNull(),
    pointTypeId: uuid('point_type_id').notNull(),
    kind: text('kind', { enum: ENTRY_KINDS }).notNull(),
    points: points('points'),
    delta: points('delta'),
    reason: text('reason'),
    /** Who made the entry (src/domain/actors.ts); actorId is null for the system. */
    actorType: text('actor_type', { enum: ACTOR_TYPES }).notNull(),
    actorId: text('actor_id'),
    /** What caused it: a ticket, a redemption, an earning rule, an import line, another entry. */
    sourceType: text('source_type'),
    sourceId: text('source_id'),
    locationId: uuid('location_id'),
    /** The entry a cancel/unblock undoes, a spend captures, or the other half of a transfer. */
    relatedEntryId: uuid('related_entry_id'),
    counterpartyCustomerId: uuid('counterparty_customer_id'),
    /** For credits that made one lot: when its points become spendable and when they expire. */
    activeFrom: timestamp('active_from', { withTimezone: true }),
    expiresAt: timestamp('expires_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.id] }),
    // Natural-key idempotency: one source never moves the same point type the same way twice
    // (the same ticket never earns twice, the same entry is never cancelled twice).
    unique('ledger_entries_source_unique').on(
      t.organizationId,
      t.sourceType,
      t.sourceId,
      t.pointTypeId,
      t.kind,
    ),
    index('ledger_entries_customer_idx').on(t.organizationId, t.customerId, t.id),
    // A staff user's manual adds of the day: what the cashier daily cap sums.
    index('ledger_entries_staff_adds_idx')
      .on(t.organizationId, t.actorId, t.createdAt)
      .where(sql`${t.actorType} = 'staff' and ${t.kind} = 'add'`),
    index('ledger_entries_related_idx')
      .on(t.organizationId, t.relatedEntryId)
      .where(sql`${t.relatedEntryId} is not null`),
    foreignKey({
      name: 'ledger_entries_balance_fk',
      columns: [t.organizationId, t.customerId, t.pointTypeId],
      foreignColumns: [pointBalances.organizationId, pointBalances.customerId, pointBalances.pointTypeId],
    }),
    foreignKey({
      name: 'ledger_entries_location_fk',
      columns: [t.organizationId, t.locationId],
      foreignColumns: [locations.organizationId, locations.id],
    }),
    check('ledger_entries_points_non_negative', sql`${t.points} >= 0`),
  ],
);

/**
 * Credited points, in lots: each credit makes one (or, for a transfer or a cancelled spend, one
 * per source lot). Spending takes `remaining` from active lots, earliest expiry first.
 */
export const pointLots = pgTable(
  'point_lots',
  {
    organizationId: organizationId(),
    id: uuid('id').notNull(),
    customerId: uuid('customer_id').notNull(),
    pointTypeId: uuid('point_type_id').notNull(),
    /** The credit entry that made the lot. */
    entryId: uuid('entry_id').notNull(),
    amount: points('amount'),
    remaining: points('remaining'),
    blocked: points('blocked').default(0),
    status: text('status', { enum: ['pending', 'active'] }).notNull(),
    activeFrom: timestamp('active_from', { withTimezone: true }).notNull(),
    /** null = never expires. Expired means `expires_at <= now`; the scheduler then zeroes `remaining`. */
    expiresAt: timestamp('expires_at', { withTimezone: true }),
    activatedAt: timestamp('activated_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.id] }),
    // The lots an operation on one balance reads: only those still holding something.
    index('point_lots_open_idx')
      .on(t.organizationId, t.customerId, t.pointTypeId)
      .where(sql`${t.remaining} > 0 or ${t.blocked} > 0`),
    index('point_lots_entry_idx').on(t.organizationId, t.entryId),
    // What the scheduler looks for across tenants: lots to activate, lots to expire.
    index('point_lots_due_activation_idx')
      .on(t.activeFrom)
      .where(sql`${t.status} = 'pending' and ${t.remaining} > 0`),
    index('point_lots_due_expiry_idx')
      .on(t.expiresAt)
      .where(sql`${t.status} = 'active' and ${t.remaining} > 0 and ${t.expiresAt} is not null`),
    foreignKey({
      name: 'point_lots_entry_fk',
      columns: [t.organizationId, t.entryId],
      foreignColumns: [ledgerEntries.organizationId, ledgerEntries.id],
    }),
    check(
      'point_lots_amounts',
      sql`${t.amount} > 0 and ${t.remaining} >= 0 and ${t.blocked} >= 0 and ${t.remaining} + ${t.blocked} <= ${t.amount}`,
    ),
  ],
);

/** What each entry did to each lot: the trail `regulars ledger verify` recomputes lots from. */
export const pointLotMovements = pgTable(
  'point_lot_movements',
  {
    organizationId: organizationId(),
    entryId: uuid('entry_id').notNull(),
    lotId: uuid('lot_id').notNull(),
    remainingDelta: bigint('remaining_delta', { mode: 'number' }).notNull(),
    blockedDelta: bigint('blocked_delta', { mode: 'number' }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.entryId, t.lotId] }),
    index('point_lot_movements_lot_idx').on(t.organizationId, t.lotId),
    foreignKey({
      name: 'point_lot_movements_entry_fk',
      columns: [t.organizationId, t.entryId],
      foreignColumns: [ledgerEntries.organizationId, ledgerEntries.id],
    }),
    foreignKey({
      name: 'point_lot_movements_lot_fk',
      columns: [t.organizationId, t.lotId],
      foreignColumns: [pointLots.organizationId, pointLots.id],
    }),
  ],
);
