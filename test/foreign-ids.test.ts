import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRows } from '../src/db/connection.ts';
import {
  createTestContext,
  expectStatus,
  type TestContext,
  type TestOrganization,
} from './support/context.ts';

/**
 * Every id a request body names must be a row of the caller's organization. Two organizations
 * each make one of everything; each route and field is sent the other organization's id (after
 * one of its own, so the error names index 1) and must answer 422 naming that field, with nothing
 * written; the same request with its own ids succeeds, so a check that refused everything would
 * fail here too.
 */

let ctx: TestContext;

/** One of each thing a body can name, made in one organization. */
interface Things {
  organization: TestOrganization;
  location: string;
  brand: string;
  member: string;
  tier: string;
  segment: string;
  reward: string;
  pointType: string;
  category: string;
  /** One of the organization's events (what a webhook replay starts from). */
  event: string;
}

let ours: Things;
let theirs: Things;

async function post(organization: TestOrganization, url: string, payload: object): Promise<{ id: string }> {
  const response = await ctx.app.inject({ method: 'POST', url, headers: organization.headers, payload });
  expectStatus(response, 201);
  return response.json() as { id: string };
}

async function makeThings(organization: TestOrganization): Promise<Things> {
  const location = (await post(organization, '/v1/locations', {
    name: 'Sol',
    timeZone: 'Europe/Madrid',
    brands: [{ name: 'Burgers' }],
  })) as { id: string; brands: { id: string }[] };
  const member = await post(organization, '/v1/customers', { firstName: 'Lucía' });
  const tier = await post(organization, '/v1/tiers', { name: 'Gold', conditionValue: 1000 });
  const segment = await post(organization, '/v1/segments', {
    name: 'Regulars',
    parts: [{ criteria: [{ type: 'transaction_count', min: 2 }] }],
  });
  const reward = await post(organization, '/v1/rewards', {
    type: 'amount_discount',
    name: '3 € off',
    value: 300,
  });
  const category = await post(organization, '/v1/reward-categories', { name: 'Drinks' });
  const types = await ctx.app.inject({
    method: 'GET',
    url: '/v1/point-types',
    headers: organization.headers,
  });
  const pointType = (types.json() as { data: { id: string; isDefault: boolean }[] }).data.find(
    (type) => type.isDefault,
  )!;
  const events = await ctx.app.inject({ method: 'GET', url: '/v1/events', headers: organization.headers });
  const event = (events.json() as { data: { id: string }[] }).data[0]!;
  return {
    organization,
    location: location.id,
    brand: location.brands[0]!.id,
    member: member.id,
    tier: tier.id,
    segment: segment.id,
    reward: reward.id,
    pointType: pointType.id,
    category: category.id,
    event: event.id,
  };
}

beforeAll(async () => {
  ctx = await createTestContext();
  ours = await makeThings(await ctx.createOrganization());
  theirs = await makeThings(await ctx.createOrganization());
});
afterAll(() => ctx.close());

async function send(method: 'POST' | 'PATCH' | 'GET', url: string, payload?: object) {
  return ctx.app.inject({ method, url, headers: ours.organization.headers, ...(payload ? { payload } : {}) });
}

/** How many rows a list shows: what must not change when a request is refused. */
async function countOf(url: string): Promise<number> {
  const response = await send('GET', `${url}?limit=100`);
  expectStatus(response, 200);
  return (response.json() as { data: unknown[] }).data.length;
}

function expectForeign(response: Awaited<ReturnType<typeof send>>, path: string, noun: string) {
  expectStatus(response, 422);
  expect(response.json()).toMatchObject({
    code: 'validation_failed',
    errors: [{ path, message: `is not ${noun} of this organization` }],
  });
}

/** An id list a body takes: the field, what its ids are, and which of the organization's things fills it. */
interface IdListField {
  field: string;
  noun: string;
  thing: keyof Omit<Things, 'organization'>;
}

const EARNING_RULE_FIELDS: IdListField[] = [
  { field: 'locationIds', noun: 'a location', thing: 'location' },
  { field: 'brandIds', noun: 'a brand', thing: 'brand' },
  { field: 'tierIds', noun: 'a tier', thing: 'tier' },
  { field: 'segmentIds', noun: 'a segment', thing: 'segment' },
];

const REWARD_FIELDS: IdListField[] = [
  { field: 'locationIds', noun: 'a location', thing: 'location' },
  { field: 'tierIds', noun: 'a tier', thing: 'tier' },
  { field: 'segmentIds', noun: 'a segment', thing: 'segment' },
  { field: 'customerIds', noun: 'a customer', thing: 'member' },
];

/** Own id first, the stranger's second: the error must name the stranger's place in the list. */
function mixed({ field, thing }: IdListField): Record<string, string[]> {
  return { [field]: [ours[thing], theirs[thing]] };
}

function own({ field, thing }: IdListField): Record<string, string[]> {
  return { [field]: [ours[thing]] };
}

const spendRule = { name: 'Lunch', type: 'spend', config: { pointsPerUnit: 1 } };
const discount = { type: 'amount_discount', name: '2 € off', value: 200 };

/** A resource the organization owns, its URL, and a body that creates it. */
const RESOURCES = [
  { name: 'an earning rule', url: '/v1/earning-rules', body: spendRule, fields: EARNING_RULE_FIELDS },
  { name: 'a reward', url: '/v1/rewards', body: discount, fields: REWARD_FIELDS },
];

describe.each(RESOURCES)('creating $name', ({ url, body, fields }) => {
  it.each(fields)("refuses another organization's id in $field and writes nothing", async (field) => {
    const before = await countOf(url);
    expectForeign(await send('POST', url, { ...body, ...mixed(field) }), `body.${field.field}.1`, field.noun);
    expect(await countOf(url)).toBe(before);
  });

  it.each(fields)('accepts its own ids in $field', async (field) => {
    const created = await send('POST', url, { ...body, ...own(field) });
    expectStatus(created, 201);
    expect(created.json()).toMatchObject(own(field));
  });
});

describe.each(RESOURCES)('updating $name', ({ url, body, fields }) => {
  it.each(fields)("refuses another organization's id in $field and leaves it as it was", async (field) => {
    const { id } = await post(ours.organization, url, { ...body, ...own(field) });
    expectForeign(
      await send('PATCH', `${url}/${id}`, { name: 'Renamed', ...mixed(field) }),
      `body.${field.field}.1`,
      field.noun,
    );
    const stored = await send('GET', `${url}/${id}`);
    expect(stored.json()).toMatchObject({ name: body.name, ...own(field) });
  });

  it.each(fields)('accepts its own ids in $field', async (field) => {
    const { id } = await post(ours.organization, url, body);
    const updated = await send('PATCH', `${url}/${id}`, own(field));
    expectStatus(updated, 200);
    expect(updated.json()).toMatchObject(own(field));
  });
});

/** How many events the organization has: every change writes one in its own transaction. */
async function eventCount(organization: TestOrganization): Promise<number> {
  const [row] = await rawRows<{ n: number }>(
    ctx.database.db,
    sql`select count(*)::int as n from events where organization_id = ${organization.id}`,
  );
  return Number(row!.n);
}

/**
 * A request whose body (or query) names one thing: sent naming the other organization's it must
 * answer 422 on `path` and write nothing; naming the caller's own, it must succeed. URLs always
 * name the caller's things (a stranger's id in a path is a 404, tested by each module's security
 * suite).
 */
interface BodyCase {
  route: string;
  path: string;
  message: string;
  request(names: Things): { method: 'POST' | 'PATCH' | 'GET'; url: string; payload?: object };
}

let unique = 0;
const next = () => `${Date.now()}-${++unique}`;
const ticket = (fields: object) => ({
  documentNumber: `FOREIGN-${next()}`,
  currency: 'EUR',
  totals: { total: 1250 },
  lines: [{ lineId: 'L1', sku: 'BURGER', quantity: 1, total: 1250 }],
  ...fields,
});
const segment = (criterion: object) => ({ name: `Segment ${next()}`, parts: [{ criteria: [criterion] }] });
/** What a custom event, a scanned QR code and a check-in say besides where they happened. */
function triggerBody(trigger: 'custom-events' | 'qr-codes' | 'check-ins'): object {
  if (trigger === 'custom-events') return { name: 'left_review', eventId: `EV-${next()}` };
  if (trigger === 'qr-codes') return { code: 'TABLE-7', eventId: `QR-${next()}` };
  return { latitude: 40.4168, longitude: -3.7038 };
}
const criterionPath = 'body.parts.0.criteria.0';
const not = (noun: string) => `is not ${noun} of this organization`;

/** Made once the organizations exist: things of the caller's own that the requests act on. */
let mine: { otherMember: string; segment: string; endpoint: string; coupon: string };

const BODY_CASES: BodyCase[] = [
  {
    route: 'POST /v1/transactions',
    path: 'body.locationId',
    message: not('a location'),
    request: (names) => ({
      method: 'POST',
      url: '/v1/transactions',
      payload: ticket({ locationId: names.location }),
    }),
  },
  {
    route: 'POST /v1/transactions',
    path: 'body.brandId',
    message: not('a brand'),
    request: (names) => ({
      method: 'POST',
      url: '/v1/transactions',
      payload: ticket({ brandId: names.brand }),
    }),
  },
  {
    route: 'POST /v1/transactions/simulate',
    path: 'body.locationId',
    message: not('a location'),
    request: (names) => ({
      method: 'POST',
      url: '/v1/transactions/simulate',
      payload: ticket({ locationId: names.location }),
    }),
  },
  ...(['custom-events', 'qr-codes', 'check-ins'] as const).map(
    (trigger): BodyCase => ({
      route: `POST /v1/customers/{id}/${trigger}`,
      path: 'body.locationId',
      message: not('a location'),
      request: (names) => ({
        method: 'POST',
        url: `/v1/customers/${ours.member}/${trigger}`,
        payload: { ...triggerBody(trigger), locationId: names.location },
      }),
    }),
  ),
  {
    route: 'POST /v1/customers/{id}/points/add',
    path: 'body.locationId',
    message: not('a location'),
    request: (names) => ({
      method: 'POST',
      url: `/v1/customers/${ours.member}/points/add`,
      payload: { points: 1, reason: 'goodwill', locationId: names.location },
    }),
  },
  {
    route: 'POST /v1/customers/{id}/points/add',
    path: 'body.pointTypeId',
    message: not('a point type'),
    request: (names) => ({
      method: 'POST',
      url: `/v1/customers/${ours.member}/points/add`,
      payload: { points: 1, reason: 'goodwill', pointTypeId: names.pointType },
    }),
  },
  {
    route: 'POST /v1/customers/{id}/points/transfer',
    path: 'body.to',
    message: 'matches no customer of this organization',
    request: (names) => ({
      method: 'POST',
      url: `/v1/customers/${ours.member}/points/transfer`,
      payload: { to: names === ours ? mine.otherMember : names.member, points: 1 },
    }),
  },
  {
    route: 'POST /v1/customers/{id}/tier',
    path: 'body.tierId',
    message: not('a tier'),
    request: (names) => ({
      method: 'POST',
      url: `/v1/customers/${ours.member}/tier`,
      payload: { tierId: names.tier },
    }),
  },
  {
    route: 'POST /v1/earning-rules',
    path: 'body.pointTypeId',
    message: not('a point type'),
    request: (names) => ({
      method: 'POST',
      url: '/v1/earning-rules',
      payload: { ...spendRule, pointTypeId: names.pointType },
    }),
  },
  {
    route: 'POST /v1/rewards',
    path: 'body.pointTypeId',
    message: not('a point type'),
    request: (names) => ({
      method: 'POST',
      url: '/v1/rewards',
      payload: { ...discount, pointTypeId: names.pointType },
    }),
  },
  {
    route: 'POST /v1/rewards',
    path: 'body.categoryIds.0',
    message: not('a reward category'),
    request: (names) => ({
      method: 'POST',
      url: '/v1/rewards',
      payload: { ...discount, categoryIds: [names.category] },
    }),
  },
  ...(['POST', 'PATCH'] as const).flatMap((method): BodyCase[] => {
    const url = () => (method === 'POST' ? '/v1/segments' : `/v1/segments/${mine.segment}`);
    const route = method === 'POST' ? 'POST /v1/segments' : 'PATCH /v1/segments/{id}';
    return [
      {
        route,
        path: `${criterionPath}.locationIds.0`,
        message: not('a location'),
        request: (names) => ({
          method,
          url: url(),
          payload: segment({ type: 'bought_at_locations', locationIds: [names.location] }),
        }),
      },
      {
        route,
        path: `${criterionPath}.tierIds.0`,
        message: not('a tier'),
        request: (names) => ({
          method,
          url: url(),
          payload: segment({ type: 'tier_in', tierIds: [names.tier] }),
        }),
      },
      {
        route,
        path: `${criterionPath}.pointTypeId`,
        message: not('a point type'),
        request: (names) => ({
          method,
          url: url(),
          payload: segment({ type: 'points_balance', min: 1, pointTypeId: names.pointType }),
        }),
      },
      {
        route,
        path: `${criterionPath}.customers.0`,
        message: 'matches no member of this organization',
        request: (names) => ({
          method,
          url: url(),
          payload: segment({ type: 'customer_list', customers: [names.member] }),
        }),
      },
    ];
  }),
  {
    route: 'POST /v1/coupons/{id}/use',
    path: 'body.locationId',
    message: not('a location'),
    request: (names) => ({
      method: 'POST',
      url: `/v1/coupons/${mine.coupon}/use`,
      payload: { usedOn: `T-${next()}`, locationId: names.location },
    }),
  },
  {
    route: 'POST /v1/redemptions',
    path: 'body.order.locationId',
    message: not('a location'),
    request: (names) => ({
      method: 'POST',
      url: '/v1/redemptions',
      payload: {
        customerId: ours.member,
        mode: 'reserve',
        order: { ...ticket({ locationId: names.location }) },
        rewards: [{ rewardId: ours.reward }],
      },
    }),
  },
  {
    route: 'GET /v1/customers/{id}/rewards',
    path: 'query.locationId',
    message: not('a location'),
    request: (names) => ({
      method: 'GET',
      url: `/v1/customers/${ours.member}/rewards?locationId=${names.location}`,
    }),
  },
  {
    route: 'POST /v1/webhook-endpoints/{id}/replay',
    path: 'body.sinceEventId',
    message: not('an event'),
    request: (names) => ({
      method: 'POST',
      url: `/v1/webhook-endpoints/${mine.endpoint}/replay`,
      payload: { sinceEventId: names.event },
    }),
  },
];

describe('ids inside other bodies', () => {
  beforeAll(async () => {
    const organization = ours.organization;
    const otherMember = await post(organization, '/v1/customers', { firstName: 'Ana' });
    await post(organization, `/v1/customers/${ours.member}/points/add`, { points: 500, reason: 'opening' });
    const own = await post(organization, '/v1/segments', segment({ type: 'transaction_count', min: 1 }));
    const endpoint = await post(organization, '/v1/webhook-endpoints', {
      url: 'https://crm.example.com/hooks',
    });
    const claim = await ctx.app.inject({
      method: 'POST',
      url: `/v1/customers/${ours.member}/rewards/${ours.reward}/claim`,
      headers: organization.headers,
      payload: { quantity: 1 },
    });
    expectStatus(claim, 201);
    const coupon = (claim.json() as { coupons: { id: string }[] }).coupons[0]!;
    mine = { otherMember: otherMember.id, segment: own.id, endpoint: endpoint.id, coupon: coupon.id };
  });

  it.each(BODY_CASES)("$route refuses another organization's id in $path and writes nothing", async (c) => {
    const before = await eventCount(ours.organization);
    const { method, url, payload } = c.request(theirs);
    const response = await send(method, url, payload);
    expectStatus(response, 422);
    expect(response.json()).toMatchObject({
      code: 'validation_failed',
      errors: [{ path: c.path, message: c.message }],
    });
    expect(await eventCount(ours.organization)).toBe(before);
  });

  it.each(BODY_CASES)('$route accepts its own id in $path', async (c) => {
    const { method, url, payload } = c.request(ours);
    const response = await send(method, url, payload);
    expect(response.statusCode, response.body).toBeLessThan(300);
  });
});
