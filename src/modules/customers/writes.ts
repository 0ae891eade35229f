import { and, eq } from 'drizzle-orm';
import type { Executor } from '../../db/connection.ts';
import { newId } from '../../db/ids.ts';
import { sqlState, UNIQUE_VIOLATION, violatedConstraint } from '../../db/transaction.ts';
import { REFERRAL_CODE_LENGTH, randomCode } from '../../domain/customers.ts';
import { type AppError, conflict } from '../../errors.ts';
import { changesBetween } from '../audit/service.ts';
import { emit, emitMany } from '../events/service.ts';
import { type Customer, type CustomerValues, changedFields } from './input.ts';
import { customers } from './schema.ts';

/**
 * The writes shared by the API and the CSV import: inserting members (with generated card
 * numbers and referral codes) and changing them, each with its events, inside the caller's
 * transaction.
 */

/** The identifiers whose uniqueness a client can clash with, by the name of their unique index. */
const FIELD_BY_CONSTRAINT: Record<string, UniqueField> = {
  customers_email_unique: 'email',
  customers_phone_unique: 'phone',
  customers_loyalty_card_number_unique: 'loyaltyCardNumber',
  customers_external_id_unique: 'externalId',
  customers_referral_code_unique: 'referralCode',
};

export type UniqueField = 'email' | 'phone' | 'loyaltyCardNumber' | 'externalId' | 'referralCode';

const CODE_BY_FIELD: Record<Exclude<UniqueField, 'referralCode'>, string> = {
  email: 'email_taken',
  phone: 'phone_taken',
  loyaltyCardNumber: 'loyalty_card_number_taken',
  externalId: 'external_id_taken',
};

const LABEL_BY_FIELD: Record<UniqueField, string> = {
  email: 'email',
  phone: 'phone number',
  loyaltyCardNumber: 'loyalty card number',
  externalId: 'externalId',
  referralCode: 'referral code',
};

/** Which identifier a unique violation was about (by SQLSTATE and index name), if it was one. */
export function uniqueClash(error: unknown): UniqueField | undefined {
  if (sqlState(error) !== UNIQUE_VIOLATION) return undefined;
  const constraint = violatedConstraint(error);
  return constraint ? FIELD_BY_CONSTRAINT[constraint] : undefined;
}

export function clashMessage(field: UniqueField): string {
  return `another member already has this ${LABEL_BY_FIELD[field]}`;
}

/** 409 whose code names the field: `email_taken`, `phone_taken`, `loyalty_card_number_taken`, `external_id_taken`. */
export function clashError(field: Exclude<UniqueField, 'referralCode'>): AppError {
  const error = conflict(CODE_BY_FIELD[field], clashMessage(field));
  return Object.assign(error, { errors: [{ path: `body.${field}`, message: clashMessage(field) }] });
}

export interface NewCustomer {
  values: CustomerValues;
  referredBy?: string | null | undefined;
}

export interface InsertOptions {
  cardNumberLength: number;
  /** Put on each `customer.created` event, e.g. the import that created the member. */
  eventPayload?: Record<string, unknown>;
}

/** Inserts members in one statement; generates card numbers and referral codes; one event each. Returns their ids. */
export async function insertCustomers(
  tx: Executor,
  organizationId: string,
  rows: NewCustomer[],
  options: InsertOptions,
): Promise<{ id: string }[]> {
  if (rows.length === 0) return [];
  const now = new Date();
  const inserted = await tx
    .insert(customers)
    .values(
      rows.map((row) => ({
        ...row.values,
        loyaltyCardNumber: row.values.loyaltyCardNumber ?? randomCode(options.cardNumberLength),
        referralCode: randomCode(REFERRAL_CODE_LENGTH),
        referredBy: row.referredBy ?? null,
        organizationId,
        id: newId(),
        createdAt: now,
        updatedAt: now,
      })),
    )
    .returning({ id: customers.id });
  await emitMany(
    tx,
    inserted.map((customer) => ({
      organizationId,
      type: 'customer.created',
      subject: { type: 'customer', id: customer.id },
      payload: { customerId: customer.id, ...options.eventPayload },
    })),
  );
  return inserted;
}

/**
 * Applies the values that differ from the member's current ones and reports them:
 * `customer.updated` with the changed fields, and `customer.status_changed` when the status moved.
 */
export async function updateCustomer(
  tx: Executor,
  current: Customer,
  values: CustomerValues & { referredBy?: string | null },
  eventPayload: Record<string, unknown> = {},
): Promise<{ customer: Customer; changed: string[] }> {
  const { referredBy, ...rest } = values;
  const changed: string[] = changedFields(current, rest);
  if (referredBy !== undefined && referredBy !== current.referredBy) changed.push('referredBy');
  if (changed.length === 0) return { customer: current, changed };
  const patch = Object.fromEntries(
    changed.map((key) => [key, (values as Record<string, unknown>)[key]]),
  ) as CustomerValues & { referredBy?: string | null };
  const [customer] = await tx
    .update(customers)
    .set({ ...patch, updatedAt: new Date() })
    .where(and(eq(customers.organizationId, current.organizationId), eq(customers.id, current.id)))
    .returning();
  const subject = { type: 'customer', id: current.id };
  const dataChanged = changed.filter((key) => key !== 'status');
  if (dataChanged.length > 0) {
    await emit(tx, {
      organizationId: current.organizationId,
      type: 'customer.updated',
      subject,
      payload: { customerId: current.id, changed: dataChanged, ...eventPayload },
      changes: changesBetween(current, customer!, dataChanged as (keyof Customer)[]),
    });
  }
  if (changed.includes('status')) {
    await emit(tx, {
      organizationId: current.organizationId,
      type: 'customer.status_changed',
      subject,
      payload: { customerId: current.id, from: current.status, to: customer!.status, ...eventPayload },
      changes: changesBetween(current, customer!, ['status']),
    });
  }
  return { customer: customer!, changed };
}
