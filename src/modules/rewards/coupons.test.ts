import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, expectStatus, type TestContext } from '../../../test/support/context.ts';
import { rewardsApi } from '../../../test/support/rewards.ts';
import { verifyLedger } from '../ledger/verify.ts';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

async function eventsOf(api: ReturnType<typeof rewardsApi>, type: string) {
  return (await api.get(`/v1/events?type=${type}&limit=100`)).json().data;
}

describe('claiming a reward', () => {
  it('spends the points and issues the coupons, with events', async () => {
    const org = await ctx.createOrganization();
    const api = rewardsApi(ctx, org);
    const member = await api.member(120);
    const reward = await api.reward({
      type: 'free_product',
      name: 'Free coffee',
      scope: { skus: ['COFFEE'] },
      costPoints: 50,
      couponValidDays: 30,
    });
    const claim = await api.ok(
      api.post(`/v1/customers/${member}/rewards/${reward.id}/claim`, { quantity: 2 }),
      201,
    );
    expect(claim).toMatchObject({ rewardId: reward.id, customerId: member, quantity: 2, pointsSpent: 100 });
    expect(claim.coupons).toHaveLength(2);
    const [coupon] = claim.coupons;
    expect(coupon).toMatchObject({
      rewardName: 'Free coffee',
      status: 'active',
      usable: true,
      costPoints: 50,
      deliveryStatus: null,
    });
    expect(coupon.code).toMatch(/^[A-Z2-9]{10}$/);
    const days = (Date.parse(coupon.expiresAt) - Date.parse(coupon.activeFrom)) / 86_400_000;
    expect(Math.round(days)).toBe(30);
    expect(await api.points(member)).toMatchObject({ active: 20, spent: 100 });
    expect((await api.get(`/v1/rewards/${reward.id}`)).json().usage.taken).toBe(2);

    const [claimed] = await eventsOf(api, 'reward.claimed');
    expect(claimed.payload).toMatchObject({
      rewardId: reward.id,
      customerId: member,
      quantity: 2,
      points: 100,
    });
    expect(await eventsOf(api, 'coupon.issued')).toHaveLength(2);

    // Not enough points for another.
    const broke = await api.post(`/v1/customers/${member}/rewards/${reward.id}/claim`, {});
    expectStatus(broke, 422);
    expect(broke.json().code).toBe('insufficient_points');
    expect((await api.get(`/v1/rewards/${reward.id}`)).json().usage.taken).toBe(2);
    expect((await verifyLedger(ctx.database.db, { organizationId: org.id })).mismatches).toEqual([]);
  });

  it('hands out pool codes and stops when they run out', async () => {
    const api = rewardsApi(ctx, await ctx.createOrganization());
    const member = await api.member();
    const reward = await api.reward({ type: 'discount_code', name: 'Cinema 2x1' });
    const empty = await api.post(`/v1/customers/${member}/rewards/${reward.id}/claim`, {});
    expectStatus(empty, 409);
    expect(empty.json().code).toBe('no_codes_left');
    await api.post(`/v1/rewards/${reward.id}/codes`, { codes: ['CINE-1', 'CINE-2'] });
    const claim = await api.ok(
      api.post(`/v1/customers/${member}/rewards/${reward.id}/claim`, { quantity: 2 }),
      201,
    );
    expect(claim.coupons.map((c: { code: string }) => c.code).sort()).toEqual(['CINE-1', 'CINE-2']);
    expectStatus(await api.post(`/v1/customers/${member}/rewards/${reward.id}/claim`, {}), 409);
    expect(await api.ok(api.get(`/v1/rewards/${reward.id}/codes`), 200)).toEqual({ codes: 2, available: 0 });
    const shop = await api.available(member, '?channel=shop');
    expect(shop.data[0]).toMatchObject({ canRedeem: false, reasons: [{ code: 'no_codes_left' }] });
  });

  it('refuses a reward the member cannot claim, with every reason', async () => {
    const api = rewardsApi(ctx, await ctx.createOrganization());
    const member = await api.member(10);
    const other = await api.member();
    const reward = await api.reward({ type: 'gift', channels: ['pos'], customerIds: [other], costPoints: 5 });
    const refused = await api.post(`/v1/customers/${member}/rewards/${reward.id}/claim`, {});
    expectStatus(refused, 422);
    expect(refused.json()).toMatchObject({ code: 'reward_not_available' });
    expect(refused.json().errors.map((e: { message: string }) => e.message.split(':')[0])).toEqual([
      'channel_not_allowed',
      'not_targeted',
    ]);
    const cashback = await api.reward({ type: 'cashback', value: 5 });
    expectStatus(await api.post(`/v1/customers/${member}/rewards/${cashback.id}/claim`, {}), 422);
    expect(await api.points(member)).toMatchObject({ active: 10 });
  });
});

describe('the coupon lifecycle', () => {
  it('active → used → active again; expired and waiting coupons cannot be used', async () => {
    const org = await ctx.createOrganization();
    const api = rewardsApi(ctx, org);
    const member = await api.member();
    const shop = await api.location();
    const reward = await api.reward({ type: 'custom', name: 'Meet the chef' });
    const [coupon] = (await api.ok(api.post(`/v1/customers/${member}/rewards/${reward.id}/claim`, {}), 201))
      .coupons;

    const used = await api.ok(
      api.post(`/v1/coupons/${coupon.id}/use`, { usedOn: 'T-2026-000123', locationId: shop }),
      200,
    );
    expect(used).toMatchObject({ status: 'used', usable: false, usedOn: 'T-2026-000123', locationId: shop });
    const twice = await api.post(`/v1/coupons/${coupon.id}/use`, {});
    expectStatus(twice, 409);
    expect(twice.json().errors[0].message).toMatch(/^coupon_used/);
    const [usedEvent] = await eventsOf(api, 'coupon.used');
    expect(usedEvent.payload).toMatchObject({ couponId: coupon.id, customerId: member });

    const back = await api.ok(api.post(`/v1/coupons/${coupon.id}/unuse`), 200);
    expect(back).toMatchObject({ status: 'active', usable: true, usedAt: null });
    expectStatus(await api.post(`/v1/coupons/${coupon.id}/unuse`), 409);

    // Listing and lookup by code, as a till does after scanning it.
    const found = (await api.get(`/v1/coupons?code=${coupon.code}`)).json().data;
    expect(found.map((c: { id: string }) => c.id)).toEqual([coupon.id]);
    expect((await api.get(`/v1/coupons?customerId=${member}&status=active`)).json().data).toHaveLength(1);
  });

  it('a used coupon given back twice at once comes back once, with one event', async () => {
    const org = await ctx.createOrganization();
    const api = rewardsApi(ctx, org);
    const member = await api.member();
    const reward = await api.reward({ type: 'custom', name: 'Meet the chef' });
    const { coupons } = (await api.ok(
      api.post(`/v1/customers/${member}/rewards/${reward.id}/claim`, { quantity: 20 }),
      201,
    )) as { coupons: Array<{ id: string }> };
    for (const coupon of coupons) await api.ok(api.post(`/v1/coupons/${coupon.id}/use`, {}), 200);
    const pairs = await Promise.all(
      coupons.map((coupon) =>
        Promise.all([api.post(`/v1/coupons/${coupon.id}/unuse`), api.post(`/v1/coupons/${coupon.id}/unuse`)]),
      ),
    );
    for (const pair of pairs) expect(pair.map((response) => response.statusCode).sort()).toEqual([200, 409]);
    expect(await eventsOf(api, 'coupon.unused')).toHaveLength(20);
  });

  it('coupons wait their delay and expire after their validity, even before the scheduler runs', async () => {
    const org = await ctx.createOrganization();
    const api = rewardsApi(ctx, org);
    const member = await api.member();
    const reward = await api.reward({ type: 'custom', couponDelayDays: 1, couponValidDays: 2 });
    const claimedAt = new Date('2026-05-04T10:00:00Z');
    const { coupons } = ctx.services.rewards;
    const claim = await coupons.claim(org.id, member, reward.id, {
      actor: { type: 'system', id: null },
      now: claimedAt,
    });
    const coupon = claim.coupons[0]!;
    expect(coupon.activeFrom).toEqual(new Date('2026-05-05T10:00:00Z'));
    expect(coupon.expiresAt).toEqual(new Date('2026-05-07T10:00:00Z'));

    const tooEarly = coupons.use(org.id, coupon.id, { now: new Date('2026-05-05T09:59:00Z') });
    await expect(tooEarly).rejects.toMatchObject({ code: 'coupon_not_usable' });
    const tooLate = coupons.use(org.id, coupon.id, { now: new Date('2026-05-07T10:00:00Z') });
    await expect(tooLate).rejects.toMatchObject({
      code: 'coupon_not_usable',
      message: 'the coupon has expired',
    });
    const listed = await coupons.list(
      org.id,
      { status: 'expired' },
      { limit: 10, afterId: undefined },
      new Date('2026-05-08T00:00:00Z'),
    );
    expect(listed.map((c) => c.id)).toEqual([coupon.id]);

    // The scheduler writes it down.
    const processed = await ctx.services.rewards.processDue({ now: new Date('2026-05-08T00:00:00Z') });
    expect(processed.couponsExpired).toBeGreaterThanOrEqual(1);
    expect((await api.get(`/v1/coupons/${coupon.id}`)).json()).toMatchObject({
      status: 'expired',
      usable: false,
    });
  });

  it('gifts carry a delivery status', async () => {
    const api = rewardsApi(ctx, await ctx.createOrganization());
    const member = await api.member(200);
    const gift = await api.reward({ type: 'gift', name: 'Tote bag', costPoints: 150 });
    const [coupon] = (await api.ok(api.post(`/v1/customers/${member}/rewards/${gift.id}/claim`, {}), 201))
      .coupons;
    expect(coupon.deliveryStatus).toBe('ordered');
    for (const status of ['shipped', 'delivered']) {
      const changed = await api.ok(api.post(`/v1/coupons/${coupon.id}/delivery-status`, { status }), 200);
      expect(changed.deliveryStatus).toBe(status);
    }
    expect((await api.get('/v1/coupons?deliveryStatus=delivered')).json().data).toHaveLength(1);
    const [event] = await eventsOf(api, 'coupon.delivery_status_changed');
    expect(event.payload).toMatchObject({ couponId: coupon.id });

    const coffee = await api.reward({ type: 'custom' });
    const [plain] = (await api.ok(api.post(`/v1/customers/${member}/rewards/${coffee.id}/claim`, {}), 201))
      .coupons;
    expectStatus(await api.post(`/v1/coupons/${plain.id}/delivery-status`, { status: 'shipped' }), 422);
    expectStatus(await api.post(`/v1/coupons/${plain.id}/delivery-status`, { status: 'lost' }), 422);
  });

  it('two delivery changes of one gift at once: the second event starts where the first ended', async () => {
    const api = rewardsApi(ctx, await ctx.createOrganization());
    const member = await api.member(100);
    const gift = await api.reward({ type: 'gift', name: 'Apron', costPoints: 1 });
    const { coupons } = (await api.ok(
      api.post(`/v1/customers/${member}/rewards/${gift.id}/claim`, { quantity: 20 }),
      201,
    )) as { coupons: Array<{ id: string }> };
    await Promise.all(
      coupons.flatMap((coupon) => [
        api.ok(api.post(`/v1/coupons/${coupon.id}/delivery-status`, { status: 'shipped' }), 200),
        api.ok(api.post(`/v1/coupons/${coupon.id}/delivery-status`, { status: 'cancelled' }), 200),
      ]),
    );
    const events: Array<{ payload: { couponId: string; from: string; to: string } }> = await eventsOf(
      api,
      'coupon.delivery_status_changed',
    );
    for (const coupon of coupons) {
      const changes = events.map((event) => event.payload).filter((change) => change.couponId === coupon.id);
      const first = changes.find((change) => change.from === 'ordered');
      const second = changes.find((change) => change !== first);
      expect(second?.from).toBe(first?.to);
      const now = (await api.get(`/v1/coupons/${coupon.id}`)).json();
      expect(now.deliveryStatus).toBe(second?.to);
    }
  });

  it("another organization's coupon is not found", async () => {
    const api = rewardsApi(ctx, await ctx.createOrganization());
    const other = rewardsApi(ctx, await ctx.createOrganization());
    const member = await api.member();
    const reward = await api.reward({ type: 'custom' });
    const [coupon] = (await api.ok(api.post(`/v1/customers/${member}/rewards/${reward.id}/claim`, {}), 201))
      .coupons;
    expectStatus(await other.get(`/v1/coupons/${coupon.id}`), 404);
    expectStatus(await other.post(`/v1/coupons/${coupon.id}/use`, {}), 404);
    expect((await other.get(`/v1/coupons?code=${coupon.code}`)).json().data).toEqual([]);
  });
});
