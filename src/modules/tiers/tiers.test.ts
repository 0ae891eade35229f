import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { audienceClient } from '../../../test/support/audience.ts';
import { createTestContext, expectStatus, type TestContext } from '../../../test/support/context.ts';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

const DAY = 86_400_000;

/** A ladder on total spent (minor units): Bronze from 0, Silver from 100.00, Gold ×1.5 from 500.00. */
async function ladder(api: ReturnType<typeof audienceClient>) {
  const bronze = await api.tier({ name: 'Bronze', conditionValue: 0 });
  const silver = await api.tier({ name: 'Silver', conditionValue: 10000, discountPercent: 5 });
  const gold = await api.tier({
    name: 'Gold',
    conditionValue: 50000,
    earningMultiplier: 1.5,
    discountPercent: 12.5,
    perks: ['Free dessert'],
  });
  return { bronze, silver, gold };
}

describe('/v1/tiers', () => {
  it('creates, lists with member counts, changes and deletes tiers; names are unique', async () => {
    const org = await ctx.createOrganization();
    const api = audienceClient(ctx, org);
    const { silver, gold } = await ladder(api);
    expect(gold).toMatchObject({
      name: 'Gold',
      conditionValue: 50000,
      earningMultiplier: 1.5,
      discountPercent: 12.5,
      perks: ['Free dessert'],
      active: true,
      sortOrder: 0,
      customersCount: 0,
    });
    await api.member();
    await api.member();
    const list = await api.ok('GET', '/v1/tiers');
    expect(
      list.data.map((t: { name: string; customersCount: number }) => [t.name, t.customersCount]),
    ).toEqual([
      ['Bronze', 2],
      ['Silver', 0],
      ['Gold', 0],
    ]);

    const clash = await api.call('POST', '/v1/tiers', { name: 'gold', conditionValue: 1 });
    expect(clash.statusCode).toBe(409);
    expect(clash.json()).toMatchObject({ code: 'name_taken', errors: [{ path: 'body.name' }] });

    const changed = await api.ok('PATCH', `/v1/tiers/${silver.id}`, { name: 'Plata', conditionValue: 20000 });
    expect(changed).toMatchObject({ name: 'Plata', conditionValue: 20000 });
    await api.ok('DELETE', `/v1/tiers/${silver.id}`);
    expectStatus(await api.call('GET', `/v1/tiers/${silver.id}`), 404);
  });

  it('rejects a money threshold with decimals, an unknown field, and answers 404 to another tenant', async () => {
    const org = await ctx.createOrganization();
    const api = audienceClient(ctx, org);
    const bad = await api.call('POST', '/v1/tiers', { name: 'X', conditionValue: 10.5 });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().errors).toEqual([expect.objectContaining({ path: 'body.conditionValue' })]);
    expectStatus(await api.call('POST', '/v1/tiers', { name: 'X', conditionValue: 1, color: 'red' }), 422);
    expectStatus(await api.call('POST', '/v1/tiers', { name: 'X', conditionValue: -1 }), 422);

    const tier = await api.tier({ name: 'Mine', conditionValue: 0 });
    const other = audienceClient(ctx, await ctx.createOrganization());
    expectStatus(await other.call('GET', `/v1/tiers/${tier.id}`), 404);
    expectStatus(await other.call('PATCH', `/v1/tiers/${tier.id}`, { name: 'Theirs' }), 404);
    expectStatus(await other.call('DELETE', `/v1/tiers/${tier.id}`), 404);
    const member = await api.member();
    expectStatus(await other.call('GET', `/v1/customers/${member.id}/tier`), 404);
    expectStatus(await other.call('POST', `/v1/customers/${member.id}/tier`, { tierId: tier.id }), 404);
  });
});

describe('automatic assignment', () => {
  it('places a new member, moves them up with tickets and down after a return, emitting tier.changed', async () => {
    const org = await ctx.createOrganization();
    const api = audienceClient(ctx, org);
    const { bronze, silver, gold } = await ladder(api);
    const ana = await api.member();
    expect(await api.tierOf(ana.id)).toBe('Bronze');

    const sale = await api.buy(ana.id, 30000);
    expect(await api.tierOf(ana.id)).toBe('Silver');
    await api.buy(ana.id, 25000);
    expect(await api.tierOf(ana.id)).toBe('Gold');
    await api.giveBack(sale.transaction.documentNumber, 10000);
    expect(await api.tierOf(ana.id)).toBe('Silver');

    const changes = (await api.events('tier.changed')).filter((e) => e.customerId === ana.id);
    expect(changes).toEqual([
      { customerId: ana.id, from: null, to: bronze.id, manual: false, reason: 'evaluation' },
      { customerId: ana.id, from: bronze.id, to: silver.id, manual: false, reason: 'evaluation' },
      { customerId: ana.id, from: silver.id, to: gold.id, manual: false, reason: 'evaluation' },
      { customerId: ana.id, from: gold.id, to: silver.id, manual: false, reason: 'evaluation' },
    ]);
  });

  it('applies the tier multiplier as its own breakdown line, and tier-targeted rules only to that tier', async () => {
    const org = await ctx.createOrganization();
    const api = audienceClient(ctx, org);
    const { gold } = await ladder(api);
    await api.ok('POST', '/v1/earning-rules', {
      name: '1 per euro',
      type: 'spend',
      config: { pointsPerUnit: 1 },
    });
    await api.ok('POST', '/v1/earning-rules', {
      name: 'Gold visit bonus',
      type: 'visit',
      config: { points: 5 },
      tierIds: [gold.id],
    });
    const ana = await api.member();
    const first = await api.buy(ana.id, 60000);
    // Gold is reached with this ticket: it earns as Bronze.
    expect(first.breakdown).toEqual([expect.objectContaining({ ruleType: 'spend', points: 600 })]);
    const second = await api.buy(ana.id, 1000);
    expect(second.breakdown).toEqual([
      expect.objectContaining({ ruleType: 'spend', points: 10 }),
      expect.objectContaining({ ruleName: 'Gold visit bonus', points: 5 }),
      expect.objectContaining({ ruleType: 'tier_multiplier', ruleId: gold.id, points: 7.5 }),
    ]);
    expect(second.pointsEarned).toBe(22.5);
  });

  it('leaves delivery fees and excluded SKUs and categories out of the spent basis when configured', async () => {
    const org = await ctx.createOrganization();
    const api = audienceClient(ctx, org);
    await ladder(api);
    await api.settings({
      tierExcludeDeliveryFee: true,
      tierExcludedSkus: ['GIFT-CARD'],
      tierExcludedCategories: ['tobacco'],
    });
    const ana = await api.member();
    await api.buy(ana.id, 19000, {
      totals: { total: 19000, deliveryFee: 5000 },
      lines: [
        { sku: 'MENU', total: 5000 },
        { sku: 'GIFT-CARD', total: 4000 },
        { sku: 'CIG', category: 'tobacco', total: 5000 },
      ],
    });
    const progress = await api.ok('GET', `/v1/customers/${ana.id}/tier-progress`);
    expect(progress).toMatchObject({ basis: 'total_spent', unit: 'money', value: 5000 });
    expect(await api.tierOf(ana.id)).toBe('Bronze');
  });
});

describe('manual assignment', () => {
  it('locks a member on a tier until removed; DELETE returns them to their automatic tier', async () => {
    const org = await ctx.createOrganization();
    const api = audienceClient(ctx, org);
    const { bronze, silver, gold } = await ladder(api);
    const ana = await api.member();
    const sale = await api.buy(ana.id, 15000);
    const assigned = await api.ok('POST', `/v1/customers/${ana.id}/tier`, { tierId: gold.id }, 200);
    expect(assigned).toMatchObject({
      tier: { id: gold.id, name: 'Gold' },
      automaticTier: { id: silver.id },
      manual: { tierId: gold.id, locked: true, expiresAt: null },
      value: 15000,
    });
    // Locked: the automatic tier follows the return, the member stays Gold and earns as Gold.
    await api.giveBack(sale.transaction.documentNumber, 15000);
    const locked = await api.ok('GET', `/v1/customers/${ana.id}/tier`);
    expect(locked).toMatchObject({ tier: { id: gold.id }, automaticTier: { id: bronze.id }, value: 0 });
    await api.ok('POST', '/v1/earning-rules', { name: 'visit', type: 'visit', config: { points: 10 } });
    expect((await api.buy(ana.id, 1000)).pointsEarned).toBe(15);

    const removed = await api.ok('DELETE', `/v1/customers/${ana.id}/tier`, undefined, 200);
    expect(removed).toMatchObject({ tier: { id: bronze.id }, manual: null });
    const changes = (await api.events('tier.changed')).filter((e) => e.customerId === ana.id);
    expect(changes.slice(1)).toEqual([
      { customerId: ana.id, from: bronze.id, to: silver.id, manual: false, reason: 'evaluation' },
      { customerId: ana.id, from: silver.id, to: gold.id, manual: true, reason: 'manual_assignment' },
      { customerId: ana.id, from: gold.id, to: bronze.id, manual: true, reason: 'manual_removed' },
    ]);
  });

  it('an unlocked assignment is a floor: the member still moves up on their own', async () => {
    const org = await ctx.createOrganization();
    const api = audienceClient(ctx, org);
    const { silver } = await ladder(api);
    const ana = await api.member();
    await api.ok('POST', `/v1/customers/${ana.id}/tier`, { tierId: silver.id, locked: false }, 200);
    expect(await api.tierOf(ana.id)).toBe('Silver');
    await api.buy(ana.id, 60000);
    expect(await api.tierOf(ana.id)).toBe('Gold');
  });

  it('ends at its expiry (fake clock): the scheduler returns the member to the automatic tier', async () => {
    const org = await ctx.createOrganization();
    const api = audienceClient(ctx, org);
    const { bronze, gold } = await ladder(api);
    const ana = await api.member();
    const expiresAt = new Date(Date.now() + 7 * DAY);
    await api.ok(
      'POST',
      `/v1/customers/${ana.id}/tier`,
      { tierId: gold.id, expiresAt: expiresAt.toISOString() },
      200,
    );
    expect(await api.tierOf(ana.id)).toBe('Gold');

    await ctx.services.audience.runScheduled(new Date(expiresAt.getTime() - 1000));
    expect((await ctx.services.tiers.memberTier(org.id, ana.id, new Date())).tier?.id).toBe(gold.id);
    const result = await ctx.services.audience.runScheduled(new Date(expiresAt.getTime() + 1000));
    expect(result.expired).toBeGreaterThanOrEqual(1);
    expect(await api.tierOf(ana.id)).toBe('Bronze');
    const last = (await api.events('tier.changed')).filter((e) => e.customerId === ana.id).at(-1);
    expect(last).toEqual({
      customerId: ana.id,
      from: gold.id,
      to: bronze.id,
      manual: false,
      reason: 'manual_expired',
    });
  });

  it('refuses an inactive or unknown tier and an expiry in the past', async () => {
    const org = await ctx.createOrganization();
    const api = audienceClient(ctx, org);
    const { gold } = await ladder(api);
    const ana = await api.member();
    const past = await api.call('POST', `/v1/customers/${ana.id}/tier`, {
      tierId: gold.id,
      expiresAt: '2020-01-01T00:00:00Z',
    });
    expect(past.statusCode).toBe(422);
    expect(past.json().errors[0].path).toBe('body.expiresAt');
    const unknown = await api.call('POST', `/v1/customers/${ana.id}/tier`, { tierId: ana.id });
    expect(unknown.json().errors[0].path).toBe('body.tierId');
    await api.ok('PATCH', `/v1/tiers/${gold.id}`, { active: false });
    expect((await api.call('POST', `/v1/customers/${ana.id}/tier`, { tierId: gold.id })).statusCode).toBe(
      422,
    );
    expectStatus(await api.call('POST', `/v1/customers/${gold.id}/tier`, { tierId: gold.id }), 404);
  });
});

describe('downgrade policies (fake clock, spent over a 30-day window)', () => {
  async function windowed(policy: Record<string, unknown>) {
    const org = await ctx.createOrganization();
    const api = audienceClient(ctx, org);
    await ladder(api);
    await api.settings({ tierBasis: 'spent_in_window', tierWindowDays: 30, ...policy });
    const ana = await api.member();
    await api.buy(ana.id, 20000);
    expect(await api.tierOf(ana.id)).toBe('Silver');
    const later = (days: number) => new Date(Date.now() + days * DAY);
    const recompute = (days: number) => ctx.services.audience.recomputeTiers(org.id, later(days));
    return { org, api, ana, later, recompute };
  }

  it('immediate: the member drops as soon as the window no longer reaches the threshold', async () => {
    const { api, ana, recompute } = await windowed({ tierDowngradePolicy: 'immediate' });
    await recompute(20);
    expect(await api.tierOf(ana.id)).toBe('Silver');
    await recompute(40);
    expect(await api.tierOf(ana.id)).toBe('Bronze');
  });

  it('never: the member keeps the tier; progress says what keeping it needs', async () => {
    const { org, api, ana, later, recompute } = await windowed({ tierDowngradePolicy: 'never' });
    await recompute(40);
    await recompute(400);
    expect(await api.tierOf(ana.id)).toBe('Silver');
    const progress = await ctx.services.tiers.progress(org.id, ana.id, later(400));
    expect(progress).toMatchObject({ value: 0, missingToKeep: 10000, downgradeAt: null });
    expect(progress.current?.name).toBe('Silver');
  });

  it('after_days: the member keeps the tier for N days below the threshold, then drops', async () => {
    const { org, api, ana, later, recompute } = await windowed({
      tierDowngradePolicy: 'after_days',
      tierDowngradeDays: 10,
    });
    await recompute(40);
    expect(await api.tierOf(ana.id)).toBe('Silver');
    const progress = await ctx.services.tiers.progress(org.id, ana.id, later(45));
    expect(progress.belowSince?.getTime()).toBeCloseTo(later(40).getTime(), -4);
    expect(progress.downgradeAt!.getTime() - progress.belowSince!.getTime()).toBe(10 * DAY);
    await recompute(49);
    expect(await api.tierOf(ana.id)).toBe('Silver');
    await recompute(51);
    expect(await api.tierOf(ana.id)).toBe('Bronze');
  });

  it('after_days: getting back above the threshold in time cancels the countdown', async () => {
    const { org, api, ana, later, recompute } = await windowed({
      tierDowngradePolicy: 'after_days',
      tierDowngradeDays: 10,
    });
    await recompute(40);
    await api.buy(ana.id, 15000, { purchasedAt: later(45).toISOString() });
    await recompute(46);
    const progress = await ctx.services.tiers.progress(org.id, ana.id, later(46));
    expect(progress).toMatchObject({ belowSince: null, downgradeAt: null, missingToKeep: 0 });
    await recompute(60);
    expect(await api.tierOf(ana.id)).toBe('Silver');
  });
});

describe('points bases', () => {
  it('lifetime points: manual credits count at once, spending does not lower the tier', async () => {
    const org = await ctx.createOrganization();
    const api = audienceClient(ctx, org);
    await api.settings({ tierBasis: 'lifetime_points' });
    await api.tier({ name: 'Fan', conditionValue: 0 });
    await api.tier({ name: 'Star', conditionValue: 100.5 });
    await api.ok('POST', '/v1/earning-rules', {
      name: '1 per euro',
      type: 'spend',
      config: { pointsPerUnit: 1 },
    });
    const ana = await api.member();
    await api.buy(ana.id, 5000);
    expect(await api.tierOf(ana.id)).toBe('Fan');
    await api.ok('POST', `/v1/customers/${ana.id}/points/add`, { points: 50.5, reason: 'welcome' });
    expect(await api.tierOf(ana.id)).toBe('Star');
    await api.ok('POST', `/v1/customers/${ana.id}/points/spend`, { points: 80, reason: 'dinner' });
    expect(await api.tierOf(ana.id)).toBe('Star');
    const progress = await api.ok('GET', `/v1/customers/${ana.id}/tier-progress`);
    expect(progress).toMatchObject({
      basis: 'lifetime_points',
      unit: 'points',
      value: 100.5,
      currentTier: { name: 'Star', conditionValue: 100.5 },
      nextTier: null,
      missingForNext: null,
      keep: { policy: 'immediate', required: 100.5, missing: 0 },
    });
  });

  it('active points: spending below the threshold downgrades (immediate)', async () => {
    const org = await ctx.createOrganization();
    const api = audienceClient(ctx, org);
    await api.settings({ tierBasis: 'active_points' });
    await api.tier({ name: 'Fan', conditionValue: 0 });
    await api.tier({ name: 'Star', conditionValue: 100 });
    const ana = await api.member();
    await api.ok('POST', `/v1/customers/${ana.id}/points/add`, { points: 120, reason: 'welcome' });
    expect(await api.tierOf(ana.id)).toBe('Star');
    await api.ok('POST', `/v1/customers/${ana.id}/points/spend`, { points: 30, reason: 'dinner' });
    expect(await api.tierOf(ana.id)).toBe('Fan');
  });

  it('points in a window: credits older than the window stop counting (fake clock)', async () => {
    const org = await ctx.createOrganization();
    const api = audienceClient(ctx, org);
    await api.settings({ tierBasis: 'points_in_window', tierWindowDays: 90 });
    await api.tier({ name: 'Star', conditionValue: 10 });
    const ana = await api.member();
    await api.ok('POST', `/v1/customers/${ana.id}/points/add`, { points: 10, reason: 'welcome' });
    expect(await api.tierOf(ana.id)).toBe('Star');
    await ctx.services.audience.recomputeTiers(org.id, new Date(Date.now() + 100 * DAY));
    expect(await api.tierOf(ana.id)).toBe(null);
  });
});

describe('progress and ladder changes', () => {
  it('tells the next tier and what is missing; a deleted or deactivated tier moves its members', async () => {
    const org = await ctx.createOrganization();
    const api = audienceClient(ctx, org);
    const { silver, gold } = await ladder(api);
    const ana = await api.member();
    await api.buy(ana.id, 12345);
    const progress = await api.ok('GET', `/v1/customers/${ana.id}/tier-progress`);
    expect(progress).toMatchObject({
      unit: 'money',
      currency: 'EUR',
      windowDays: null,
      value: 12345,
      currentTier: { id: silver.id, discountPercent: 5 },
      nextTier: { id: gold.id, conditionValue: 50000, earningMultiplier: 1.5 },
      missingForNext: 37655,
      keep: { required: 10000, missing: 0, belowSince: null, downgradeAt: null },
      manual: null,
    });
    await api.ok('PATCH', `/v1/tiers/${silver.id}`, { active: false });
    expect(await api.tierOf(ana.id)).toBe('Bronze');
    await api.ok('PATCH', `/v1/tiers/${gold.id}`, { conditionValue: 12000 });
    expect(await api.tierOf(ana.id)).toBe('Gold');
    const members = await api.ok('GET', `/v1/tiers/${gold.id}/customers`);
    expect(members.data).toEqual([expect.objectContaining({ customerId: ana.id, email: ana.email })]);
    await api.ok('DELETE', `/v1/tiers/${gold.id}`);
    expect(await api.tierOf(ana.id)).toBe('Bronze');
    expect(await api.ok('POST', '/v1/tiers/recompute', undefined, 200)).toEqual({ evaluated: 1, changed: 0 });
  });
});
