import { keepPreviousData, queryOptions, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from './client.ts';
import type { paths } from './schema.ts';

type Json<T> = T extends { content: { 'application/json': infer B } } ? B : never;
export type Customer = Json<paths['/v1/customers/{id}']['get']['responses'][200]>;
export type Balances = Json<paths['/v1/customers/{id}/points']['get']['responses'][200]>;
export type LedgerEntry = Json<
  paths['/v1/customers/{id}/points/history']['get']['responses'][200]
>['data'][number];
export type PointsBody = Json<paths['/v1/customers/{id}/points/add']['post']['requestBody']>;
type CustomerFilters = NonNullable<paths['/v1/customers']['get']['parameters']['query']>;

/**
 * What the search box holds, as the one /v1/customers filter that fits it: an email, a card
 * number, a phone (in any format), or else part of a name.
 */
export function searchFilter(text: string): CustomerFilters {
  const value = text.trim();
  if (!value) return {};
  if (value.includes('@')) return { email: value };
  const digits = value.replace(/[\s().-]/g, '');
  if (/^\+?\d{6,}$/.test(digits)) return value.startsWith('+') || digits.length <= 12 ? { phone: value } : {};
  if (/^[A-Z0-9-]{6,}$/i.test(value) && /\d/.test(value)) return { loyaltyCardNumber: value };
  return { name: value };
}

export const memberKeys = {
  all: ['members'] as const,
  list: (search: string, cursor: string | undefined) => ['members', 'list', search, cursor ?? ''] as const,
  one: (id: string) => ['members', id] as const,
  points: (id: string) => ['members', id, 'points'] as const,
  history: (id: string) => ['members', id, 'history'] as const,
};

export type MemberStatus = 'active' | 'inactive' | 'blocked';

export function useMembers(search: string, cursor: string | undefined, status?: MemberStatus) {
  return useQuery({
    queryKey: [...memberKeys.list(search, cursor), status ?? ''],
    queryFn: async ({ signal }) =>
      unwrap(
        await api.GET('/v1/customers', {
          params: {
            query: {
              ...searchFilter(search),
              limit: 25,
              ...(cursor ? { cursor } : {}),
              ...(status ? { status } : {}),
            },
          },
          signal,
        }),
      ),
    placeholderData: keepPreviousData,
  });
}

export const memberQuery = (id: string) =>
  queryOptions({
    queryKey: memberKeys.one(id),
    queryFn: async () => unwrap(await api.GET('/v1/customers/{id}', { params: { path: { id } } })),
  });

export function useBalances(id: string) {
  return useQuery({
    queryKey: memberKeys.points(id),
    queryFn: async () => unwrap(await api.GET('/v1/customers/{id}/points', { params: { path: { id } } })),
  });
}

export function useLedger(id: string, cursor: string | undefined) {
  return useQuery({
    queryKey: [...memberKeys.history(id), cursor ?? ''],
    queryFn: async () =>
      unwrap(
        await api.GET('/v1/customers/{id}/points/history', {
          params: { path: { id }, query: { limit: 20, ...(cursor ? { cursor } : {}) } },
        }),
      ),
    placeholderData: keepPreviousData,
  });
}

/** Adds or spends points by hand, with the reason staff will read in the history. */
export function usePointsChange(id: string, direction: 'add' | 'spend') {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (body: PointsBody) =>
      direction === 'add'
        ? unwrap(await api.POST('/v1/customers/{id}/points/add', { params: { path: { id } }, body }))
        : unwrap(await api.POST('/v1/customers/{id}/points/spend', { params: { path: { id } }, body })),
    onSuccess: () => client.invalidateQueries({ queryKey: memberKeys.one(id) }),
  });
}

export type TierProgress = Json<paths['/v1/customers/{id}/tier-progress']['get']['responses'][200]>;

/** Where the member stands: the current tier, the next one and what is missing for it. */
export function useTierProgress(id: string) {
  return useQuery({
    queryKey: [...memberKeys.one(id), 'tier-progress'],
    queryFn: async () =>
      unwrap(await api.GET('/v1/customers/{id}/tier-progress', { params: { path: { id } } })),
  });
}
