import type { FastifyReply, FastifyRequest } from 'fastify';
import { type Static, type TSchema, Type } from 'typebox';
import { tenantOf } from '../../http/auth.ts';
import { CsvResponse, sendCsv } from '../../http/csv.ts';
import { errorResponses } from '../../http/schemas.ts';
import type { App } from '../../http/types.ts';
import {
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
import type { AnalyticsService } from './service.ts';

type Cell = string | number | null;

/** What a report's CSV holds: its series (or its one table), a line each. */
interface Report<Q extends TSchema, R extends TSchema> {
  name: string;
  summary: string;
  query: Q;
  response: R;
  run: (service: AnalyticsService, organizationId: string, query: Static<Q>) => Promise<Static<R>>;
  csv: (report: Static<R>) => { columns: string[]; rows: Cell[][] };
}

/** The rows of a list of objects, in the columns' order. */
function table<T extends object>(items: readonly T[], columns: ReadonlyArray<keyof T & string>) {
  return { columns: [...columns], rows: items.map((item) => columns.map((column) => item[column] as Cell)) };
}

const members: Report<typeof MembersQuery, typeof MembersReport> = {
  name: 'members',
  summary: 'Members: registered, new, active per period; by channel, tier, consent; lapsed',
  query: MembersQuery,
  response: MembersReport,
  run: (service, organizationId, query) => service.members(organizationId, query),
  csv: (report) => table(report.series, ['period', 'members', 'newMembers', 'activeMembers']),
};

const points: Report<typeof RangeQuery, typeof PointsReport> = {
  name: 'points',
  summary:
    'Points: issued, spent, expired, cancelled and outstanding per period; liability and expiry schedule',
  query: RangeQuery,
  response: PointsReport,
  run: (service, organizationId, query) => service.points(organizationId, query),
  csv: (report) =>
    table(report.series, [
      'period',
      'issued',
      'spent',
      'expired',
      'cancelled',
      'adjusted',
      'transferred',
      'net',
      'outstanding',
    ]),
};

const sales: Report<typeof SalesQuery, typeof SalesReport> = {
  name: 'sales',
  summary:
    'Sales: tickets and revenue of members and anonymous buyers, averages, visit frequency, per location',
  query: SalesQuery,
  response: SalesReport,
  run: (service, organizationId, query) => service.sales(organizationId, query),
  csv: (report) =>
    table(report.series, [
      'period',
      'tickets',
      'revenue',
      'memberTickets',
      'memberRevenue',
      'anonymousTickets',
      'anonymousRevenue',
      'returns',
      'returnedAmount',
      'activeMembers',
      'averageMemberTicket',
      'averageAnonymousTicket',
      'visitsPerActiveMember',
    ]),
};

const rewards: Report<typeof RangeQuery, typeof RewardsReport> = {
  name: 'rewards',
  summary: 'Rewards: claims, coupons used, redemptions and discount per period; by reward, top first',
  query: RangeQuery,
  response: RewardsReport,
  run: (service, organizationId, query) => service.rewards(organizationId, query),
  csv: (report) =>
    table(report.byReward, ['rewardId', 'name', 'claims', 'pointsSpent', 'couponsUsed', 'redemptions']),
};

const cohorts: Report<typeof CohortsQuery, typeof CohortsReport> = {
  name: 'cohorts',
  summary: 'Cohorts: members by the month they joined, and their retention and revenue in each later month',
  query: CohortsQuery,
  response: CohortsReport,
  run: (service, organizationId, query) => service.cohorts(organizationId, query),
  csv: (report) => ({
    columns: ['cohort', 'members', 'month', 'activeMembers', 'retention', 'revenue', 'revenuePerMember'],
    rows: report.cohorts.flatMap((cohort) =>
      cohort.months.map((month) => [
        cohort.cohort,
        cohort.members,
        month.month,
        month.activeMembers,
        month.retention,
        month.revenue,
        month.revenuePerMember,
      ]),
    ),
  }),
};

const rules: Report<typeof RangeQuery, typeof RulesReport> = {
  name: 'rules',
  summary: 'Earning rules: tickets, points and revenue each rule touched (which rules pay for themselves)',
  query: RangeQuery,
  response: RulesReport,
  run: (service, organizationId, query) => service.rules(organizationId, query),
  csv: (report) => table(report.rules, ['ruleId', 'name', 'tickets', 'points', 'revenue']),
};

const DESCRIPTION =
  "Days are the organization's local days. Figures come from daily rollups kept current from the event " +
  'outbox a few seconds behind (`regulars analytics rebuild` recomputes them from history). Points are ' +
  'hundredths; money is minor units.';

async function* lines(rows: Cell[][]): AsyncIterable<string[]> {
  for (const row of rows) yield row.map((cell) => (cell === null ? '' : String(cell)));
}

function registerReport<Q extends TSchema, R extends TSchema>(
  app: App,
  service: AnalyticsService,
  report: Report<Q, R>,
) {
  const tags = ['analytics'];
  app.addSchema(report.response);
  app.get(
    `/v1/analytics/${report.name}`,
    {
      schema: {
        tags,
        summary: report.summary,
        description: DESCRIPTION,
        querystring: report.query,
        response: {
          200: Type.Ref(`${report.name[0]?.toUpperCase()}${report.name.slice(1)}Report`),
          ...errorResponses(401, 403, 422),
        },
      },
    },
    async (request: FastifyRequest) =>
      report.run(service, tenantOf(request).organizationId, request.query as Static<Q>),
  );
  app.get(
    `/v1/analytics/${report.name}.csv`,
    {
      schema: {
        tags,
        summary: `${report.summary} (CSV)`,
        description: `${DESCRIPTION} The CSV holds the report's series (or its table).`,
        querystring: report.query,
        produces: ['text/csv'],
        response: { 200: CsvResponse, ...errorResponses(401, 403, 422) },
      },
    },
    async (request: FastifyRequest, reply: FastifyReply) => {
      const answer = await report.run(service, tenantOf(request).organizationId, request.query as Static<Q>);
      const { columns, rows } = report.csv(answer);
      return sendCsv(request, reply, {
        columns,
        rows: lines(rows),
        filename: `${report.name}.csv`,
        what: `the ${report.name} report's CSV`,
      });
    },
  );
}

export function analyticsRoutes(app: App, service: AnalyticsService) {
  registerReport(app, service, members);
  registerReport(app, service, points);
  registerReport(app, service, sales);
  registerReport(app, service, rewards);
  registerReport(app, service, cohorts);
  registerReport(app, service, rules);
}
