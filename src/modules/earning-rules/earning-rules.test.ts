import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, expectStatus, type TestContext } from '../../../test/support/context.ts';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

const spendRule = {
  name: '2.3 points per euro',
  type: 'spend',
  config: { pointsPerUnit: 2.3, excludedSkus: ['TOBACCO'], excludeDeliveryFee: true, minimumOrder: 500 },
};

describe('earning rules', () => {
  it('creates a rule of every type and reads back points as decimals', async () => {
    const org = await ctx.createOrganization();
    const rules = [
      spendRule,
      {
        name: 'Croissant',
        type: 'product_purchase',
        config: { skus: ['CROISSANT'], points: 5, per: 'unit' },
      },
      { name: 'Double burgers', type: 'multiply_by_product', config: { skus: ['BURGER'], multiplier: 2 } },
      {
        name: 'Veggie ×1.5',
        type: 'multiply_by_label',
        config: { multipliers: [{ key: 'diet', value: 'veggie', multiplier: 1.5 }] },
      },
      { name: 'Birthday', type: 'event', config: { event: 'birthday', points: 50 } },
      {
        name: 'Review',
        type: 'custom_event',
        config: { eventName: 'left_review', points: 10 },
        limit: { count: 1, period: 'month' },
      },
      {
        name: 'Bring a friend',
        type: 'referral',
        config: { trigger: 'first_purchase', referrerPoints: 20, referredPoints: 10 },
      },
      { name: 'Table QR', type: 'qr_code', config: { code: 'TABLE-7', points: 1 } },
      {
        name: 'Nearby',
        type: 'geolocation',
        config: { latitude: 41.4, longitude: 2.17, radiusMeters: 150, points: 2 },
      },
      { name: 'Stamp', type: 'visit', config: { points: 1, minimumOrder: 800 } },
    ];
    for (const body of rules) {
      const created = await ctx.app.inject({
        method: 'POST',
        url: '/v1/earning-rules',
        headers: org.headers,
        payload: body,
      });
      expectStatus(created, 201);
      expect(created.json()).toMatchObject({ ...body, active: true, stackable: true, priority: 100 });
    }
    const stamp = (
      await ctx.app.inject({ method: 'GET', url: '/v1/earning-rules?type=visit', headers: org.headers })
    ).json();
    // A visit counts once per day unless the rule says otherwise.
    expect(stamp.data[0].limit).toEqual({ count: 1, period: 'day' });
  });

  it('rejects a config that does not fit its type, naming the field', async () => {
    const org = await ctx.createOrganization();
    const cases = [
      [{ name: 'x', type: 'spend', config: {} }, 'body.config.pointsPerUnit'],
      [{ name: 'x', type: 'spend', config: { pointsPerUnit: 2.345 } }, 'body.config.pointsPerUnit'],
      [{ name: 'x', type: 'spend', config: { pointsPerUnit: 1, colour: 'red' } }, 'body.config.colour'],
      [{ name: 'x', type: 'product_purchase', config: { skus: [], points: 1 } }, 'body.config.skus'],
      [{ name: 'x', type: 'event', config: { event: 'wedding', points: 1 } }, 'body.config.event'],
      [{ name: 'x', type: 'lottery', config: {} }, 'body.type'],
      [
        { name: 'x', type: 'visit', config: { points: 1 }, hours: { from: '25:00', to: '02:00' } },
        'body.hours.from',
      ],
      [
        {
          name: 'x',
          type: 'visit',
          config: { points: 1 },
          startsAt: '2026-12-01T00:00:00Z',
          endsAt: '2026-11-01T00:00:00Z',
        },
        'body.endsAt',
      ],
    ] as const;
    for (const [payload, path] of cases) {
      const response = await ctx.app.inject({
        method: 'POST',
        url: '/v1/earning-rules',
        headers: org.headers,
        payload,
      });
      expect(response.statusCode, JSON.stringify(payload)).toBe(422);
      expect(
        response.json().errors.map((e: { path: string }) => e.path),
        JSON.stringify(payload),
      ).toContain(path);
    }
    const list = await ctx.app.inject({ method: 'GET', url: '/v1/earning-rules', headers: org.headers });
    expect(list.json().data).toEqual([]);
  });

  it('changes, deactivates, reactivates and deletes a rule', async () => {
    const org = await ctx.createOrganization();
    const { id } = (
      await ctx.app.inject({
        method: 'POST',
        url: '/v1/earning-rules',
        headers: org.headers,
        payload: spendRule,
      })
    ).json();
    const patched = await ctx.app.inject({
      method: 'PATCH',
      url: `/v1/earning-rules/${id}`,
      headers: org.headers,
      payload: { config: { pointsPerUnit: 3 }, weekdays: [5, 6], hours: { from: '17:00', to: '19:00' } },
    });
    expectStatus(patched, 200);
    expect(patched.json()).toMatchObject({ config: { pointsPerUnit: 3 }, weekdays: [5, 6] });

    const off = await ctx.app.inject({
      method: 'POST',
      url: `/v1/earning-rules/${id}/deactivate`,
      headers: org.headers,
    });
    expect(off.json().active).toBe(false);
    expect(
      (
        await ctx.app.inject({ method: 'GET', url: '/v1/earning-rules?active=true', headers: org.headers })
      ).json().data,
    ).toEqual([]);
    const on = await ctx.app.inject({
      method: 'POST',
      url: `/v1/earning-rules/${id}/activate`,
      headers: org.headers,
    });
    expect(on.json().active).toBe(true);

    expect(
      (await ctx.app.inject({ method: 'DELETE', url: `/v1/earning-rules/${id}`, headers: org.headers }))
        .statusCode,
    ).toBe(204);
    expect(
      (await ctx.app.inject({ method: 'GET', url: `/v1/earning-rules/${id}`, headers: org.headers }))
        .statusCode,
    ).toBe(404);
  });

  it('serves the active rules from memory until a rule changes', async () => {
    const org = await ctx.createOrganization();
    const { id } = (
      await ctx.app.inject({
        method: 'POST',
        url: '/v1/earning-rules',
        headers: org.headers,
        payload: spendRule,
      })
    ).json();
    const first = await ctx.services.earningRules.activeRules(org.id);
    expect(await ctx.services.earningRules.activeRules(org.id)).toBe(first);
    await ctx.app.inject({ method: 'POST', url: `/v1/earning-rules/${id}/deactivate`, headers: org.headers });
    expect(await ctx.services.earningRules.activeRules(org.id)).toEqual([]);
  });

  it('refuses a rule that credits a point type the organization does not have, naming the field', async () => {
    const org = await ctx.createOrganization();
    const other = await ctx.createOrganization();
    const foreignType = (
      await ctx.app.inject({ method: 'GET', url: '/v1/point-types', headers: other.headers })
    ).json().data[0].id;
    for (const pointTypeId of [foreignType, '01936f4e-8b1a-7c3d-9e2f-1a2b3c4d5e6f']) {
      const created = await ctx.app.inject({
        method: 'POST',
        url: '/v1/earning-rules',
        headers: org.headers,
        payload: { ...spendRule, pointTypeId },
      });
      expectStatus(created, 422);
      expect(created.json().errors).toEqual([
        { path: 'body.pointTypeId', message: 'is not a point type of this organization' },
      ]);
    }
    const { id } = (
      await ctx.app.inject({
        method: 'POST',
        url: '/v1/earning-rules',
        headers: org.headers,
        payload: spendRule,
      })
    ).json();
    const patched = await ctx.app.inject({
      method: 'PATCH',
      url: `/v1/earning-rules/${id}`,
      headers: org.headers,
      payload: { pointTypeId: foreignType },
    });
    expectStatus(patched, 422);
  });

  it('a rule whose point type is deactivated earns nothing, and its tickets are still recorded', async () => {
    const org = await ctx.createOrganization();
    const call = (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) =>
      ctx.app.inject({ method, url, headers: org.headers, ...(payload ? { payload } : {}) });
    const stars = (await call('POST', '/v1/point-types', { name: 'Stars', code: 'stars' })).json();
    expectStatus(await call('POST', '/v1/earning-rules', { ...spendRule, name: 'Points' }), 201);
    expectStatus(
      await call('POST', '/v1/earning-rules', {
        name: 'A star per euro',
        type: 'spend',
        config: { pointsPerUnit: 1 },
        pointTypeId: stars.id,
      }),
      201,
    );
    const member = (
      await call('POST', '/v1/customers', { firstName: 'Ana', email: 'ana@example.com' })
    ).json();
    const ticket = (number: string) =>
      call('POST', '/v1/transactions', {
        documentNumber: number,
        totals: { total: 1000 },
        lines: [{ sku: 'MENU', name: 'Menu', total: 1000 }],
        customer: { customerId: member.id },
      });
    const ruleNames = async (number: string) => {
      const response = await ticket(number);
      expectStatus(response, 201);
      return response.json().breakdown.map((entry: { ruleName: string }) => entry.ruleName);
    };
    expect(await ruleNames('S-1')).toEqual(['Points', 'A star per euro']);
    expectStatus(await call('PATCH', `/v1/point-types/${stars.id}`, { active: false }), 200);
    expect(await ruleNames('S-2')).toEqual(['Points']);
    expectStatus(await call('PATCH', `/v1/point-types/${stars.id}`, { active: true }), 200);
    expect(await ruleNames('S-3')).toEqual(['Points', 'A star per euro']);
  });

  it('two changes at once never leave a rule ending before it starts', async () => {
    const org = await ctx.createOrganization();
    const patch = (id: string, payload: Record<string, string>) =>
      ctx.app.inject({ method: 'PATCH', url: `/v1/earning-rules/${id}`, headers: org.headers, payload });
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) {
      const created = await ctx.app.inject({
        method: 'POST',
        url: '/v1/earning-rules',
        headers: org.headers,
        payload: { ...spendRule, startsAt: '2030-01-01T00:00:00Z', endsAt: '2030-12-01T00:00:00Z' },
      });
      expectStatus(created, 201);
      ids.push(created.json().id);
    }
    // Each change alone fits the window; together they would cross it.
    const pairs = await Promise.all(
      ids.map((id) =>
        Promise.all([
          patch(id, { startsAt: '2030-09-01T00:00:00Z' }),
          patch(id, { endsAt: '2030-03-01T00:00:00Z' }),
        ]),
      ),
    );
    for (const [i, id] of ids.entries()) {
      const codes = pairs[i]!.map((response) => response.statusCode).sort();
      expect(codes).toEqual([200, 422]);
      const rule = (
        await ctx.app.inject({ method: 'GET', url: `/v1/earning-rules/${id}`, headers: org.headers })
      ).json();
      expect(Date.parse(rule.endsAt)).toBeGreaterThan(Date.parse(rule.startsAt));
    }
  });

  it('clears a start sent as null, so a new end before the old start is accepted', async () => {
    const org = await ctx.createOrganization();
    const created = await ctx.app.inject({
      method: 'POST',
      url: '/v1/earning-rules',
      headers: org.headers,
      payload: { ...spendRule, startsAt: '2030-06-01T00:00:00Z' },
    });
    expectStatus(created, 201);
    const changed = await ctx.app.inject({
      method: 'PATCH',
      url: `/v1/earning-rules/${created.json().id}`,
      headers: org.headers,
      payload: { startsAt: null, endsAt: '2030-03-01T00:00:00Z' },
    });
    expectStatus(changed, 200);
    expect(changed.json()).toMatchObject({ startsAt: null, endsAt: '2030-03-01T00:00:00.000Z' });
  });

  it("answers 404 for another organization's rule on every route", async () => {
    const owner = await ctx.createOrganization();
    const other = await ctx.createOrganization();
    const { id } = (
      await ctx.app.inject({
        method: 'POST',
        url: '/v1/earning-rules',
        headers: owner.headers,
        payload: spendRule,
      })
    ).json();
    for (const [method, url, payload] of [
      ['GET', `/v1/earning-rules/${id}`, undefined],
      ['PATCH', `/v1/earning-rules/${id}`, { name: 'stolen' }],
      ['DELETE', `/v1/earning-rules/${id}`, undefined],
      ['POST', `/v1/earning-rules/${id}/deactivate`, undefined],
    ] as const) {
      const response = await ctx.app.inject({
        method,
        url,
        headers: other.headers,
        ...(payload ? { payload } : {}),
      });
      expect(response.statusCode, `${method} ${url}`).toBe(404);
    }
    expect(
      (await ctx.app.inject({ method: 'GET', url: '/v1/earning-rules', headers: other.headers })).json().data,
    ).toEqual([]);
    expect(
      (await ctx.app.inject({ method: 'GET', url: `/v1/earning-rules/${id}`, headers: owner.headers })).json()
        .active,
    ).toBe(true);
  });
});

describe('Open Loyalty earning semantics (the earningSemantics setting)', () => {
  const labelled = (key: string) => ({ key, value: 'yes' });
  const rules = [
    { name: 'A point per euro', type: 'spend', config: { pointsPerUnit: 1 } },
    {
      name: 'Outlet earns nothing',
      type: 'multiply_by_label',
      config: { multipliers: [{ ...labelled('outlet'), multiplier: 0 }] },
    },
    { name: 'Double burgers', type: 'multiply_by_product', config: { skus: ['BURGER'], multiplier: 2 } },
    {
      name: 'Triple promos',
      type: 'multiply_by_label',
      config: { multipliers: [{ ...labelled('promo'), multiplier: 3 }] },
      stopsEvaluation: true,
    },
    { name: 'Fries bonus', type: 'product_purchase', config: { skus: ['FRIES'], points: 5 } },
  ];

  it('refuses a multiplier below 1 unless the program uses them, naming the field', async () => {
    const org = await ctx.createOrganization();
    const refused = await ctx.app.inject({
      method: 'POST',
      url: '/v1/earning-rules',
      headers: org.headers,
      payload: rules[1],
    });
    expectStatus(refused, 422);
    expect(JSON.stringify(refused.json())).toContain('config.multipliers.0.multiplier');
    const olOrg = await ctx.createOrganization({ settings: { earningSemantics: 'openloyalty' } });
    const accepted = await ctx.app.inject({
      method: 'POST',
      url: '/v1/earning-rules',
      headers: olOrg.headers,
      payload: rules[1],
    });
    expectStatus(accepted, 201);
    expect(accepted.json()).toMatchObject({
      stopsEvaluation: false,
      config: { multipliers: [{ multiplier: 0 }] },
    });
    // Back to Regulars' semantics is refused while the ×0 rule exists (it would act as ×1), naming the
    // setting and the rule; once the rule is gone the switch goes through and none can be written.
    const toRegulars = () =>
      ctx.app.inject({
        method: 'PATCH',
        url: '/v1/organization',
        headers: olOrg.headers,
        payload: { settings: { earningSemantics: 'regulars' } },
      });
    const kept = await toRegulars();
    expectStatus(kept, 422);
    expect(JSON.stringify(kept.json())).toContain('settings.earningSemantics');
    expect(JSON.stringify(kept.json())).toContain(String(rules[1]!.name));
    const organization = await ctx.app.inject({
      method: 'GET',
      url: '/v1/organization',
      headers: olOrg.headers,
    });
    expect(organization.json().settings.earningSemantics).toBe('openloyalty');
    expectStatus(
      await ctx.app.inject({
        method: 'DELETE',
        url: `/v1/earning-rules/${accepted.json().id}`,
        headers: olOrg.headers,
      }),
      204,
    );
    expectStatus(await toRegulars(), 200);
    const again = await ctx.app.inject({
      method: 'POST',
      url: '/v1/earning-rules',
      headers: olOrg.headers,
      payload: rules[1],
    });
    expectStatus(again, 422);
  });

  it('earns a ticket as Open Loyalty does: multipliers compound, 0 cancels, the last rule stops the product bonus', async () => {
    const org = await ctx.createOrganization({ settings: { earningSemantics: 'openloyalty' } });
    for (const rule of rules) {
      expectStatus(
        await ctx.app.inject({
          method: 'POST',
          url: '/v1/earning-rules',
          headers: org.headers,
          payload: rule,
        }),
        201,
      );
    }
    const member = await ctx.app.inject({
      method: 'POST',
      url: '/v1/customers',
      headers: org.headers,
      payload: { firstName: 'Ana', email: 'ana@example.com' },
    });
    const sale = await ctx.app.inject({
      method: 'POST',
      url: '/v1/transactions',
      headers: org.headers,
      payload: {
        documentNumber: 'OL-1',
        totals: { total: 4000 },
        lines: [
          { sku: 'BURGER', name: 'Burger', total: 1000, labels: [labelled('promo')] },
          { sku: 'SHIRT', name: 'Shirt', total: 2000, labels: [labelled('outlet')] },
          { sku: 'FRIES', name: 'Fries', total: 1000 },
        ],
        customer: { customerId: member.json().id },
      },
    });
    expectStatus(sale, 201);
    // Burger 10 × 2 × 3 = 60, shirt 20 × 0 = 0, fries 10; the promo rule is the last: no fries bonus.
    expect(sale.json().pointsEarned).toBe(70);
    const balance = await ctx.app.inject({
      method: 'GET',
      url: `/v1/customers/${member.json().id}/points`,
      headers: org.headers,
    });
    expect(JSON.stringify(balance.json())).toContain('70');
  });

  it('credits each point type its own points: a ×0 multiplier of the default type leaves stars whole', async () => {
    const org = await ctx.createOrganization({ settings: { earningSemantics: 'openloyalty' } });
    const post = (url: string, payload: object) =>
      ctx.app.inject({ method: 'POST', url, headers: org.headers, payload });
    const stars = await post('/v1/point-types', { name: 'Stars', code: 'stars' });
    expectStatus(stars, 201);
    const types = await ctx.app.inject({ method: 'GET', url: '/v1/point-types', headers: org.headers });
    const defaultType = types.json().data.find((type: { isDefault: boolean }) => type.isDefault).id;
    for (const rule of [
      { name: 'A point per euro', type: 'spend', config: { pointsPerUnit: 1 }, pointTypeId: defaultType },
      {
        name: 'Three stars per euro',
        type: 'spend',
        config: { pointsPerUnit: 3 },
        pointTypeId: stars.json().id,
      },
      rules[1]!,
    ]) {
      expectStatus(await post('/v1/earning-rules', rule), 201);
    }
    const member = await post('/v1/customers', { firstName: 'Ana', email: 'stars@example.com' });
    const sale = await post('/v1/transactions', {
      documentNumber: 'OL-STARS',
      totals: { total: 1000 },
      lines: [{ sku: 'SHIRT', name: 'Shirt', total: 1000, labels: [labelled('outlet')] }],
      customer: { customerId: member.json().id },
    });
    expectStatus(sale, 201);
    expect(sale.json().pointsEarned).toBe(30);
    const points = await ctx.app.inject({
      method: 'GET',
      url: `/v1/customers/${member.json().id}/points`,
      headers: org.headers,
    });
    const earnedOf = (code: string) =>
      points
        .json()
        .balances.find((balance: { pointType: { code: string } }) => balance.pointType.code === code);
    expect(earnedOf('stars')).toMatchObject({ earned: 30 });
    expect(earnedOf('points')).toMatchObject({ earned: 0 });
  });
});
