import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { audienceClient, expectSameMembers } from '../../../test/support/audience.ts';
import { createTestContext, expectStatus, type TestContext } from '../../../test/support/context.ts';
import { localToday } from '../../domain/segments/calendar.ts';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

const DAY = 86_400_000;
const ago = (days: number) => new Date(Date.now() - days * DAY).toISOString();

async function setup() {
  const org = await ctx.createOrganization();
  return { org, api: audienceClient(ctx, org) };
}

/** A segment of one criterion, and its members. */
async function only(api: ReturnType<typeof audienceClient>, criterion: Record<string, unknown>) {
  const segment = await api.segment({ parts: [{ criteria: [criterion] }] });
  return { segment, members: await api.membersOf(segment.id) };
}

describe('each criterion on its own', () => {
  it('bought_at_locations', async () => {
    const { api } = await setup();
    const location = await api.ok('POST', '/v1/locations', { name: 'Gràcia' });
    const [a, b] = [await api.member(), await api.member()];
    await api.buy(a.id, 1000, { locationId: location.id });
    await api.buy(b.id, 1000);
    expectSameMembers(
      (await only(api, { type: 'bought_at_locations', locationIds: [location.id] })).members,
      [a.id],
    );
  });

  it('transaction_count, all time and in a window; a fully returned sale does not count', async () => {
    const { api } = await setup();
    const [a, b, c] = [await api.member(), await api.member(), await api.member()];
    await api.buy(a.id, 1000);
    await api.buy(a.id, 1000, { purchasedAt: ago(60) });
    await api.buy(b.id, 1000);
    const returned = await api.buy(b.id, 1000);
    await api.giveBack(returned.transaction.documentNumber, 1000);
    expectSameMembers((await only(api, { type: 'transaction_count', min: 2 })).members, [a.id]);
    expectSameMembers((await only(api, { type: 'transaction_count', min: 1, max: 1 })).members, [b.id]);
    expectSameMembers((await only(api, { type: 'transaction_count', max: 0 })).members, [c.id]);
    expectSameMembers((await only(api, { type: 'transaction_count', min: 1, days: 30 })).members, [
      a.id,
      b.id,
    ]);
    expectSameMembers((await only(api, { type: 'transaction_count', min: 2, days: 30 })).members, []);
  });

  it('average_ticket and total_spent (net of returns, optionally in a window)', async () => {
    const { api } = await setup();
    const [a, b, c] = [await api.member(), await api.member(), await api.member()];
    await api.buy(a.id, 2000);
    await api.buy(a.id, 4000);
    const big = await api.buy(b.id, 20000, { purchasedAt: ago(40) });
    await api.giveBack(big.transaction.documentNumber, 5000);
    expectSameMembers((await only(api, { type: 'average_ticket', min: 3000, max: 3000 })).members, [a.id]);
    expectSameMembers((await only(api, { type: 'average_ticket', min: 3001 })).members, [b.id]);
    expectSameMembers((await only(api, { type: 'total_spent', min: 15000 })).members, [b.id]);
    expectSameMembers((await only(api, { type: 'total_spent', max: 6000 })).members, [a.id, c.id]);
    expectSameMembers((await only(api, { type: 'total_spent', min: 1, days: 30 })).members, [a.id]);
  });

  it('purchase_period', async () => {
    const { api } = await setup();
    const [a, b] = [await api.member(), await api.member()];
    await api.buy(a.id, 1000, { purchasedAt: '2026-03-10T12:00:00Z' });
    await api.buy(b.id, 1000, { purchasedAt: '2026-04-01T00:00:00Z' });
    const march = { type: 'purchase_period', from: '2026-03-01T00:00:00Z', to: '2026-04-01T00:00:00Z' };
    expectSameMembers((await only(api, march)).members, [a.id]);
    expectSameMembers((await only(api, { type: 'purchase_period', from: '2026-03-15T00:00:00Z' })).members, [
      b.id,
    ]);
  });

  it('bought_skus, bought_categories, bought_makers and bought_labels, in any case', async () => {
    const { api } = await setup();
    const [a, b] = [await api.member(), await api.member()];
    await api.buy(a.id, 1500, {
      lines: [
        {
          sku: 'CROQ-01',
          category: 'Tapas',
          maker: 'Casa Paco',
          total: 1000,
          labels: [{ key: 'diet', value: 'Vegan' }],
        },
        { sku: 'AGUA', total: 500 },
      ],
    });
    await api.buy(b.id, 500, { lines: [{ sku: 'AGUA', category: 'drinks', total: 500 }] });
    expectSameMembers((await only(api, { type: 'bought_skus', skus: ['croq-01'] })).members, [a.id]);
    expectSameMembers((await only(api, { type: 'bought_skus', skus: ['agua', 'none'] })).members, [
      a.id,
      b.id,
    ]);
    expectSameMembers((await only(api, { type: 'bought_categories', categories: ['TAPAS'] })).members, [
      a.id,
    ]);
    expectSameMembers((await only(api, { type: 'bought_makers', makers: ['casa paco'] })).members, [a.id]);
    expectSameMembers(
      (await only(api, { type: 'bought_labels', labels: [{ key: 'Diet', value: 'vegan' }] })).members,
      [a.id],
    );
    expectSameMembers(
      (await only(api, { type: 'bought_labels', labels: [{ key: 'diet', value: 'keto' }] })).members,
      [],
    );
  });

  it('a line counts as bought while a kept purchase carries it: returns, cancellations, assignments', async () => {
    const { api } = await setup();
    const ana = await api.member();
    const paellas = await api.segment({ parts: [{ criteria: [{ type: 'bought_skus', skus: ['paella'] }] }] });
    const paella = { sku: 'PAELLA', category: 'Mains', total: 1800 };
    const ticket = (documentNumber: string, lines: unknown[], customer: Record<string, string>) => ({
      documentNumber,
      lines,
      totals: { total: 1800 * lines.length },
      customer,
    });

    await api.ok('POST', '/v1/transactions', ticket('P-1', [paella], { customerId: ana.id }));
    await api.ok('POST', '/v1/transactions', ticket('P-2', [paella, paella], { customerId: ana.id }));
    await api.giveBack('P-1', 1800);
    expectSameMembers(await api.membersOf(paellas.id), [ana.id]);
    await api.giveBack('P-2', 1800);
    expectSameMembers(await api.membersOf(paellas.id), [ana.id]);
    await api.giveBack('P-2', 1800);
    expectSameMembers(await api.membersOf(paellas.id), []);

    const cancelled = ticket('P-3', [paella], { customerId: ana.id });
    await api.ok('POST', '/v1/transactions', cancelled);
    expectSameMembers(await api.membersOf(paellas.id), [ana.id]);
    await api.ok('POST', '/v1/transactions', { ...cancelled, status: 'cancelled' }, 200);
    expectSameMembers(await api.membersOf(paellas.id), []);

    // A walk-in's sale returned in full buys nothing for the member it is later assigned to.
    const card = { identifier: ana.loyaltyCardNumber };
    const returned = await api.ok(
      'POST',
      '/v1/transactions',
      ticket('W-1', [paella], { loyaltyCardNumber: 'NONE' }),
    );
    await api.giveBack('W-1', 1800);
    await api.ok('POST', `/v1/transactions/${returned.transaction.id}/assign`, card, 200);
    expectSameMembers(await api.membersOf(paellas.id), []);
    const kept = await api.ok(
      'POST',
      '/v1/transactions',
      ticket('W-2', [paella], { loyaltyCardNumber: 'NONE' }),
    );
    await api.ok('POST', `/v1/transactions/${kept.transaction.id}/assign`, card, 200);
    expectSameMembers(await api.membersOf(paellas.id), [ana.id]);
  });

  it('anniversary: birthday within N days in the organization’s time zone, registration day (fake clock)', async () => {
    const { org, api } = await setup();
    const today = localToday(new Date(), 'Europe/Madrid');
    const inThreeDays = localToday(new Date(Date.now() + 3 * DAY), 'Europe/Madrid');
    const a = await api.member({ birthDate: `1990-${today.slice(5)}` });
    const b = await api.member({ birthDate: `1985-${inThreeDays.slice(5)}` });
    const farAway = localToday(new Date(Date.now() + 180 * DAY), 'Europe/Madrid');
    await api.member({ birthDate: `1980-${farAway.slice(5)}` });
    const todayOnly = await only(api, { type: 'anniversary', anniversaryType: 'birthday', days: 1 });
    expectSameMembers(todayOnly.members, [a.id]);
    expectSameMembers(
      (await only(api, { type: 'anniversary', anniversaryType: 'birthday', days: 7 })).members,
      [a.id, b.id],
    );
    // Nobody signed up a year ago today; a year from now, everyone did.
    const registration = await only(api, { type: 'anniversary', anniversaryType: 'registration', days: 1 });
    expectSameMembers(registration.members, []);
    await ctx.services.segments.recompute(org.id, registration.segment.id, {
      now: new Date(Date.now() + 365 * DAY),
    });
    expect(await api.membersOf(registration.segment.id)).toHaveLength(3);
  });

  it('last_purchase_days_ago: bought, but not in the last N days', async () => {
    const { api } = await setup();
    const [a, b] = [await api.member(), await api.member()];
    await api.member();
    await api.buy(a.id, 1000, { purchasedAt: ago(45) });
    await api.buy(b.id, 1000, { purchasedAt: ago(45) });
    await api.buy(b.id, 1000);
    expectSameMembers((await only(api, { type: 'last_purchase_days_ago', days: 30 })).members, [a.id]);
  });

  it('customer_has_labels (key, or key and value) and marketing_consent', async () => {
    const { api } = await setup();
    const a = await api.member({ labels: [{ key: 'vip', value: 'gold' }], marketingConsents: { sms: true } });
    const b = await api.member({
      labels: [{ key: 'vip', value: 'silver' }],
      marketingConsents: { email: false },
    });
    const c = await api.member({ marketingConsents: { email: true } });
    expectSameMembers((await only(api, { type: 'customer_has_labels', labels: [{ key: 'vip' }] })).members, [
      a.id,
      b.id,
    ]);
    expectSameMembers(
      (await only(api, { type: 'customer_has_labels', labels: [{ key: 'vip', value: 'silver' }] })).members,
      [b.id],
    );
    expectSameMembers((await only(api, { type: 'marketing_consent' })).members, [a.id, c.id]);
    expectSameMembers((await only(api, { type: 'marketing_consent', channels: ['email'] })).members, [c.id]);
  });

  it('customer_list, by id, email, phone or card, inactive members included', async () => {
    const { api } = await setup();
    const a = await api.member();
    const b = await api.member({ phone: '+34600111222' });
    const c = await api.member();
    await api.member();
    await api.ok('POST', `/v1/customers/${c.id}/deactivate`, undefined, 200);
    const { segment, members } = await only(api, {
      type: 'customer_list',
      customers: [a.email.toUpperCase(), '600 111 222', c.loyaltyCardNumber],
    });
    expectSameMembers(members, [a.id, b.id, c.id]);
    const stored = await api.ok('GET', `/v1/segments/${segment.id}`);
    expect(stored.parts[0].criteria[0].customers.sort()).toEqual([a.id, b.id, c.id].sort());
    const unknown = await api.call('POST', '/v1/segments', {
      name: 'nobody',
      parts: [{ criteria: [{ type: 'customer_list', customers: [a.id, 'nobody@example.com'] }] }],
    });
    expect(unknown.statusCode).toBe(422);
    expect(unknown.json().errors[0].path).toBe('body.parts.0.criteria.0.customers.1');
  });

  it('tier_in follows tier moves, and points_balance follows the ledger', async () => {
    const { api } = await setup();
    await api.tier({ name: 'Base', conditionValue: 0 });
    const gold = await api.tier({ name: 'Gold', conditionValue: 10000 });
    const [a, b] = [await api.member(), await api.member()];
    const golden = await only(api, { type: 'tier_in', tierIds: [gold.id] });
    expectSameMembers(golden.members, []);
    await api.buy(a.id, 10000);
    expectSameMembers(await api.membersOf(golden.segment.id), [a.id]);
    await api.ok('POST', `/v1/customers/${b.id}/tier`, { tierId: gold.id }, 200);
    expectSameMembers(await api.membersOf(golden.segment.id), [a.id, b.id]);

    const rich = await only(api, { type: 'points_balance', min: 50.5 });
    expectSameMembers(rich.members, []);
    await api.ok('POST', `/v1/customers/${b.id}/points/add`, { points: 50.5, reason: 'gift' });
    expectSameMembers(await api.membersOf(rich.segment.id), [b.id]);
    await api.ok('POST', `/v1/customers/${b.id}/points/spend`, { points: 0.01, reason: 'test' });
    expectSameMembers(await api.membersOf(rich.segment.id), []);
  });
});

describe('combining criteria', () => {
  it('criteria in one part are OR, parts are AND', async () => {
    const { api } = await setup();
    const both = await api.member({ labels: [{ key: 'vip', value: '' }] });
    const onlyLabel = await api.member({ labels: [{ key: 'vip', value: '' }] });
    const onlyBuyer = await api.member();
    await api.member();
    await api.buy(both.id, 1000);
    await api.buy(onlyBuyer.id, 1000);
    const vip = { type: 'customer_has_labels', labels: [{ key: 'vip' }] };
    const buyer = { type: 'transaction_count', min: 1 };
    const anyOf = await api.segment({ parts: [{ criteria: [vip, buyer] }] });
    const allOf = await api.segment({ parts: [{ criteria: [vip] }, { criteria: [buyer] }] });
    expectSameMembers(await api.membersOf(anyOf.id), [both.id, onlyLabel.id, onlyBuyer.id]);
    expectSameMembers(await api.membersOf(allOf.id), [both.id]);
    expect((await api.ok('GET', `/v1/segments/${allOf.id}`)).customersCount).toBe(1);
  });

  it('only active members match, except on a customer list', async () => {
    const { api } = await setup();
    const a = await api.member();
    const b = await api.member();
    const everyone = await api.segment({ parts: [{ criteria: [{ type: 'transaction_count', max: 100 }] }] });
    expectSameMembers(await api.membersOf(everyone.id), [a.id, b.id]);
    await api.ok('POST', `/v1/customers/${b.id}/block`, undefined, 200);
    expectSameMembers(await api.membersOf(everyone.id), [a.id]);
  });
});

describe('membership kept current', () => {
  it('after tickets, returns, cancellations and profile edits, with added/removed events', async () => {
    const { org, api } = await setup();
    const ana = await api.member();
    const spenders = await api.segment({
      name: 'Spenders',
      parts: [{ criteria: [{ type: 'total_spent', min: 5000 }] }],
    });
    const vegans = await api.segment({
      parts: [{ criteria: [{ type: 'customer_has_labels', labels: [{ key: 'diet', value: 'vegan' }] }] }],
    });
    expect(await api.membersOf(spenders.id)).toEqual([]);

    const sale = await api.buy(ana.id, 6000);
    expectSameMembers(await api.membersOf(spenders.id), [ana.id]);
    await api.giveBack(sale.transaction.documentNumber, 2000);
    expectSameMembers(await api.membersOf(spenders.id), []);
    const pending = await api.buy(ana.id, 9000, { status: 'pending' });
    expectSameMembers(await api.membersOf(spenders.id), []);
    const { documentNumber } = pending.transaction;
    await api.ok(
      'POST',
      '/v1/transactions',
      { ...pendingBody(ana.id, documentNumber), status: 'completed' },
      200,
    );
    expectSameMembers(await api.membersOf(spenders.id), [ana.id]);
    await api.ok(
      'POST',
      '/v1/transactions',
      { ...pendingBody(ana.id, documentNumber), status: 'cancelled' },
      200,
    );
    expectSameMembers(await api.membersOf(spenders.id), []);

    await api.ok('PATCH', `/v1/customers/${ana.id}`, { labels: [{ key: 'diet', value: 'vegan' }] }, 200);
    expectSameMembers(await api.membersOf(vegans.id), [ana.id]);
    await api.ok('PATCH', `/v1/customers/${ana.id}`, { labels: [] }, 200);
    expectSameMembers(await api.membersOf(vegans.id), []);

    const events = await api.events('segment.customer_added');
    const removed = await api.events('segment.customer_removed');
    expect(events.filter((e) => e.segmentId === spenders.id)).toHaveLength(2);
    expect(removed.filter((e) => e.segmentId === spenders.id)).toHaveLength(2);
    expect(events.filter((e) => e.segmentId === vegans.id)).toEqual([
      { segmentId: vegans.id, customerId: ana.id },
    ]);
    expect(removed.filter((e) => e.segmentId === vegans.id)).toEqual([
      { segmentId: vegans.id, customerId: ana.id },
    ]);

    await api.ok('DELETE', `/v1/customers/${ana.id}`);
    await api.ok('PATCH', `/v1/customers/${ana.id}`, { labels: [{ key: 'diet', value: 'vegan' }] }, 404);
    expect(await ctx.services.segments.segmentsOf(org.id, ana.id, { limit: 10, afterId: undefined })).toEqual(
      [],
    );
  });

  it('a segment-targeted earning rule applies only to members of the segment', async () => {
    const { api } = await setup();
    const [regular, newcomer] = [await api.member(), await api.member()];
    await api.buy(regular.id, 1000);
    await api.buy(regular.id, 1000);
    const regulars = await api.segment({ parts: [{ criteria: [{ type: 'transaction_count', min: 2 }] }] });
    await api.ok('POST', '/v1/earning-rules', {
      name: 'Regulars bonus',
      type: 'visit',
      config: { points: 20 },
      segmentIds: [regulars.id],
    });
    expect((await api.buy(regular.id, 1000)).breakdown).toEqual([
      expect.objectContaining({ ruleName: 'Regulars bonus', points: 20 }),
    ]);
    expect((await api.buy(newcomer.id, 1000)).breakdown).toEqual([]);
    expect((await api.buy(newcomer.id, 1000)).breakdown).toEqual([]);
    // The newcomer's second ticket made them a regular: the third one earns the bonus.
    expect((await api.buy(newcomer.id, 1000)).pointsEarned).toBe(20);
  });

  it('refreshes time-based segments daily, and recomputes on demand', async () => {
    const { org, api } = await setup();
    const ana = await api.member();
    await api.buy(ana.id, 1000, { purchasedAt: ago(20) });
    const lapsed = await api.segment({
      parts: [{ criteria: [{ type: 'last_purchase_days_ago', days: 30 }] }],
    });
    expect(await api.membersOf(lapsed.id)).toEqual([]);
    const result = await ctx.services.audience.runScheduled(new Date(Date.now() + 15 * DAY));
    expect(result.refreshed).toBeGreaterThanOrEqual(1);
    expectSameMembers(await api.membersOf(lapsed.id), [ana.id]);
    // Same local day again: nothing to do for this organization.
    await ctx.services.audience.runScheduled(new Date(Date.now() + 15 * DAY + 1000));
    const recomputed = await api.ok('POST', `/v1/segments/${lapsed.id}/recompute`, undefined, 200);
    expect(recomputed).toEqual({ segmentId: lapsed.id, added: 0, removed: 1, customersCount: 0 });
    expect(org.id).toBeTruthy();
  });
});

describe('/v1/segments', () => {
  it('lists with counts, shows a member’s segments, deactivates (emptying), renames and deletes', async () => {
    const { api } = await setup();
    const ana = await api.member({ labels: [{ key: 'vip', value: '' }] });
    const vip = { type: 'customer_has_labels', labels: [{ key: 'vip' }] };
    const s1 = await api.segment({ name: 'VIP', description: 'Labelled vip', parts: [{ criteria: [vip] }] });
    const s2 = await api.segment({ name: 'Later', active: false, parts: [{ criteria: [vip] }] });
    expect(s1).toMatchObject({
      name: 'VIP',
      description: 'Labelled vip',
      active: true,
      customersCount: 1,
      parts: [{ criteria: [{ type: 'customer_has_labels', labels: [{ key: 'vip' }] }] }],
    });
    expect(s2.customersCount).toBe(0);
    const list = await api.ok('GET', '/v1/segments?active=true');
    expect(list.data.map((s: { name: string }) => s.name)).toEqual(['VIP']);
    const mine = await api.ok('GET', `/v1/customers/${ana.id}/segments`);
    expect(mine.data).toEqual([expect.objectContaining({ id: s1.id, name: 'VIP' })]);

    expect(await api.ok('PATCH', `/v1/segments/${s2.id}`, { active: true })).toMatchObject({
      customersCount: 1,
    });
    expect(await api.ok('PATCH', `/v1/segments/${s1.id}`, { active: false })).toMatchObject({
      customersCount: 0,
    });
    expect((await api.ok('PATCH', `/v1/segments/${s2.id}`, { name: 'Now' })).name).toBe('Now');
    const clash = await api.call('PATCH', `/v1/segments/${s2.id}`, { name: 'vip' });
    expect(clash.json()).toMatchObject({ status: 409, code: 'name_taken' });
    await api.ok('DELETE', `/v1/segments/${s2.id}`);
    expectStatus(await api.call('GET', `/v1/segments/${s2.id}`), 404);
    expect((await api.events('segment.customer_removed')).filter((e) => e.segmentId === s2.id)).toHaveLength(
      1,
    );
  });

  it('names the failing field of a bad criterion; another tenant gets 404', async () => {
    const { api } = await setup();
    const bad = async (criterion: Record<string, unknown>) => {
      const response = await api.call('POST', '/v1/segments', {
        name: 'bad',
        parts: [{ criteria: [criterion] }],
      });
      expect(response.statusCode).toBe(422);
      return response.json().errors.map((e: { path: string }) => e.path);
    };
    expect(await bad({ type: 'transaction_count' })).toEqual(['body.parts.0.criteria.0']);
    expect(await bad({ type: 'total_spent', min: 10, max: 5 })).toEqual(['body.parts.0.criteria.0.max']);
    expect(await bad({ type: 'tier_in', tierIds: ['01936f4e-8b1a-7c3d-9e2f-1a2b3c4d5e6f'] })).toEqual([
      'body.parts.0.criteria.0.tierIds.0',
    ]);
    expect(await bad({ type: 'points_balance', min: 1.234 })).toEqual(['body.parts.0.criteria.0.min']);
    expect((await bad({ type: 'bought_skus' })).length).toBeGreaterThan(0);
    expect((await bad({ type: 'shoe_size', size: 42 })).length).toBeGreaterThan(0);
    expect((await bad({ type: 'bought_skus', skus: ['A'], colour: 'red' })).length).toBeGreaterThan(0);
    expectStatus(await api.call('POST', '/v1/segments', { name: 'empty', parts: [] }), 422);

    const segment = await api.segment({ parts: [{ criteria: [{ type: 'transaction_count', min: 1 }] }] });
    const other = audienceClient(ctx, await ctx.createOrganization());
    expectStatus(await other.call('GET', `/v1/segments/${segment.id}`), 404);
    expectStatus(await other.call('GET', `/v1/segments/${segment.id}/customers`), 404);
    expectStatus(await other.call('POST', `/v1/segments/${segment.id}/recompute`), 404);
    expectStatus(await other.call('DELETE', `/v1/segments/${segment.id}`), 404);
    const member = await api.member();
    expectStatus(await other.call('GET', `/v1/customers/${member.id}/segments`), 404);
  });
});

function pendingBody(customerId: string, documentNumber: string) {
  return {
    documentNumber,
    totals: { total: 9000 },
    lines: [{ sku: 'MENU', name: 'Menu del día', total: 9000 }],
    customer: { customerId },
  };
}
