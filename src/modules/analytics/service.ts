import type { Db } from '../../db/connection.ts';
import { toPoints } from '../../domain/points.ts';
import { validationFailed } from '../../errors.ts';
import type { OrganizationsService } from '../organizations/service.ts';
import type {
  CohortsQuery,
  CohortsReport,
  MembersQuery,
  MembersReport,
  PointsReport,
  RangeQuery,
  RewardsReport,
  RulesReport,
  SalesQuery,
  SalesReport,
} from './contract.ts';
import { bucketsOf, daysBetween, monthsOf } from './periods.ts';
import type { ReportScope } from './reports.ts';
import * as reports from './reports.ts';
import { LOCATION_ALL } from './schema.ts';
import {
  catchUp,
  dirtyDaysLeft,
  markAllDays,
  queuedEvents,
  recomputeDirtyDays,
  vacuumRollups,
} from './upkeep.ts';

/** The longest range a report reads: five years of days, leap days included. */
export const MAX_RANGE_DAYS = 5 * 366;
const EXPIRY_MONTHS = 12;

/** a / b rounded half up, for non-negative integers; null for 0/0. */
function divideRounded(a: number, b: number): number | null {
  if (b === 0) return null;
  return Number((2n * BigInt(a) + BigInt(b)) / (2n * BigInt(b)));
}

/** a / b as a number with `decimals` decimals (a ratio, never money or points); null for 0/0. */
function ratio(a: number, b: number, decimals: number): number | null {
  if (b === 0) return null;
  const scale = 10 ** decimals;
  return Number((2n * BigInt(a) * BigInt(scale) + BigInt(b)) / (2n * BigInt(b))) / scale;
}

/** Money value of hundredths of points at `perThousand` minor units per 1,000 points, rounded down. */
export function pointsValue(hundredths: number, perThousand: number): number {
  return Number((BigInt(hundredths) * BigInt(perThousand)) / 100_000n);
}

interface Filters {
  from: string;
  to: string;
  granularity?: 'day' | 'week' | 'month' | undefined;
  locationId?: string | undefined;
  tierId?: string | undefined;
  segmentId?: string | undefined;
}

export function createAnalyticsService(db: Db, deps: { organizations: OrganizationsService }) {
  /** The report's scope from its query: a sound range and filters that name the organization's own things. */
  async function scopeOf(
    organizationId: string,
    query: Filters,
  ): Promise<ReportScope & { currency: string }> {
    if (query.to < query.from) throw validationFailed('query.to', `is before from (${query.from})`);
    if (daysBetween(query.from, query.to) > MAX_RANGE_DAYS) {
      throw validationFailed(
        'query.to',
        `is more than 5 years after from: ask for at most ${MAX_RANGE_DAYS} days`,
      );
    }
    const checks = [
      ['locationId', 'location'],
      ['tierId', 'tier'],
      ['segmentId', 'segment'],
    ] as const;
    for (const [field, kind] of checks) {
      const id = query[field];
      if (id !== undefined && !(await reports.exists(db, organizationId, kind, id))) {
        throw validationFailed(`query.${field}`, `is not a ${kind} of this organization`);
      }
    }
    const organization = await deps.organizations.get(organizationId);
    return {
      organizationId,
      timeZone: organization.timeZone,
      currency: organization.currency,
      from: query.from,
      to: query.to,
      granularity: query.granularity ?? 'day',
      locationKey: query.locationId ?? LOCATION_ALL,
      tierId: query.tierId,
      segmentId: query.segmentId,
    };
  }

  async function* organizationsToRebuild(organizationId: string | undefined) {
    if (organizationId) {
      yield await deps.organizations.get(organizationId);
      return;
    }
    let afterId: string | undefined;
    for (;;) {
      const page = await deps.organizations.list({ limit: 500, afterId });
      yield* page.slice(0, 500);
      if (page.length <= 500) return;
      afterId = page[499]?.id;
    }
  }

  const header = (scope: ReportScope) => ({
    from: scope.from,
    to: scope.to,
    granularity: scope.granularity,
    timeZone: scope.timeZone,
  });

  async function members(organizationId: string, query: MembersQuery): Promise<MembersReport> {
    const scope = await scopeOf(organizationId, query);
    const buckets = bucketsOf(scope.from, scope.to, scope.granularity);
    const activity = await reports.memberActivity(db, scope);
    let newByPeriod: Map<string, number>;
    let before: number;
    if (reports.hasMemberFilter(scope)) {
      ({ before, byPeriod: newByPeriod } = await reports.filteredNewMembers(db, scope));
    } else {
      const days = await reports.daySeries(db, { ...scope, locationKey: LOCATION_ALL }, ['new_members']);
      newByPeriod = new Map(days.map(({ bucket, values }) => [bucket.period, values.new_members ?? 0]));
      before = await reports.sumBefore(db, scope, 'new_members');
    }
    let running = before;
    const series = buckets.map((bucket) => {
      const newMembers = newByPeriod.get(bucket.period) ?? 0;
      running += newMembers;
      const activeMembers = activity.byPeriod.get(bucket.period)?.active ?? 0;
      return { period: bucket.period, members: running, newMembers, activeMembers };
    });
    const lapsedDays = query.lapsedDays ?? 90;
    const now = await reports.memberState(db, scope, lapsedDays);
    const channels = reports.hasMemberFilter(scope)
      ? []
      : await reports.breakdown(db, { ...scope, locationKey: LOCATION_ALL }, 'new_members.channel');
    return {
      ...header(scope),
      series,
      totals: {
        members: running,
        newMembers: running - before,
        activeMembers: activity.active,
        newByChannel: channels
          .map((row) => ({ channel: row.key, members: row.count }))
          .sort((a, b) => b.members - a.members || a.channel.localeCompare(b.channel)),
      },
      now: {
        members: now.members,
        lapsedMembers: now.lapsed,
        lapsedDays,
        byTier: now.byTier,
        consents: {
          ...now.consents,
          emailRate: ratio(now.consents.email, now.members, 4),
          smsRate: ratio(now.consents.sms, now.members, 4),
          pushRate: ratio(now.consents.push, now.members, 4),
        },
      },
    };
  }

  const POINT_COLUMNS = {
    issued: 'points_issued',
    spent: 'points_spent',
    expired: 'points_expired',
    cancelled: 'points_cancelled',
    adjusted: 'points_adjusted',
    transferred: 'points_transferred',
    net: 'points_net',
  } as const;
  type PointFigures = Record<keyof typeof POINT_COLUMNS, number>;

  /** Hundredths (as summed) to the API's points, two decimals. */
  function presentFigures(figures: PointFigures): PointFigures {
    const presented = { ...figures };
    for (const name of Object.keys(POINT_COLUMNS) as Array<keyof PointFigures>) {
      presented[name] = toPoints(figures[name]);
    }
    return presented;
  }

  function pointFigures(values: Record<string, number>): PointFigures {
    const figures = {} as PointFigures;
    for (const [name, column] of Object.entries(POINT_COLUMNS)) {
      figures[name as keyof PointFigures] = values[column] ?? 0;
    }
    return figures;
  }

  async function points(organizationId: string, query: RangeQuery): Promise<PointsReport> {
    const scope = await scopeOf(organizationId, query);
    const days = await reports.daySeries(db, scope, Object.values(POINT_COLUMNS));
    const wholeProgram = scope.locationKey === LOCATION_ALL;
    let outstanding = wholeProgram ? await reports.sumBefore(db, scope, 'points_net') : 0;
    const series = days.map(({ bucket, values }) => {
      const figures = pointFigures(values);
      outstanding += figures.net;
      return {
        period: bucket.period,
        ...presentFigures(figures),
        outstanding: wholeProgram ? toPoints(outstanding) : null,
      };
    });
    const totals = pointFigures({});
    for (const { values } of days) {
      for (const [name, column] of Object.entries(POINT_COLUMNS)) {
        totals[name as keyof PointFigures] += values[column] ?? 0;
      }
    }
    const names = await reports.namesOf(db, organizationId, 'pointType');
    const byType = new Map<string, PointFigures>();
    for (const [name, column] of Object.entries(POINT_COLUMNS)) {
      for (const row of await reports.breakdown(db, scope, `${column}.point_type`)) {
        const figures = byType.get(row.key) ?? pointFigures({});
        figures[name as keyof PointFigures] = row.points;
        byType.set(row.key, figures);
      }
    }
    const held = await reports.liability(db, organizationId);
    const liability = held.map((type) => {
      const total = type.active + type.pending + type.blocked;
      const value =
        type.valuePerThousandPoints === null ? null : pointsValue(total, type.valuePerThousandPoints);
      return {
        ...type,
        active: toPoints(type.active),
        pending: toPoints(type.pending),
        blocked: toPoints(type.blocked),
        outstanding: toPoints(total),
        value,
      };
    });
    const valued = liability.filter((type) => type.value !== null);
    return {
      ...header(scope),
      series,
      totals: presentFigures(totals),
      byPointType: [...byType].map(([pointTypeId, figures]) => ({
        pointTypeId,
        name: names.get(pointTypeId) ?? '',
        ...presentFigures(figures),
      })),
      liability: {
        currency: scope.currency,
        value: valued.length > 0 ? valued.reduce((sum, type) => sum + (type.value ?? 0), 0) : null,
        byPointType: liability,
      },
      expirySchedule: (await reports.expirySchedule(db, scope, EXPIRY_MONTHS)).map((row) => ({
        ...row,
        points: toPoints(row.points),
      })),
    };
  }

  const SALES_COLUMNS = [
    'tickets',
    'revenue',
    'member_tickets',
    'member_revenue',
    'returns',
    'returned_amount',
  ] as const;

  function salesFigures(values: Record<string, number>, activeMembers: number) {
    const tickets = values.tickets ?? 0;
    const revenue = values.revenue ?? 0;
    const memberTickets = values.member_tickets ?? 0;
    const memberRevenue = values.member_revenue ?? 0;
    return {
      tickets,
      revenue,
      memberTickets,
      memberRevenue,
      anonymousTickets: tickets - memberTickets,
      anonymousRevenue: revenue - memberRevenue,
      returns: values.returns ?? 0,
      returnedAmount: values.returned_amount ?? 0,
      activeMembers,
      averageMemberTicket: divideRounded(memberRevenue, memberTickets),
      averageAnonymousTicket: divideRounded(revenue - memberRevenue, tickets - memberTickets),
      visitsPerActiveMember: ratio(memberTickets, activeMembers, 2),
    };
  }

  /** Under a tier or segment filter only those members' figures are known; the rest read null. */
  function memberOnlyFigures(tickets: number, revenue: number, activeMembers: number) {
    return {
      tickets: null,
      revenue: null,
      memberTickets: tickets,
      memberRevenue: revenue,
      anonymousTickets: null,
      anonymousRevenue: null,
      returns: null,
      returnedAmount: null,
      activeMembers,
      averageMemberTicket: divideRounded(revenue, tickets),
      averageAnonymousTicket: null,
      visitsPerActiveMember: ratio(tickets, activeMembers, 2),
    };
  }

  async function sales(organizationId: string, query: SalesQuery): Promise<SalesReport> {
    const scope = await scopeOf(organizationId, query);
    const buckets = bucketsOf(scope.from, scope.to, scope.granularity);
    const activity = await reports.memberActivity(db, scope);
    const active = (period: string) => activity.byPeriod.get(period)?.active ?? 0;
    const locationNames = await reports.namesOf(db, organizationId, 'location');
    const byLocation = (await reports.byLocation(db, scope, SALES_COLUMNS)).map(({ locationKey, values }) => {
      const locationId = locationKey === 'none' ? null : locationKey;
      return {
        locationId,
        name: locationId === null ? null : (locationNames.get(locationId) ?? null),
        tickets: values.tickets ?? 0,
        revenue: values.revenue ?? 0,
        memberTickets: values.member_tickets ?? 0,
        memberRevenue: values.member_revenue ?? 0,
      };
    });
    if (reports.hasMemberFilter(scope)) {
      let tickets = 0;
      let revenue = 0;
      const series = buckets.map((bucket) => {
        const figures = activity.byPeriod.get(bucket.period) ?? { tickets: 0, revenue: 0 };
        tickets += figures.tickets;
        revenue += figures.revenue;
        return {
          period: bucket.period,
          ...memberOnlyFigures(figures.tickets, figures.revenue, active(bucket.period)),
        };
      });
      return {
        ...header(scope),
        series,
        totals: memberOnlyFigures(tickets, revenue, activity.active),
        byLocation,
      };
    }
    const days = await reports.daySeries(db, scope, SALES_COLUMNS);
    const sums: Record<string, number> = {};
    const series = days.map(({ bucket, values }) => {
      for (const column of SALES_COLUMNS) sums[column] = (sums[column] ?? 0) + (values[column] ?? 0);
      return { period: bucket.period, ...salesFigures(values, active(bucket.period)) };
    });
    return { ...header(scope), series, totals: salesFigures(sums, activity.active), byLocation };
  }

  const REWARD_COLUMNS = ['claims', 'coupons_used', 'redemptions', 'discount_given'] as const;

  async function rewards(organizationId: string, query: RangeQuery): Promise<RewardsReport> {
    const scope = await scopeOf(organizationId, query);
    const days = await reports.daySeries(db, scope, REWARD_COLUMNS);
    const totals = { claims: 0, couponsUsed: 0, redemptions: 0, discountGiven: 0 };
    const series = days.map(({ bucket, values }) => {
      const figures = {
        claims: values.claims ?? 0,
        couponsUsed: values.coupons_used ?? 0,
        redemptions: values.redemptions ?? 0,
        discountGiven: values.discount_given ?? 0,
      };
      totals.claims += figures.claims;
      totals.couponsUsed += figures.couponsUsed;
      totals.redemptions += figures.redemptions;
      totals.discountGiven += figures.discountGiven;
      return { period: bucket.period, ...figures };
    });
    const names = await reports.namesOf(db, organizationId, 'reward');
    const byReward = new Map<string, RewardsReport['byReward'][number]>();
    const entry = (rewardId: string) => {
      const found = byReward.get(rewardId) ?? {
        rewardId,
        name: names.get(rewardId) ?? null,
        claims: 0,
        pointsSpent: 0,
        couponsUsed: 0,
        redemptions: 0,
      };
      byReward.set(rewardId, found);
      return found;
    };
    for (const row of await reports.breakdown(db, scope, 'claims.reward')) {
      Object.assign(entry(row.key), { claims: row.count, pointsSpent: toPoints(row.points) });
    }
    for (const row of await reports.breakdown(db, scope, 'coupons_used.reward'))
      entry(row.key).couponsUsed = row.count;
    for (const row of await reports.breakdown(db, scope, 'redemptions.reward'))
      entry(row.key).redemptions = row.count;
    const uses = (reward: RewardsReport['byReward'][number]) =>
      reward.claims + reward.couponsUsed + reward.redemptions;
    return {
      ...header(scope),
      series,
      totals: { ...totals, redemptionRate: ratio(totals.couponsUsed, totals.claims, 4) },
      byReward: [...byReward.values()].sort(
        (a, b) => uses(b) - uses(a) || a.rewardId.localeCompare(b.rewardId),
      ),
    };
  }

  async function cohorts(organizationId: string, query: CohortsQuery): Promise<CohortsReport> {
    const scope = await scopeOf(organizationId, { ...query, granularity: 'month' });
    const months = monthsOf(scope.from, scope.to);
    const sizes = await reports.newMembersByMonth(db, scope, months);
    const activity = await reports.cohortActivity(db, scope, months);
    const byKey = new Map(activity.map((row) => [`${row.cohort}/${row.month}`, row]));
    return {
      from: scope.from,
      to: scope.to,
      timeZone: scope.timeZone,
      cohorts: months.map((cohort, index) => {
        const members = sizes.get(cohort) ?? 0;
        return {
          cohort,
          members,
          months: months.slice(index).map((month) => {
            const row = byKey.get(`${cohort}/${month}`);
            const revenue = row?.revenue ?? 0;
            return {
              month,
              activeMembers: row?.active ?? 0,
              retention: ratio(row?.active ?? 0, members, 4),
              revenue,
              revenuePerMember: divideRounded(revenue, members),
            };
          }),
        };
      }),
    };
  }

  async function rules(organizationId: string, query: RangeQuery): Promise<RulesReport> {
    const scope = await scopeOf(organizationId, query);
    const names = await reports.namesOf(db, organizationId, 'rule');
    const rows = await reports.breakdown(db, scope, 'rule');
    return {
      ...header(scope),
      rules: rows
        .map((row) => ({
          ruleId: row.key,
          name: names.get(row.key) ?? null,
          tickets: row.count,
          points: toPoints(row.points),
          revenue: row.amount,
        }))
        .sort((a, b) => b.points - a.points || a.ruleId.localeCompare(b.ruleId)),
    };
  }

  return {
    members,
    points,
    sales,
    rewards,
    cohorts,
    rules,

    /** Folds every queued change into the rollups now (the worker does it every few seconds). */
    catchUp: () => catchUp(db),

    /**
     * Marks every day of one organization (or of all) to be recomputed, then recomputes them,
     * reporting progress. Resumable: a day stays marked until its recompute commits, so a rebuild
     * cut short goes on where it stopped when run again.
     */
    async rebuild(organizationId: string | undefined, onProgress?: (done: number, total: number) => void) {
      for await (const organization of organizationsToRebuild(organizationId)) {
        await markAllDays(db, { organizationId: organization.id, timeZone: organization.timeZone });
      }
      const total = await dirtyDaysLeft(db);
      let done = 0;
      onProgress?.(done, total);
      for (;;) {
        const days = await recomputeDirtyDays(db, 31);
        if (days === 0) break;
        done = Math.min(total, done + days);
        onProgress?.(done, total);
      }
      await vacuumRollups(db);
      return { days: done };
    },

    /** How far behind the rollups are: events not yet read, and days not yet recomputed. */
    async lag() {
      return { queuedEvents: await queuedEvents(db), dirtyDays: await dirtyDaysLeft(db) };
    },
  };
}

export type AnalyticsService = ReturnType<typeof createAnalyticsService>;
