import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { api, unwrap } from './client.ts';
import type { paths } from './schema.ts';

type Json<T> = T extends { content: { 'application/json': infer B } } ? B : never;
export type MembersReport = Json<paths['/v1/analytics/members']['get']['responses'][200]>;
export type PointsReport = Json<paths['/v1/analytics/points']['get']['responses'][200]>;
export type SalesReport = Json<paths['/v1/analytics/sales']['get']['responses'][200]>;
export type RewardsReport = Json<paths['/v1/analytics/rewards']['get']['responses'][200]>;

export interface ReportRange {
  from: string;
  to: string;
  granularity: 'day' | 'week' | 'month';
  locationId?: string;
}

/** The range as a query string: the location only when one is chosen. */
function query(range: ReportRange) {
  return {
    from: range.from,
    to: range.to,
    granularity: range.granularity,
    ...(range.locationId ? { locationId: range.locationId } : {}),
  };
}

/**
 * The dashboard's four reports over one range. Rollups trail the tickets by the upkeep's cadence
 * (ANALYTICS_INTERVAL_MS), so they are read again every minute while the page is open.
 */
export function useDashboardReports(range: ReportRange) {
  const options = { refetchInterval: 60_000, placeholderData: keepPreviousData } as const;
  const members = useQuery({
    queryKey: ['analytics', 'members', range],
    queryFn: async () => unwrap(await api.GET('/v1/analytics/members', { params: { query: query(range) } })),
    ...options,
  });
  const points = useQuery({
    queryKey: ['analytics', 'points', range],
    queryFn: async () => unwrap(await api.GET('/v1/analytics/points', { params: { query: query(range) } })),
    ...options,
  });
  const sales = useQuery({
    queryKey: ['analytics', 'sales', range],
    queryFn: async () => unwrap(await api.GET('/v1/analytics/sales', { params: { query: query(range) } })),
    ...options,
  });
  const rewards = useQuery({
    queryKey: ['analytics', 'rewards', range],
    queryFn: async () => unwrap(await api.GET('/v1/analytics/rewards', { params: { query: query(range) } })),
    ...options,
  });
  return { members, points, sales, rewards };
}
