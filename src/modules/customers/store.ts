import { type AnyColumn, and, asc, eq, gte, ilike, inArray, isNull, or, type SQL, sql } from 'drizzle-orm';
import { type Executor, rowOf, tableRows } from '../../db/connection.ts';
import { afterCursor, fetchSize, type PageRequest } from '../../db/pagination.ts';
import { answered, type PartRead } from '../../db/together.ts';
import type { Customer } from './input.ts';
import { type CustomerStatus, customers } from './schema.ts';

/** SQL over the customers table. Every query is scoped to one organization and skips deleted members. */

const visible = (organizationId: string) =>
  and(eq(customers.organizationId, organizationId), isNull(customers.deletedAt));

/** The expression the (organization_id, lower(email)) unique index is built on. */
export const emailKeyColumn = sql`lower(${customers.email})`;

export async function findById(
  executor: Executor,
  organizationId: string,
  id: string,
  options: { forUpdate?: boolean } = {},
): Promise<Customer | undefined> {
  // Hand-written: every ticket, spend and redemption reads its member (see tableRows).
  const [row] = await tableRows(
    executor,
    customers,
    sql`select * from ${customers}
        where organization_id = ${organizationId} and id = ${id} and deleted_at is null
        ${options.forUpdate ? sql`for update` : sql``}`,
  );
  return row;
}

/** The member by id (undefined when absent or deleted), as a part of a read several modules answer together. */
export function memberPart(organizationId: string, id: string): PartRead<Customer | undefined> {
  return {
    json: sql`select row_to_json(c) from ${customers} c
              where c.organization_id = ${organizationId} and c.id = ${id} and c.deleted_at is null`,
    decode: (value) => (value ? rowOf(customers, value as Record<string, unknown>) : undefined),
  };
}

export interface IdentifierCandidates {
  id?: string | undefined;
  loyaltyCardNumber?: string | undefined;
  emailKey?: string | undefined;
  phone?: string | undefined;
  externalId?: string | undefined;
}

/**
 * Every member matching any of the candidates, in one round trip: each arm of the OR is served
 * by its own (organization_id, …) index, which PostgreSQL combines with a BitmapOr. Null when
 * there is no candidate to look for.
 */
function identifiersQuery(organizationId: string, candidates: IdentifierCandidates): SQL | null {
  const arms: SQL[] = [];
  if (candidates.id) arms.push(sql`id = ${candidates.id}`);
  if (candidates.loyaltyCardNumber) arms.push(sql`loyalty_card_number = ${candidates.loyaltyCardNumber}`);
  if (candidates.emailKey) arms.push(sql`lower(email) = ${candidates.emailKey}`);
  if (candidates.phone) arms.push(sql`phone = ${candidates.phone}`);
  if (candidates.externalId) arms.push(sql`external_id = ${candidates.externalId}`);
  if (arms.length === 0) return null;
  return sql`select * from ${customers}
      where organization_id = ${organizationId} and deleted_at is null and (${sql.join(arms, sql` or `)})
      limit ${arms.length}`;
}

export function findByIdentifiers(
  executor: Executor,
  organizationId: string,
  candidates: IdentifierCandidates,
  options: { forUpdate?: boolean } = {},
): Promise<Customer[]> {
  const query = identifiersQuery(organizationId, candidates);
  if (!query) return Promise.resolve([]);
  // The till's first call: written by hand (see tableRows).
  return tableRows(executor, customers, options.forUpdate ? sql`${query} for update` : query);
}

/** findByIdentifiers as a part of a read several modules answer together. */
export function identifiersPart(
  organizationId: string,
  candidates: IdentifierCandidates,
): PartRead<Customer[]> {
  const query = identifiersQuery(organizationId, candidates);
  if (!query) return answered([]);
  return {
    json: sql`select coalesce(json_agg(row_to_json(found)), '[]'::json) from (${query}) found`,
    decode: (value) => ((value ?? []) as Array<Record<string, unknown>>).map((raw) => rowOf(customers, raw)),
  };
}

export interface IdentifierSets {
  emailKeys: string[];
  phones: string[];
  loyaltyCardNumbers: string[];
  externalIds: string[];
}

/**
 * Members holding any of these identifiers: how an import checks a whole chunk of rows at once.
 * Each value is one probe of its unique index (`unnest` joined laterally, `limit 1`): a plain
 * `= any(...)` lets the planner scan the whole organization when statistics lag behind a bulk
 * load, and the embedded engine has no autovacuum to refresh them.
 */
export async function findByIdentifierSets(
  executor: Executor,
  organizationId: string,
  sets: IdentifierSets,
): Promise<Customer[]> {
  const kinds: [SQL | AnyColumn, string[]][] = [
    [emailKeyColumn, sets.emailKeys],
    [customers.phone, sets.phones],
    [customers.loyaltyCardNumber, sets.loyaltyCardNumbers],
    [customers.externalId, sets.externalIds],
  ];
  const found = new Map<string, Customer>();
  for (const [column, values] of kinds) {
    if (values.length === 0) continue;
    const match = executor
      .select()
      .from(customers)
      .where(and(visible(organizationId), sql`${column} = k.v`))
      .limit(1)
      .as('c');
    const rows = await executor
      .select()
      .from(sql`unnest(${sql.param(values)}::text[]) as k(v)`)
      .crossJoinLateral(match);
    for (const { c } of rows) found.set(c.id, c as Customer);
  }
  return [...found.values()];
}

/** Referrers by referral code or id; returns code-or-id → member id. */
export async function findReferrers(
  executor: Executor,
  organizationId: string,
  references: { codes: string[]; ids: string[] },
): Promise<Map<string, string>> {
  const arms: SQL[] = [];
  if (references.codes.length > 0) arms.push(inArray(customers.referralCode, references.codes));
  if (references.ids.length > 0) arms.push(inArray(customers.id, references.ids));
  const found = new Map<string, string>();
  if (arms.length === 0) return found;
  const rows = await executor
    .select({ id: customers.id, referralCode: customers.referralCode })
    .from(customers)
    .where(and(visible(organizationId), or(...arms)));
  for (const row of rows) {
    found.set(row.id, row.id);
    if (row.referralCode) found.set(row.referralCode, row.id);
  }
  return found;
}

export interface CustomerFilter {
  email?: string | undefined;
  /** Already in E.164. */
  phone?: string | undefined;
  name?: string | undefined;
  loyaltyCardNumber?: string | undefined;
  externalId?: string | undefined;
  status?: CustomerStatus | undefined;
  /** `key` (any value) or `key:value`. */
  label?: { key: string; value?: string | undefined } | undefined;
  updatedSince?: Date | undefined;
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (char) => `\\${char}`);
}

export function filterCondition(organizationId: string, filter: CustomerFilter): SQL | undefined {
  const name = filter.name?.trim();
  const label = filter.label;
  return and(
    visible(organizationId),
    filter.email ? sql`${emailKeyColumn} = ${filter.email.trim().toLowerCase()}` : undefined,
    filter.phone ? eq(customers.phone, filter.phone) : undefined,
    filter.loyaltyCardNumber ? eq(customers.loyaltyCardNumber, filter.loyaltyCardNumber) : undefined,
    filter.externalId ? eq(customers.externalId, filter.externalId) : undefined,
    filter.status ? eq(customers.status, filter.status) : undefined,
    filter.updatedSince ? gte(customers.updatedAt, filter.updatedSince) : undefined,
    name
      ? or(
          ilike(customers.firstName, `%${escapeLike(name)}%`),
          ilike(customers.lastName, `%${escapeLike(name)}%`),
          ilike(
            sql`coalesce(${customers.firstName}, '') || ' ' || coalesce(${customers.lastName}, '')`,
            `%${escapeLike(name)}%`,
          ),
        )
      : undefined,
    label
      ? sql`${customers.labels} @> ${JSON.stringify([label.value === undefined ? { key: label.key } : label])}::jsonb`
      : undefined,
  );
}

export function list(
  executor: Executor,
  organizationId: string,
  filter: CustomerFilter,
  page: PageRequest,
): Promise<Customer[]> {
  return executor
    .select()
    .from(customers)
    .where(and(filterCondition(organizationId, filter), afterCursor(customers.id, page)))
    .orderBy(asc(customers.id))
    .limit(fetchSize(page));
}

/** Ids of the active members born on a given month and day (`MM-DD`), for birthday rewards. */
export async function bornOn(
  executor: Executor,
  organizationId: string,
  monthDay: string,
): Promise<string[]> {
  const rows = await executor
    .select({ id: customers.id })
    .from(customers)
    .where(
      and(
        eq(customers.organizationId, organizationId),
        eq(customers.status, 'active'),
        isNull(customers.deletedAt),
        sql`to_char(${customers.birthDate}, 'MM-DD') = ${monthDay}`,
      ),
    );
  return rows.map((row) => row.id);
}

/** Page `offset / limit` of the organization's members in id order: for APIs numbered by page. */
export function listByOffset(
  executor: Executor,
  organizationId: string,
  offset: number,
  limit: number,
): Promise<Customer[]> {
  return executor
    .select()
    .from(customers)
    .where(visible(organizationId))
    .orderBy(asc(customers.id))
    .offset(offset)
    .limit(limit);
}

export async function countVisible(executor: Executor, organizationId: string): Promise<number> {
  const [row] = await executor
    .select({ count: sql<string>`count(*)` })
    .from(customers)
    .where(visible(organizationId));
  return Number(row?.count ?? 0);
}

export async function findByCardToken(
  executor: Executor,
  organizationId: string,
  token: string,
  options: { forUpdate?: boolean } = {},
): Promise<Customer | undefined> {
  const query = executor
    .select()
    .from(customers)
    .where(and(visible(organizationId), eq(customers.cardToken, token)));
  const [row] = options.forUpdate ? await query.for('update') : await query;
  return row;
}
