import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, expectStatus, type TestContext } from '../../../test/support/context.ts';
import { dinner, rewardsApi } from '../../../test/support/rewards.ts';
import { verifyLedger } from '../ledger/verify.ts';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

type Api = ReturnType<typeof rewardsApi>;
interface Line {
  rewardId: string;
  lineId: string | null;
  sku: string | null;
  appliesTo: string;
  amount: number;
  percent: number | null;
}

async function setup() {
  const org = await ctx.createOrganization();
  const api = rewardsApi(ctx, org);
  return { org, api, member: await api.member(500) };
}

async function validate(api: Api, member: string, rewards: object[], order: object = dinner('V-1')) {
  return api.ok(api.redeem({ customerId: member, order, rewards, mode: 'validate' }), 200);
}

const eventTypes = async (api: Api) =>
  ((await api.get('/v1/events?limit=100')).json().data as Array<{ type: string }>)
    .map((event) => event.type)
    .filter((type) => type.startsWith('redemption.') || type.startsWith('coupon.'));

describe('what each reward type takes off a realistic ticket', () => {
  it('a percentage on two eligible lines of five', async () => {
    const { api, member } = await setup();
    const mains = await api.reward({
      type: 'percentage_discount',
      value: 10,
      scope: { categories: ['mains'] },
    });
    const result = await validate(api, member, [{ rewardId: mains.id }]);
    expect(result).toMatchObject({
      id: null,
      status: 'validated',
      valid: true,
      totalDiscount: 214,
      orderTotal: 3450,
    });
    expect(result.totalAfterDiscount).toBe(3236);
    expect(result.discounts.map((d: Line) => [d.lineId, d.sku, d.amount, d.percent])).toEqual([
      ['L1', 'BURGER', 125, 10],
      ['L2', 'PIZZA', 89, 10],
    ]);
  });

  it('an amount larger than the ticket is capped at the ticket', async () => {
    const { api, member } = await setup();
    const big = await api.reward({ type: 'amount_discount', value: 5000 });
    const result = await validate(api, member, [{ rewardId: big.id }]);
    expect(result.totalDiscount).toBe(3450);
    expect(result.discounts).toEqual([
      expect.objectContaining({ appliesTo: 'ticket', lineId: null, amount: 3450, type: 'amount_discount' }),
    ]);
  });

  it('2x1 takes the cheaper unit', async () => {
    const { api, member } = await setup();
    const twoForOne = await api.reward({ type: 'bogo', scope: { categories: ['mains'] } });
    const result = await validate(api, member, [{ rewardId: twoForOne.id }]);
    expect(result.discounts.map((d: Line) => [d.lineId, d.amount])).toEqual([['L2', 890]]);
  });

  it('a free product lands on the matching line', async () => {
    const { api, member } = await setup();
    const coffee = await api.reward({ type: 'free_product', scope: { skus: ['COFFEE'] }, costPoints: 50 });
    const result = await validate(api, member, [{ rewardId: coffee.id }]);
    expect(result.discounts.map((d: Line) => [d.lineId, d.sku, d.amount])).toEqual([['L4', 'COFFEE', 180]]);
    expect(result.rewards[0]).toMatchObject({ applied: true, points: 50 });
    expect(result.pointsCharged).toBe(50);
  });

  it('free delivery, cashback, and a gift coupon at the till', async () => {
    const { api, member } = await setup();
    const delivery = await api.reward({ type: 'free_delivery' });
    const cashback = await api.reward({ type: 'cashback', value: 2 }); // 0.02 € per point
    const order = dinner('V-2', { channel: 'delivery', totals: { total: 3749, deliveryFee: 299 } });
    const result = await validate(
      api,
      member,
      [{ rewardId: delivery.id }, { rewardId: cashback.id, points: 100 }],
      order,
    );
    expect(result.rewards.map((r: { discount: number }) => r.discount)).toEqual([299, 200]);
    expect(result.rewards[1]).toMatchObject({ points: 100, type: 'cashback' });
    expect(result.discounts[0]).toMatchObject({ appliesTo: 'delivery', amount: 299 });
  });

  it('finds rewards by posCode and explains what cannot apply', async () => {
    const { api, member } = await setup();
    await api.reward({ type: 'percentage_discount', value: 10, posCode: 'DIEZ', minimumOrder: 5000 });
    await api.reward({ type: 'amount_discount', value: 300, posCode: 'TRES', scope: { skus: ['WINE'] } });
    const result = await validate(api, member, [
      { posCode: 'DIEZ' },
      { rewardId: 'TRES' },
      { rewardId: 'NOPE' },
    ]);
    expect(result.valid).toBe(false);
    expect(result.rewards.map((r: { reasons: { code: string }[] }) => r.reasons.map((x) => x.code))).toEqual([
      ['minimum_order_not_met'],
      ['no_eligible_lines'],
      ['reward_not_found'],
    ]);
  });
});

describe('combining rewards on one order', () => {
  it('non-stackable rewards exclude each other with a clear reason', async () => {
    const { api, member } = await setup();
    const exclusive = await api.reward({
      type: 'percentage_discount',
      name: 'Half price',
      value: 50,
      stackable: false,
    });
    const coffee = await api.reward({
      type: 'free_product',
      name: 'Free coffee',
      scope: { skus: ['COFFEE'] },
    });
    const result = await validate(api, member, [{ rewardId: exclusive.id }, { rewardId: coffee.id }]);
    expect(result.rewards[0]).toMatchObject({ applied: true, discount: 1725 });
    expect(result.rewards[1]).toMatchObject({
      applied: false,
      reasons: [{ code: 'not_stackable', message: '"Half price" cannot be combined with other rewards' }],
    });

    const refused = await api.redeem({
      customerId: member,
      order: dinner('S-1'),
      rewards: [{ rewardId: exclusive.id }, { rewardId: coffee.id }],
      mode: 'reserve',
    });
    expectStatus(refused, 422);
    expect(refused.json()).toMatchObject({
      code: 'redemption_not_applicable',
      errors: [{ path: 'body.rewards.1', message: expect.stringMatching(/^not_stackable/) }],
    });
    expect(await api.points(member)).toMatchObject({ active: 500, blocked: 0 });
  });

  it('the same reward twice only when it allows repeats', async () => {
    const { api, member } = await setup();
    const once = await api.reward({ type: 'free_product', scope: { skus: ['COFFEE'] } });
    const repeat = await api.reward({ type: 'free_product', scope: { skus: ['COFFEE'] }, allowRepeat: true });
    const single = await validate(api, member, [{ rewardId: once.id }, { rewardId: once.id }]);
    expect(single.rewards[1].reasons[0].code).toBe('repeat_not_allowed');
    const twice = await validate(api, member, [{ rewardId: repeat.id }, { rewardId: repeat.id }]);
    expect(twice.totalDiscount).toBe(360);
  });
});

describe('validate, reserve, commit, release', () => {
  it('validate writes nothing; reserve holds; commit charges', async () => {
    const { org, api, member } = await setup();
    const coffee = await api.reward({
      type: 'free_product',
      scope: { skus: ['COFFEE'] },
      costPoints: 50,
      totalLimit: 10,
    });
    await validate(api, member, [{ rewardId: coffee.id }]);
    expect(await api.points(member)).toMatchObject({ active: 500, blocked: 0 });
    expect((await api.get('/v1/redemptions')).json().data).toEqual([]);
    expect((await api.get(`/v1/rewards/${coffee.id}`)).json().usage.taken).toBe(0);

    const reserved = await api.ok(
      api.redeem({
        customerId: member,
        order: dinner('R-1'),
        rewards: [{ rewardId: coffee.id }],
        mode: 'reserve',
      }),
      201,
    );
    expect(reserved).toMatchObject({
      status: 'reserved',
      replayed: false,
      totalDiscount: 180,
      pointsCharged: 50,
    });
    const ttl = Date.parse(reserved.expiresAt) - Date.parse(reserved.reservedAt);
    expect(ttl).toBe(15 * 60 * 1000);
    expect(await api.points(member)).toMatchObject({ active: 450, blocked: 50 });
    expect((await api.get(`/v1/rewards/${coffee.id}`)).json().usage).toEqual({ taken: 1, left: 9 });

    const committed = await api.ok(api.post(`/v1/redemptions/${reserved.id}/commit`), 200);
    expect(committed).toMatchObject({ id: reserved.id, status: 'committed', replayed: false });
    expect(await api.points(member)).toMatchObject({ active: 450, blocked: 0, spent: 50 });
    const again = await api.ok(api.post(`/v1/redemptions/${reserved.id}/commit`), 200);
    expect(again).toMatchObject({ status: 'committed', replayed: true });
    expect(await api.points(member)).toMatchObject({ spent: 50 });
    expect(await eventTypes(api)).toEqual(['redemption.reserved', 'redemption.committed']);
    const committedEvent = (await api.get('/v1/events?type=redemption.committed')).json().data[0];
    expect(committedEvent.payload).toMatchObject({
      redemptionId: reserved.id,
      orderId: 'R-1',
      customerId: member,
      rewards: [{ rewardId: coffee.id, discount: 180, points: 50 }],
    });
    expect((await verifyLedger(ctx.database.db, { organizationId: org.id })).mismatches).toEqual([]);
  });

  it('release gives back a reservation, and refunds a committed redemption', async () => {
    const { org, api, member } = await setup();
    const tenOff = await api.reward({ type: 'amount_discount', value: 1000, costPoints: 100, totalLimit: 1 });
    const reserved = await api.ok(
      api.redeem({
        customerId: member,
        order: dinner('R-2'),
        rewards: [{ rewardId: tenOff.id }],
        mode: 'reserve',
      }),
      201,
    );
    const released = await api.ok(api.post(`/v1/redemptions/${reserved.id}/release`), 200);
    expect(released).toMatchObject({ status: 'released', releaseReason: 'released' });
    expect(await api.points(member)).toMatchObject({ active: 500, blocked: 0 });
    expect((await api.get(`/v1/rewards/${tenOff.id}`)).json().usage.taken).toBe(0);
    const late = await api.post(`/v1/redemptions/${reserved.id}/commit`);
    expectStatus(late, 409);
    expect(late.json().code).toBe('redemption_released');

    // The order can be redeemed again once its redemption was released.
    const committed = await api.ok(
      api.redeem({
        customerId: member,
        order: dinner('R-2'),
        rewards: [{ rewardId: tenOff.id }],
        mode: 'commit',
      }),
      201,
    );
    expect(committed.id).not.toBe(reserved.id);
    expect(await api.points(member)).toMatchObject({ active: 400, spent: 100 });
    const refunded = await api.ok(api.post(`/v1/redemptions/${committed.id}/release`), 200);
    expect(refunded.status).toBe('released');
    expect(await api.points(member)).toMatchObject({ active: 500 });
    expect((await api.get(`/v1/rewards/${tenOff.id}`)).json().usage.taken).toBe(0);
    const event = (await api.get('/v1/events?type=redemption.released')).json().data;
    expect(event.map((e: { payload: { refunded: boolean } }) => e.payload.refunded)).toEqual([false, true]);
    expect((await verifyLedger(ctx.database.db, { organizationId: org.id })).mismatches).toEqual([]);
  });

  it('one redemption per order: repeats return the first and charge nothing again', async () => {
    const { org, api, member } = await setup();
    const coffee = await api.reward({ type: 'free_product', scope: { skus: ['COFFEE'] }, costPoints: 50 });
    const body = { customerId: member, order: dinner('ORDER-77'), rewards: [{ rewardId: coffee.id }] };
    const first = await api.ok(api.redeem({ ...body, mode: 'reserve' }), 201);
    const retry = await api.ok(api.redeem({ ...body, mode: 'reserve' }), 200);
    expect(retry).toMatchObject({ id: first.id, replayed: true, status: 'reserved' });
    // Commit with the same body commits the reservation.
    const committed = await api.ok(api.redeem({ ...body, mode: 'commit' }), 201);
    expect(committed).toMatchObject({ id: first.id, status: 'committed' });
    for (const mode of ['commit', 'reserve', 'validate']) {
      const again = await api.ok(api.redeem({ ...body, mode }), 200);
      expect(again).toMatchObject({ id: first.id, status: 'committed', replayed: true });
    }
    expect(await api.points(member)).toMatchObject({ active: 450, spent: 50 });
    const list = (await api.get('/v1/redemptions?orderId=ORDER-77')).json().data;
    expect(list).toHaveLength(1);
    expect((await verifyLedger(ctx.database.db, { organizationId: org.id })).mismatches).toEqual([]);
  });

  it('redeems a claimed coupon at checkout, once', async () => {
    const { api, member } = await setup();
    const other = await api.member();
    const coffee = await api.reward({ type: 'free_product', scope: { skus: ['COFFEE'] }, costPoints: 50 });
    const claim = await api.ok(api.post(`/v1/customers/${member}/rewards/${coffee.id}/claim`, {}), 201);
    const code = claim.coupons[0].code;
    expect(await api.points(member)).toMatchObject({ active: 450 });

    const listed = await api.available(member);
    expect(listed.data[0]).toMatchObject({ canRedeem: true, pointsRequired: 0, coupons: [{ code }] });

    const foreign = await validate(api, other, [{ couponCode: code }]);
    expect(foreign.rewards[0].reasons[0].code).toBe('coupon_of_another_member');

    const reserved = await api.ok(
      api.redeem({
        customerId: member,
        order: dinner('C-1'),
        rewards: [{ couponCode: code }],
        mode: 'reserve',
      }),
      201,
    );
    expect(reserved).toMatchObject({ pointsCharged: 0, totalDiscount: 180 });
    expect(reserved.rewards[0]).toMatchObject({ couponCode: code, points: 0 });
    // Held by the reservation: another order cannot take it.
    const elsewhere = await validate(api, member, [{ couponCode: code }], dinner('C-2'));
    expect(elsewhere.rewards[0].reasons[0].code).toBe('coupon_held');
    await api.ok(api.post(`/v1/redemptions/${reserved.id}/commit`), 200);
    const coupon = (await api.get(`/v1/coupons?code=${code}`)).json().data[0];
    expect(coupon).toMatchObject({ status: 'used', redemptionId: reserved.id });
    const reused = await validate(api, member, [{ couponCode: code }], dinner('C-3'));
    expect(reused.rewards[0].reasons[0].code).toBe('coupon_used');
    expect(await eventTypes(api)).toEqual([
      'coupon.issued',
      'redemption.reserved',
      'redemption.committed',
      'coupon.used',
    ]);

    // Releasing the redemption gives the coupon back.
    await api.ok(api.post(`/v1/redemptions/${reserved.id}/release`), 200);
    expect((await api.get(`/v1/coupons/${coupon.id}`)).json()).toMatchObject({
      status: 'active',
      usable: true,
    });
  });

  it('finds the member by the card or phone the till has, as a lookup does', async () => {
    const { api, member } = await setup();
    const coffee = await api.reward({ type: 'free_product', scope: { skus: ['COFFEE'] } });
    const { loyaltyCardNumber } = (await api.get(`/v1/customers/${member}`)).json();
    await api.ok(api.call('PATCH', `/v1/customers/${member}`, { phone: '+34 611 22 33 44' }), 200);
    const byCard = await api.ok(
      api.redeem({
        customerId: loyaltyCardNumber,
        order: dinner('C-1'),
        rewards: [{ rewardId: coffee.id }],
        mode: 'commit',
      }),
      201,
    );
    const byPhone = await api.ok(
      api.redeem({
        customerId: '611223344',
        order: dinner('C-2'),
        rewards: [{ rewardId: coffee.id }],
        mode: 'commit',
      }),
      201,
    );
    expect([byCard.customerId, byPhone.customerId]).toEqual([member, member]);
  });

  it('answers 404 for unknown members and foreign redemptions, 422 for bad orders', async () => {
    const { api, member } = await setup();
    const other = rewardsApi(ctx, await ctx.createOrganization());
    const coffee = await api.reward({ type: 'free_product', scope: { skus: ['COFFEE'] } });
    expectStatus(
      await api.redeem({
        customerId: 'nobody@example.com',
        order: dinner('E-1'),
        rewards: [{ rewardId: coffee.id }],
        mode: 'commit',
      }),
      404,
    );
    const reserved = await api.ok(
      api.redeem({
        customerId: member,
        order: dinner('E-2'),
        rewards: [{ rewardId: coffee.id }],
        mode: 'reserve',
      }),
      201,
    );
    expectStatus(await other.get(`/v1/redemptions/${reserved.id}`), 404);
    expectStatus(await other.post(`/v1/redemptions/${reserved.id}/commit`), 404);
    expectStatus(await other.post(`/v1/redemptions/${reserved.id}/release`), 404);
    const duplicateLines = await api.redeem({
      customerId: member,
      order: {
        documentNumber: 'E-3',
        lines: [
          { lineId: 'a', total: 1 },
          { lineId: 'a', total: 2 },
        ],
      },
      rewards: [{ rewardId: coffee.id }],
    });
    expectStatus(duplicateLines, 422);
    expect(duplicateLines.json().errors[0].path).toBe('body.order.lines.1.lineId');
    const empty = await api.redeem({ customerId: member, order: dinner('E-4'), rewards: [] });
    expectStatus(empty, 422);
  });
});

describe('reservations that expire', () => {
  it('release their points, limits and coupons by themselves, on the next read', async () => {
    const { org, api, member } = await setup();
    const limited = await api.reward({ type: 'amount_discount', value: 500, costPoints: 100, totalLimit: 1 });
    const { redemptions } = ctx.services.rewards;
    const actor = { type: 'system' as const, id: null };
    const t0 = new Date('2026-06-01T12:00:00Z');
    const reserved = await redemptions.redeem(org.id, {
      customerId: member,
      order: dinner('X-1'),
      rewards: [{ rewardId: limited.id }],
      mode: 'reserve',
      ttlSeconds: 60,
      actor,
      now: t0,
    });
    expect(reserved.expiresAt).toEqual(new Date('2026-06-01T12:01:00Z'));
    const other = await api.member(500);
    const blocked = redemptions.redeem(org.id, {
      customerId: other,
      order: dinner('X-2'),
      rewards: [{ rewardId: limited.id }],
      mode: 'reserve',
      actor,
      now: new Date('2026-06-01T12:00:59Z'),
    });
    await expect(blocked).rejects.toMatchObject({ code: 'reward_limit_reached' });

    // A minute later the slot is free again, without any scheduler having run.
    const later = new Date('2026-06-01T12:01:00Z');
    const second = await redemptions.redeem(org.id, {
      customerId: other,
      order: dinner('X-2'),
      rewards: [{ rewardId: limited.id }],
      mode: 'reserve',
      actor,
      now: later,
    });
    expect(second.status).toBe('reserved');
    const first = await redemptions.get(org.id, reserved.id!, later);
    expect(first).toMatchObject({ status: 'released', releaseReason: 'expired' });
    expect(await api.points(member)).toMatchObject({ active: 500, blocked: 0 });
    await expect(redemptions.commit(org.id, reserved.id!, actor, later)).rejects.toMatchObject({
      code: 'redemption_released',
    });

    // The scheduler does the same for reservations nobody looks at.
    const result = await ctx.services.rewards.processDue({ now: new Date('2026-06-01T13:00:00Z') });
    expect(result.reservationsReleased).toBeGreaterThanOrEqual(1);
    expect((await redemptions.get(org.id, second.id!)).status).toBe('released');
    expect(await api.points(other)).toMatchObject({ active: 500, blocked: 0 });
    expect((await verifyLedger(ctx.database.db, { organizationId: org.id })).mismatches).toEqual([]);
  });
  it('leave their order free: committing it after the time is up redeems it afresh', async () => {
    const { org, api, member } = await setup();
    const coffee = await api.reward({ type: 'free_product', scope: { skus: ['COFFEE'] }, costPoints: 50 });
    const { redemptions } = ctx.services.rewards;
    const actor = { type: 'system' as const, id: null };
    const redeem = (mode: 'reserve' | 'commit', now: string) =>
      redemptions.redeem(org.id, {
        customerId: member,
        order: dinner('L-1'),
        rewards: [{ rewardId: coffee.id }],
        mode,
        ttlSeconds: 60,
        actor,
        now: new Date(now),
      });
    const reserved = await redeem('reserve', '2026-06-01T12:00:00Z');
    const committed = await redeem('commit', '2026-06-01T12:01:00Z');
    expect(committed).toMatchObject({ status: 'committed', replayed: false });
    expect(committed.id).not.toBe(reserved.id);
    expect(await redemptions.get(org.id, reserved.id!)).toMatchObject({
      status: 'released',
      releaseReason: 'expired',
    });
    expect(await api.points(member)).toMatchObject({ active: 450, blocked: 0, spent: 50 });
  });
});

describe('the ticket of a redeemed order', () => {
  const ticket = (documentNumber: string, customerId: string, extra: Record<string, unknown> = {}) => ({
    documentNumber,
    customer: { customerId },
    totals: { total: 1070 },
    lines: [
      { lineId: 'L1', sku: 'BURGER', total: 1250 - 180 },
      { lineId: 'L4', sku: 'COFFEE', quantity: 2, total: 0 },
    ],
    ...extra,
  });

  it('is linked to the redemption and commits its reservation; members earn on what they paid', async () => {
    const { org, api, member } = await setup();
    await api.post('/v1/earning-rules', {
      name: '1 point per euro',
      type: 'spend',
      config: { pointsPerUnit: 1 },
    });
    const burgerOff = await api.reward({
      type: 'amount_discount',
      value: 180,
      scope: { skus: ['BURGER'] },
      costPoints: 20,
    });
    const reserved = await api.ok(
      api.redeem({
        customerId: member,
        order: { documentNumber: 'TK-1', lines: [{ lineId: 'L1', sku: 'BURGER', total: 1250 }] },
        rewards: [{ rewardId: burgerOff.id }],
        mode: 'reserve',
      }),
      201,
    );
    const sale = await api.ok(api.post('/v1/transactions', ticket('TK-1', member)), 201);
    expect(sale.pointsEarned).toBe(10.7);
    const linked = await api.ok(api.get(`/v1/redemptions/${reserved.id}`), 200);
    expect(linked).toMatchObject({ status: 'committed', transactionId: sale.transaction.id });
    expect(await api.points(member)).toMatchObject({ active: 490.7, blocked: 0, spent: 20 });
    expect((await verifyLedger(ctx.database.db, { organizationId: org.id })).mismatches).toEqual([]);
  });

  it('earns on the discounted amount too when the program says so', async () => {
    const { api, member } = await setup();
    expectStatus(
      await api.call('PATCH', '/v1/organization', { settings: { rewardDiscountsEarn: true } }),
      200,
    );
    await api.post('/v1/earning-rules', {
      name: '1 point per euro',
      type: 'spend',
      config: { pointsPerUnit: 1 },
    });
    const burgerOff = await api.reward({ type: 'amount_discount', value: 180, scope: { skus: ['BURGER'] } });
    await api.ok(
      api.redeem({
        customerId: member,
        order: { documentNumber: 'TK-2', lines: [{ lineId: 'L1', sku: 'BURGER', total: 1250 }] },
        rewards: [{ rewardId: burgerOff.id }],
        mode: 'commit',
      }),
      201,
    );
    const sale = await api.ok(api.post('/v1/transactions', ticket('TK-2', member)), 201);
    expect(sale.pointsEarned).toBe(12.5);
  });

  it('cancelling the ticket releases the redemption and refunds its points', async () => {
    const { org, api, member } = await setup();
    const coffee = await api.reward({ type: 'free_product', scope: { skus: ['COFFEE'] }, costPoints: 50 });
    const reserved = await api.ok(
      api.redeem({
        customerId: member,
        order: dinner('TK-3'),
        rewards: [{ rewardId: coffee.id }],
        mode: 'reserve',
      }),
      201,
    );
    await api.ok(api.post('/v1/transactions', ticket('TK-3', member)), 201);
    expect(await api.points(member)).toMatchObject({ spent: 50 });
    expectStatus(await api.post('/v1/transactions', { ...ticket('TK-3', member), status: 'cancelled' }), 200);
    const released = await api.ok(api.get(`/v1/redemptions/${reserved.id}`), 200);
    expect(released).toMatchObject({ status: 'released', releaseReason: 'ticket_cancelled' });
    expect(await api.points(member)).toMatchObject({ active: 500, blocked: 0 });
    expect((await verifyLedger(ctx.database.db, { organizationId: org.id })).mismatches).toEqual([]);
  });
});
