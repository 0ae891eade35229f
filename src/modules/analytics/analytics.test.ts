import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { audienceClient, type Json } from '../../../test/support/audience.ts';
import {
  createTestContext,
  expectStatus,
  type TestContext,
  type TestOrganization,
} from '../../../test/support/context.ts';
import { rawRows } from '../../db/connection.ts';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

function client(org: TestOrganization) {
  const api = audienceClient(ctx, org);
  let documents = 0;
  return {
    ...api,
    /** A ticket as a POS sends it, at a given moment and place. */
    async ticket(fields: {
      total: number;
      at: string;
      customerId?: string;
      locationId?: string;
      status?: string;
    }) {
      documents++;
      const documentNumber = `A-${documents}`;
      await api.ok('POST', '/v1/transactions', {
        documentNumber,
        purchasedAt: fields.at,
        totals: { total: fields.total },
        lines: [{ sku: 'MENU', name: 'Menu', total: fields.total }],
        ...(fields.customerId ? { customer: { customerId: fields.customerId } } : {}),
        ...(fields.locationId ? { locationId: fields.locationId } : {}),
        ...(fields.status ? { status: fields.status } : {}),
      });
      return { documentNumber };
    },
    report: (path: string) => api.ok<Json>('GET', `/v1/analytics/${path}`),
  };
}

const catchUp = () => ctx.services.analytics.catchUp();

const ROLLUPS = ['analytics_days', 'analytics_day_breakdowns', 'analytics_member_days'];

/** Every rollup row of an organization, in a stable order. */
async function rollups(organizationId: string) {
  const out: Record<string, unknown[]> = {};
  for (const table of ROLLUPS) {
    out[table] = await rawRows(
      ctx.database.db,
      sql`select * from ${sql.raw(table)} where organization_id = ${organizationId} order by 1, 2, 3, 4, 5`,
    );
  }
  return out;
}

async function clearRollups(organizationId: string) {
  for (const table of ROLLUPS) {
    await ctx.database.db.execute(
      sql`delete from ${sql.raw(table)} where organization_id = ${organizationId}`,
    );
  }
}

describe("days are the organization's local days", () => {
  it('puts a ticket at 23:30 in Madrid on 31 March (the spring DST change) on 31 March, and 00:30 on 1 April', async () => {
    const org = await ctx.createOrganization({ timeZone: 'Europe/Madrid' });
    const api = client(org);
    // 31 March 2024: clocks go from 02:00 CET (UTC+1) to 03:00 CEST (UTC+2); the day has 23 hours.
    await api.ticket({ total: 1000, at: '2024-03-30T22:59:00Z' }); // 23:59 CET, 30 March
    await api.ticket({ total: 2000, at: '2024-03-30T23:00:00Z' }); // 00:00 CET, 31 March
    await api.ticket({ total: 3000, at: '2024-03-31T21:30:00Z' }); // 23:30 CEST, 31 March
    await api.ticket({ total: 4000, at: '2024-03-31T22:30:00Z' }); // 00:30 CEST, 1 April
    await catchUp();
    const report = await api.report('sales?from=2024-03-30&to=2024-04-01');
    expect(report.timeZone).toBe('Europe/Madrid');
    expect(report.series.map((s: Json) => [s.period, s.tickets, s.revenue])).toEqual([
      ['2024-03-30', 1, 1000],
      ['2024-03-31', 2, 5000],
      ['2024-04-01', 1, 4000],
    ]);
  });

  it('counts the 25 hours of the autumn DST change day in that day', async () => {
    const org = await ctx.createOrganization({ timeZone: 'Europe/Madrid' });
    const api = client(org);
    // 27 October 2024: 03:00 CEST goes back to 02:00 CET; the day runs 22:00Z (26th) to 23:00Z (27th).
    await api.ticket({ total: 100, at: '2024-10-26T21:59:00Z' }); // 23:59 CEST, 26 October
    await api.ticket({ total: 200, at: '2024-10-26T22:00:00Z' }); // 00:00 CEST, 27 October
    await api.ticket({ total: 300, at: '2024-10-27T22:59:00Z' }); // 23:59 CET, 27 October
    await api.ticket({ total: 400, at: '2024-10-27T23:00:00Z' }); // 00:00 CET, 28 October
    await catchUp();
    const report = await api.report('sales?from=2024-10-26&to=2024-10-28');
    expect(report.series.map((s: Json) => s.revenue)).toEqual([100, 500, 400]);
  });
});

/**
 * The fixture, in Madrid, on days of January 2025 (week of Monday 6 to Sunday 12 January):
 *   Ana:   Mon 6  at Centro 20.00; Wed 8 at Centro 10.00; Wed 8 at Playa 30.00
 *   Bruno: Wed 8  at Playa 15.00; Mon 13 at Centro 5.00
 *   anonymous: Tue 7 at Centro 12.00; Mon 13 no location 8.00
 *   a pending ticket of Bruno (Tue 7, 99.00) and a cancelled one (Tue 7, 77.00) count nowhere.
 */
async function january(org: TestOrganization) {
  const api = client(org);
  const centro = (await api.ok('POST', '/v1/locations', { name: 'Centro' })).id as string;
  const playa = (await api.ok('POST', '/v1/locations', { name: 'Playa' })).id as string;
  const ana = await api.member({ firstName: 'Ana', source: 'POS' });
  const bruno = await api.member({ firstName: 'Bruno', source: 'web' });
  const t = (day: number, hour = 13) => `2025-01-${String(day).padStart(2, '0')}T${hour}:00:00+01:00`;
  await api.ticket({ total: 2000, at: t(6), customerId: ana.id, locationId: centro });
  await api.ticket({ total: 1000, at: t(8), customerId: ana.id, locationId: centro });
  await api.ticket({ total: 3000, at: t(8, 21), customerId: ana.id, locationId: playa });
  await api.ticket({ total: 1500, at: t(8), customerId: bruno.id, locationId: playa });
  await api.ticket({ total: 500, at: t(13), customerId: bruno.id, locationId: centro });
  await api.ticket({ total: 1200, at: t(7), locationId: centro });
  await api.ticket({ total: 800, at: t(13) });
  await api.ticket({ total: 9900, at: t(7), customerId: bruno.id, locationId: centro, status: 'pending' });
  await api.ticket({ total: 7700, at: t(7), customerId: bruno.id, locationId: centro, status: 'cancelled' });
  await catchUp();
  return { api, centro, playa, ana, bruno };
}

describe('the sales report', () => {
  it('answers the hand-computed figures per day, per week (clipped to the range) and per location', async () => {
    const org = await ctx.createOrganization({ timeZone: 'Europe/Madrid' });
    const { api, centro, playa } = await january(org);

    const daily = await api.report('sales?from=2025-01-06&to=2025-01-13');
    const pick = (s: Json) => [
      s.period,
      s.tickets,
      s.revenue,
      s.memberTickets,
      s.anonymousTickets,
      s.activeMembers,
    ];
    expect(daily.series.map(pick)).toEqual([
      ['2025-01-06', 1, 2000, 1, 0, 1],
      ['2025-01-07', 1, 1200, 0, 1, 0],
      ['2025-01-08', 3, 5500, 3, 0, 2],
      ['2025-01-09', 0, 0, 0, 0, 0],
      ['2025-01-10', 0, 0, 0, 0, 0],
      ['2025-01-11', 0, 0, 0, 0, 0],
      ['2025-01-12', 0, 0, 0, 0, 0],
      ['2025-01-13', 2, 1300, 1, 1, 1],
    ]);
    expect(daily.totals).toMatchObject({
      tickets: 7,
      revenue: 10000,
      memberTickets: 5,
      memberRevenue: 8000,
      anonymousTickets: 2,
      anonymousRevenue: 2000,
      activeMembers: 2,
      averageMemberTicket: 1600,
      averageAnonymousTicket: 1000,
      visitsPerActiveMember: 2.5,
    });

    // Weeks start on Monday; the range's second week holds only its Monday 13.
    const weekly = await api.report('sales?from=2025-01-08&to=2025-01-13&granularity=week');
    expect(weekly.series.map(pick)).toEqual([
      ['2025-01-06', 3, 5500, 3, 0, 2],
      ['2025-01-13', 2, 1300, 1, 1, 1],
    ]);

    const atCentro = await api.report(
      `sales?from=2025-01-01&to=2025-01-31&granularity=month&locationId=${centro}`,
    );
    expect(atCentro.series.map(pick)).toEqual([['2025-01-01', 4, 4700, 3, 1, 2]]);
    expect(
      atCentro.byLocation.map((l: Json) => [l.name, l.tickets, l.revenue, l.memberTickets]).sort(),
    ).toEqual(
      [
        ['Centro', 4, 4700, 3],
        ['Playa', 2, 4500, 2],
        [null, 1, 800, 0],
      ].sort(),
    );
    expect(atCentro.byLocation.find((l: Json) => l.name === 'Playa').locationId).toBe(playa);
  });

  it('counts a member at two locations on one day once in the whole, once at each location', async () => {
    const org = await ctx.createOrganization({ timeZone: 'Europe/Madrid' });
    const { api, centro, playa } = await january(org);
    const day = 'from=2025-01-08&to=2025-01-08';
    expect((await api.report(`sales?${day}`)).totals.activeMembers).toBe(2);
    expect((await api.report(`sales?${day}&locationId=${centro}`)).totals.activeMembers).toBe(1);
    expect((await api.report(`sales?${day}&locationId=${playa}`)).totals.activeMembers).toBe(2);
  });

  it("under a tier filter reads only those members' figures and leaves anonymous ones null", async () => {
    const org = await ctx.createOrganization({ timeZone: 'Europe/Madrid' });
    const api = client(org);
    const regular = await api.tier({ name: 'Regular', conditionValue: 0 });
    const gold = await api.tier({ name: 'Gold', conditionValue: 5000 });
    const { ana } = await january(org);
    expect(await api.tierOf(ana.id)).toBe('Gold');
    const report = await api.report(`sales?from=2025-01-01&to=2025-01-31&tierId=${gold.id}`);
    expect(report.totals).toMatchObject({
      memberTickets: 3,
      memberRevenue: 6000,
      activeMembers: 1,
      tickets: null,
      anonymousTickets: null,
    });
    const regulars = await api.report(`sales?from=2025-01-01&to=2025-01-31&tierId=${regular.id}`);
    expect(regulars.totals).toMatchObject({ memberTickets: 2, memberRevenue: 2000, activeMembers: 1 });
  });
});

describe('active members over any range', () => {
  /**
   * Ana and Bruno joined on 10 January 2025. Ana buys on Thu 30 January, Mon 3 and Tue 4 February;
   * Bruno on Tue 4 February. Weeks: 27 January–2 February, 3–9 February.
   */
  async function acrossMonths(org: TestOrganization) {
    const api = client(org);
    const ana = await api.member();
    const bruno = await api.member();
    await ctx.database.db.execute(
      sql`update customers set created_at = '2025-01-10T12:00:00Z' where organization_id = ${org.id}`,
    );
    await api.ticket({ total: 1000, at: '2025-01-30T12:00:00+01:00', customerId: ana.id });
    await api.ticket({ total: 1000, at: '2025-02-03T12:00:00+01:00', customerId: ana.id });
    await api.ticket({ total: 1000, at: '2025-02-04T12:00:00+01:00', customerId: ana.id });
    await api.ticket({ total: 1000, at: '2025-02-04T18:00:00+01:00', customerId: bruno.id });
    // The registration dates were set behind the upkeep's back: rebuilt, as after an import.
    await ctx.services.analytics.rebuild(org.id);
    return { api, ana, bruno };
  }
  const active = (report: Json) => [
    report.series.map((s: Json) => [s.period, s.activeMembers]),
    report.totals.activeMembers,
  ];

  it('counts each member once per bucket clipped to the range, and once in the whole range', async () => {
    const org = await ctx.createOrganization({ timeZone: 'Europe/Madrid' });
    const { api } = await acrossMonths(org);
    expect(active(await api.report('sales?from=2025-01-31&to=2025-02-04&granularity=month'))).toEqual([
      [
        ['2025-01-01', 0],
        ['2025-02-01', 2],
      ],
      2,
    ]);
    expect(active(await api.report('sales?from=2025-01-30&to=2025-02-04&granularity=week'))).toEqual([
      [
        ['2025-01-27', 1],
        ['2025-02-03', 2],
      ],
      2,
    ]);
    // Ana's purchase of 4 February is her first in a range that starts on the 4th.
    expect(active(await api.report('members?from=2025-02-04&to=2025-02-28&granularity=month'))).toEqual([
      [['2025-02-01', 2]],
      2,
    ]);
    expect((await api.report('sales?from=2025-01-01&to=2025-01-31')).totals.activeMembers).toBe(1);
  });

  it('recounts the later days of a member who came or went on an earlier day, as a rebuild would', async () => {
    const org = await ctx.createOrganization({ timeZone: 'Europe/Madrid' });
    const { api, bruno } = await acrossMonths(org);
    const weekly = 'sales?from=2025-01-29&to=2025-02-04&granularity=week';
    const cohorts = async () =>
      (await api.report('cohorts?from=2025-01-01&to=2025-02-28')).cohorts.flatMap((c: Json) =>
        c.months.map((m: Json) => m.activeMembers),
      );
    // A ticket of Bruno on Sunday 2 February recorded late: his purchase of the 4th is no longer
    // his first of the month, nor of a range from the 2nd.
    await api.ticket({ total: 500, at: '2025-02-02T12:00:00+01:00', customerId: bruno.id });
    await catchUp();
    expect(active(await api.report(weekly))).toEqual([
      [
        ['2025-01-27', 2],
        ['2025-02-03', 2],
      ],
      2,
    ]);
    expect(await cohorts()).toEqual([1, 2, 0]);
    const incremental = await rollups(org.id);
    await clearRollups(org.id);
    await ctx.services.analytics.rebuild(org.id);
    expect(await rollups(org.id)).toEqual(incremental);

    // Ana's ticket of 30 January goes (a correction of the data), and the days are recomputed.
    await ctx.database.db.execute(
      sql`update transactions set status = 'cancelled'
        where organization_id = ${org.id} and purchased_at = '2025-01-30T11:00:00Z'`,
    );
    await ctx.services.analytics.rebuild(org.id);
    expect(active(await api.report(weekly))).toEqual([
      [
        ['2025-01-27', 1],
        ['2025-02-03', 2],
      ],
      2,
    ]);
    expect(await cohorts()).toEqual([0, 2, 0]);
    const recomputed = await rollups(org.id);
    await clearRollups(org.id);
    await ctx.services.analytics.rebuild(org.id);
    expect(await rollups(org.id)).toEqual(recomputed);
  });
});

describe('the members report', () => {
  it('counts new members by channel, the running total, active members and consents', async () => {
    const org = await ctx.createOrganization({ timeZone: 'Europe/Madrid' });
    const { api } = await january(org);
    await api.member({ source: 'POS', marketingConsents: { email: true } });
    await catchUp();
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Madrid' }).format(new Date());
    const report = await api.report(`members?from=2025-01-01&to=${today}&granularity=month`);
    expect(report.totals).toMatchObject({ members: 3, newMembers: 3, activeMembers: 2 });
    expect(report.totals.newByChannel).toEqual([
      { channel: 'POS', members: 2 },
      { channel: 'web', members: 1 },
    ]);
    expect(report.series[0]).toMatchObject({
      period: '2025-01-01',
      members: 0,
      newMembers: 0,
      activeMembers: 2,
    });
    expect(report.series.at(-1)).toMatchObject({ members: 3, newMembers: 3, activeMembers: 0 });
    expect(report.now.members).toBe(3);
    expect(report.now.consents).toMatchObject({ email: 1, emailRate: 0.3333 });
    // Both buyers' last purchase is in January 2025: long enough ago to be lapsed.
    expect(report.now).toMatchObject({ lapsedMembers: 2, lapsedDays: 90 });
  });
});

describe('the points report', () => {
  it('reconciles with the ledger: net = issued − spent − expired − cancelled + adjusted, outstanding = balances', async () => {
    const org = await ctx.createOrganization({ timeZone: 'Europe/Madrid' });
    const api = client(org);
    await api.ok('POST', '/v1/earning-rules', {
      name: 'A point per euro',
      type: 'spend',
      config: { pointsPerUnit: 1 },
    });
    const ana = await api.member();
    const bruno = await api.member();
    await api.ticket({ total: 2550, at: new Date().toISOString(), customerId: ana.id });
    await api.ok('POST', `/v1/customers/${bruno.id}/points/add`, { points: 40, reason: 'welcome' });
    await api.ok('POST', `/v1/customers/${ana.id}/points/spend`, { points: 5.5, reason: 'coffee' });
    await api.ok('POST', `/v1/customers/${bruno.id}/points/transfer`, { to: ana.id, points: 10 }, 201);
    const pointTypes = await api.ok<Json>('GET', '/v1/point-types');
    const pointType = pointTypes.data[0];
    await api.ok('PATCH', `/v1/point-types/${pointType.id}`, { valuePerThousandPoints: 1000 });
    await catchUp();

    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Madrid' }).format(new Date());
    const report = await api.report(`points?from=${today}&to=${today}`);
    expect(report.totals).toEqual({
      issued: 65.5,
      spent: 5.5,
      expired: 0,
      cancelled: 0,
      adjusted: 0,
      transferred: 10,
      net: 60,
    });
    expect(report.series).toEqual([{ period: today, ...report.totals, outstanding: 60 }]);
    const [held] = report.liability.byPointType;
    expect(held).toMatchObject({
      pointTypeId: pointType.id,
      active: 60,
      outstanding: 60,
      valuePerThousandPoints: 1000,
    });
    // 60 points at 1,000 cents per 1,000 points: 60 cents.
    expect(held.value).toBe(60);
    expect(report.liability).toMatchObject({ currency: 'EUR', value: 60 });

    const verify = await ctx.services.ledger.verify({ organizationId: org.id });
    expect(verify.mismatches).toEqual([]);
    const [balances] = await rawRows<{ held: string }>(
      ctx.database.db,
      sql`select sum(active + pending + blocked)::text as held from point_balances where organization_id = ${org.id}`,
    );
    expect(Number(balances?.held) / 100).toBe(report.series[0].outstanding);
  });
});

describe('rebuilding the rollups', () => {
  it('writes exactly the rows the incremental upkeep wrote', async () => {
    const org = await ctx.createOrganization({ timeZone: 'Europe/Madrid' });
    await january(org);
    const incremental = await rollups(org.id);
    expect(incremental.analytics_days?.length).toBeGreaterThan(0);
    await clearRollups(org.id);
    const progress: Array<[number, number]> = [];
    const result = await ctx.services.analytics.rebuild(org.id, (done, total) =>
      progress.push([done, total]),
    );
    expect(result.days).toBeGreaterThan(0);
    expect(progress.at(-1)?.[0]).toBe(progress.at(-1)?.[1]);
    expect(await rollups(org.id)).toEqual(incremental);
  });
});

describe('bad input', () => {
  it('refuses inverted and over-long ranges, unknown parameters and foreign filters, naming the parameter', async () => {
    const org = await ctx.createOrganization();
    const other = await ctx.createOrganization();
    const foreign = (await client(other).ok('POST', '/v1/locations', { name: 'Elsewhere' })).id;
    const api = client(org);
    const cases: Array<[string, string]> = [
      ['sales?from=2025-02-01&to=2025-01-01', 'query.to'],
      ['sales?from=2020-01-01&to=2025-12-31', 'query.to'],
      ['sales?from=2025-01-01&to=2025-01-31&colour=red', 'colour'],
      ['sales?from=2025-01-01&to=2025-13-01', 'to'],
      ['sales?from=2025-01-01&to=2025-01-31&granularity=hour', 'granularity'],
      [`sales?from=2025-01-01&to=2025-01-31&locationId=${foreign}`, 'query.locationId'],
      ['points?from=2025-01-01&to=2025-01-31&tierId=01936f4e-8b1a-7c3d-9e2f-1a2b3c4d5e6f', 'tierId'],
      ['members?from=2025-01-01', 'to'],
    ];
    for (const [path, field] of cases) {
      const response = await api.call('GET', `/v1/analytics/${path}`);
      expect(response.statusCode, path).toBeGreaterThanOrEqual(400);
      expect(response.statusCode, path).toBeLessThan(500);
      expect(JSON.stringify(response.json().errors ?? response.json().detail), path).toContain(field);
    }
  });
});

describe('CSV export', () => {
  it('gives the series of a report as CSV', async () => {
    const org = await ctx.createOrganization({ timeZone: 'Europe/Madrid' });
    const { api } = await january(org);
    const response = await api.call('GET', '/v1/analytics/sales.csv?from=2025-01-12&to=2025-01-13');
    expectStatus(response, 200);
    expect(response.headers['content-type']).toContain('text/csv');
    const [header, ...lines] = response.body.trim().split('\n');
    expect(header?.split(',').slice(0, 3)).toEqual(['period', 'tickets', 'revenue']);
    expect(lines.map((line) => line.split(',').slice(0, 3))).toEqual([
      ['2025-01-12', '0', '0'],
      ['2025-01-13', '2', '1300'],
    ]);
  });
});

const todayIn = (timeZone: string) => new Intl.DateTimeFormat('en-CA', { timeZone }).format(new Date());

describe('the rewards report', () => {
  it('counts claims, coupons used where they were used, the redemption rate, and each reward', async () => {
    const org = await ctx.createOrganization({ timeZone: 'Europe/Madrid' });
    const api = client(org);
    const shop = (await api.ok('POST', '/v1/locations', { name: 'Centro' })).id as string;
    const member = await api.member();
    await api.ok('POST', `/v1/customers/${member.id}/points/add`, { points: 200, reason: 'opening' });
    const coffee = await api.ok('POST', '/v1/rewards', {
      name: 'Free coffee',
      type: 'free_product',
      scope: { skus: ['COFFEE'] },
      costPoints: 50,
    });
    const claim = await api.ok('POST', `/v1/customers/${member.id}/rewards/${coffee.id}/claim`, {
      quantity: 2,
    });
    await api.ok('POST', `/v1/coupons/${claim.coupons[0].id}/use`, { locationId: shop }, 200);
    await catchUp();

    const today = todayIn('Europe/Madrid');
    const report = await api.report(`rewards?from=${today}&to=${today}`);
    expect(report.totals).toEqual({
      claims: 2,
      couponsUsed: 1,
      redemptions: 0,
      discountGiven: 0,
      redemptionRate: 0.5,
    });
    expect(report.byReward).toEqual([
      {
        rewardId: coffee.id,
        name: 'Free coffee',
        claims: 2,
        pointsSpent: 100,
        couponsUsed: 1,
        redemptions: 0,
      },
    ]);
    // Claims have no location; the coupon was used at the shop.
    const atShop = await api.report(`rewards?from=${today}&to=${today}&locationId=${shop}`);
    expect(atShop.totals).toMatchObject({ claims: 0, couponsUsed: 1 });
  });
});

describe('the earning rules report', () => {
  it('gives each rule the tickets it paid on, its points and their revenue; returns reconcile in the points report', async () => {
    const org = await ctx.createOrganization({ timeZone: 'Europe/Madrid' });
    const api = client(org);
    const rule = await api.ok('POST', '/v1/earning-rules', {
      name: 'A point per euro',
      type: 'spend',
      config: { pointsPerUnit: 1 },
    });
    const ana = await api.member();
    const sale = await api.ticket({ total: 2550, at: new Date().toISOString(), customerId: ana.id });
    await api.ticket({ total: 1000, at: new Date().toISOString(), customerId: ana.id });
    await api.ticket({ total: 700, at: new Date().toISOString() });
    await api.giveBack(sale.documentNumber, 1000);
    await catchUp();

    const today = todayIn('Europe/Madrid');
    const rules = await api.report(`rules?from=${today}&to=${today}`);
    expect(rules.rules).toEqual([
      { ruleId: rule.id, name: 'A point per euro', tickets: 2, points: 35.5, revenue: 3550 },
    ]);

    const points = await api.report(`points?from=${today}&to=${today}`);
    const t = points.totals;
    expect(t.cancelled).toBeGreaterThan(0);
    expect(t.net).toBeCloseTo(t.issued - t.spent - t.expired - t.cancelled + t.adjusted, 2);
    const [balance] = (await api.ok<Json>('GET', `/v1/customers/${ana.id}/points`)).balances;
    expect(points.series[0].outstanding).toBe(balance.active + balance.pending + balance.blocked);
    // The liability rollup follows the cancelled points of the return too.
    expect(points.liability.byPointType[0]).toMatchObject({
      active: balance.active,
      pending: balance.pending,
      blocked: balance.blocked,
      outstanding: balance.active + balance.pending + balance.blocked,
    });
  });
});

describe('the cohorts report', () => {
  it('follows each month of new members: retention and revenue in each later month', async () => {
    const org = await ctx.createOrganization({ timeZone: 'Europe/Madrid' });
    const api = client(org);
    const early = await api.member();
    const later = await api.member();
    // Members who joined in the past: their registration dates are set as an import of old data would.
    await ctx.database.db.execute(
      sql`update customers set created_at = '2025-01-15T12:00:00Z' where organization_id = ${org.id} and id = ${early.id}`,
    );
    await ctx.database.db.execute(
      sql`update customers set created_at = '2025-02-10T12:00:00Z' where organization_id = ${org.id} and id = ${later.id}`,
    );
    await api.ticket({ total: 1000, at: '2025-01-20T12:00:00Z', customerId: early.id });
    await api.ticket({ total: 2000, at: '2025-02-05T12:00:00Z', customerId: early.id });
    await api.ticket({ total: 500, at: '2025-03-01T12:00:00Z', customerId: early.id });
    await api.ticket({ total: 3000, at: '2025-02-12T12:00:00Z', customerId: later.id });
    await ctx.services.analytics.rebuild(org.id);

    const report = await api.report('cohorts?from=2025-01-01&to=2025-03-31');
    const month = (
      m: string,
      activeMembers: number,
      retention: number | null,
      revenue: number,
      revenuePerMember: number | null,
    ) => ({
      month: m,
      activeMembers,
      retention,
      revenue,
      revenuePerMember,
    });
    expect(report.cohorts).toEqual([
      {
        cohort: '2025-01',
        members: 1,
        months: [
          month('2025-01', 1, 1, 1000, 1000),
          month('2025-02', 1, 1, 2000, 2000),
          month('2025-03', 1, 1, 500, 500),
        ],
      },
      {
        cohort: '2025-02',
        members: 1,
        months: [month('2025-02', 1, 1, 3000, 3000), month('2025-03', 0, 0, 0, 0)],
      },
      { cohort: '2025-03', members: 0, months: [month('2025-03', 0, null, 0, null)] },
    ]);
  });
});

describe('upkeep under concurrent writes', () => {
  it('loses no ticket committed while its day is being recomputed', async () => {
    const org = await ctx.createOrganization({ timeZone: 'Europe/Madrid' });
    const api = client(org);
    const member = await api.member();
    const at = '2025-05-05T12:00:00Z';
    const writes = Array.from({ length: 20 }, (_, index) =>
      api.ticket({ total: 100 + index, at, customerId: index % 2 === 0 ? member.id : undefined }),
    );
    const upkeep = Array.from({ length: 5 }, () => catchUp());
    await Promise.all([...writes, ...upkeep]);
    await catchUp();
    const report = await api.report('sales?from=2025-05-05&to=2025-05-05');
    // 100 + 101 + … + 119
    expect(report.totals).toMatchObject({ tickets: 20, revenue: 2190, memberTickets: 10, activeMembers: 1 });
  });
});
