import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
  return {
    organization,
    location: location.id,
    brand: location.brands[0]!.id,
    member: member.id,
    tier: tier.id,
    segment: segment.id,
    reward: reward.id,
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
