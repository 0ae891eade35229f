import { type AnyColumn, gt, lt } from 'drizzle-orm';

/** A page to read: at most `limit` rows that come after `afterId` in the list's id order (ids are time-ordered UUIDv7). */
export interface PageRequest {
  limit: number;
  afterId: string | undefined;
}

/**
 * The keyset condition of a page; stores also order by the id and fetch `limit + 1` rows.
 * Lists read newest first (`desc`, e.g. a ledger history) order by the id descending instead.
 */
export function afterCursor(idColumn: AnyColumn, page: PageRequest, order: 'asc' | 'desc' = 'asc') {
  if (!page.afterId) return undefined;
  return order === 'asc' ? gt(idColumn, page.afterId) : lt(idColumn, page.afterId);
}

/** How many rows a store fetches: one more than asked tells whether there is a next page. */
export function fetchSize(page: PageRequest): number {
  return page.limit + 1;
}
