import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from './client.ts';
import type { paths } from './schema.ts';

type Json<T> = T extends { content: { 'application/json': infer B } } ? B : never;
export type EarningRule = Json<paths['/v1/earning-rules']['get']['responses'][200]>['data'][number];
export type NewEarningRule = Json<paths['/v1/earning-rules']['post']['requestBody']>;
export type SimulateBody = Json<paths['/v1/transactions/simulate']['post']['requestBody']>;
export type Simulation = Json<paths['/v1/transactions/simulate']['post']['responses'][200]>;

export function useEarningRules() {
  return useQuery({
    queryKey: ['earning-rules'],
    queryFn: async () => unwrap(await api.GET('/v1/earning-rules', { params: { query: { limit: 100 } } })),
  });
}

export function useCreateEarningRule() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (body: NewEarningRule) => unwrap(await api.POST('/v1/earning-rules', { body })),
    onSuccess: () => client.invalidateQueries({ queryKey: ['earning-rules'] }),
  });
}

export function useSetRuleActive() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async ({ id, active }: { id: string; active: boolean }) =>
      active
        ? unwrap(await api.POST('/v1/earning-rules/{id}/activate', { params: { path: { id } } }))
        : unwrap(await api.POST('/v1/earning-rules/{id}/deactivate', { params: { path: { id } } })),
    onSuccess: () => client.invalidateQueries({ queryKey: ['earning-rules'] }),
  });
}

/** What a sample ticket would earn under the saved, active rules; writes nothing. */
export function useSimulate() {
  return useMutation({
    mutationFn: async (body: SimulateBody) => unwrap(await api.POST('/v1/transactions/simulate', { body })),
  });
}

export function useTiers() {
  return useQuery({
    queryKey: ['tiers'],
    queryFn: async () => unwrap(await api.GET('/v1/tiers', { params: { query: { limit: 100 } } })),
  });
}

export function useRewards() {
  return useQuery({
    queryKey: ['rewards'],
    queryFn: async () => unwrap(await api.GET('/v1/rewards', { params: { query: { limit: 100 } } })),
  });
}

export function useLocations() {
  return useQuery({
    queryKey: ['locations'],
    queryFn: async () => unwrap(await api.GET('/v1/locations', { params: { query: { limit: 100 } } })),
  });
}

export type Tier = Json<paths['/v1/tiers']['get']['responses'][200]>['data'][number];
export type NewTier = Json<paths['/v1/tiers']['post']['requestBody']>;
export type TierChanges = Json<paths['/v1/tiers/{id}']['patch']['requestBody']>;
export type Reward = Json<paths['/v1/rewards']['get']['responses'][200]>['data'][number];
export type NewReward = Json<paths['/v1/rewards']['post']['requestBody']>;
export type RewardChanges = Json<paths['/v1/rewards/{id}']['patch']['requestBody']>;

export function useSaveTier() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async ({ id, body }: { id?: string; body: NewTier }) =>
      id
        ? unwrap(await api.PATCH('/v1/tiers/{id}', { params: { path: { id } }, body: body as TierChanges }))
        : unwrap(await api.POST('/v1/tiers', { body })),
    onSuccess: () => client.invalidateQueries({ queryKey: ['tiers'] }),
  });
}

export function useSaveReward() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async ({ id, body }: { id?: string; body: NewReward }) => {
      if (!id) return unwrap(await api.POST('/v1/rewards', { body }));
      // The type of a reward is fixed once made.
      const { type: _type, ...changes } = body;
      return unwrap(await api.PATCH('/v1/rewards/{id}', { params: { path: { id } }, body: changes }));
    },
    onSuccess: () => client.invalidateQueries({ queryKey: ['rewards'] }),
  });
}

export function useSetRewardActive() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async ({ id, active }: { id: string; active: boolean }) =>
      active
        ? unwrap(await api.POST('/v1/rewards/{id}/activate', { params: { path: { id } } }))
        : unwrap(await api.POST('/v1/rewards/{id}/deactivate', { params: { path: { id } } })),
    onSuccess: () => client.invalidateQueries({ queryKey: ['rewards'] }),
  });
}

export type PointType = Json<paths['/v1/point-types']['get']['responses'][200]>['data'][number];
export type NewPointType = Json<paths['/v1/point-types']['post']['requestBody']>;
export type Location = Json<paths['/v1/locations']['get']['responses'][200]>['data'][number];
export type NewLocation = Json<paths['/v1/locations']['post']['requestBody']>;

export function usePointTypes() {
  return useQuery({
    queryKey: ['point-types'],
    queryFn: async () => unwrap(await api.GET('/v1/point-types', { params: { query: { limit: 100 } } })),
  });
}

export function useSavePointType() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async ({ id, body }: { id?: string; body: NewPointType }) =>
      id
        ? unwrap(await api.PATCH('/v1/point-types/{id}', { params: { path: { id } }, body }))
        : unwrap(await api.POST('/v1/point-types', { body })),
    // Another type may have stopped being the default.
    onSuccess: () => client.invalidateQueries({ queryKey: ['point-types'] }),
  });
}

export function useSaveLocation() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async ({ id, body }: { id?: string; body: NewLocation }) => {
      if (!id) return unwrap(await api.POST('/v1/locations', { body }));
      // Brands have their own routes; a location's edit changes its own fields.
      const { brands: _brands, ...changes } = body;
      return unwrap(await api.PATCH('/v1/locations/{id}', { params: { path: { id } }, body: changes }));
    },
    onSuccess: () => client.invalidateQueries({ queryKey: ['locations'] }),
  });
}
