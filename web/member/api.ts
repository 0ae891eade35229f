import {
  QueryClient,
  queryOptions,
  useInfiniteQuery,
  useMutation,
  useQuery,
  useQueryClient,
} from '@tanstack/react-query';
import createClient from 'openapi-fetch';
import { ApiError, unwrap } from '../shared/api/client.ts';
import type { paths } from '../shared/api/schema.ts';

type Json<P extends keyof paths, M extends 'get' | 'post' | 'patch'> = paths[P][M] extends {
  responses: infer R;
}
  ? R extends { 200: { content: { 'application/json': infer T } } }
    ? T
    : R extends { 201: { content: { 'application/json': infer T } } }
      ? T
      : never
  : never;

export type MemberPage = Json<'/v1/public/organizations/{organizationId}/member-page', 'get'>;
export type Profile = Json<'/v1/me', 'get'>;
export type Points = Json<'/v1/me/points', 'get'>;
export type TierProgress = Json<'/v1/me/tier', 'get'>;
export type Rewards = Json<'/v1/me/rewards', 'get'>;
export type HistoryPage = Json<'/v1/me/points/history', 'get'>;
export type JoinBody =
  paths['/v1/public/organizations/{organizationId}/join']['post']['requestBody']['content']['application/json'];
export type ProfilePatch = NonNullable<
  paths['/v1/me']['patch']['requestBody']
>['content']['application/json'];
export type Address = { email: string } | { phone: string };

/**
 * This browser's member session for one organization: the session itself is the httpOnly cookie;
 * kept here are the CSRF token its POSTs echo and whose it is (the cookie is the host's, and a
 * member of another organization on the same phone must not show here).
 */
interface StoredSession {
  csrfToken: string;
  customerId: string;
}
const sessionKey = (organizationId: string) => `regulars.member.${organizationId}`;

export function storedSession(organizationId: string): StoredSession | undefined {
  try {
    const value = JSON.parse(localStorage.getItem(sessionKey(organizationId)) ?? 'null') as unknown;
    if (typeof value === 'object' && value && 'csrfToken' in value && 'customerId' in value)
      return value as StoredSession;
  } catch {
    // A value this page did not write: no session.
  }
  return undefined;
}

/** The organization whose pages these are: the first segment after /m/. */
export const organizationId = window.location.pathname.split('/')[2] ?? '';

export const api = createClient<paths>({ baseUrl: window.location.origin, credentials: 'same-origin' });
api.use({
  onRequest({ request }) {
    const session = storedSession(organizationId);
    if (request.method !== 'GET' && session) request.headers.set('x-csrf-token', session.csrfToken);
    return request;
  },
});

export const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      retry: (count, error) => !(error instanceof ApiError && error.status < 500) && count < 2,
      staleTime: 15_000,
    },
  },
});

const org = { params: { path: { organizationId } } };

export const pageQuery = queryOptions({
  queryKey: ['member-page', organizationId],
  queryFn: async () => unwrap(await api.GET('/v1/public/organizations/{organizationId}/member-page', org)),
  staleTime: 5 * 60_000,
});

/** The signed-in member, or null: no session, an ended one, or another organization's. */
export const meQuery = queryOptions({
  queryKey: ['me', organizationId],
  queryFn: async (): Promise<Profile | null> => {
    const session = storedSession(organizationId);
    if (!session) return null;
    try {
      const me = unwrap(await api.GET('/v1/me'));
      return me.id === session.customerId ? me : null;
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return null;
      throw error;
    }
  },
});

export const useMe = () => useQuery(meQuery);
export const useCard = () =>
  useQuery({ queryKey: ['card'], queryFn: async () => unwrap(await api.GET('/v1/me/card')) });
export const usePoints = () =>
  useQuery({ queryKey: ['points'], queryFn: async () => unwrap(await api.GET('/v1/me/points')) });
export const useTier = () =>
  useQuery({ queryKey: ['tier'], queryFn: async () => unwrap(await api.GET('/v1/me/tier')) });

export function useRewards(locale: string) {
  return useQuery({
    queryKey: ['rewards', locale],
    queryFn: async () => unwrap(await api.GET('/v1/me/rewards', { params: { query: { locale } } })),
  });
}

export function useCoupons() {
  return useQuery({
    queryKey: ['coupons'],
    queryFn: async () =>
      unwrap(await api.GET('/v1/me/coupons', { params: { query: { status: 'active', limit: 50 } } })),
  });
}

export function useHistory() {
  return useInfiniteQuery({
    queryKey: ['history'],
    initialPageParam: undefined as string | undefined,
    queryFn: async ({ pageParam }) =>
      unwrap(
        await api.GET('/v1/me/points/history', {
          params: { query: { limit: 20, ...(pageParam ? { cursor: pageParam } : {}) } },
        }),
      ),
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
}

export function useRequestCode() {
  return useMutation({
    mutationFn: async (body: Address) =>
      unwrap(await api.POST('/v1/public/organizations/{organizationId}/sign-in/code', { ...org, body })),
  });
}

export function useVerify() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (body: Address & { code: string }) =>
      unwrap(await api.POST('/v1/public/organizations/{organizationId}/sign-in/verify', { ...org, body })),
    onSuccess: (session) => {
      const stored: StoredSession = { csrfToken: session.csrfToken, customerId: session.customerId };
      localStorage.setItem(sessionKey(organizationId), JSON.stringify(stored));
      // Whoever was (not) signed in before: every member query asks again, the page shows the card.
      return client.resetQueries({ predicate: (query) => query.queryKey[0] !== 'member-page' });
    },
  });
}

export function useJoin() {
  return useMutation({
    mutationFn: async (body: JoinBody) =>
      unwrap(await api.POST('/v1/public/organizations/{organizationId}/join', { ...org, body })),
  });
}

export function useClaim() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (rewardId: string) =>
      unwrap(await api.POST('/v1/me/rewards/{rewardId}/claim', { params: { path: { rewardId } }, body: {} })),
    onSettled: () => client.invalidateQueries({ predicate: (query) => query.queryKey[0] !== 'member-page' }),
  });
}

export function useUpdateProfile() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (body: ProfilePatch) => unwrap(await api.PATCH('/v1/me', { body })),
    onSuccess: (me) => client.setQueryData(meQuery.queryKey, me),
  });
}

/** Forgets the session here, whatever the server answered (it may have ended already). */
function useEndSession(end: () => Promise<unknown>) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: end,
    onSuccess: () => {
      localStorage.removeItem(sessionKey(organizationId));
      client.removeQueries({ predicate: (query) => query.queryKey[0] !== 'member-page' });
      client.setQueryData(meQuery.queryKey, null);
    },
  });
}

export const useSignOut = () => useEndSession(async () => unwrap(await api.POST('/v1/me/sign-out')));
export const useAnonymize = () =>
  useEndSession(async () => unwrap(await api.POST('/v1/me/anonymize', { body: { confirm: true } })));

/** Which wallet cards this server makes (none until an operator configures them). */
export const useWallets = () =>
  useQuery({ queryKey: ['wallets'], queryFn: async () => unwrap(await api.GET('/v1/me/passes')) });

/** The "Save to Google Wallet" link, made when asked (it carries a signed token). */
export const useGoogleSaveLink = () =>
  useMutation({ mutationFn: async () => unwrap(await api.GET('/v1/me/passes/google')) });
