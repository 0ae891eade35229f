import { queryOptions, useQuery } from '@tanstack/react-query';
import { ApiError, api, unwrap } from '../shared/api/client.ts';
import type { paths } from '../shared/api/schema.ts';

type Json<T> = T extends { content: { 'application/json': infer B } } ? B : never;
export type Member = Json<paths['/v1/customers/{id}']['get']['responses'][200]>;
export type Available = Json<paths['/v1/customers/{id}/rewards']['get']['responses'][200]>;
export type AvailableReward = Available['data'][number];
export type Redemption = Json<paths['/v1/redemptions']['post']['responses'][200]>;
export type RedeemBody = Json<paths['/v1/redemptions']['post']['requestBody']>;
export type TicketBody = Json<paths['/v1/transactions']['post']['requestBody']>;
export type Ticket = Json<paths['/v1/transactions']['post']['responses'][201]>;
export type NewMemberBody = Json<paths['/v1/customers']['post']['requestBody']>;

/** A key for one cashier action: made once when the action starts, sent again by every retry of it. */
export function actionKey(action: string): string {
  // getRandomValues, unlike randomUUID, works on a plain-http LAN address too.
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `till-${action}-${Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('')}`;
}

/** The server never answered (offline, dropped, timed out): the action may or may not have run. */
export function isConnectionLost(error: unknown): boolean {
  return error !== null && error !== undefined && !(error instanceof ApiError);
}

const idempotent = (key: string) => ({ headers: { 'Idempotency-Key': key } });

/** The member behind whatever the cashier typed or scanned; null when nobody matches. */
export async function lookUp(identifier: string): Promise<Member | null> {
  try {
    return unwrap(await api.GET('/v1/customers/lookup', { params: { query: { identifier } } }));
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return null;
    throw error;
  }
}

export async function createMember(body: NewMemberBody, key: string): Promise<Member> {
  const created = unwrap(await api.POST('/v1/customers', { body, ...idempotent(key) }));
  return unwrap(await api.GET('/v1/customers/{id}', { params: { path: { id: created.id } } }));
}

export const tillKeys = {
  member: (id: string) => ['till', id] as const,
};

export const pointsQuery = (id: string) =>
  queryOptions({
    queryKey: [...tillKeys.member(id), 'points'],
    queryFn: async () => unwrap(await api.GET('/v1/customers/{id}/points', { params: { path: { id } } })),
  });

export function useMemberAtAGlance(id: string, locationId: string | undefined, language: string) {
  const points = useQuery(pointsQuery(id));
  const tier = useQuery({
    queryKey: [...tillKeys.member(id), 'tier'],
    queryFn: async () => unwrap(await api.GET('/v1/customers/{id}/tier', { params: { path: { id } } })),
  });
  const rewards = useQuery({
    queryKey: [...tillKeys.member(id), 'rewards', locationId ?? '', language],
    queryFn: async () =>
      unwrap(
        await api.GET('/v1/customers/{id}/rewards', {
          params: {
            path: { id },
            query: { channel: 'pos', locale: language, ...(locationId ? { locationId } : {}) },
          },
        }),
      ),
  });
  return { points, tier, rewards };
}

/** Holds the rewards on the order (points, limits, coupons) until the ticket commits them. */
export async function reserve(body: RedeemBody, key: string): Promise<Redemption> {
  return unwrap(
    await api.POST('/v1/redemptions', { body: { ...body, mode: 'reserve' }, ...idempotent(key) }),
  );
}

export async function release(id: string, key: string): Promise<void> {
  unwrap(await api.POST('/v1/redemptions/{id}/release', { params: { path: { id } }, ...idempotent(key) }));
}

/** The ticket: the member earns, and the order's reserved rewards are committed with it. */
export async function postTicket(body: TicketBody, key: string): Promise<Ticket> {
  return unwrap(await api.POST('/v1/transactions', { body, ...idempotent(key) }));
}
