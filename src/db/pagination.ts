import { type AnyColumn, gt } from 'drizzle-orm';

/** A page to read: at most `limit` rows whose id is greater than `afterId` (ids are time-ordered UUIDv7). */
export interface PageRequest {
  limit: number;
  afterId: string | undefined;
}

/** The keyset condition of a page; stores also order by the id and fetch `limit + 1` rows. */
export function afterCursor(idColumn: AnyColumn, page: PageRequest) {
  return page.afterId ? gt(idColumn, page.afterId) : undefined;
}

/** How many rows a store fetches: one more than asked tells whether there is a next page. */
export function fetchSize(page: PageRequest): number {
  return page.limit + 1;
}
