import { Compile } from 'typebox/compile';
import { formatLabels, parseBoolean, parseLabels } from '../../domain/customers.ts';
import type { FieldError } from '../../errors.ts';
import { NUL_REFUSED } from '../../http/request-guards.ts';
import { CreateCustomerBody } from './contract.ts';
import type { Customer } from './input.ts';

/**
 * The CSV form of a member: one column per field, nested fields dotted (`address.city`).
 * Export writes exactly these columns, and import reads them back (plus a few common aliases),
 * so an exported file re-imports as is.
 */
export const CSV_COLUMNS = [
  'id',
  'firstName',
  'lastName',
  'email',
  'phone',
  'birthDate',
  'gender',
  'address.street',
  'address.address1',
  'address.address2',
  'address.postalCode',
  'address.city',
  'address.province',
  'address.country',
  'company.name',
  'company.taxId',
  'language',
  'source',
  'externalId',
  'loyaltyCardNumber',
  'labels',
  'marketingConsents.email',
  'marketingConsents.sms',
  'marketingConsents.push',
  'agreements.terms',
  'agreements.privacy',
  'status',
  'internalNote',
  'referralCode',
  'referredBy',
  'createdAt',
  'updatedAt',
  'anonymizedAt',
] as const;
export type CsvColumn = (typeof CSV_COLUMNS)[number];

/** Columns that describe a member but are not set by importing (the engine assigns them). */
const READ_ONLY = new Set<CsvColumn>(['id', 'referralCode', 'createdAt', 'updatedAt', 'anonymizedAt']);
export const IMPORTABLE_FIELDS = CSV_COLUMNS.filter((column) => !READ_ONLY.has(column));
export type ImportableField = (typeof IMPORTABLE_FIELDS)[number];

const BOOLEAN_FIELDS = new Set<string>([
  'marketingConsents.email',
  'marketingConsents.sms',
  'marketingConsents.push',
  'agreements.terms',
  'agreements.privacy',
]);

/** `First Name`, `first_name` and `firstName` all name the same field. */
function canonical(header: string): string {
  return header.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/**
 * Header names other systems export (Comeback, Last.app, Open Loyalty, spreadsheets). A Map, as
 * every lookup by a client's header must be: a header named `constructor` read an object's
 * prototype.
 */
const ALIASES = new Map<string, ImportableField>(
  Object.entries({
    name: 'firstName',
    surname: 'lastName',
    phonenumber: 'phone',
    mobile: 'phone',
    street: 'address.street',
    postalcode: 'address.postalCode',
    postal: 'address.postalCode',
    zipcode: 'address.postalCode',
    city: 'address.city',
    province: 'address.province',
    country: 'address.country',
    taxid: 'company.taxId',
    cardnumber: 'loyaltyCardNumber',
    marketingcommunication: 'marketingConsents.email',
  } satisfies Record<string, ImportableField>),
);

const BY_CANONICAL = new Map<string, CsvColumn>(CSV_COLUMNS.map((column) => [canonical(column), column]));

export interface ColumnPlan {
  /** Cell index → importable field. */
  columns: { index: number; field: ImportableField }[];
  /** Header → field, as applied. */
  mapping: Record<string, string>;
  ignored: string[];
}

/**
 * Parses `Header:field;Other header:field` (the `mapping` query parameter). The field is after
 * the last colon, so headers may contain colons.
 */
export function parseMapping(text: string | undefined): Map<string, ImportableField> | FieldError {
  const mapping = new Map<string, ImportableField>();
  if (text === undefined || text.trim() === '') return mapping;
  for (const pair of text.split(';')) {
    if (pair.trim() === '') continue;
    const colon = pair.lastIndexOf(':');
    const header = pair.slice(0, colon).trim();
    const field = pair.slice(colon + 1).trim();
    if (colon === -1 || header === '') {
      return { path: 'query.mapping', message: `"${pair}" is not of the form Header:field` };
    }
    if (!(IMPORTABLE_FIELDS as readonly string[]).includes(field)) {
      return {
        path: 'query.mapping',
        message: `"${field}" is not an importable field (one of ${IMPORTABLE_FIELDS.join(', ')})`,
      };
    }
    mapping.set(header, field as ImportableField);
  }
  return mapping;
}

/** Decides which column feeds which field: the explicit mapping first, then headers named like a field. */
export function planColumns(
  header: string[],
  explicit: Map<string, ImportableField>,
): ColumnPlan | FieldError {
  const columns: ColumnPlan['columns'] = [];
  // A Map, not an object: a header is data, and `constructor` in {} is true.
  const mapping = new Map<string, ImportableField>();
  const ignored: string[] = [];
  const taken = new Map<string, string>();
  for (const [index, raw] of header.entries()) {
    // Not a name PostgreSQL can store (the job keeps the mapping and the ignored columns).
    if (raw.includes('\u0000')) {
      return { path: 'body', message: `the header row's column ${index + 1} ${NUL_REFUSED}` };
    }
    const name = raw.trim();
    const key = canonical(name);
    const named = BY_CANONICAL.get(key) ?? ALIASES.get(key);
    const field =
      explicit.get(name) ?? (named && !READ_ONLY.has(named) ? (named as ImportableField) : undefined);
    if (!field) {
      // Columns of our own export that the engine assigns (id, createdAt…) are skipped quietly.
      if (name !== '' && !(named && READ_ONLY.has(named))) ignored.push(name);
      continue;
    }
    const other = taken.get(field);
    if (other !== undefined) {
      return { path: 'body', message: `columns "${other}" and "${name}" both map to ${field}` };
    }
    taken.set(field, name);
    columns.push({ index, field });
    mapping.set(name, field);
  }
  for (const header of explicit.keys()) {
    if (!mapping.has(header)) {
      return { path: 'query.mapping', message: `the CSV has no column "${header}"` };
    }
  }
  if (columns.length === 0) {
    return { path: 'body', message: 'no column of the header row maps to a customer field' };
  }
  // fromEntries defines each key as an own property, `__proto__` included.
  return { columns, mapping: Object.fromEntries(mapping), ignored };
}

const validator = Compile(CreateCustomerBody);

/**
 * One CSV row → the same body the JSON API takes, checked by the same schema. Empty cells are
 * absent fields: an import never erases a value.
 */
export function rowToInput(
  cells: string[],
  plan: ColumnPlan,
): { input: CreateCustomerBody; errors: FieldError[] } {
  const input: Record<string, unknown> = {};
  const errors: FieldError[] = [];
  for (const { index, field } of plan.columns) {
    const cell = cells[index]?.trim() ?? '';
    if (cell === '') continue;
    // An upload's cells never pass the request's NUL guard, and PostgreSQL's text cannot hold one.
    if (cell.includes('\u0000')) {
      errors.push({ path: field, message: NUL_REFUSED });
      continue;
    }
    let value: unknown = cell;
    if (BOOLEAN_FIELDS.has(field)) {
      value = parseBoolean(cell);
      if (value === undefined) {
        errors.push({ path: field, message: 'must be true or false (also 1/0, yes/no)' });
        continue;
      }
    } else if (field === 'labels') {
      value = parseLabels(cell);
      if (value === undefined) {
        errors.push({ path: field, message: 'must be written key:value;key:value' });
        continue;
      }
    }
    const dot = field.indexOf('.');
    if (dot === -1) input[field] = value;
    else {
      const parent = field.slice(0, dot);
      const nested = (input[parent] ?? {}) as Record<string, unknown>;
      nested[field.slice(dot + 1)] = value;
      input[parent] = nested;
    }
  }
  if (!validator.Check(input)) {
    const seen = new Set(errors.map((error) => error.path));
    for (const issue of validator.Errors(input)) {
      const path = issue.instancePath.split('/').filter(Boolean).join('.') || 'row';
      // Nullable fields report one error per union branch: the first is the useful one.
      if (seen.has(path) || issue.keyword === 'anyOf' || issue.message === 'must be null') continue;
      seen.add(path);
      errors.push({ path, message: issue.message });
    }
  }
  return { input: input as CreateCustomerBody, errors };
}

function consentCell(consent: { granted: boolean } | undefined): string {
  return consent === undefined ? '' : String(consent.granted);
}

/** A member as CSV cells, in CSV_COLUMNS order. */
export function customerCells(customer: Customer): string[] {
  const address = customer.address ?? {};
  const company = customer.company ?? {};
  const consents = customer.marketingConsents;
  const agreements = customer.agreements;
  const cells: Record<CsvColumn, string | null | undefined> = {
    id: customer.id,
    firstName: customer.firstName,
    lastName: customer.lastName,
    email: customer.email,
    phone: customer.phone,
    birthDate: customer.birthDate,
    gender: customer.gender,
    'address.street': address.street,
    'address.address1': address.address1,
    'address.address2': address.address2,
    'address.postalCode': address.postalCode,
    'address.city': address.city,
    'address.province': address.province,
    'address.country': address.country,
    'company.name': company.name,
    'company.taxId': company.taxId,
    language: customer.language,
    source: customer.source,
    externalId: customer.externalId,
    loyaltyCardNumber: customer.loyaltyCardNumber,
    labels: formatLabels(customer.labels),
    'marketingConsents.email': consentCell(consents.email),
    'marketingConsents.sms': consentCell(consents.sms),
    'marketingConsents.push': consentCell(consents.push),
    'agreements.terms': consentCell(agreements.terms),
    'agreements.privacy': consentCell(agreements.privacy),
    status: customer.status,
    internalNote: customer.internalNote,
    referralCode: customer.referralCode,
    referredBy: customer.referredBy,
    createdAt: customer.createdAt.toISOString(),
    updatedAt: customer.updatedAt.toISOString(),
    anonymizedAt: customer.anonymizedAt?.toISOString(),
  };
  return CSV_COLUMNS.map((column) => cells[column] ?? '');
}
