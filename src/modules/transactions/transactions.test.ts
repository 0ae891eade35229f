import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestContext,
  expectStatus,
  type TestContext,
  type TestOrganization,
} from '../../../test/support/context.ts';
import { verifyLedger } from '../ledger/verify.ts';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

async function member(org: TestOrganization, fields: Record<string, unknown> = {}) {
  const email = `m-${randomBytes(4).toString('hex')}@example.com`;
  const response = await ctx.app.inject({
    method: 'POST',
    url: '/v1/customers',
    headers: org.headers,
    payload: { firstName: 'Ana', email, ...fields },
  });
  expectStatus(response, 201);
  return response.json() as { id: string; email: string; loyaltyCardNumber: string };
}

async function rule(org: TestOrganization, body: Record<string, unknown>) {
  const response = await ctx.app.inject({
    method: 'POST',
    url: '/v1/earning-rules',
    headers: org.headers,
    payload: body,
  });
  expectStatus(response, 201);
  return response.json() as { id: string };
}

async function activePoints(org: TestOrganization, customerId: string): Promise<number> {
  const response = await ctx.app.inject({
    method: 'GET',
    url: `/v1/customers/${customerId}/points`,
    headers: org.headers,
  });
  expectStatus(response, 200);
  return response.json().balances[0].active;
}

function send(org: TestOrganization, ticket: Record<string, unknown>) {
  return ctx.app.inject({ method: 'POST', url: '/v1/transactions', headers: org.headers, payload: ticket });
}

const ticketOf = (documentNumber: string, total: number, extra: Record<string, unknown> = {}) => ({
  documentNumber,
  purchasedAt: '2026-11-20T12:00:00Z',
  totals: { total },
  lines: [{ sku: 'MENU', name: 'Menu del día', total }],
  ...extra,
});

async function expectLedgerConsistent(org: TestOrganization) {
  const report = await verifyLedger(ctx.database.db, { organizationId: org.id });
  expect(report.mismatches).toEqual([]);
}

describe('POST /v1/transactions', () => {
  it("earns 6.9 points on a 3.00 ticket with a 2.3-per-unit spend rule (Open Loyalty's demo)", async () => {
    const org = await ctx.createOrganization();
    await rule(org, { name: '2.3 per euro', type: 'spend', config: { pointsPerUnit: 2.3 } });
    const ana = await member(org);
    const response = await send(org, ticketOf('T-1', 300, { customer: { email: ana.email.toUpperCase() } }));
    expectStatus(response, 201);
    expect(response.json()).toMatchObject({
      customerId: ana.id,
      pointsEarned: 6.9,
      breakdown: [{ ruleName: '2.3 per euro', ruleType: 'spend', points: 6.9, lineId: null }],
    });
    expect(await activePoints(org, ana.id)).toBe(6.9);
    await expectLedgerConsistent(org);
  });

  it('answers a retry of the same ticket with the first result and earns once; other content is a 409', async () => {
    const org = await ctx.createOrganization();
    await rule(org, { name: 'per euro', type: 'spend', config: { pointsPerUnit: 1 } });
    const ana = await member(org);
    const ticket = ticketOf('T-2', 1000, { customer: { customerId: ana.id } });
    const first = await send(org, ticket);
    const retry = await send(org, ticket);
    expectStatus(first, 201);
    expectStatus(retry, 200);
    expect(retry.json()).toEqual(first.json());
    expect(await activePoints(org, ana.id)).toBe(10);

    const changed = await send(org, {
      ...ticket,
      totals: { total: 2000 },
      lines: [{ sku: 'X', total: 2000 }],
    });
    expect(changed.statusCode).toBe(409);
    expect(changed.json().code).toBe('document_conflict');
    expect(await activePoints(org, ana.id)).toBe(10);
  });

  it('keeps a ticket of an unknown member and earns when it is assigned later, once', async () => {
    const org = await ctx.createOrganization();
    await rule(org, { name: 'per euro', type: 'spend', config: { pointsPerUnit: 1 } });
    const stored = await send(org, ticketOf('T-3', 1500, { customer: { loyaltyCardNumber: 'NOBODY' } }));
    expectStatus(stored, 201);
    expect(stored.json()).toMatchObject({ customerId: null, pointsEarned: 0 });
    const id = stored.json().transaction.id;

    const ana = await member(org);
    const assigned = await ctx.app.inject({
      method: 'POST',
      url: `/v1/transactions/${id}/assign`,
      headers: org.headers,
      payload: { identifier: ana.loyaltyCardNumber },
    });
    expectStatus(assigned, 200);
    expect(assigned.json()).toMatchObject({ customerId: ana.id, pointsEarned: 15 });
    expect(await activePoints(org, ana.id)).toBe(15);

    const again = await ctx.app.inject({
      method: 'POST',
      url: `/v1/transactions/${id}/assign`,
      headers: org.headers,
      payload: { identifier: ana.id },
    });
    expect(again.statusCode).toBe(409);
    expect(await activePoints(org, ana.id)).toBe(15);
    await expectLedgerConsistent(org);
  });

  it('takes back half the points when half the ticket is returned, the rest with the rest, and refuses more', async () => {
    const org = await ctx.createOrganization();
    await rule(org, { name: 'per euro', type: 'spend', config: { pointsPerUnit: 2.3 } });
    const ana = await member(org);
    expectStatus(await send(org, ticketOf('S-1', 300, { customer: { customerId: ana.id } })), 201);

    const half = await send(org, ticketOf('R-1', 150, { type: 'return', revisedDocumentNumber: 'S-1' }));
    expectStatus(half, 201);
    expect(half.json().transaction).toMatchObject({ pointsReversed: 3.45, customerId: ana.id });
    expect(await activePoints(org, ana.id)).toBe(3.45);

    const tooMuch = await send(org, ticketOf('R-2', 151, { type: 'return', revisedDocumentNumber: 'S-1' }));
    expect(tooMuch.statusCode).toBe(422);
    expect(tooMuch.json().code).toBe('return_exceeds_sale');

    const rest = await send(org, ticketOf('R-3', 150, { type: 'return', revisedDocumentNumber: 'S-1' }));
    expectStatus(rest, 201);
    expect(await activePoints(org, ana.id)).toBe(0);
    const sale = (
      await ctx.app.inject({
        method: 'GET',
        url: '/v1/transactions?documentNumber=S-1',
        headers: org.headers,
      })
    ).json().data[0];
    expect(sale).toMatchObject({ returnedAmount: 300, pointsReversed: 6.9 });
    await expectLedgerConsistent(org);
  });

  it('records what a return could not take back when the points were already spent', async () => {
    const org = await ctx.createOrganization();
    await rule(org, { name: 'per euro', type: 'spend', config: { pointsPerUnit: 1 } });
    const ana = await member(org);
    await send(org, ticketOf('S-2', 1000, { customer: { customerId: ana.id } }));
    const spent = await ctx.app.inject({
      method: 'POST',
      url: `/v1/customers/${ana.id}/points/spend`,
      headers: org.headers,
      payload: { points: 8, reason: 'coffee' },
    });
    expectStatus(spent, 201);
    const returned = await send(org, ticketOf('R-4', 1000, { type: 'return', revisedDocumentNumber: 'S-2' }));
    expect(returned.json().transaction).toMatchObject({ pointsReversed: 2, reversalShortfall: 8 });
    expect(await activePoints(org, ana.id)).toBe(0);
    await expectLedgerConsistent(org);
  });

  it('earns when a pending ticket completes and takes the points back when it is cancelled', async () => {
    const org = await ctx.createOrganization();
    await rule(org, { name: 'per euro', type: 'spend', config: { pointsPerUnit: 1 } });
    const ana = await member(org);
    const ticket = ticketOf('D-1', 2500, { customer: { customerId: ana.id }, channel: 'delivery' });
    expect((await send(org, { ...ticket, status: 'pending' })).json().pointsEarned).toBe(0);
    expect(await activePoints(org, ana.id)).toBe(0);
    const completed = await send(org, { ...ticket, status: 'completed' });
    expectStatus(completed, 200);
    expect(completed.json().pointsEarned).toBe(25);
    expect(await activePoints(org, ana.id)).toBe(25);
    const cancelled = await send(org, { ...ticket, status: 'cancelled' });
    expect(cancelled.json().transaction).toMatchObject({ status: 'cancelled', pointsReversed: 25 });
    expect(await activePoints(org, ana.id)).toBe(0);
    expect((await send(org, { ...ticket, status: 'completed' })).statusCode).toBe(409);
    await expectLedgerConsistent(org);
  });

  it('gives a visit stamp once per local day, whatever the number of tickets', async () => {
    const org = await ctx.createOrganization({ timeZone: 'Europe/Madrid' });
    await rule(org, { name: 'Stamp', type: 'visit', config: { points: 1, minimumOrder: 500 } });
    const ana = await member(org);
    const at = (documentNumber: string, purchasedAt: string) =>
      send(org, ticketOf(documentNumber, 800, { customer: { customerId: ana.id }, purchasedAt }));
    expect((await at('V-1', '2026-11-20T09:00:00Z')).json().pointsEarned).toBe(1);
    expect((await at('V-2', '2026-11-20T20:00:00Z')).json().pointsEarned).toBe(0);
    // 23:30 UTC is already the next day in Madrid.
    expect((await at('V-3', '2026-11-20T23:30:00Z')).json().pointsEarned).toBe(1);
  });

  it('counts each limited rule in its own period: a welcome bonus once ever, a stamp once a day', async () => {
    const org = await ctx.createOrganization({ timeZone: 'Europe/Madrid' });
    await rule(org, {
      name: 'Welcome',
      type: 'visit',
      config: { points: 10 },
      limit: { count: 1, period: 'forever' },
    });
    await rule(org, { name: 'Stamp', type: 'visit', config: { points: 1 } });
    const ana = await member(org);
    const at = (documentNumber: string, purchasedAt: string) =>
      send(org, ticketOf(documentNumber, 800, { customer: { customerId: ana.id }, purchasedAt }));
    expect((await at('W-1', '2025-01-10T12:00:00Z')).json().pointsEarned).toBe(11);
    expect((await at('W-2', '2025-01-10T18:00:00Z')).json().pointsEarned).toBe(0);
    expect((await at('W-3', '2026-11-20T12:00:00Z')).json().pointsEarned).toBe(1);
  });

  it('records the ticket of a deactivated member without points, unless the program lets inactive members earn', async () => {
    const org = await ctx.createOrganization();
    await rule(org, { name: 'per euro', type: 'spend', config: { pointsPerUnit: 1 } });
    const ana = await member(org);
    expectStatus(
      await ctx.app.inject({
        method: 'POST',
        url: `/v1/customers/${ana.id}/deactivate`,
        headers: org.headers,
      }),
      200,
    );
    const stored = await send(org, ticketOf('X-1', 1000, { customer: { customerId: ana.id } }));
    expectStatus(stored, 201);
    expect(stored.json()).toMatchObject({ customerId: ana.id, pointsEarned: 0 });
    expect((await ctx.services.transactions.stats(org.id, ana.id)).transactionsCount).toBe(1);

    await ctx.app.inject({
      method: 'PATCH',
      url: '/v1/organization',
      headers: org.headers,
      payload: { settings: { inactiveCustomersEarn: true } },
    });
    expect(
      (await send(org, ticketOf('X-2', 1000, { customer: { customerId: ana.id } }))).json().pointsEarned,
    ).toBe(10);
  });

  it('answers a retried ticket as first stored even when the same ticket would now be refused', async () => {
    const org = await ctx.createOrganization();
    await rule(org, { name: 'per euro', type: 'spend', config: { pointsPerUnit: 1 } });
    const ana = await member(org);
    const ticket = {
      ...ticketOf('R-1', 1500, { customer: { customerId: ana.id } }),
      status: 'completed' as const,
    };
    const refuseInactive = { rejectInactiveMember: true };
    const first = await ctx.services.transactions.ingest(org.id, ticket, undefined, refuseInactive);
    // The service counts in hundredths of a point: 15 points.
    expect(first).toMatchObject({ created: true, transaction: { pointsEarned: 1500 } });
    await ctx.app.inject({ method: 'POST', url: `/v1/customers/${ana.id}/deactivate`, headers: org.headers });

    const retried = await ctx.services.transactions.ingest(org.id, ticket, undefined, refuseInactive);
    expect(retried).toMatchObject({
      created: false,
      transaction: { id: first.transaction.id, pointsEarned: 1500 },
    });
    // A new ticket of the deactivated member is refused, and nothing of it is kept.
    await expect(
      ctx.services.transactions.ingest(
        org.id,
        { ...ticket, documentNumber: 'R-2' },
        undefined,
        refuseInactive,
      ),
    ).rejects.toMatchObject({ code: 'customer_inactive' });
    expect(await ctx.services.transactions.findByDocument(org.id, 'api', 'R-2')).toBeNull();
    expect((await ctx.services.transactions.stats(org.id, ana.id)).transactionsCount).toBe(1);
    expect(await activePoints(org, ana.id)).toBe(15);
    await expectLedgerConsistent(org);
  });

  it('keeps member statistics current', async () => {
    const org = await ctx.createOrganization();
    const ana = await member(org);
    await send(
      org,
      ticketOf('A-1', 1000, { customer: { customerId: ana.id }, purchasedAt: '2026-11-01T10:00:00Z' }),
    );
    await send(
      org,
      ticketOf('A-2', 3000, { customer: { customerId: ana.id }, purchasedAt: '2026-11-10T10:00:00Z' }),
    );
    await send(org, ticketOf('A-3', 1000, { type: 'return', revisedDocumentNumber: 'A-2' }));
    const stats = await ctx.services.transactions.stats(org.id, ana.id);
    expect(stats).toMatchObject({ transactionsCount: 2, totalSpent: 3000, averageTicket: 1500 });
    expect(stats.firstPurchaseAt?.toISOString()).toBe('2026-11-01T10:00:00.000Z');
    expect(stats.lastPurchaseAt?.toISOString()).toBe('2026-11-10T10:00:00.000Z');
  });

  it('rejects a location of another organization and malformed tickets with 422, writing nothing', async () => {
    const org = await ctx.createOrganization();
    const other = await ctx.createOrganization();
    const foreign = (
      await ctx.app.inject({
        method: 'POST',
        url: '/v1/locations',
        headers: other.headers,
        payload: { name: 'Theirs' },
      })
    ).json();
    const cases = [
      [ticketOf('B-1', 100, { locationId: foreign.id }), 'body.locationId'],
      [{ documentNumber: 'B-2', totals: { total: -5 }, lines: [] }, 'body.totals.total'],
      [{ documentNumber: 'B-3', totals: { total: 100 }, lines: [{ sku: 'x' }] }, 'body.lines.0.total'],
      [ticketOf('B-4', 100, { type: 'return' }), 'body.revisedDocumentNumber'],
      [ticketOf('B-5', 100, { channel: 'carrier-pigeon' }), 'body.channel'],
    ] as const;
    for (const [payload, path] of cases) {
      const response = await send(org, payload);
      expect(response.statusCode, JSON.stringify(payload)).toBe(422);
      expect(response.json().errors.map((e: { path: string }) => e.path)).toContain(path);
    }
    expect(
      (await ctx.app.inject({ method: 'GET', url: '/v1/transactions', headers: org.headers })).json().data,
    ).toEqual([]);
  });

  it("answers 404 for another organization's transaction and never assigns to its members", async () => {
    const owner = await ctx.createOrganization();
    const other = await ctx.createOrganization();
    const stored = (await send(owner, ticketOf('I-1', 100))).json().transaction;
    const stranger = await member(other);
    expect(
      (await ctx.app.inject({ method: 'GET', url: `/v1/transactions/${stored.id}`, headers: other.headers }))
        .statusCode,
    ).toBe(404);
    const assign = await ctx.app.inject({
      method: 'POST',
      url: `/v1/transactions/${stored.id}/assign`,
      headers: other.headers,
      payload: { identifier: stranger.id },
    });
    expect(assign.statusCode).toBe(404);
    const ownerAssign = await ctx.app.inject({
      method: 'POST',
      url: `/v1/transactions/${stored.id}/assign`,
      headers: owner.headers,
      payload: { identifier: stranger.email },
    });
    expect(ownerAssign.statusCode).toBe(404);
    expect(
      (await ctx.app.inject({ method: 'GET', url: '/v1/transactions', headers: other.headers })).json().data,
    ).toEqual([]);
  });

  it('filters the list by member, type and date', async () => {
    const org = await ctx.createOrganization();
    const ana = await member(org);
    await send(
      org,
      ticketOf('L-1', 100, { customer: { customerId: ana.id }, purchasedAt: '2026-10-01T10:00:00Z' }),
    );
    await send(org, ticketOf('L-2', 100, { purchasedAt: '2026-11-01T10:00:00Z' }));
    await send(
      org,
      ticketOf('L-3', 100, {
        type: 'return',
        revisedDocumentNumber: 'L-1',
        purchasedAt: '2026-11-02T10:00:00Z',
      }),
    );
    const list = async (query: string) =>
      (await ctx.app.inject({ method: 'GET', url: `/v1/transactions?${query}`, headers: org.headers }))
        .json()
        .data.map((t: { documentNumber: string }) => t.documentNumber);
    expect(await list(`customerId=${ana.id}`)).toEqual(['L-1', 'L-3']);
    expect(await list('type=return')).toEqual(['L-3']);
    expect(await list('from=2026-10-15T00:00:00Z&to=2026-11-02T00:00:00Z')).toEqual(['L-2']);
  });
});

describe('point precision', () => {
  async function programEarning(settings: Record<string, unknown>) {
    const org = await ctx.createOrganization();
    const patched = await ctx.app.inject({
      method: 'PATCH',
      url: '/v1/organization',
      headers: org.headers,
      payload: { settings },
    });
    expectStatus(patched, 200);
    await rule(org, { name: '1 per euro', type: 'spend', config: { pointsPerUnit: 1 } });
    return { org, ana: await member(org) };
  }

  const simulate = (org: TestOrganization, ticket: Record<string, unknown>) =>
    ctx.app.inject({
      method: 'POST',
      url: '/v1/transactions/simulate',
      headers: org.headers,
      payload: ticket,
    });

  it('earns 45 whole points on €45.50 at 1 point per euro, simulated and ingested alike', async () => {
    const { org, ana } = await programEarning({ pointsPrecision: 'whole' });
    const ticket = ticketOf('P-1', 4550, { customer: { customerId: ana.id } });
    expect((await simulate(org, ticket)).json().pointsEarned).toBe(45);
    const response = await send(org, ticket);
    expectStatus(response, 201);
    expect(response.json()).toMatchObject({ pointsEarned: 45, breakdown: [{ points: 45 }] });
    expect(await activePoints(org, ana.id)).toBe(45);
    await expectLedgerConsistent(org);
  });

  it('earns 46 whole points on €45.50 when the program rounds half up', async () => {
    const { org, ana } = await programEarning({ pointsPrecision: 'whole', pointsRounding: 'half_up' });
    const response = await send(org, ticketOf('P-1', 4550, { customer: { customerId: ana.id } }));
    expect(response.json().pointsEarned).toBe(46);
  });

  it('takes back whole points when part of a whole-points sale is returned, and the rest with the rest', async () => {
    const { org, ana } = await programEarning({ pointsPrecision: 'whole' });
    expectStatus(await send(org, ticketOf('P-1', 4550, { customer: { customerId: ana.id } })), 201);
    // 10.00 of 45.50 returned: 45 × 10 / 45.5 = 9.89 points, 9 whole points taken back.
    const part = await send(org, ticketOf('R-1', 1000, { type: 'return', revisedDocumentNumber: 'P-1' }));
    expect(part.json().transaction).toMatchObject({ pointsReversed: 9 });
    expect(await activePoints(org, ana.id)).toBe(36);
    expectStatus(
      await send(org, ticketOf('R-2', 3550, { type: 'return', revisedDocumentNumber: 'P-1' })),
      201,
    );
    expect(await activePoints(org, ana.id)).toBe(0);
    await expectLedgerConsistent(org);
  });

  it('keeps 45.5 points on €45.50 in a program that keeps hundredths, the default', async () => {
    const { org, ana } = await programEarning({});
    const response = await send(org, ticketOf('P-1', 4550, { customer: { customerId: ana.id } }));
    expect(response.json().pointsEarned).toBe(45.5);
  });
});

describe('POST /v1/transactions/simulate', () => {
  it('shows the breakdown ingestion then earns, and writes nothing', async () => {
    const org = await ctx.createOrganization();
    await rule(org, {
      name: 'per euro',
      type: 'spend',
      config: { pointsPerUnit: 1.5, excludedSkus: ['WATER'] },
    });
    await rule(org, {
      name: 'Croissant',
      type: 'product_purchase',
      config: { skus: ['CROISSANT'], points: 2 },
    });
    const ana = await member(org);
    const ticket = {
      documentNumber: 'SIM-1',
      totals: { total: 1450 },
      lines: [
        { sku: 'CROISSANT', quantity: 2, total: 450 },
        { sku: 'COFFEE', total: 800 },
        { sku: 'WATER', total: 200 },
      ],
      customer: { customerId: ana.id },
    };
    const simulated = await ctx.app.inject({
      method: 'POST',
      url: '/v1/transactions/simulate',
      headers: org.headers,
      payload: ticket,
    });
    expectStatus(simulated, 200);
    expect(await activePoints(org, ana.id)).toBe(0);
    expect(
      (await ctx.app.inject({ method: 'GET', url: '/v1/transactions', headers: org.headers })).json().data,
    ).toEqual([]);

    const ingested = await send(org, ticket);
    expect(ingested.json().pointsEarned).toBe(simulated.json().pointsEarned);
    expect(ingested.json().breakdown).toEqual(simulated.json().breakdown);
    expect(simulated.json().pointsEarned).toBe(6.75 + 12 + 4);
  });
});

describe('concurrency', () => {
  it('earns once when several tills send the same ticket at the same time', async () => {
    const org = await ctx.createOrganization();
    await rule(org, { name: 'per euro', type: 'spend', config: { pointsPerUnit: 1 } });
    const ana = await member(org);
    const ticket = ticketOf('C-1', 1000, { customer: { customerId: ana.id } });
    const responses = await Promise.all(Array.from({ length: 6 }, () => send(org, ticket)));
    expect(responses.map((r) => r.statusCode).sort()).toEqual([200, 200, 200, 200, 200, 201]);
    expect(await activePoints(org, ana.id)).toBe(10);
    await expectLedgerConsistent(org);
  });

  it('gives one visit stamp a day when two tickets of one member arrive at once', async () => {
    const org = await ctx.createOrganization({ timeZone: 'Europe/Madrid' });
    await rule(org, { name: 'Stamp', type: 'visit', config: { points: 1 } });
    const members = await Promise.all(Array.from({ length: 20 }, () => member(org)));
    // One till names the member by id, the other by email: both ways of finding them lock them.
    const pairs = await Promise.all(
      members.map((m) =>
        Promise.all([
          send(org, ticketOf(`${m.id}-A`, 800, { customer: { customerId: m.id } })),
          send(org, ticketOf(`${m.id}-B`, 800, { customer: { email: m.email } })),
        ]),
      ),
    );
    for (const [i, m] of members.entries()) {
      for (const response of pairs[i]!) expectStatus(response, 201);
      expect(pairs[i]!.map((response) => response.json().pointsEarned).sort()).toEqual([0, 1]);
      expect(await activePoints(org, m.id)).toBe(1);
    }
    await expectLedgerConsistent(org);
  });
});

describe('PATCH /v1/transactions/{id}/labels', () => {
  it('replaces, appends and removes a ticket’s labels, emits an event, and leaves its points and retries alone', async () => {
    const org = await ctx.createOrganization();
    await rule(org, { name: 'per euro', type: 'spend', config: { pointsPerUnit: 1 } });
    const ana = await member(org);
    const ticket = ticketOf('L-1', 1000, {
      customer: { customerId: ana.id },
      labels: [{ key: 'scan_id', value: '1' }],
    });
    const sent = await send(org, ticket);
    expectStatus(sent, 201);
    const id = sent.json().transaction.id as string;
    const patch = (payload: object) =>
      ctx.app.inject({
        method: 'PATCH',
        url: `/v1/transactions/${id}/labels`,
        headers: org.headers,
        payload,
      });

    const added = await patch({
      add: [
        { key: 'scan_id', value: '1' },
        { key: 'campaign', value: 'xmas' },
      ],
    });
    expectStatus(added, 200);
    expect(added.json().labels).toEqual([
      { key: 'scan_id', value: '1' },
      { key: 'campaign', value: 'xmas' },
    ]);
    const replaced = await patch({
      set: [
        { key: 'a', value: '1' },
        { key: 'b', value: '2' },
      ],
      remove: [{ key: 'a', value: '1' }],
    });
    expect(replaced.json().labels).toEqual([{ key: 'b', value: '2' }]);
    // What it earned is not re-evaluated, and a retry of the original ticket still answers it.
    expect(replaced.json().pointsEarned).toBe(10);
    expect(await activePoints(org, ana.id)).toBe(10);
    const retry = await send(org, ticket);
    expectStatus(retry, 200);
    expect(retry.json().transaction).toMatchObject({ id, labels: [{ key: 'b', value: '2' }] });

    const events = await ctx.app.inject({
      method: 'GET',
      url: `/v1/events?type=transaction.labels_changed&subjectId=${id}`,
      headers: org.headers,
    });
    const labelsOf = (event: { payload: { labels: unknown } }) => event.payload.labels;
    expect(events.json().data.map(labelsOf)).toEqual([
      [
        { key: 'scan_id', value: '1' },
        { key: 'campaign', value: 'xmas' },
      ],
      [{ key: 'b', value: '2' }],
    ]);

    expectStatus(await patch({}), 422);
    const fifty = Array.from({ length: 50 }, (_, i) => ({ key: 'n', value: String(i) }));
    const tooMany = await patch({ add: fifty });
    expectStatus(tooMany, 422);
    expect(JSON.stringify(tooMany.json())).toContain('body.add');
    const other = await ctx.createOrganization();
    const foreign = await ctx.app.inject({
      method: 'PATCH',
      url: `/v1/transactions/${id}/labels`,
      headers: other.headers,
      payload: { add: [{ key: 'x', value: 'y' }] },
    });
    expectStatus(foreign, 404);
  });
});
