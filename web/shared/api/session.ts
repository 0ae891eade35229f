import { queryOptions, useMutation, useQueryClient, useSuspenseQuery } from '@tanstack/react-query';
import { ApiError, api, deviceKey, unwrap } from './client.ts';
import type { paths } from './schema.ts';

export type Me = paths['/v1/auth/me']['get']['responses'][200]['content']['application/json'];
export type StaffRole = 'owner' | 'manager' | 'analyst' | 'cashier';

/** Who is signed in: null when nobody is (401), so routes can send the visitor to sign in. */
export const meQuery = queryOptions({
  queryKey: ['me'],
  queryFn: async (): Promise<Me | null> => {
    try {
      return unwrap(await api.GET('/v1/auth/me'));
    } catch (error) {
      if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
        // A device key an owner revoked: forgotten, so that signing in (a cookie) works again here.
        if (error.status === 401) deviceKey.forget();
        return null;
      }
      throw error;
    }
  },
  staleTime: 60_000,
});

export const organizationQuery = queryOptions({
  queryKey: ['organization'],
  queryFn: async () => unwrap(await api.GET('/v1/organization')),
  staleTime: 5 * 60_000,
});

/** The signed-in staff user, inside the signed-in routes (which send everyone else to sign in). */
export function useMe(): Me {
  const { data } = useSuspenseQuery(meQuery);
  if (!data) throw new Error('not signed in');
  return data;
}

/** What a role may do in the console: one place, read by the navigation and by each page. */
export function permissionsOf(me: Me | null | undefined) {
  const reach = new Set(me?.reach ?? []);
  return {
    /** Change members, points and the program (owners, managers). */
    write: reach.has('admin'),
    /** Staff, API keys (owners). */
    access: reach.has('access'),
    read: reach.has('read'),
    /** Cashiers and paired till devices: the till only. */
    tillOnly: me?.staff?.role === 'cashier' || isTillDevice(me),
  };
}

/** A tablet paired as a till by a manager: its own till key, no staff account behind it. */
export function isTillDevice(me: Me | null | undefined): boolean {
  return Boolean(me && !me.staff && me.actor.type === 'api_key' && deviceKey.get());
}

export type SignInBody = paths['/v1/auth/sign-in']['post']['requestBody']['content']['application/json'];

export function useSignIn() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (body: SignInBody) => unwrap(await api.POST('/v1/auth/sign-in', { body })),
    onSuccess: () => client.resetQueries(),
  });
}

/** "Unpair this device": the till key is forgotten here (an owner revokes it under API keys). */
export function useUnpairDevice() {
  const client = useQueryClient();
  return () => {
    deviceKey.forget();
    client.setQueryData(meQuery.queryKey, null);
  };
}

export function useSignOut() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async () => unwrap(await api.POST('/v1/auth/sign-out', { body: {} })),
    onSettled: () => client.setQueryData(meQuery.queryKey, null),
  });
}

export function useAcceptInvite() {
  return useMutation({
    mutationFn: async (body: { token: string; password: string; name?: string }) =>
      unwrap(await api.POST('/v1/auth/accept-invite', { body })),
  });
}

export function useRequestPasswordReset() {
  return useMutation({
    mutationFn: async (body: { email: string }) =>
      unwrap(await api.POST('/v1/auth/password-reset', { body })),
  });
}

export function useCompletePasswordReset() {
  return useMutation({
    mutationFn: async (body: { token: string; password: string }) =>
      unwrap(await api.POST('/v1/auth/password-reset/complete', { body })),
  });
}
