import { sql } from 'drizzle-orm';
import {
  date,
  foreignKey,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { createdAt, organizationId, updatedAt } from '../../db/columns.ts';
import type { Label } from '../../domain/customers.ts';
import { organizations } from '../organizations/schema.ts';

export const CUSTOMER_STATUSES = ['active', 'inactive', 'blocked'] as const;
export type CustomerStatus = (typeof CUSTOMER_STATUSES)[number];

export const GENDERS = ['male', 'female', 'other', 'not_disclosed'] as const;
export type Gender = (typeof GENDERS)[number];

export interface Address {
  street?: string | null;
  address1?: string | null;
  address2?: string | null;
  postalCode?: string | null;
  city?: string | null;
  province?: string | null;
  country?: string | null;
}

export interface Company {
  name?: string | null;
  taxId?: string | null;
}

/** A consent or agreement: its current answer and when it was given or withdrawn. */
export interface Consent {
  granted: boolean;
  at: string;
}

export const MARKETING_CHANNELS = ['email', 'sms', 'push'] as const;
export type MarketingChannel = (typeof MARKETING_CHANNELS)[number];
export const AGREEMENTS = ['terms', 'privacy'] as const;
export type Agreement = (typeof AGREEMENTS)[number];

/**
 * Members of a loyalty program. Rows are never physically deleted (ledger entries and
 * transactions keep pointing at them): anonymizing wipes the personal fields, deleting does
 * that too and sets deleted_at, after which the member is invisible to the API.
 */
export const customers = pgTable(
  'customers',
  {
    organizationId: organizationId().references(() => organizations.id),
    id: uuid('id').notNull(),
    firstName: text('first_name'),
    lastName: text('last_name'),
    /** As given (case kept for display); unique and looked up case-insensitively. */
    email: text('email'),
    /** E.164, normalized with the organization's default country. */
    phone: text('phone'),
    birthDate: date('birth_date', { mode: 'string' }),
    gender: text('gender', { enum: GENDERS }),
    address: jsonb('address').$type<Address>(),
    company: jsonb('company').$type<Company>(),
    /** ISO 639-1. */
    language: text('language'),
    /** Where the member signed up: "Shop", "POS", "MyWebsite"… */
    source: text('source'),
    externalId: text('external_id'),
    /** Case-sensitive, as Open Loyalty; generated when not given. The QR card encodes exactly this. */
    loyaltyCardNumber: text('loyalty_card_number'),
    labels: jsonb('labels').$type<Label[]>().notNull().default([]),
    marketingConsents: jsonb('marketing_consents')
      .$type<Partial<Record<MarketingChannel, Consent>>>()
      .notNull()
      .default({}),
    agreements: jsonb('agreements').$type<Partial<Record<Agreement, Consent>>>().notNull().default({}),
    status: text('status', { enum: CUSTOMER_STATUSES }).notNull().default('active'),
    internalNote: text('internal_note'),
    referralCode: text('referral_code'),
    referredBy: uuid('referred_by'),
    /**
     * The secret of the member's card link (`/cards/{organizationId}/{cardToken}`), made the first
     * time a link is asked for; wiped with the rest when the member is anonymized.
     */
    cardToken: text('card_token'),
    /** When the member first opened their card through an Apple / Android wallet link. */
    applePassDownloadedAt: timestamp('apple_pass_downloaded_at', { withTimezone: true }),
    androidPassDownloadedAt: timestamp('android_pass_downloaded_at', { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    anonymizedAt: timestamp('anonymized_at', { withTimezone: true }),
    deletedAt: timestamp('deleted_at', { withTimezone: true }),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.id] }),
    // One index per kind of identifier the till may hold: each lookup is a single index probe.
    uniqueIndex('customers_email_unique').on(t.organizationId, sql`lower(${t.email})`),
    uniqueIndex('customers_phone_unique').on(t.organizationId, t.phone),
    uniqueIndex('customers_loyalty_card_number_unique').on(t.organizationId, t.loyaltyCardNumber),
    uniqueIndex('customers_external_id_unique').on(t.organizationId, t.externalId),
    uniqueIndex('customers_referral_code_unique').on(t.organizationId, t.referralCode),
    uniqueIndex('customers_card_token_unique').on(t.organizationId, t.cardToken),
    index('customers_updated_at_idx').on(t.organizationId, t.updatedAt),
    // Who joined on a day: analytics recomputes a day's new members from it.
    index('customers_created_at_idx').on(t.organizationId, t.createdAt),
    foreignKey({
      name: 'customers_referred_by_fk',
      columns: [t.organizationId, t.referredBy],
      foreignColumns: [t.organizationId, t.id],
    }),
  ],
);

export const IMPORT_MODES = ['create', 'upsert'] as const;
export type ImportMode = (typeof IMPORT_MODES)[number];
export const IMPORT_STATUSES = ['running', 'completed', 'failed'] as const;
export type ImportStatus = (typeof IMPORT_STATUSES)[number];

/** A CSV import: its options and progress, updated as chunks of rows commit. */
export const customerImports = pgTable(
  'customer_imports',
  {
    organizationId: organizationId().references(() => organizations.id),
    id: uuid('id').notNull(),
    status: text('status', { enum: IMPORT_STATUSES }).notNull().default('running'),
    mode: text('mode', { enum: IMPORT_MODES }).notNull(),
    /** CSV header → customer field, as applied (explicit mapping plus headers named like fields). */
    mapping: jsonb('mapping').$type<Record<string, string>>().notNull().default({}),
    /** Headers that map to no field: reported so that a typo does not silently lose a column. */
    ignoredColumns: jsonb('ignored_columns').$type<string[]>().notNull().default([]),
    rowsRead: integer('rows_read').notNull().default(0),
    created: integer('created').notNull().default(0),
    updated: integer('updated').notNull().default(0),
    unchanged: integer('unchanged').notNull().default(0),
    failed: integer('failed').notNull().default(0),
    /** Why the whole import stopped (unreadable CSV, missing header…); null unless status is failed. */
    failure: text('failure'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
  },
  (t) => [primaryKey({ columns: [t.organizationId, t.id] })],
);

/** One problem with one row of an import. */
export const customerImportErrors = pgTable(
  'customer_import_errors',
  {
    organizationId: organizationId(),
    importId: uuid('import_id').notNull(),
    /** Spreadsheet numbering: the header is row 1, the first member row 2. */
    row: integer('row').notNull(),
    seq: integer('seq').notNull(),
    /** The customer field (`email`, `address.country`), or null for a problem with the whole row. */
    field: text('field'),
    reason: text('reason').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.importId, t.row, t.seq] }),
    foreignKey({
      name: 'customer_import_errors_import_fk',
      columns: [t.organizationId, t.importId],
      foreignColumns: [customerImports.organizationId, customerImports.id],
    }).onDelete('cascade'),
  ],
);
