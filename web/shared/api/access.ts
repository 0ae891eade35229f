import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from './client.ts';
import type { paths } from './schema.ts';

type Json<T> = T extends { content: { 'application/json': infer B } } ? B : never;
export type StaffUser = Json<paths['/v1/staff']['get']['responses'][200]>['data'][number];
export type StaffInvite = Json<paths['/v1/staff']['post']['requestBody']>;
export type NewApiKey = Json<paths['/v1/api-keys']['post']['requestBody']>;
export type NewWebhook = Json<paths['/v1/webhook-endpoints']['post']['requestBody']>;
export type AuditFilters = NonNullable<paths['/v1/audit-log']['get']['parameters']['query']>;

export function useStaff() {
  return useQuery({
    queryKey: ['staff'],
    queryFn: async () => unwrap(await api.GET('/v1/staff', { params: { query: { limit: 100 } } })),
  });
}

export function useInviteStaff() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (body: StaffInvite) => unwrap(await api.POST('/v1/staff', { body })),
    onSuccess: () => client.invalidateQueries({ queryKey: ['staff'] }),
  });
}

export function useChangeStaffRole() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async ({ id, role }: { id: string; role: StaffUser['role'] }) =>
      unwrap(await api.PATCH('/v1/staff/{id}', { params: { path: { id } }, body: { role } })),
    onSuccess: () => client.invalidateQueries({ queryKey: ['staff'] }),
  });
}

export function useApiKeys() {
  return useQuery({
    queryKey: ['api-keys'],
    queryFn: async () => unwrap(await api.GET('/v1/api-keys', { params: { query: { limit: 100 } } })),
  });
}

export function useCreateApiKey() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (body: NewApiKey) => unwrap(await api.POST('/v1/api-keys', { body })),
    onSuccess: () => client.invalidateQueries({ queryKey: ['api-keys'] }),
  });
}

export function useRevokeApiKey() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (keyId: string) =>
      unwrap(await api.POST('/v1/api-keys/{keyId}/revoke', { params: { path: { keyId } } })),
    onSuccess: () => client.invalidateQueries({ queryKey: ['api-keys'] }),
  });
}

export function useWebhooks() {
  return useQuery({
    queryKey: ['webhooks'],
    queryFn: async () =>
      unwrap(await api.GET('/v1/webhook-endpoints', { params: { query: { limit: 100 } } })),
  });
}

export function useCreateWebhook() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (body: NewWebhook) => unwrap(await api.POST('/v1/webhook-endpoints', { body })),
    onSuccess: () => client.invalidateQueries({ queryKey: ['webhooks'] }),
  });
}

export function useDeleteWebhook() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (id: string) =>
      unwrap(await api.DELETE('/v1/webhook-endpoints/{id}', { params: { path: { id } } })),
    onSuccess: () => client.invalidateQueries({ queryKey: ['webhooks'] }),
  });
}

export function useAuditLog(filters: AuditFilters, cursor: string | undefined) {
  return useQuery({
    queryKey: ['audit-log', filters, cursor ?? ''],
    queryFn: async () =>
      unwrap(
        await api.GET('/v1/audit-log', {
          params: { query: { ...filters, limit: 50, ...(cursor ? { cursor } : {}) } },
        }),
      ),
    placeholderData: keepPreviousData,
  });
}

export type WebhookDeliveryStatus = NonNullable<
  paths['/v1/webhook-endpoints/{id}/deliveries']['get']['parameters']['query']
>['status'];

/** An endpoint's deliveries, newest first, a page at a time; refreshed while the page is open. */
export function useDeliveries(endpointId: string, status: WebhookDeliveryStatus, cursor: string | undefined) {
  return useQuery({
    queryKey: ['webhooks', endpointId, 'deliveries', status, cursor],
    queryFn: async () =>
      unwrap(
        await api.GET('/v1/webhook-endpoints/{id}/deliveries', {
          params: {
            path: { id: endpointId },
            query: { limit: 25, ...(status ? { status } : {}), ...(cursor ? { cursor } : {}) },
          },
        }),
      ),
    refetchInterval: 10_000,
  });
}

export function useRetryDelivery(endpointId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (deliveryId: string) =>
      unwrap(
        await api.POST('/v1/webhook-endpoints/{id}/deliveries/{deliveryId}/retry', {
          params: { path: { id: endpointId, deliveryId } },
        }),
      ),
    onSuccess: () => client.invalidateQueries({ queryKey: ['webhooks', endpointId, 'deliveries'] }),
  });
}
