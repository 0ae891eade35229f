import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestContext,
  expectStatus,
  type TestContext,
  type TestOrganization,
} from '../../../test/support/context.ts';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

async function setup(event: string, points: number) {
  const org = await ctx.createOrganization({ timeZone: 'Europe/Madrid' });
  const rule = await ctx.app.inject({
    method: 'POST',
    url: '/v1/earning-rules',
    headers: org.headers,
    payload: { name: event, type: 'event', config: { event, points } },
  });
  expectStatus(rule, 201);
  return org;
}

async function createMember(org: TestOrganization, fields: Record<string, unknown> = {}) {
  const response = await ctx.app.inject({
    method: 'POST',
    url: '/v1/customers',
    headers: org.headers,
    payload: { firstName: 'Ana', email: `a-${randomBytes(4).toString('hex')}@example.com`, ...fields },
  });
  expectStatus(response, 201);
  return response.json().id as string;
}

const patch = (org: TestOrganization, id: string, payload: Record<string, unknown>) =>
  ctx.app.inject({ method: 'PATCH', url: `/v1/customers/${id}`, headers: org.headers, payload });

async function active(org: TestOrganization, id: string): Promise<number> {
  const response = await ctx.app.inject({
    method: 'GET',
    url: `/v1/customers/${id}/points`,
    headers: org.headers,
  });
  return response.json().balances[0].active;
}

describe('system events that earn', () => {
  it('give registration points once, when the member is created', async () => {
    const org = await setup('registration', 25);
    const id = await createMember(org);
    expect(await active(org, id)).toBe(25);
    expectStatus(await patch(org, id, { lastName: 'García' }), 200);
    expect(await active(org, id)).toBe(25);
  });

  it('give marketing opt-in points the first time a consent is granted, never again', async () => {
    const org = await setup('marketing_opt_in', 10);
    const id = await createMember(org);
    expect(await active(org, id)).toBe(0);
    expectStatus(await patch(org, id, { marketingConsents: { email: true } }), 200);
    expect(await active(org, id)).toBe(10);
    await patch(org, id, { marketingConsents: { email: false } });
    await patch(org, id, { marketingConsents: { email: true, sms: true } });
    expect(await active(org, id)).toBe(10);
  });

  it('give profile-completed points once the name, email, phone and birth date are all there', async () => {
    const org = await setup('profile_completed', 15);
    const id = await createMember(org, { lastName: 'García', phone: '+34 612 345 678' });
    expect(await active(org, id)).toBe(0);
    expectStatus(await patch(org, id, { birthDate: '1990-11-21' }), 200);
    expect(await active(org, id)).toBe(15);
    await patch(org, id, { firstName: 'Ana María' });
    expect(await active(org, id)).toBe(15);
  });

  it("give birthday points on the member's local birthday, once a year", async () => {
    const org = await setup('birthday', 50);
    const id = await createMember(org, { birthDate: '1990-11-21' });
    const other = await createMember(org, { birthDate: '1990-11-22' });
    const organization = await ctx.services.organizations.get(org.id);
    // 23:30 UTC on the 20th is already the 21st in Madrid.
    expect(
      await ctx.services.systemEvents.awardBirthdays(organization, new Date('2026-11-20T23:30:00Z')),
    ).toBe(1);
    await ctx.services.systemEvents.awardBirthdays(organization, new Date('2026-11-21T20:00:00Z'));
    expect(await active(org, id)).toBe(50);
    expect(await active(org, other)).toBe(0);
    await ctx.services.systemEvents.awardBirthdays(organization, new Date('2027-11-21T10:00:00Z'));
    expect(await active(org, id)).toBe(100);
  });
});
