import { and, eq, inArray } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import { isUuid } from '../domain/customers.ts';
import { validationFailed } from '../errors.ts';
import type { Executor } from './connection.ts';

/**
 * Which of `ids` are rows of the organization. Each module answers it for its own tables (see
 * `ownRowIds`), so another module can check the ids a request names without reading those tables.
 */
export type OwnIds = (
  organizationId: string,
  ids: readonly string[],
  executor?: Executor,
) => Promise<ReadonlySet<string>>;

/** A table keyed by organization and id: what `ownRowIds` reads. */
type TenantTable = PgTable & { organizationId: PgColumn; id: PgColumn };

/**
 * The ids among `ids` that name a row of `table` in the organization, lower-cased. One query,
 * whatever the number of ids; a string that is not a UUID names no row (and is never sent to
 * PostgreSQL, where it would fail the cast).
 */
export async function ownRowIds(
  executor: Executor,
  table: TenantTable,
  organizationId: string,
  ids: readonly string[],
): Promise<ReadonlySet<string>> {
  const wanted = [...new Set(ids.filter(isUuid).map((id) => id.toLowerCase()))];
  if (wanted.length === 0) return new Set();
  const rows = await executor
    .select({ id: table.id })
    .from(table)
    .where(and(eq(table.organizationId, organizationId), inArray(table.id, wanted)));
  return new Set(rows.map((row) => String(row.id)));
}

/**
 * Every id a request names must be a row of the caller's organization: the first that is not
 * answers 422 on `path.index` ("is not a location of this organization"). Nothing is caught here,
 * so a database failure stays a failure and never turns into the caller's mistake.
 */
export async function requireOwnIds(
  own: OwnIds,
  organizationId: string,
  ids: readonly string[] | null | undefined,
  field: { path: string; noun: string },
  executor?: Executor,
): Promise<void> {
  if (!ids || ids.length === 0) return;
  const found = await own(organizationId, ids, executor);
  const index = ids.findIndex((id) => !found.has(id.toLowerCase()));
  if (index >= 0)
    throw validationFailed(`${field.path}.${index}`, `is not ${field.noun} of this organization`);
}

/** `requireOwnIds` for one id (`path` names the field itself, without an index). */
export async function requireOwnId(
  own: OwnIds,
  organizationId: string,
  id: string | null | undefined,
  field: { path: string; noun: string },
  executor?: Executor,
): Promise<void> {
  if (!id) return;
  const found = await own(organizationId, [id], executor);
  if (!found.has(id.toLowerCase()))
    throw validationFailed(field.path, `is not ${field.noun} of this organization`);
}
