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

async function setup(rule: Record<string, unknown>) {
  const org = await ctx.createOrganization();
  expectStatus(
    await ctx.app.inject({ method: 'POST', url: '/v1/earning-rules', headers: org.headers, payload: rule }),
    201,
  );
  const customer = await ctx.app.inject({
    method: 'POST',
    url: '/v1/customers',
    headers: org.headers,
    payload: { firstName: 'Ana', email: `a-${randomBytes(4).toString('hex')}@example.com` },
  });
  expectStatus(customer, 201);
  return { org, customerId: customer.json().id as string };
}

function post(org: TestOrganization, url: string, payload: Record<string, unknown>) {
  return ctx.app.inject({ method: 'POST', url, headers: org.headers, payload });
}

async function active(org: TestOrganization, customerId: string) {
  return (
    await ctx.app.inject({ method: 'GET', url: `/v1/customers/${customerId}/points`, headers: org.headers })
  ).json().balances[0].active;
}

describe('custom events, QR codes and check-ins', () => {
  it('award custom-event points up to the limit per period, and a repeated event id earns nothing more', async () => {
    const { org, customerId } = await setup({
      name: 'Review',
      type: 'custom_event',
      config: { eventName: 'left_review', points: 10 },
      limit: { count: 2, period: 'month' },
    });
    const url = `/v1/customers/${customerId}/custom-events`;
    const first = await post(org, url, { name: 'left_review', eventId: 'review-1' });
    expectStatus(first, 200);
    expect(first.json()).toMatchObject({
      pointsEarned: 10,
      breakdown: [{ ruleName: 'Review', points: 10 }],
      duplicate: false,
    });
    expect(await active(org, customerId)).toBe(10);
    expect((await post(org, url, { name: 'left_review', eventId: 'review-2' })).json().pointsEarned).toBe(10);
    expect((await post(org, url, { name: 'left_review', eventId: 'review-3' })).json().pointsEarned).toBe(0);
    expect((await post(org, url, { name: 'other_event' })).json().pointsEarned).toBe(0);
    expect(await active(org, customerId)).toBe(20);
  });

  it('answer an event id sent again with what it earned now: nothing, flagged as a duplicate', async () => {
    const { org, customerId } = await setup({
      name: 'Review',
      type: 'custom_event',
      config: { eventName: 'left_review', points: 10 },
      limit: { count: 1, period: 'day' },
    });
    const url = `/v1/customers/${customerId}/custom-events`;
    const review = { name: 'left_review', eventId: 'review-1' };
    expect((await post(org, url, review)).json()).toMatchObject({ pointsEarned: 10, duplicate: false });
    const again = await post(org, url, review);
    expectStatus(again, 200);
    expect(again.json()).toEqual({ pointsEarned: 0, breakdown: [], duplicate: true });
    // A new occurrence that the limit stops is no duplicate: it earns nothing for another reason.
    const limited = await post(org, url, { ...review, eventId: 'review-2' });
    expect(limited.json()).toEqual({ pointsEarned: 0, breakdown: [], duplicate: false });
    expect(await active(org, customerId)).toBe(10);
  });

  it("award each member for their own event id, even when another member's event had the same id", async () => {
    const { org, customerId: ana } = await setup({
      name: 'Review',
      type: 'custom_event',
      config: { eventName: 'left_review', points: 10 },
    });
    const bea = await ctx.app.inject({
      method: 'POST',
      url: '/v1/customers',
      headers: org.headers,
      payload: { firstName: 'Bea', email: `b-${randomBytes(4).toString('hex')}@example.com` },
    });
    expectStatus(bea, 201);
    const review = { name: 'left_review', eventId: 'review-1' };
    for (const id of [ana, bea.json().id as string]) {
      const url = `/v1/customers/${id}/custom-events`;
      const first = await post(org, url, review);
      expectStatus(first, 200);
      expect(first.json().pointsEarned).toBe(10);
      expectStatus(await post(org, url, review), 200);
      expect(await active(org, id)).toBe(10);
    }
  });

  it('award a limited rule no more often than its limit when events of one member arrive at once', async () => {
    const { org } = await setup({
      name: 'Review',
      type: 'custom_event',
      config: { eventName: 'left_review', points: 10 },
      limit: { count: 1, period: 'month' },
    });
    const members = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const created = await post(org, '/v1/customers', {
          firstName: 'Ana',
          email: `a-${randomBytes(4).toString('hex')}@example.com`,
        });
        expectStatus(created, 201);
        return created.json().id as string;
      }),
    );
    const pairs = await Promise.all(
      members.map((customerId) =>
        Promise.all(
          ['1', '2'].map((n) =>
            post(org, `/v1/customers/${customerId}/custom-events`, {
              name: 'left_review',
              eventId: `${customerId}-${n}`,
            }),
          ),
        ),
      ),
    );
    for (const [i, customerId] of members.entries()) {
      for (const response of pairs[i]!) expectStatus(response, 200);
      expect(pairs[i]!.map((response) => response.json().pointsEarned).sort()).toEqual([0, 10]);
      expect(await active(org, customerId)).toBe(10);
    }
  });

  it('award QR-code points for the exact code only', async () => {
    const { org, customerId } = await setup({
      name: 'Poster',
      type: 'qr_code',
      config: { code: 'TABLE-7', points: 1.5 },
    });
    expect(
      (await post(org, `/v1/customers/${customerId}/qr-codes`, { code: 'TABLE-8' })).json().pointsEarned,
    ).toBe(0);
    expect(
      (await post(org, `/v1/customers/${customerId}/qr-codes`, { code: 'TABLE-7' })).json().pointsEarned,
    ).toBe(1.5);
    expect(await active(org, customerId)).toBe(1.5);
  });

  it('award check-in points within the radius only', async () => {
    const { org, customerId } = await setup({
      name: 'Nearby',
      type: 'geolocation',
      config: { latitude: 41.4036, longitude: 2.1744, radiusMeters: 200, points: 2 },
    });
    const url = `/v1/customers/${customerId}/check-ins`;
    expect((await post(org, url, { latitude: 41.4136, longitude: 2.1744 })).json().pointsEarned).toBe(0);
    expect((await post(org, url, { latitude: 41.4046, longitude: 2.1744 })).json().pointsEarned).toBe(2);
  });

  it("answer 404 for another organization's member and 422 for a bad position", async () => {
    const { org } = await setup({ name: 'Poster', type: 'qr_code', config: { code: 'X', points: 1 } });
    const other = await setup({ name: 'Poster', type: 'qr_code', config: { code: 'X', points: 1 } });
    expect((await post(org, `/v1/customers/${other.customerId}/qr-codes`, { code: 'X' })).statusCode).toBe(
      404,
    );
    const bad = await post(org, `/v1/customers/${other.customerId}/check-ins`, {
      latitude: 123,
      longitude: 0,
    });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().errors[0].path).toBe('body.latitude');
  });
});
