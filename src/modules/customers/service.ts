import { randomBytes } from 'node:crypto';
import { and, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { Db, Executor } from '../../db/connection.ts';
import type { PageRequest } from '../../db/pagination.ts';
import { ownRowIds } from '../../db/references.ts';
import { answered, mapped, type PartRead } from '../../db/together.ts';
import { transaction } from '../../db/transaction.ts';
import { emailKey, isUuid, needsDefaultCountry, normalizePhone } from '../../domain/customers.ts';
import { AppError, type FieldError, notFound, validationFailed } from '../../errors.ts';
import { eraseMemberValues } from '../audit/service.ts';
import { emit } from '../events/service.ts';
import type { OrganizationsService } from '../organizations/service.ts';
import { effectiveSettings } from '../organizations/settings.ts';
import type { CreateCustomerBody, UpdateCustomerBody } from './contract.ts';
import { createCustomerImports } from './import.ts';
import { type Customer, erasedValues, normalizeCustomerInput } from './input.ts';
import { type CustomerStatus, customers } from './schema.ts';
import * as store from './store.ts';
import { clashError, insertCustomers, uniqueClash, updateCustomer } from './writes.ts';

export type { Customer } from './input.ts';

export interface CustomerListQuery {
  email?: string | undefined;
  phone?: string | undefined;
  name?: string | undefined;
  loyaltyCardNumber?: string | undefined;
  externalId?: string | undefined;
  status?: CustomerStatus | undefined;
  /** `key` or `key:value`. */
  label?: string | undefined;
  updatedSince?: string | undefined;
}

/** What a customer use case needs to know about its organization's program. */
export interface ProgramContext {
  /** Default country for local phone numbers. */
  country: string;
  cardNumberLength: number;
}

/** A 422 carrying every field error at once, with paths prefixed by where they came from (`body`). */
export function invalidInput(errors: FieldError[], prefix: string): AppError {
  const prefixed = errors.map((error) => ({ path: `${prefix}.${error.path}`, message: error.message }));
  const summary = prefixed.map((error) => `${error.path} ${error.message}`).join('; ');
  return new AppError('validation_failed', summary, { errors: prefixed });
}

/** What cardToken makes: 32 random bytes, base64url. */
const CARD_TOKEN = /^[A-Za-z0-9_-]{43}$/;

/** Generated card numbers and referral codes are random: on the rare clash, try again with new ones. */
const GENERATED_CODE_ATTEMPTS = 5;

/**
 * Lookup precedence when one identifier matches several members: the member's id, then the
 * loyalty card number (what a QR scan yields), then the email, then the phone, then the
 * external id. A scanned card never resolves to someone whose external id happens to be equal.
 */
export const LOOKUP_PRECEDENCE = ['id', 'loyaltyCardNumber', 'email', 'phone', 'externalId'] as const;

export function createCustomersService(db: Db, organizations: Pick<OrganizationsService, 'get'>) {
  async function programOf(organizationId: string, executor: Executor = db): Promise<ProgramContext> {
    const organization = await organizations.get(organizationId, executor);
    return {
      country: organization.country,
      cardNumberLength: effectiveSettings(organization.settings).loyaltyCardNumberLength,
    };
  }

  /** The member by id; `forUpdate` row-locks them until the caller's transaction ends. */
  async function get(
    organizationId: string,
    id: string,
    executor: Executor = db,
    options: { forUpdate?: boolean } = {},
  ): Promise<Customer> {
    if (!isUuid(id)) throw notFound('customer');
    const row = await store.findById(executor, organizationId, id.toLowerCase(), options);
    if (!row) throw notFound('customer');
    return row;
  }

  function lockForChange(executor: Executor, organizationId: string, id: string): Promise<Customer> {
    return get(organizationId, id, executor, { forUpdate: true });
  }

  /** The referrer's id from a referral code or id; undefined when not given, null to clear. */
  async function resolveReferrer(
    executor: Executor,
    organizationId: string,
    reference: string | null | undefined,
    selfId?: string,
  ): Promise<string | null | undefined> {
    if (reference === undefined || reference === null) return reference;
    const value = reference.trim();
    const found = await store.findReferrers(executor, organizationId, {
      codes: [value],
      ids: isUuid(value) ? [value.toLowerCase()] : [],
    });
    const id = found.get(value) ?? found.get(value.toLowerCase());
    if (!id) throw validationFailed('body.referredBy', 'no member has this referral code or id');
    if (id === selfId) throw validationFailed('body.referredBy', 'a member cannot refer themself');
    return id;
  }

  /** What an identifier typed or scanned at the till could be: an id, a card, an email, a phone, an external id. */
  async function candidatesOf(
    organizationId: string,
    value: string,
    executor: Executor,
  ): Promise<store.IdentifierCandidates> {
    const country = needsDefaultCountry(value)
      ? (await organizations.get(organizationId, executor)).country
      : undefined;
    return {
      id: isUuid(value) ? value.toLowerCase() : undefined,
      loyaltyCardNumber: value,
      emailKey: value.includes('@') ? emailKey(value) : undefined,
      phone: normalizePhone(value, country),
      externalId: value,
    };
  }

  /** Of the members the candidates matched, the one the precedence names. */
  function chosen(rows: Customer[], candidates: store.IdentifierCandidates): Customer | undefined {
    const matches: Record<(typeof LOOKUP_PRECEDENCE)[number], (row: Customer) => boolean> = {
      id: (row) => row.id === candidates.id,
      loyaltyCardNumber: (row) => row.loyaltyCardNumber === candidates.loyaltyCardNumber,
      email: (row) => row.email !== null && emailKey(row.email) === candidates.emailKey,
      phone: (row) => row.phone !== null && row.phone === candidates.phone,
      externalId: (row) => row.externalId === candidates.externalId,
    };
    for (const kind of LOOKUP_PRECEDENCE) {
      const row = rows.find(matches[kind]);
      if (row) return row;
    }
    return undefined;
  }

  /** The member an identifier names; `forUpdate` row-locks what it reads until the transaction ends. */
  async function lookup(
    organizationId: string,
    identifier: string,
    executor: Executor = db,
    options: { forUpdate?: boolean } = {},
  ): Promise<Customer> {
    const value = identifier.trim();
    if (value === '') throw notFound('customer');
    const candidates = await candidatesOf(organizationId, value, executor);
    const rows = await store.findByIdentifiers(executor, organizationId, candidates, options);
    const found = chosen(rows, candidates);
    if (!found) throw notFound('customer');
    return found;
  }

  /** lookup as a part of a read several modules answer together: undefined when nobody matches. */
  async function lookupPart(
    organizationId: string,
    identifier: string,
    executor: Executor = db,
  ): Promise<PartRead<Customer | undefined>> {
    const value = identifier.trim();
    if (value === '') return answered(undefined);
    const candidates = await candidatesOf(organizationId, value, executor);
    return mapped(store.identifiersPart(organizationId, candidates), (rows) => chosen(rows, candidates));
  }

  async function changeStatus(organizationId: string, id: string, status: CustomerStatus): Promise<Customer> {
    return transaction(db, async (tx) => {
      const current = await lockForChange(tx, organizationId, id);
      return (await updateCustomer(tx, current, { status })).customer;
    });
  }

  function customerEvent(type: string, customer: Customer) {
    return {
      organizationId: customer.organizationId,
      type,
      subject: { type: 'customer', id: customer.id },
      payload: { customerId: customer.id },
    };
  }

  return {
    get,
    lookup,

    /** The organization's members among these ids (deleted ones left out), by id: one read for a list's rows. */
    async many(organizationId: string, ids: readonly string[], executor: Executor = db) {
      const wanted = [...new Set(ids.filter(isUuid).map((id) => id.toLowerCase()))];
      if (wanted.length === 0) return new Map<string, Customer>();
      const rows = await executor
        .select()
        .from(customers)
        .where(
          and(
            eq(customers.organizationId, organizationId),
            inArray(customers.id, wanted),
            isNull(customers.deletedAt),
          ),
        );
      return new Map(rows.map((row) => [row.id, row]));
    },

    /** Which of these ids are the organization's members (anonymized ones too): for checking references. */
    ownIds: (organizationId: string, ids: readonly string[], executor: Executor = db) =>
      ownRowIds(executor, customers, organizationId, ids),
    lookupPart,

    /**
     * The member as a part of a read several modules answer together (see db/together.ts);
     * undefined when absent, deleted, or when the id cannot be a member's.
     */
    memberPart(organizationId: string, id: string): PartRead<Customer | undefined> {
      return isUuid(id) ? store.memberPart(organizationId, id.toLowerCase()) : answered(undefined);
    },
    programOf,

    /** Active members whose birthday is this month and day (`MM-DD`). */
    bornOn(organizationId: string, monthDay: string): Promise<string[]> {
      return store.bornOn(db, organizationId, monthDay);
    },

    async list(organizationId: string, query: CustomerListQuery, page: PageRequest): Promise<Customer[]> {
      return store.list(db, organizationId, await toFilter(organizationId, query), page);
    },

    /**
     * All matching members, read a page at a time so that an export never holds them all.
     * The filter is checked before the first row is read (a bad one is a 422, not a broken stream).
     */
    async iterate(organizationId: string, query: CustomerListQuery, batchSize = 1000) {
      const filter = await toFilter(organizationId, query);
      return (async function* () {
        let afterId: string | undefined;
        for (;;) {
          const rows = await store.list(db, organizationId, filter, { limit: batchSize, afterId });
          yield* rows.slice(0, batchSize);
          if (rows.length <= batchSize) return;
          afterId = rows[batchSize - 1]!.id;
        }
      })();
    },

    async create(organizationId: string, input: CreateCustomerBody): Promise<Customer> {
      const program = await programOf(organizationId);
      const { values, errors } = normalizeCustomerInput(input, { country: program.country, now: new Date() });
      if (errors.length > 0) throw invalidInput(errors, 'body');
      for (let attempt = 1; ; attempt++) {
        try {
          return await transaction(db, async (tx) => {
            const referredBy = await resolveReferrer(tx, organizationId, input.referredBy);
            const [created] = await insertCustomers(tx, organizationId, [{ values, referredBy }], {
              cardNumberLength: program.cardNumberLength,
            });
            return (await store.findById(tx, organizationId, created!.id))!;
          });
        } catch (error) {
          const field = uniqueClash(error);
          const generated =
            field === 'referralCode' || (field === 'loyaltyCardNumber' && values.loyaltyCardNumber == null);
          if (generated && attempt < GENERATED_CODE_ATTEMPTS) continue;
          if (field && field !== 'referralCode') throw clashError(field);
          throw error;
        }
      }
    },

    /** Changes the given fields; `address`, `company` and consents merge key by key. */
    async update(organizationId: string, id: string, patch: UpdateCustomerBody): Promise<Customer> {
      const program = await programOf(organizationId);
      try {
        return await transaction(db, async (tx) => {
          const current = await lockForChange(tx, organizationId, id);
          if (current.anonymizedAt) {
            throw new AppError(
              'customer_anonymized',
              'this member was anonymized; their record cannot be changed',
            );
          }
          const { values, errors } = normalizeCustomerInput(patch, {
            country: program.country,
            now: new Date(),
            current,
          });
          if (errors.length > 0) throw invalidInput(errors, 'body');
          const referredBy = await resolveReferrer(tx, organizationId, patch.referredBy, current.id);
          const change = referredBy === undefined ? values : { ...values, referredBy };
          return (await updateCustomer(tx, current, change)).customer;
        });
      } catch (error) {
        const field = uniqueClash(error);
        if (field && field !== 'referralCode') throw clashError(field);
        throw error;
      }
    },

    activate: (organizationId: string, id: string) => changeStatus(organizationId, id, 'active'),
    deactivate: (organizationId: string, id: string) => changeStatus(organizationId, id, 'inactive'),
    block: (organizationId: string, id: string) => changeStatus(organizationId, id, 'blocked'),

    /**
     * GDPR erasure: every personal field and identifier is wiped, so the old email, phone and
     * card no longer resolve; the id, status, ledger and transactions stay. Repeating it is a no-op.
     */
    async anonymize(organizationId: string, id: string): Promise<Customer> {
      return transaction(db, async (tx) => {
        const current = await lockForChange(tx, organizationId, id);
        if (current.anonymizedAt) return current;
        const [customer] = await tx
          .update(customers)
          .set(erasedValues(new Date()))
          .where(and(eq(customers.organizationId, organizationId), eq(customers.id, current.id)))
          .returning();
        // The audit log's copies of their personal fields go with them.
        await eraseMemberValues(tx, organizationId, current.id);
        await emit(tx, customerEvent('customer.anonymized', customer!));
        return customer!;
      });
    },

    /**
     * Removes the member from the organization. Soft: the row stays (anonymized, flagged deleted)
     * so ledger entries and transactions keep their member and the program's totals still add up;
     * the API answers 404 for it from then on.
     */
    async remove(organizationId: string, id: string): Promise<void> {
      await transaction(db, async (tx) => {
        const current = await lockForChange(tx, organizationId, id);
        const now = new Date();
        const [customer] = await tx
          .update(customers)
          .set({ ...(current.anonymizedAt ? {} : erasedValues(now)), deletedAt: now, updatedAt: now })
          .where(and(eq(customers.organizationId, organizationId), eq(customers.id, current.id)))
          .returning();
        if (!current.anonymizedAt) await eraseMemberValues(tx, organizationId, current.id);
        await emit(tx, customerEvent('customer.deleted', customer!));
      });
    },

    /** Page `page` (from 0) of `size` members in id order, and how many there are. */
    async page(
      organizationId: string,
      page: number,
      size: number,
    ): Promise<{ customers: Customer[]; total: number }> {
      const [rows, total] = await Promise.all([
        store.listByOffset(db, organizationId, page * size, size),
        store.countVisible(db, organizationId),
      ]);
      return { customers: rows, total };
    },

    /**
     * The secret of the member's card link (`/cards/{organizationId}/{token}`): 256 random bits,
     * made on the first request and the same afterwards.
     */
    async cardToken(organizationId: string, id: string): Promise<string> {
      const customer = await get(organizationId, id);
      if (customer.cardToken) return customer.cardToken;
      const [row] = await db
        .update(customers)
        .set({ cardToken: sql`coalesce(${customers.cardToken}, ${randomBytes(32).toString('base64url')})` })
        .where(and(eq(customers.organizationId, organizationId), eq(customers.id, customer.id)))
        .returning({ cardToken: customers.cardToken });
      return row!.cardToken!;
    },

    /**
     * The member behind a card link. Opened through an Apple or Android wallet link, it records
     * (once, with a `customer.updated` event) that the member took their card there.
     */
    async openCard(organizationId: string, token: string, wallet?: 'apple' | 'android'): Promise<Customer> {
      if (!isUuid(organizationId) || !CARD_TOKEN.test(token)) throw notFound('card');
      return transaction(db, async (tx) => {
        const current = await store.findByCardToken(tx, organizationId.toLowerCase(), token, {
          forUpdate: wallet !== undefined,
        });
        if (!current) throw notFound('card');
        const field = wallet === 'apple' ? 'applePassDownloadedAt' : 'androidPassDownloadedAt';
        if (wallet === undefined || current[field] !== null) return current;
        return (await updateCustomer(tx, current, { [field]: new Date() })).customer;
      });
    },

    imports: createCustomerImports(db, programOf),
  };

  async function toFilter(organizationId: string, query: CustomerListQuery): Promise<store.CustomerFilter> {
    let phone: string | undefined;
    if (query.phone !== undefined && query.phone.trim() !== '') {
      const country = needsDefaultCountry(query.phone)
        ? (await programOf(organizationId)).country
        : undefined;
      phone = normalizePhone(query.phone, country);
      if (!phone) throw validationFailed('query.phone', 'is not a valid phone number');
    }
    let label: store.CustomerFilter['label'];
    if (query.label) {
      const colon = query.label.indexOf(':');
      label =
        colon === -1
          ? { key: query.label }
          : { key: query.label.slice(0, colon), value: query.label.slice(colon + 1) };
    }
    return {
      email: query.email,
      phone,
      name: query.name,
      loyaltyCardNumber: query.loyaltyCardNumber,
      externalId: query.externalId,
      status: query.status,
      label,
      updatedSince: query.updatedSince ? new Date(query.updatedSince) : undefined,
    };
  }
}

export type CustomersService = ReturnType<typeof createCustomersService>;
