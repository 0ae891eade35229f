import { type TSchema, Type } from 'typebox';
import type { PageRequest } from '../db/pagination.ts';
import { validationFailed } from '../errors.ts';

/** The one way every list is paginated: `?limit=&cursor=` in, `{data, nextCursor}` out. */
export const PageQuery = {
  limit: Type.Optional(
    Type.Integer({ minimum: 1, maximum: 100, default: 20, description: 'Page size (1–100)', examples: [20] }),
  ),
  cursor: Type.Optional(
    Type.String({
      maxLength: 200,
      description: 'The `nextCursor` of the previous page; omit for the first page',
    }),
  ),
};

export function Page<T extends TSchema>(item: T) {
  return Type.Object({
    data: Type.Array(item),
    nextCursor: Type.Union([Type.String(), Type.Null()], {
      description: 'Pass as `cursor` to get the next page; null on the last page',
    }),
  });
}

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function pageRequest(query: { limit?: number; cursor?: string }): PageRequest {
  const limit = query.limit ?? 20;
  if (query.cursor === undefined || query.cursor === '') return { limit, afterId: undefined };
  const afterId = Buffer.from(query.cursor, 'base64url').toString('utf8');
  if (!UUID_PATTERN.test(afterId))
    throw validationFailed('query.cursor', 'is not a cursor returned by this API');
  return { limit, afterId };
}

/** Cuts the extra row a store fetched and turns the last id into the next cursor. */
export function toPage<T>(rows: T[], page: PageRequest, idOf: (row: T) => string) {
  const hasMore = rows.length > page.limit;
  const data = hasMore ? rows.slice(0, page.limit) : rows;
  const last = data[data.length - 1];
  return {
    data,
    nextCursor: hasMore && last !== undefined ? Buffer.from(idOf(last), 'utf8').toString('base64url') : null,
  };
}
