import { type Static, Type } from 'typebox';
import { Uuid } from '../../http/schemas.ts';
import { GRANULARITIES } from './periods.ts';

const LocalDay = (description: string) =>
  Type.String({ format: 'date', description, examples: ['2026-03-31'] });

const Count = (description: string) => Type.Integer({ description });
const Points = (description: string) => Type.Number({ description: `${description} (points, two decimals)` });
const Money = (description: string) =>
  Type.Integer({ description: `${description} (minor units of the organization's currency)` });
const Ratio = (description: string) =>
  Type.Union([Type.Number({ description }), Type.Null()], {
    description: `${description}; null when undefined (0/0)`,
  });

const rangeFields = {
  from: LocalDay("First day of the range, in the organization's time zone"),
  to: LocalDay('Last day of the range (included); at most 5 years after `from`'),
  granularity: Type.Optional(
    Type.Enum(GRANULARITIES, {
      description: 'Size of the series periods (weeks start on Monday); default `day`',
      default: 'day',
    }),
  ),
  locationId: Type.Optional(Uuid('Only what happened at this location')),
};
const memberFilters = {
  tierId: Type.Optional(Uuid('Only the members now in this tier (anonymous tickets are left out)')),
  segmentId: Type.Optional(Uuid('Only the members now in this segment (anonymous tickets are left out)')),
};

const closed = { additionalProperties: false } as const;

export const MembersQuery = Type.Object(
  {
    ...rangeFields,
    ...memberFilters,
    lapsedDays: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 3650,
        default: 90,
        description:
          'A member is lapsed when their last purchase is at least this many days old (default 90)',
      }),
    ),
  },
  closed,
);
export const SalesQuery = Type.Object({ ...rangeFields, ...memberFilters }, closed);
export const RangeQuery = Type.Object(rangeFields, closed);
export const CohortsQuery = Type.Object({ from: rangeFields.from, to: rangeFields.to }, closed);

export type MembersQuery = Static<typeof MembersQuery>;
export type SalesQuery = Static<typeof SalesQuery>;
export type RangeQuery = Static<typeof RangeQuery>;
export type CohortsQuery = Static<typeof CohortsQuery>;

const reportHeader = {
  from: LocalDay('As asked'),
  to: LocalDay('As asked'),
  granularity: Type.Enum(GRANULARITIES),
  timeZone: Type.String({ description: 'The organization time zone the days are read in' }),
};

const Period = LocalDay(
  "The period's first day (the first period may start before `from`; only the range's days count)",
);

export const MembersReport = Type.Object(
  {
    ...reportHeader,
    series: Type.Array(
      Type.Object({
        period: Period,
        members: Count('Members registered by the end of the period'),
        newMembers: Count('Members who joined in the period'),
        activeMembers: Count('Members with a purchase in the period (at the location, when filtered)'),
      }),
    ),
    totals: Type.Object({
      members: Count('Members registered by the end of the range'),
      newMembers: Count('Members who joined in the range'),
      activeMembers: Count('Members with a purchase in the range, each counted once'),
      newByChannel: Type.Array(
        Type.Object({
          channel: Type.String({ description: "Where they signed up (the member's `source`)" }),
          members: Count('How many'),
        }),
      ),
    }),
    now: Type.Object({
      members: Count('Members now (not deleted or anonymized)'),
      lapsedMembers: Count('Of them, those whose last purchase is at least `lapsedDays` old'),
      lapsedDays: Count('As asked (default 90)'),
      byTier: Type.Array(
        Type.Object({
          tierId: Type.Union([Type.String(), Type.Null()], { description: 'null: members without a tier' }),
          name: Type.Union([Type.String(), Type.Null()]),
          members: Count('Members now in the tier'),
        }),
      ),
      consents: Type.Object({
        email: Count('Members who accept marketing by email'),
        sms: Count('… by SMS'),
        push: Count('… by push notification'),
        emailRate: Ratio('Share of members who accept email (0–1)'),
        smsRate: Ratio('Share who accept SMS'),
        pushRate: Ratio('Share who accept push'),
      }),
    }),
  },
  { $id: 'MembersReport' },
);

const pointFigures = {
  issued: Points('Earned on tickets and events, and added by hand'),
  spent: Points('Spent'),
  expired: Points('Expired'),
  cancelled: Points('Taken back by cancellations and returns (net of cancelled spends)'),
  adjusted: Points('Corrections (signed)'),
  transferred: Points('Moved between members'),
  net: Points('Change of what members hold: issued − spent − expired − cancelled + adjusted'),
};

export const PointsReport = Type.Object(
  {
    ...reportHeader,
    series: Type.Array(
      Type.Object({
        period: Period,
        ...pointFigures,
        outstanding: Type.Union([Points('What members held at the end of the period'), Type.Null()], {
          description: 'What members held at the end of the period; null under a location filter',
        }),
      }),
    ),
    totals: Type.Object(pointFigures),
    byPointType: Type.Array(
      Type.Object({
        pointTypeId: Type.String(),
        name: Type.String(),
        ...pointFigures,
      }),
    ),
    liability: Type.Object({
      currency: Type.String({ description: "The organization's currency" }),
      value: Type.Union([
        Money('Money value of the points members hold now, for types with a value set'),
        Type.Null(),
      ]),
      byPointType: Type.Array(
        Type.Object({
          pointTypeId: Type.String(),
          code: Type.String(),
          name: Type.String(),
          active: Points('Spendable now'),
          pending: Points('Not yet spendable'),
          blocked: Points('Held by blocks'),
          outstanding: Points('active + pending + blocked'),
          valuePerThousandPoints: Type.Union([Type.Integer(), Type.Null()]),
          value: Type.Union([Money('Money value (rounded down)'), Type.Null()], {
            description: 'null when the point type has no value set',
          }),
        }),
      ),
    }),
    expirySchedule: Type.Array(
      Type.Object({
        month: Type.String({
          description: 'Local month (YYYY-MM) the points expire in',
          examples: ['2027-01'],
        }),
        pointTypeId: Type.String(),
        points: Points('Points held now that expire that month'),
      }),
      { description: 'The next 12 months from now' },
    ),
  },
  { $id: 'PointsReport' },
);

const salesFigures = {
  tickets: Type.Union([Count('Completed sales'), Type.Null()]),
  revenue: Type.Union([Money('Their totals'), Type.Null()]),
  memberTickets: Count("Members' completed sales"),
  memberRevenue: Money("Members' revenue"),
  anonymousTickets: Type.Union([Count('Sales without a member'), Type.Null()]),
  anonymousRevenue: Type.Union([Money('Their revenue'), Type.Null()]),
  returns: Type.Union([Count('Completed returns'), Type.Null()]),
  returnedAmount: Type.Union([Money('Money returned'), Type.Null()]),
  activeMembers: Count('Members with a purchase'),
  averageMemberTicket: Type.Union([Money('Average member ticket (rounded half up)'), Type.Null()]),
  averageAnonymousTicket: Type.Union([Money('Average anonymous ticket (rounded half up)'), Type.Null()]),
  visitsPerActiveMember: Ratio('Member tickets per active member (2 decimals)'),
};

export const SalesReport = Type.Object(
  {
    ...reportHeader,
    series: Type.Array(Type.Object({ period: Period, ...salesFigures })),
    totals: Type.Object(salesFigures),
    byLocation: Type.Array(
      Type.Object({
        locationId: Type.Union([Type.String(), Type.Null()], {
          description: 'null: tickets without a location',
        }),
        name: Type.Union([Type.String(), Type.Null()]),
        tickets: Count('Completed sales'),
        revenue: Money('Revenue'),
        memberTickets: Count("Members' sales"),
        memberRevenue: Money("Members' revenue"),
      }),
      { description: 'Every location over the whole range (whatever the location filter)' },
    ),
  },
  { $id: 'SalesReport' },
);

const rewardFigures = {
  claims: Count('Coupons claimed'),
  couponsUsed: Count('Coupons used'),
  redemptions: Count('Rewards redeemed directly at checkout'),
  discountGiven: Money('Discount given by committed checkout redemptions'),
};

export const RewardsReport = Type.Object(
  {
    ...reportHeader,
    series: Type.Array(Type.Object({ period: Period, ...rewardFigures })),
    totals: Type.Object({
      ...rewardFigures,
      redemptionRate: Ratio('Coupons used per coupon claimed in the range (4 decimals)'),
    }),
    byReward: Type.Array(
      Type.Object({
        rewardId: Type.String(),
        name: Type.Union([Type.String(), Type.Null()]),
        claims: Count('Coupons claimed'),
        pointsSpent: Points('Points paid for them'),
        couponsUsed: Count('Coupons used'),
        redemptions: Count('Direct redemptions'),
      }),
      { description: 'Top rewards first (claims + uses + redemptions)' },
    ),
  },
  { $id: 'RewardsReport' },
);

export const CohortsReport = Type.Object(
  {
    from: LocalDay('As asked'),
    to: LocalDay('As asked'),
    timeZone: Type.String(),
    cohorts: Type.Array(
      Type.Object({
        cohort: Type.String({ description: 'The month the members joined (YYYY-MM)' }),
        members: Count('Members who joined that month'),
        months: Type.Array(
          Type.Object({
            month: Type.String({ description: 'YYYY-MM, from the cohort month to the month of `to`' }),
            activeMembers: Count('Cohort members with a purchase that month'),
            retention: Ratio('activeMembers / members (4 decimals)'),
            revenue: Money("Those members' revenue that month"),
            revenuePerMember: Type.Union([Money('revenue / members (rounded half up)'), Type.Null()]),
          }),
        ),
      }),
    ),
  },
  { $id: 'CohortsReport' },
);

export const RulesReport = Type.Object(
  {
    ...reportHeader,
    rules: Type.Array(
      Type.Object({
        ruleId: Type.String(),
        name: Type.Union([Type.String(), Type.Null()]),
        tickets: Count('Tickets the rule paid points on'),
        points: Points('Points it paid on them'),
        revenue: Money('Revenue of those tickets'),
      }),
      { description: 'Rules that paid on tickets in the range, most points first' },
    ),
  },
  { $id: 'RulesReport' },
);

export type MembersReport = Static<typeof MembersReport>;
export type PointsReport = Static<typeof PointsReport>;
export type SalesReport = Static<typeof SalesReport>;
export type RewardsReport = Static<typeof RewardsReport>;
export type CohortsReport = Static<typeof CohortsReport>;
export type RulesReport = Static<typeof RulesReport>;
