import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestContext,
  expectStatus,
  type TestContext,
  type TestOrganization,
} from '../../../test/support/context.ts';
import { createCustomer } from '../../../test/support/ledger.ts';
import { AppError } from '../../errors.ts';
import { SYSTEM } from './service.ts';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

async function post(
  org: TestOrganization,
  url: string,
  payload: object,
  headers: Record<string, string> = {},
) {
  return ctx.app.inject({ method: 'POST', url, headers: { ...org.headers, ...headers }, payload });
}

async function get(org: TestOrganization, url: string) {
  const response = await ctx.app.inject({ method: 'GET', url, headers: org.headers });
  expectStatus(response, 200);
  return response.json();
}

interface BalanceView {
  pointType: { id: string; code: string };
  active: number;
  expiring: { date: string; points: number }[];
}

/** The customer's balance of one point type (the default one unless named). */
async function balance(
  org: TestOrganization,
  customerId: string,
  pointTypeId?: string,
): Promise<BalanceView> {
  const body = await get(org, `/v1/customers/${customerId}/points`);
  const balances = body.balances as BalanceView[];
  const found = pointTypeId ? balances.find((b) => b.pointType.id === pointTypeId) : balances[0];
  if (!found) throw new Error(`no balance of point type ${pointTypeId}`);
  return found;
}

async function createPointType(org: TestOrganization, payload: object) {
  const response = await post(org, '/v1/point-types', payload);
  expectStatus(response, 201);
  return response.json() as { id: string };
}

async function expectNoMismatches(organizationId: string) {
  const report = await ctx.services.ledger.verify({ organizationId });
  expect(report.mismatches).toEqual([]);
  return report;
}

async function expectError(promise: Promise<unknown>, code: string) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  expect((error as AppError).code).toBe(code);
}

async function lotsOf(organizationId: string, customerId: string) {
  const result = await ctx.database.db.execute(
    sql`select amount, remaining, blocked, status, expires_at from point_lots
        where organization_id = ${organizationId} and customer_id = ${customerId} order by id`,
  );
  return (result as { rows: Record<string, unknown>[] }).rows.map((row) => ({
    amount: Number(row.amount),
    remaining: Number(row.remaining),
    blocked: Number(row.blocked),
    status: row.status,
    expiresAt: row.expires_at === null ? null : new Date(row.expires_at as string).toISOString(),
  }));
}

describe('point types', () => {
  it('gives every organization a default "Points" type that operations use when they name none', async () => {
    const org = await ctx.createOrganization();
    const list = await get(org, '/v1/point-types');
    expect(list.data).toEqual([
      expect.objectContaining({
        name: 'Points',
        code: 'points',
        isDefault: true,
        active: true,
        expiresAfterDays: null,
      }),
    ]);
    const customer = await createCustomer(ctx, org.id);
    const added = await post(org, `/v1/customers/${customer.id}/points/add`, {
      points: 10,
      reason: 'welcome',
    });
    expectStatus(added, 201);
    expect(added.json().entry.pointTypeId).toBe(list.data[0].id);
  });

  it('creates, changes and moves the default flag; codes are unique per organization', async () => {
    const org = await ctx.createOrganization();
    const burgers = await createPointType(org, {
      name: 'Burgers',
      code: 'burgers',
      expiresAfterDays: 365,
      expiryRounding: 'end_of_month',
      pendingDays: 7,
    });
    expectStatus(await post(org, '/v1/point-types', { name: 'Again', code: 'burgers' }), 409);
    const patched = await ctx.app.inject({
      method: 'PATCH',
      url: `/v1/point-types/${burgers.id}`,
      headers: org.headers,
      payload: { isDefault: true },
    });
    expectStatus(patched, 200);
    const defaults = (await get(org, '/v1/point-types')).data.filter(
      (t: { isDefault: boolean }) => t.isDefault,
    );
    expect(defaults.map((t: { id: string }) => t.id)).toEqual([burgers.id]);
    const deactivate = await ctx.app.inject({
      method: 'PATCH',
      url: `/v1/point-types/${burgers.id}`,
      headers: org.headers,
      payload: { active: false },
    });
    expect(deactivate.statusCode).toBe(422);
    const other = await ctx.createOrganization();
    const foreign = await ctx.app.inject({
      method: 'GET',
      url: `/v1/point-types/${burgers.id}`,
      headers: other.headers,
    });
    expect(foreign.statusCode).toBe(404);
  });
});

describe('add, spend and balances', () => {
  it('adds and spends exact hundredths and reports the balance', async () => {
    const org = await ctx.createOrganization();
    const customer = await createCustomer(ctx, org.id);
    expectStatus(
      await post(org, `/v1/customers/${customer.id}/points/add`, { points: '12.34', reason: 'gift' }),
      201,
    );
    expectStatus(
      await post(org, `/v1/customers/${customer.id}/points/add`, { points: 0.1, reason: 'gift' }),
      201,
    );
    const spent = await post(org, `/v1/customers/${customer.id}/points/spend`, {
      points: 0.2,
      reason: 'coffee',
    });
    expectStatus(spent, 201);
    expect(spent.json().entry).toMatchObject({ kind: 'spend', points: 0.2, delta: -0.2, reason: 'coffee' });
    expect(spent.json().balance).toMatchObject({ active: 12.24, spent: 0.2, earned: 12.44 });
    expect(await balance(org, customer.id)).toMatchObject({
      active: 12.24,
      pending: 0,
      blocked: 0,
      earned: 12.44,
      spent: 0.2,
      expired: 0,
      expiring: [],
    });
  });

  it('emits an event per change with customer, point type, delta, resulting balance and location', async () => {
    const org = await ctx.createOrganization();
    const customer = await createCustomer(ctx, org.id);
    const location = await post(org, '/v1/locations', { name: 'La Tasca Gràcia' });
    expectStatus(location, 201);
    const locationId = location.json().id;
    const added = await post(org, `/v1/customers/${customer.id}/points/add`, {
      points: 20,
      reason: 'gift',
      locationId,
    });
    expectStatus(added, 201);
    expect(added.json().entry.locationId).toBe(locationId);
    const spent = await post(org, `/v1/customers/${customer.id}/points/spend`, {
      points: 5,
      reason: 'coffee',
    });
    expectStatus(spent, 201);
    const events = await get(org, `/v1/events?subjectType=customer&subjectId=${customer.id}`);
    const points = events.data.filter((event: { type: string }) => event.type.startsWith('points.'));
    expect(points.map((event: { type: string }) => event.type)).toEqual(['points.added', 'points.spent']);
    expect(points[0].payload).toMatchObject({
      customerId: customer.id,
      pointTypeId: added.json().entry.pointTypeId,
      entryId: added.json().entry.id,
      kind: 'add',
      delta: 20,
      locationId,
      balance: { active: 20, pending: 0, blocked: 0 },
    });
    expect(points[1].payload).toMatchObject({ delta: -5, balance: { active: 15 }, locationId: null });

    const unknown = await post(org, `/v1/customers/${customer.id}/points/add`, {
      points: 1,
      reason: 'x',
      locationId: '01936f4e-8b1a-7c3d-9e2f-1a2b3c4d5e6f',
    });
    expect(unknown.statusCode).toBe(422);
    expect(unknown.json().errors).toEqual([
      { path: 'body.locationId', message: 'is not a location of this organization' },
    ]);
  });

  it('answers 422 naming the field for more than two decimals, and insufficient_points when short', async () => {
    const org = await ctx.createOrganization();
    const customer = await createCustomer(ctx, org.id);
    const tooPrecise = await post(org, `/v1/customers/${customer.id}/points/add`, {
      points: 1.005,
      reason: 'x',
    });
    expect(tooPrecise.statusCode).toBe(422);
    expect(tooPrecise.json().errors).toEqual([
      { path: 'body.points', message: 'must have at most 2 decimals' },
    ]);
    for (const points of [true, null, '1e3', { value: 1 }]) {
      const refused = await post(org, `/v1/customers/${customer.id}/points/add`, { points, reason: 'x' });
      expect(refused.statusCode).toBe(422);
      expect(refused.json().errors[0].path).toBe('body.points');
    }
    const negative = await post(org, `/v1/customers/${customer.id}/points/spend`, {
      points: -5,
      reason: 'x',
    });
    expect(negative.statusCode).toBe(422);
    expect(negative.json().errors[0].path).toBe('body.points');
    const short = await post(org, `/v1/customers/${customer.id}/points/spend`, { points: 1, reason: 'x' });
    expect(short.statusCode).toBe(422);
    expect(short.json().code).toBe('insufficient_points');
    const unknownField = await post(org, `/v1/customers/${customer.id}/points/add`, {
      points: 1,
      reason: 'x',
      bonus: 1,
    });
    expect(unknownField.statusCode).toBe(422);
  });

  it('spends earliest-expiring lots first, never-expiring ones last', async () => {
    const org = await ctx.createOrganization();
    const customer = await createCustomer(ctx, org.id);
    const url = `/v1/customers/${customer.id}/points/add`;
    const in30 = new Date(Date.now() + 30 * 86_400_000).toISOString();
    const in10 = new Date(Date.now() + 10 * 86_400_000).toISOString();
    expectStatus(await post(org, url, { points: 10, reason: 'a', expiresAt: in30 }), 201);
    expectStatus(await post(org, url, { points: 10, reason: 'b' }), 201);
    expectStatus(await post(org, url, { points: 10, reason: 'c', expiresAt: in10 }), 201);
    expectStatus(await post(org, url, { points: 10, reason: 'd', expiresAt: in10 }), 201);
    expectStatus(
      await post(org, `/v1/customers/${customer.id}/points/spend`, { points: 25, reason: 'meal' }),
      201,
    );
    expect((await lotsOf(org.id, customer.id)).map((lot) => lot.remaining)).toEqual([500, 1000, 0, 0]);
    expectStatus(
      await post(org, `/v1/customers/${customer.id}/points/spend`, { points: 10, reason: 'meal' }),
      201,
    );
    expect((await lotsOf(org.id, customer.id)).map((lot) => lot.remaining)).toEqual([0, 500, 0, 0]);
    await expectNoMismatches(org.id);
  });

  it('lists what expires in the next 30 days by local day', async () => {
    const org = await ctx.createOrganization({ timeZone: 'Europe/Madrid' });
    const customer = await createCustomer(ctx, org.id);
    const url = `/v1/customers/${customer.id}/points/add`;
    // Midnight at the end of a Madrid day: the points can be spent up to that day, included.
    const endOfDay = new Date(Date.now() + 5 * 86_400_000);
    endOfDay.setUTCHours(23, 0, 0, 0);
    expectStatus(await post(org, url, { points: 3, reason: 'a', expiresAt: endOfDay.toISOString() }), 201);
    expectStatus(await post(org, url, { points: 4, reason: 'b', expiresAt: endOfDay.toISOString() }), 201);
    expectStatus(
      await post(org, url, {
        points: 5,
        reason: 'c',
        expiresAt: new Date(Date.now() + 60 * 86_400_000).toISOString(),
      }),
      201,
    );
    const lastDay = new Date(endOfDay.getTime() - 1).toLocaleDateString('en-CA', {
      timeZone: 'Europe/Madrid',
    });
    expect((await balance(org, customer.id)).expiring).toEqual([{ date: lastDay, points: 7 }]);
  });
});

describe('pending points and expiry (explicit clock)', () => {
  it('keeps points earned on a ticket pending for pendingDays, then activates them', async () => {
    const org = await ctx.createOrganization({ timeZone: 'Europe/Madrid' });
    const type = await createPointType(org, { name: 'Stars', code: 'stars', pendingDays: 14 });
    const customer = await createCustomer(ctx, org.id);
    const { ledger } = ctx.services;
    const t0 = new Date('2030-03-20T10:00:00Z');
    const earned = await ledger.earn({
      organizationId: org.id,
      customerId: customer.id,
      pointTypeId: type.id,
      points: 10_000,
      actor: SYSTEM,
      source: { type: 'transaction', id: 'ticket-1' },
      now: t0,
    });
    // 14 Madrid days later at the same wall-clock time, across the change to summer time.
    expect(earned.entry.activeFrom?.toISOString()).toBe('2030-04-03T09:00:00.000Z');
    expect(earned.balance).toMatchObject({ active: 0, pending: 10_000, earned: 10_000 });
    await expectError(
      ledger.spend({
        organizationId: org.id,
        customerId: customer.id,
        pointTypeId: type.id,
        points: 1,
        actor: SYSTEM,
        now: t0,
      }),
      'insufficient_points',
    );

    expect(
      await ledger.processDue({ now: new Date('2030-04-03T08:59:59.999Z'), organizationId: org.id }),
    ).toMatchObject({
      lotsActivated: 0,
    });
    expect(
      await ledger.processDue({ now: new Date('2030-04-03T09:00:00Z'), organizationId: org.id }),
    ).toMatchObject({
      balances: 1,
      lotsActivated: 1,
    });
    expect(await balance(org, customer.id, type.id)).toMatchObject({ active: 100, pending: 0 });
    const events = await ctx.services.events.list(
      org.id,
      { type: 'points.activated' },
      { limit: 10, afterId: undefined },
    );
    expect(events).toHaveLength(1);
    expect(events[0]!.payload).toMatchObject({
      customerId: customer.id,
      points: 100,
      balance: { active: 100, pending: 0 },
    });
    // Processing again finds nothing to do.
    expect(
      await ledger.processDue({ now: new Date('2030-04-04T00:00:00Z'), organizationId: org.id }),
    ).toMatchObject({
      balances: 0,
    });
    await expectNoMismatches(org.id);
  });

  it('expires at the end of the local day, not a moment before', async () => {
    const org = await ctx.createOrganization({ timeZone: 'Europe/Madrid' });
    const type = await createPointType(org, {
      name: 'Daily',
      code: 'daily',
      expiresAfterDays: 1,
      expiryRounding: 'end_of_day',
    });
    const customer = await createCustomer(ctx, org.id);
    const { ledger } = ctx.services;
    const added = await ledger.add({
      organizationId: org.id,
      customerId: customer.id,
      pointTypeId: type.id,
      points: 5_000,
      actor: SYSTEM,
      now: new Date('2030-01-10T22:30:00Z'), // 23:30 on 10 January in Madrid
    });
    // One day later is 11 January; the points live until midnight ending it, Madrid time.
    expect(added.entry.expiresAt?.toISOString()).toBe('2030-01-11T23:00:00.000Z');
    const soon = await ledger.balances(org.id, customer.id, new Date('2030-01-11T12:00:00Z'));
    expect(soon.find((b) => b.pointType.id === type.id)?.expiring).toEqual([
      { date: '2030-01-11', points: 5_000 },
    ]);

    expect(
      await ledger.processDue({ now: new Date('2030-01-11T22:59:59.999Z'), organizationId: org.id }),
    ).toMatchObject({
      lotsExpired: 0,
    });
    // A spend at 23:59:59 Madrid time still finds the points.
    await ledger.spend({
      organizationId: org.id,
      customerId: customer.id,
      pointTypeId: type.id,
      points: 1_000,
      actor: SYSTEM,
      now: new Date('2030-01-11T22:59:59Z'),
    });
    expect(
      await ledger.processDue({ now: new Date('2030-01-11T23:00:00Z'), organizationId: org.id }),
    ).toMatchObject({
      lotsExpired: 1,
    });
    expect(await balance(org, customer.id, type.id)).toMatchObject({
      active: 0,
      expired: 40,
      spent: 10,
      earned: 50,
    });
    const history = await get(org, `/v1/customers/${customer.id}/points/history?kind=expire`);
    expect(history.data).toEqual([
      expect.objectContaining({
        kind: 'expire',
        points: 40,
        delta: -40,
        actor: { type: 'system', id: null },
      }),
    ]);
    await expectNoMismatches(org.id);
  });

  it('expires due points inside any operation even before the scheduler runs', async () => {
    const org = await ctx.createOrganization();
    const customer = await createCustomer(ctx, org.id);
    const { ledger } = ctx.services;
    const base = { organizationId: org.id, customerId: customer.id, actor: SYSTEM };
    await ledger.add({
      ...base,
      points: 100,
      expiresAt: new Date('2030-01-02T00:00:00Z'),
      now: new Date('2030-01-01T00:00:00Z'),
    });
    await expectError(
      ledger.spend({ ...base, points: 100, now: new Date('2030-01-02T00:00:00Z') }),
      'insufficient_points',
    );
    // The failed spend rolled back with everything it did; the next operation expires the lot for good.
    const added = await ledger.add({ ...base, points: 1, now: new Date('2030-01-02T00:00:01Z') });
    expect(added.balance).toMatchObject({ active: 1, expired: 100 });
    await expectNoMismatches(org.id);
  });

  it('a credit settles exactly the lots due at its time and leaves the member’s other lots as they were', async () => {
    const org = await ctx.createOrganization();
    const customer = await createCustomer(ctx, org.id);
    const { ledger } = ctx.services;
    const base = { organizationId: org.id, customerId: customer.id, actor: SYSTEM };
    const t0 = new Date('2030-01-01T00:00:00Z');
    const dueAt = new Date('2030-01-10T00:00:00Z');
    const at = (days: number) => new Date(t0.getTime() + days * 86_400_000);
    await ledger.add({ ...base, points: 100, expiresAt: at(5), now: t0 }); // expires before dueAt
    await ledger.add({ ...base, points: 20, activeFrom: at(3), now: t0 }); // becomes active before dueAt
    await ledger.add({ ...base, points: 7, activeFrom: at(30), now: t0 }); // still pending at dueAt
    await ledger.add({ ...base, points: 3, expiresAt: at(60), now: t0 }); // still active at dueAt
    await ledger.block({ ...base, points: 2, now: t0 }); // on the earliest-expiring lot

    const credited = await ledger.add({ ...base, points: 1, now: dueAt });
    expect(credited.balance).toMatchObject({ active: 20 + 3 + 1, pending: 7, blocked: 2, expired: 98 });
    // What the credit did not read is untouched: the pending lot still activates, the rest spends.
    const spent = await ledger.spend({ ...base, points: 30, now: at(31) });
    expect(spent.balance).toMatchObject({ active: 1, pending: 0, blocked: 2, expired: 98 });
    await expectNoMismatches(org.id);
  });
});

describe('cancel', () => {
  async function setup() {
    const org = await ctx.createOrganization();
    const customer = await createCustomer(ctx, org.id);
    const op = async (path: string, payload: object) => {
      const response = await post(org, `/v1/customers/${customer.id}/points/${path}`, payload);
      expectStatus(response, 201);
      return response.json();
    };
    const cancel = (entryId: string) =>
      post(org, `/v1/points/entries/${entryId}/cancel`, { reason: 'mistake' });
    return { org, customer, op, cancel };
  }

  it('cancelling an add removes what remains of it; a second cancel changes nothing', async () => {
    const { org, customer, op, cancel } = await setup();
    const added = await op('add', { points: 100, reason: 'gift' });
    await op('spend', { points: 30, reason: 'coffee' });
    const first = await cancel(added.entry.id);
    expectStatus(first, 201);
    expect(first.json().entry).toMatchObject({
      kind: 'cancel',
      points: 70,
      delta: -70,
      relatedEntryId: added.entry.id,
    });
    expect(first.json().balance).toMatchObject({ active: 0, earned: 30, spent: 30 });
    const again = await cancel(added.entry.id);
    expectStatus(again, 200);
    expect(again.json()).toMatchObject({ replayed: true, entry: { id: first.json().entry.id } });
    expect(await balance(org, customer.id)).toMatchObject({ active: 0 });
    await expectNoMismatches(org.id);
  });

  it('cancelling a spend gives the points back with their original expiry', async () => {
    const { org, customer, op, cancel } = await setup();
    const expiresAt = new Date(Date.now() + 20 * 86_400_000).toISOString();
    await op('add', { points: 60, reason: 'a', expiresAt });
    await op('add', { points: 60, reason: 'never' });
    const spent = await op('spend', { points: 100, reason: 'dinner' });
    const cancelled = await cancel(spent.entry.id);
    expectStatus(cancelled, 201);
    expect(cancelled.json().entry).toMatchObject({ kind: 'cancel', points: 100, delta: 100 });
    expect(cancelled.json().balance).toMatchObject({ active: 120, spent: 0, earned: 120 });
    const lots = await lotsOf(org.id, customer.id);
    const givenBack = lots.slice(2).map((lot) => ({ remaining: lot.remaining, expiresAt: lot.expiresAt }));
    expect(givenBack).toEqual([
      { remaining: 6000, expiresAt },
      { remaining: 4000, expiresAt: null },
    ]);
    await expectNoMismatches(org.id);
  });

  it('cancelling a spend whose points have expired meanwhile gives them back expired', async () => {
    const org = await ctx.createOrganization();
    const customer = await createCustomer(ctx, org.id);
    const { ledger } = ctx.services;
    const base = { organizationId: org.id, customerId: customer.id, actor: SYSTEM };
    await ledger.add({
      ...base,
      points: 100,
      expiresAt: new Date('2030-02-01T00:00:00Z'),
      now: new Date('2030-01-01T00:00:00Z'),
    });
    const spent = await ledger.spend({ ...base, points: 100, now: new Date('2030-01-15T00:00:00Z') });
    const cancelled = await ledger.cancel({
      organizationId: org.id,
      entryId: spent.entry.id,
      actor: SYSTEM,
      now: new Date('2030-03-01T00:00:00Z'),
    });
    expect(cancelled.balance).toMatchObject({ active: 0, spent: 0, expired: 100 });
    await expectNoMismatches(org.id);
  });

  it('cancelling a block releases it; a spent block cannot be released', async () => {
    const { org, customer, op, cancel } = await setup();
    await op('add', { points: 100, reason: 'gift' });
    const blocked = await op('block', { points: 30, reason: 'reward reserved' });
    expect(blocked.balance).toMatchObject({ active: 70, blocked: 30 });
    const spendBlocked = await post(org, `/v1/customers/${customer.id}/points/spend`, {
      points: 71,
      reason: 'x',
    });
    expect(spendBlocked.json().code).toBe('insufficient_points');
    const released = await cancel(blocked.entry.id);
    expectStatus(released, 201);
    expect(released.json().entry).toMatchObject({ kind: 'unblock', points: 30, delta: 0 });
    expect(released.json().balance).toMatchObject({ active: 100, blocked: 0, spent: 0 });

    const second = await op('block', { points: 40, reason: 'reward reserved' });
    const captured = await op('spend', {
      points: 40,
      reason: 'reward redeemed',
      blockEntryId: second.entry.id,
    });
    expect(captured.entry).toMatchObject({ kind: 'spend', relatedEntryId: second.entry.id });
    expect(captured.balance).toMatchObject({ active: 60, blocked: 0, spent: 40 });
    expect((await cancel(second.entry.id)).json().code).toBe('block_settled');
    await expectNoMismatches(org.id);
  });

  it('refuses to cancel an add while part of it is blocked, and kinds that cannot be undone', async () => {
    const { org, customer, op, cancel } = await setup();
    const added = await op('add', { points: 100, reason: 'gift' });
    await op('block', { points: 10, reason: 'reserved' });
    expect((await cancel(added.entry.id)).json().code).toBe('points_blocked');
    const other = await createCustomer(ctx, org.id);
    const transferred = await op('transfer', { to: other.id, points: 5 });
    const refused = await cancel(transferred.entry.id);
    expect(refused.statusCode).toBe(422);
    expect(refused.json().code).toBe('entry_not_cancellable');
    expect((await cancel('01936f4e-8b1a-7c3d-9e2f-1a2b3c4d5e6f')).statusCode).toBe(404);
    expect((await balance(org, customer.id)).active).toBe(85);
  });

  it('cancelling points earned on a ticket removes them while still pending', async () => {
    const org = await ctx.createOrganization();
    const type = await createPointType(org, { name: 'Slow', code: 'slow', pendingDays: 30 });
    const customer = await createCustomer(ctx, org.id);
    const { ledger } = ctx.services;
    const earned = await ledger.earn({
      organizationId: org.id,
      customerId: customer.id,
      pointTypeId: type.id,
      points: 2_000,
      actor: SYSTEM,
      source: { type: 'transaction', id: 'T-9' },
    });
    const cancelled = await ledger.cancel({
      organizationId: org.id,
      entryId: earned.entry.id,
      actor: SYSTEM,
    });
    expect(cancelled.balance).toMatchObject({ pending: 0, active: 0, earned: 0 });
    await expectNoMismatches(org.id);
  });
});

describe('transfer', () => {
  it('moves points to a customer found by any identifier, keeping their expiry, atomically', async () => {
    const org = await ctx.createOrganization();
    const sender = await createCustomer(ctx, org.id);
    const receiver = await createCustomer(ctx, org.id, { email: 'receiver@example.com' });
    const expiresAt = new Date(Date.now() + 15 * 86_400_000).toISOString();
    expectStatus(
      await post(org, `/v1/customers/${sender.id}/points/add`, { points: 50, reason: 'a', expiresAt }),
      201,
    );
    expectStatus(await post(org, `/v1/customers/${sender.id}/points/add`, { points: 50, reason: 'b' }), 201);
    const response = await post(org, `/v1/customers/${sender.id}/points/transfer`, {
      to: 'receiver@example.com',
      points: 60,
      reason: 'for your birthday',
    });
    expectStatus(response, 201);
    expect(response.json()).toMatchObject({
      entry: { kind: 'transfer_out', points: 60, delta: -60, counterpartyCustomerId: receiver.id },
      balance: { active: 40, spent: 60 },
      to: { customerId: receiver.id },
    });
    expect(await balance(org, receiver.id)).toMatchObject({ active: 60, earned: 60 });
    const lots = await lotsOf(org.id, receiver.id);
    expect(lots.map((lot) => [lot.remaining, lot.expiresAt])).toEqual([
      [5000, expiresAt],
      [1000, null],
    ]);
    const events = await ctx.services.events.list(
      org.id,
      { type: 'points.transferred' },
      { limit: 10, afterId: undefined },
    );
    expect(events.map((event) => event.payload.kind)).toEqual(['transfer_out', 'transfer_in']);
    await expectNoMismatches(org.id);
  });

  it('a receiver that cannot receive leaves the sender untouched', async () => {
    const org = await ctx.createOrganization();
    const sender = await createCustomer(ctx, org.id);
    const receiver = await createCustomer(ctx, org.id, { status: 'blocked' });
    expectStatus(await post(org, `/v1/customers/${sender.id}/points/add`, { points: 100, reason: 'a' }), 201);
    const before = await get(org, `/v1/customers/${sender.id}/points/history`);
    const response = await post(org, `/v1/customers/${sender.id}/points/transfer`, {
      to: receiver.id,
      points: 60,
    });
    expect(response.statusCode).toBe(422);
    expect(response.json().code).toBe('customer_inactive');
    expect(await balance(org, sender.id)).toMatchObject({ active: 100, spent: 0 });
    expect(await get(org, `/v1/customers/${sender.id}/points/history`)).toEqual(before);
    expect((await get(org, `/v1/customers/${receiver.id}/points/history`)).data).toEqual([]);
    const unknown = await post(org, `/v1/customers/${sender.id}/points/transfer`, {
      to: 'nobody@example.com',
      points: 1,
    });
    expect(unknown.json().errors).toEqual([
      { path: 'body.to', message: 'matches no customer of this organization' },
    ]);
    const self = await post(org, `/v1/customers/${sender.id}/points/transfer`, { to: sender.id, points: 1 });
    expect(self.json().errors[0].path).toBe('body.to');
    const short = await post(org, `/v1/customers/${sender.id}/points/transfer`, {
      to: (await createCustomer(ctx, org.id)).id,
      points: 101,
    });
    expect(short.json().code).toBe('insufficient_points');
    await expectNoMismatches(org.id);
  });
});

describe('status rules', () => {
  it('inactive and blocked customers cannot spend; whether they earn is a program setting', async () => {
    const org = await ctx.createOrganization();
    const active = await createCustomer(ctx, org.id);
    const inactive = await createCustomer(ctx, org.id, { status: 'inactive' });
    const blocked = await createCustomer(ctx, org.id, { status: 'blocked' });
    const add = (id: string) => post(org, `/v1/customers/${id}/points/add`, { points: 10, reason: 'gift' });
    expectStatus(await add(active.id), 201);
    for (const customer of [inactive, blocked]) {
      const refused = await add(customer.id);
      expect(refused.statusCode).toBe(422);
      expect(refused.json().code).toBe('customer_inactive');
    }
    const settings = await ctx.app.inject({
      method: 'PATCH',
      url: '/v1/organization',
      headers: org.headers,
      payload: { settings: { inactiveCustomersEarn: true } },
    });
    expectStatus(settings, 200);
    expect(settings.json().settings.inactiveCustomersEarn).toBe(true);
    expectStatus(await add(inactive.id), 201);
    const spend = await post(org, `/v1/customers/${inactive.id}/points/spend`, { points: 1, reason: 'x' });
    expect(spend.statusCode).toBe(422);
    expect(spend.json().code).toBe('customer_inactive');
  });
});

describe('idempotency', () => {
  it('never credits the same source twice; a clashing reuse is 409', async () => {
    const org = await ctx.createOrganization();
    const customer = await createCustomer(ctx, org.id);
    const payload = { points: 25, reason: 'import', source: { type: 'import', id: 'batch-1/line-7' } };
    const first = await post(org, `/v1/customers/${customer.id}/points/add`, payload);
    expectStatus(first, 201);
    const retry = await post(org, `/v1/customers/${customer.id}/points/add`, payload);
    expectStatus(retry, 200);
    expect(retry.json()).toMatchObject({ replayed: true, entry: { id: first.json().entry.id } });
    const clash = await post(org, `/v1/customers/${customer.id}/points/add`, { ...payload, points: 26 });
    expect(clash.statusCode).toBe(409);
    expect(clash.json().code).toBe('source_already_used');
    expect(await balance(org, customer.id)).toMatchObject({ active: 25 });
  });

  it('replays blocks, returns and adjustments by source; the opposite adjustment is a clash', async () => {
    const org = await ctx.createOrganization();
    const customer = await createCustomer(ctx, org.id);
    const { ledger } = ctx.services;
    const base = { organizationId: org.id, customerId: customer.id, actor: SYSTEM };
    await ledger.add({ ...base, points: 1_000 });
    const block = { ...base, points: 300, source: { type: 'redemption', id: 'R-1' } };
    const blocked = await ledger.block(block);
    expect(await ledger.block(block)).toMatchObject({ replayed: true, entry: { id: blocked.entry.id } });
    const ret = { ...base, points: 5_000, source: { type: 'transaction', id: 'return-1' } };
    const reversed = await ledger.reverse(ret);
    expect(reversed.shortfall).toBe(4_300);
    expect(await ledger.reverse(ret)).toMatchObject({ replayed: true, shortfall: 4_300 });
    const adjust = { ...base, points: 100, source: { type: 'external', id: 'adj-1' } };
    await ledger.adjust(adjust);
    expect((await ledger.adjust(adjust)).replayed).toBe(true);
    await expectError(ledger.adjust({ ...adjust, points: -100 }), 'source_already_used');
    const balance = (await ledger.balances(org.id, customer.id))[0];
    expect(balance).toMatchObject({ active: 100, blocked: 300 });
    await expectNoMismatches(org.id);
  });

  it('replays the first answer to a retried Idempotency-Key', async () => {
    const org = await ctx.createOrganization();
    const customer = await createCustomer(ctx, org.id);
    await post(org, `/v1/customers/${customer.id}/points/add`, { points: 100, reason: 'gift' });
    const headers = { 'idempotency-key': 'till-7-sale-42' };
    const payload = { points: 30, reason: 'coffee' };
    const first = await post(org, `/v1/customers/${customer.id}/points/spend`, payload, headers);
    const retry = await post(org, `/v1/customers/${customer.id}/points/spend`, payload, headers);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.body).toBe(first.body);
    expect(await balance(org, customer.id)).toMatchObject({ active: 70 });
  });
});

describe('returns, adjustments and history', () => {
  it('a return takes back the ticket’s own points first, pending ones included, never below zero', async () => {
    const org = await ctx.createOrganization();
    const type = await createPointType(org, { name: 'Slow', code: 'slow', pendingDays: 14 });
    const customer = await createCustomer(ctx, org.id);
    const { ledger } = ctx.services;
    const base = { organizationId: org.id, customerId: customer.id, pointTypeId: type.id, actor: SYSTEM };
    await ledger.add({ ...base, points: 500 });
    await ledger.earn({ ...base, points: 1_000, source: { type: 'transaction', id: 'T-1' } });
    const partial = await ledger.reverse({
      ...base,
      points: 300,
      source: { type: 'transaction', id: 'R-1' },
      original: { type: 'transaction', id: 'T-1' },
    });
    expect(partial.balance).toMatchObject({ active: 500, pending: 700, earned: 1_200 });
    const rest = await ledger.reverse({
      ...base,
      points: 2_000,
      source: { type: 'transaction', id: 'R-2' },
      original: { type: 'transaction', id: 'T-1' },
    });
    expect(rest.shortfall).toBe(800);
    expect(rest.balance).toMatchObject({ active: 0, pending: 0, earned: 0 });
    const events = await ctx.services.events.list(
      org.id,
      { type: 'points.reversed' },
      { limit: 10, afterId: undefined },
    );
    expect(events).toHaveLength(2);
    await expectNoMismatches(org.id);
  });

  it('a signed adjustment adds or spends (Last.app points + concept)', async () => {
    const org = await ctx.createOrganization();
    const customer = await createCustomer(ctx, org.id);
    const url = `/v1/customers/${customer.id}/points/adjust`;
    const plus = await post(org, url, { points: 10, concept: 'Birthday gift' });
    expectStatus(plus, 201);
    expect(plus.json().entry).toMatchObject({
      kind: 'adjust',
      points: 10,
      delta: 10,
      reason: 'Birthday gift',
    });
    const minus = await post(org, url, { points: -2.5, concept: 'Correction' });
    expectStatus(minus, 201);
    expect(minus.json().balance).toMatchObject({ active: 7.5, earned: 10, spent: 2.5 });
    expect((await post(org, url, { points: 0, concept: 'x' })).statusCode).toBe(422);
    expect((await post(org, url, { points: -100, concept: 'x' })).json().code).toBe('insufficient_points');
  });

  it('lists entries newest first, filtered by kind, point type and dates, a page at a time', async () => {
    const org = await ctx.createOrganization();
    const customer = await createCustomer(ctx, org.id);
    const type = await createPointType(org, { name: 'Other', code: 'other' });
    const url = `/v1/customers/${customer.id}/points`;
    for (let i = 1; i <= 5; i++)
      expectStatus(await post(org, `${url}/add`, { points: i, reason: `add ${i}` }), 201);
    expectStatus(await post(org, `${url}/spend`, { points: 1, reason: 'spend' }), 201);
    expectStatus(await post(org, `${url}/add`, { points: 9, reason: 'other', pointTypeId: type.id }), 201);

    const first = await get(org, `${url}/history?limit=3`);
    expect(first.data.map((e: { reason: string }) => e.reason)).toEqual(['other', 'spend', 'add 5']);
    const second = await get(org, `${url}/history?limit=3&cursor=${first.nextCursor}`);
    expect(second.data.map((e: { reason: string }) => e.reason)).toEqual(['add 4', 'add 3', 'add 2']);
    const third = await get(org, `${url}/history?limit=3&cursor=${second.nextCursor}`);
    expect(third).toEqual({ data: [expect.objectContaining({ reason: 'add 1' })], nextCursor: null });

    expect((await get(org, `${url}/history?kind=spend`)).data).toHaveLength(1);
    expect((await get(org, `${url}/history?kind=spend&kind=add`)).data).toHaveLength(7);
    expect((await get(org, `${url}/history?pointTypeId=${type.id}`)).data).toHaveLength(1);
    const future = new Date(Date.now() + 86_400_000).toISOString();
    expect((await get(org, `${url}/history?from=${future}`)).data).toHaveLength(0);
    expect((await get(org, `${url}/history?to=${future}`)).data).toHaveLength(7);
    const entry = await get(org, `/v1/points/entries/${first.data[0].id}`);
    expect(entry).toMatchObject({ kind: 'add', points: 9 });
  });
});

describe('the organization’s whole ledger', () => {
  it('lists every member’s entries newest first, filtered like a history, and no other organization’s', async () => {
    const org = await ctx.createOrganization();
    const other = await ctx.createOrganization();
    const [ana, bea, stranger] = await Promise.all([
      createCustomer(ctx, org.id),
      createCustomer(ctx, org.id),
      createCustomer(ctx, other.id),
    ]);
    const { ledger } = ctx.services;
    await ledger.add({ organizationId: org.id, customerId: ana.id, points: 100, actor: SYSTEM, reason: 'a' });
    await ledger.add({ organizationId: org.id, customerId: bea.id, points: 200, actor: SYSTEM, reason: 'b' });
    await ledger.spend({
      organizationId: org.id,
      customerId: ana.id,
      points: 50,
      actor: SYSTEM,
      reason: 'c',
    });
    await ledger.add({
      organizationId: other.id,
      customerId: stranger.id,
      points: 1,
      actor: SYSTEM,
      reason: 'x',
    });
    const all = await ledger.entries(org.id, {}, { limit: 10, afterId: undefined });
    expect(all.map((entry) => entry.reason)).toEqual(['c', 'b', 'a']);
    const spends = await ledger.entries(org.id, { kinds: ['spend'] }, { limit: 10, afterId: undefined });
    expect(spends.map((entry) => entry.customerId)).toEqual([ana.id]);
    const next = await ledger.entries(org.id, {}, { limit: 1, afterId: all[0]!.id });
    expect(next.map((entry) => entry.reason)).toEqual(['b', 'a']);
  });
});

describe('tenancy', () => {
  it('answers 404 for another organization’s customers and entries, 422 for its point types', async () => {
    const org = await ctx.createOrganization();
    const other = await ctx.createOrganization();
    const customer = await createCustomer(ctx, org.id);
    const added = await post(org, `/v1/customers/${customer.id}/points/add`, { points: 1, reason: 'x' });
    const otherType = (await get(other, '/v1/point-types')).data[0].id;

    expect(
      (
        await ctx.app.inject({
          method: 'GET',
          url: `/v1/customers/${customer.id}/points`,
          headers: other.headers,
        })
      ).statusCode,
    ).toBe(404);
    expect(
      (await post(other, `/v1/customers/${customer.id}/points/add`, { points: 1, reason: 'x' })).statusCode,
    ).toBe(404);
    expect((await post(other, `/v1/points/entries/${added.json().entry.id}/cancel`, {})).statusCode).toBe(
      404,
    );
    expect(
      (
        await ctx.app.inject({
          method: 'GET',
          url: `/v1/points/entries/${added.json().entry.id}`,
          headers: other.headers,
        })
      ).statusCode,
    ).toBe(404);
    const foreignType = await post(org, `/v1/customers/${customer.id}/points/add`, {
      points: 1,
      reason: 'x',
      pointTypeId: otherType,
    });
    expect(foreignType.json().errors[0].path).toBe('body.pointTypeId');
    expect(
      (await ctx.app.inject({ method: 'GET', url: `/v1/customers/${customer.id}/points` })).statusCode,
    ).toBe(401);
  });
});
