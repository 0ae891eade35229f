import { birthDateProblem, isLanguage, normalizePhone } from '../../domain/customers.ts';
import { isCountry } from '../../domain/locale.ts';
import type { FieldError } from '../../errors.ts';
import type { CreateCustomerBody } from './contract.ts';
import {
  type Address,
  AGREEMENTS,
  type Company,
  type Consent,
  type customers,
  MARKETING_CHANNELS,
} from './schema.ts';

export type Customer = typeof customers.$inferSelect;
/** Column values a create or an update writes (the referrer is resolved separately, against the database). */
export type CustomerValues = Partial<
  Omit<typeof customers.$inferInsert, 'organizationId' | 'id' | 'referredBy'>
>;

export interface NormalizeContext {
  /** The organization's default country: local phone numbers are read as numbers of this country. */
  country: string;
  now: Date;
  /** The member being changed (PATCH, upsert): nested objects and consents merge into theirs. */
  current?: Customer | undefined;
}

const TEXT_FIELDS = [
  'firstName',
  'lastName',
  'source',
  'internalNote',
  'externalId',
  'language',
  'loyaltyCardNumber',
] as const;

function trimmed(value: string | null | undefined): string | null | undefined {
  if (value === undefined || value === null) return value;
  const result = value.trim();
  return result === '' ? null : result;
}

function compact<T extends object>(value: T): T | null {
  const entries = Object.entries(value).filter(([, v]) => v !== null && v !== undefined);
  return entries.length === 0 ? null : (Object.fromEntries(entries) as T);
}

function mergeObject<T extends object>(
  given: T | null | undefined,
  current: T | null | undefined,
): T | null | undefined {
  if (given === undefined) return undefined;
  if (given === null) return null;
  const merged: Record<string, unknown> = { ...(current ?? {}) };
  for (const [key, value] of Object.entries(given)) {
    merged[key] = typeof value === 'string' ? trimmed(value) : value;
  }
  return compact(merged as T);
}

function mergeConsents<K extends string>(
  keys: readonly K[],
  given: Partial<Record<K, boolean>> | undefined,
  current: Partial<Record<K, Consent>> | undefined,
  now: Date,
): Partial<Record<K, Consent>> | undefined {
  if (given === undefined) return undefined;
  const result: Partial<Record<K, Consent>> = { ...(current ?? {}) };
  for (const key of keys) {
    const granted = given[key];
    if (granted === undefined) continue;
    // The time is that of the last change of answer: repeating an answer keeps its original time.
    if (result[key]?.granted !== granted) result[key] = { granted, at: now.toISOString() };
  }
  return result;
}

/**
 * Checks and normalizes what a client sent (already shape-checked by the schema): trims text,
 * reads the phone into E.164, refuses future birth dates, unknown languages and countries.
 * Field paths in `errors` are relative to the customer (`phone`, `address.country`).
 */
export function normalizeCustomerInput(
  input: CreateCustomerBody,
  context: NormalizeContext,
): { values: CustomerValues; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const values: CustomerValues = {};
  const { current, now } = context;

  for (const field of TEXT_FIELDS) {
    if (input[field] !== undefined) values[field] = trimmed(input[field]);
  }
  if (values.language != null && !isLanguage(values.language)) {
    errors.push({ path: 'language', message: 'must be an ISO 639-1 language code such as es' });
  }
  if (input.email !== undefined) values.email = trimmed(input.email);
  if (input.phone !== undefined) {
    const raw = trimmed(input.phone);
    if (raw == null) values.phone = null;
    else {
      const phone = normalizePhone(raw, context.country);
      if (phone) values.phone = phone;
      else
        errors.push({
          path: 'phone',
          message: `is not a valid phone number (local numbers are read as ${context.country} numbers)`,
        });
    }
  }
  if (input.birthDate !== undefined) {
    const problem = input.birthDate === null ? undefined : birthDateProblem(input.birthDate, now);
    if (problem) errors.push({ path: 'birthDate', message: problem });
    else values.birthDate = input.birthDate;
  }
  if (input.gender !== undefined) values.gender = input.gender;
  if (input.status !== undefined) values.status = input.status;
  const address = mergeObject<Address>(input.address, current?.address);
  if (address !== undefined) {
    if (address?.country != null && !isCountry(address.country)) {
      errors.push({
        path: 'address.country',
        message: 'must be an ISO 3166-1 alpha-2 country code such as ES',
      });
    }
    values.address = address;
  }
  const company = mergeObject<Company>(input.company, current?.company);
  if (company !== undefined) values.company = company;
  if (input.labels !== undefined) {
    values.labels = input.labels.map((label) => ({ key: label.key.trim(), value: label.value.trim() }));
  }
  const consents = mergeConsents(
    MARKETING_CHANNELS,
    input.marketingConsents,
    current?.marketingConsents,
    now,
  );
  if (consents !== undefined) values.marketingConsents = consents;
  const agreements = mergeConsents(AGREEMENTS, input.agreements, current?.agreements, now);
  if (agreements !== undefined) values.agreements = agreements;
  return { values, errors };
}

/** The fields whose value differs from the member's current one: what an update changes and reports. */
export function changedFields(current: Customer, values: CustomerValues): (keyof CustomerValues)[] {
  return (Object.keys(values) as (keyof CustomerValues)[]).filter(
    (key) => stableJson(values[key] ?? null) !== stableJson(current[key] ?? null),
  );
}

/** JSON with object keys sorted: jsonb does not keep key order, so plain JSON.stringify would see false changes. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner && typeof inner === 'object' && !Array.isArray(inner) && !(inner instanceof Date)
      ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : 1)))
      : inner,
  );
}

/** What anonymizing (and deleting) sets: every personal field, identifiers included, wiped. */
export function erasedValues(now: Date): CustomerValues {
  return {
    firstName: null,
    lastName: null,
    email: null,
    phone: null,
    birthDate: null,
    gender: null,
    address: null,
    company: null,
    language: null,
    externalId: null,
    loyaltyCardNumber: null,
    labels: [],
    marketingConsents: {},
    agreements: {},
    internalNote: null,
    referralCode: null,
    cardToken: null,
    anonymizedAt: now,
    updatedAt: now,
  };
}
