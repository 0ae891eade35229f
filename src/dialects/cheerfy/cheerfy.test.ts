import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestContext,
  expectStatus,
  type TestContext,
  type TestOrganization,
} from '../../../test/support/context.ts';
import { verifyLedger } from '../../modules/ledger/verify.ts';

/** The request and response examples of the Cheerfy document, verbatim. */
const fixtures = join(import.meta.dirname, '..', '..', '..', 'test', 'fixtures', 'cheerfy');
const example = JSON.parse(readFileSync(join(fixtures, 'ticket-request.json'), 'utf8'));
const documentedResponse = JSON.parse(readFileSync(join(fixtures, 'ticket-response.json'), 'utf8'));

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

/** An organization set up as the example expects: location 6 "Charles rue", member 786GHJKL323, 1 point per euro. */
async function setup() {
  const org = await ctx.createOrganization();
  const location = await ctx.app.inject({
    method: 'POST',
    url: '/v1/locations',
    headers: org.headers,
    payload: { name: 'Charles rue', externalId: '6' },
  });
  expectStatus(location, 201);
  const member = await ctx.app.inject({
    method: 'POST',
    url: '/v1/customers',
    headers: org.headers,
    payload: { firstName: 'John', lastName: 'Smith', loyaltyCardNumber: '786GHJKL323' },
  });
  expectStatus(member, 201);
  const rule = await ctx.app.inject({
    method: 'POST',
    url: '/v1/earning-rules',
    headers: org.headers,
    payload: { name: '1 per euro', type: 'spend', config: { pointsPerUnit: 1 } },
  });
  expectStatus(rule, 201);
  return { org, memberId: member.json().id as string, locationId: location.json().id as string };
}

function postTicket(org: TestOrganization, ticket: unknown, authorization = `Token ${org.apiKey}`) {
  return ctx.app.inject({
    method: 'POST',
    url: '/compat/cheerfy/ticket/',
    headers: { authorization, 'content-type': 'application/json' },
    payload: JSON.stringify(ticket),
  });
}

async function points(org: TestOrganization, memberId: string) {
  return (
    await ctx.app.inject({ method: 'GET', url: `/v1/customers/${memberId}/points`, headers: org.headers })
  ).json().balances[0].active;
}

async function transactions(org: TestOrganization) {
  return (await ctx.app.inject({ method: 'GET', url: '/v1/transactions', headers: org.headers })).json().data;
}

describe('Cheerfy POST /ticket/', () => {
  it('takes the documented example and answers the documented shape; the member earns on what was paid for goods', async () => {
    const { org, memberId, locationId } = await setup();
    const response = await postTicket(org, example);
    expectStatus(response, 200);
    const body = response.json();
    expect(Object.keys(body.ticket).sort()).toEqual(Object.keys(documentedResponse.ticket).sort());
    expect(Object.keys(body.scope).sort()).toEqual(Object.keys(documentedResponse.scope).sort());
    expect(body.ticket).toMatchObject({
      id: '12345ABCDE',
      ticket_number: 12345,
      ticket_datetime: 1419992910,
      channel: 1,
      status: 1,
      name: 'lunch meal',
      notes: 'here you can place any info you want',
      ticket_summary: documentedResponse.ticket.ticket_summary,
      ticket_item_list: documentedResponse.ticket.ticket_item_list,
      ticket_promotion_list: documentedResponse.ticket.ticket_promotion_list,
    });
    expect(body.scope).toEqual(documentedResponse.scope);

    // 14.10 paid, of which 2.00 tip and 1.00 service fee: 11.10 of goods at 1 point per euro.
    // rectification_id names no ticket Regulars has, so this is an ordinary sale.
    expect(await points(org, memberId)).toBe(11.1);
    const [stored] = await transactions(org);
    expect(stored).toMatchObject({
      id: body.ticket.ticket_id,
      type: 'sale',
      customerId: memberId,
      locationId,
      source: 'cheerfy',
    });
    expect(stored.metadata).toMatchObject({ rectificationId: '12345AAAAA', ticketNumber: 12345 });
  });

  it('answers the pick-up name and phone of the documented answer: the POS’s own, else the location’s name', async () => {
    const { org } = await setup();
    const documentedDelivery = documentedResponse.ticket.ticket_delivery;
    const answered = (await postTicket(org, example)).json().ticket.ticket_delivery;
    expect(Object.keys(answered)).toEqual(expect.arrayContaining(Object.keys(documentedDelivery)));
    expect(answered).toMatchObject({ ...example.delivery, pick_up_name: 'Charles rue', pick_up_phone: null });

    const { pick_up_name, pick_up_phone } = documentedDelivery;
    const withPickUp = {
      ...example,
      id: 'PICK-UP-1',
      delivery: { ...example.delivery, pick_up_name, pick_up_phone },
    };
    const echoed = (await postTicket(org, withPickUp)).json().ticket.ticket_delivery;
    expect(echoed).toMatchObject({ pick_up_name: 'Restaurante SinBarril', pick_up_phone: '+3491254578' });
  });

  it('earns once when the POS retries the same ticket three times', async () => {
    const { org, memberId } = await setup();
    const responses = [];
    for (let i = 0; i < 3; i++) responses.push(await postTicket(org, example));
    expect(responses.map((r) => r.statusCode)).toEqual([200, 200, 200]);
    expect(new Set(responses.map((r) => r.json().ticket.ticket_id)).size).toBe(1);
    expect(await points(org, memberId)).toBe(11.1);
    expect(await transactions(org)).toHaveLength(1);
  });

  it('earns when a requested ticket completes and takes the points back when it is cancelled', async () => {
    const { org, memberId } = await setup();
    expectStatus(await postTicket(org, { ...example, status: 3 }), 200);
    expect(await points(org, memberId)).toBe(0);
    expectStatus(await postTicket(org, { ...example, status: 1 }), 200);
    expect(await points(org, memberId)).toBe(11.1);
    expectStatus(await postTicket(org, { ...example, status: 2 }), 200);
    expect(await points(org, memberId)).toBe(0);
    expect((await transactions(org))[0].status).toBe('cancelled');
    const report = await verifyLedger(ctx.database.db, { organizationId: org.id });
    expect(report.mismatches).toEqual([]);
  });

  it('treats a ticket whose rectification_id names a known ticket as a refund, in proportion', async () => {
    const { org, memberId } = await setup();
    const sale = { ...example, id: 'SALE-1', rectification_id: null };
    expectStatus(await postTicket(org, sale), 200);
    expect(await points(org, memberId)).toBe(11.1);
    const refund = {
      ...example,
      id: 'REFUND-1',
      rectification_id: 'SALE-1',
      summary: { ...example.summary, total: 705, due: 705 },
      items: [example.items[1]],
      combos: [],
    };
    expectStatus(await postTicket(org, refund), 200);
    // 7.05 of the 14.10 sale came back: half its points.
    expect(await points(org, memberId)).toBe(5.55);
    const refundRow = (await transactions(org)).find(
      (t: { documentNumber: string }) => t.documentNumber === 'REFUND-1',
    );
    expect(refundRow).toMatchObject({ type: 'return', pointsReversed: 5.55 });
  });

  it('keeps a ticket of an unknown card unassigned, ready to be assigned later', async () => {
    const { org, memberId } = await setup();
    const stranger = {
      ...example,
      id: 'T-UNKNOWN',
      user: { ...example.user, id: 'NOPE', external_id: null, email: null, phone: null },
      payments: [],
    };
    expectStatus(await postTicket(org, stranger), 200);
    const [stored] = await transactions(org);
    expect(stored.customerId).toBeNull();
    const assigned = await ctx.app.inject({
      method: 'POST',
      url: `/v1/transactions/${stored.id}/assign`,
      headers: org.headers,
      payload: { identifier: '786GHJKL323' },
    });
    expectStatus(assigned, 200);
    expect(await points(org, memberId)).toBe(11.1);
  });

  it('answers 400 and writes nothing for a deactivated member', async () => {
    const { org, memberId } = await setup();
    expectStatus(
      await ctx.app.inject({
        method: 'POST',
        url: `/v1/customers/${memberId}/deactivate`,
        headers: org.headers,
      }),
      200,
    );
    const response = await postTicket(org, example);
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ error: 'Invalid request' });
    expect(await transactions(org)).toEqual([]);
  });

  it('answers 400 {"error": "Invalid request"} for invalid data and 401 for a wrong token', async () => {
    const { org } = await setup();
    const { summary: _summary, ...withoutSummary } = example;
    for (const bad of [withoutSummary, { ...example, status: 9 }, { ...example, items: 'none' }]) {
      const response = await postTicket(org, bad);
      expect(response.statusCode).toBe(400);
      expect(response.json()).toEqual({ error: 'Invalid request' });
    }
    const broken = await ctx.app.inject({
      method: 'POST',
      url: '/compat/cheerfy/ticket/',
      headers: { authorization: `Token ${org.apiKey}`, 'content-type': 'application/json' },
      payload: '{"id":',
    });
    expect(broken.json()).toEqual({ error: 'Invalid request' });
    for (const authorization of [`Bearer ${org.apiKey}`, 'Token nope', '']) {
      expect((await postTicket(org, example, authorization)).statusCode).toBe(401);
    }
    expect(await transactions(org)).toEqual([]);
  });
});
