import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestContext,
  expectStatus,
  type TestContext,
  type TestOrganization,
} from '../../../test/support/context.ts';
import { verifyLedger } from '../../modules/ledger/verify.ts';

/**
 * Every example of Comeback's document (test/fixtures/comeback, verbatim; broken JSON fixed by
 * hand, see its README), replayed against a fresh organization through /compat/comeback.
 */

const fixtures = join(import.meta.dirname, '..', '..', '..', 'test', 'fixtures', 'comeback');
/** The document's emails went through a web page's email obfuscation, which printed this. */
const OBFUSCATED = '[email protected]';
const EMAIL = 'bruce.wayne@example.com';
const fixture = (name: string) =>
  JSON.parse(readFileSync(join(fixtures, name), 'utf8').replaceAll(OBFUSCATED, EMAIL));
const verbatim = (name: string) => readFileSync(join(fixtures, name), 'utf8');

const locationsExample = fixture('locations.response.json');
const orderExample = fixture('order.request.json');
const promotionsExample = fixture('promotions.response.json');
const promotionCreateExample = fixture('promotion-create.request.json');
const customerExample = fixture('customer.response.json');
const scannedExample = fixture('scanned-customer.response.json');
const androidExample = fixture('android-download-url.response.json');
const appleExample = fixture('apple-download-url.response.json');
const appliedExample = fixture('applied-promotions.response.json');
const customersListExample = fixture('customers-list.response.json');
const customerCreateExample = fixture('customer-create.request.json');
const pointTypesExample = fixture('point-types.response.json');
const addPointsExample = fixture('add-points.request.json');

/** The Comeback ids the examples use, carried over as an operator moving from Comeback would. */
const COMEBACK = {
  pointType: '0e53f16f-88f5-4379-ab6d-b21213968d5c',
  location: '0e75756b-bf8b-41e0-9162-a87e3f19e771',
  customer: '33f9dc36-5e99-4044-8e2e-9b22c403c5f7',
  promotion: '28afe959-6204-4169-b5ba-fc90f15aad43',
};

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

const keys = (value: object) => Object.keys(value).sort();
const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function comeback(
  org: TestOrganization,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  url: string,
  payload?: unknown,
  authorization: string = org.apiKey,
) {
  return ctx.app.inject({
    method,
    url: `/compat/comeback${url}`,
    headers: { authorization, ...(payload !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(payload !== undefined
      ? { payload: typeof payload === 'string' ? payload : JSON.stringify(payload) }
      : {}),
  });
}

async function ok(response: Promise<import('fastify').LightMyRequestResponse>, status = 200) {
  const result = await response;
  expectStatus(result, status);
  return result.json();
}

function native(org: TestOrganization, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) {
  return ctx.app.inject({ method, url, headers: org.headers, ...(payload ? { payload } : {}) });
}

interface Program {
  org: TestOrganization;
  pointTypeId: string;
  /** Regulars ids of the example's locations, by their Comeback id. */
  locations: Map<string, string>;
  goldId: string;
}

/**
 * The program the examples describe: a "Burgers" point type expiring after 365 days, the two
 * locations, 2 points per euro spent and a "Gold" level. Comeback ids go where an import puts them.
 */
async function program(): Promise<Program> {
  const org = await ctx.createOrganization({ country: 'ES' });
  const [pointType] = (await ok(native(org, 'GET', '/v1/point-types'))).data;
  await ok(
    native(org, 'PATCH', `/v1/point-types/${pointType.id}`, {
      name: 'Burgers',
      code: COMEBACK.pointType,
      expiresAfterDays: 365,
    }),
  );
  const locations = new Map<string, string>();
  for (const location of locationsExample) {
    const created = await ok(
      native(org, 'POST', '/v1/locations', {
        name: location.name,
        address: location.address,
        country: location.countryCode,
        latitude: location.latitude,
        longitude: location.longitude,
        externalId: location.id,
      }),
      201,
    );
    locations.set(location.id, created.id);
  }
  await ok(
    native(org, 'POST', '/v1/earning-rules', {
      name: '2 per euro',
      type: 'spend',
      config: { pointsPerUnit: 2 },
    }),
    201,
  );
  const gold = await ok(native(org, 'POST', '/v1/tiers', { name: 'Gold', conditionValue: 1_000_000 }), 201);
  return { org, pointTypeId: pointType.id, locations, goldId: gold.id };
}

/** Bruce, created through Comeback's POST /v1/customers, then given his Comeback id as his card number. */
async function bruce(p: Program, points = 0) {
  const created = await ok(comeback(p.org, 'POST', '/v1/customers', customerCreateExample));
  await ok(
    native(p.org, 'PATCH', `/v1/customers/${created.id}`, {
      loyaltyCardNumber: COMEBACK.customer,
      externalId: 'h230he02',
    }),
  );
  await ok(native(p.org, 'POST', `/v1/customers/${created.id}/tier`, { tierId: p.goldId }), 200);
  if (points > 0) {
    await ok(
      native(p.org, 'POST', `/v1/customers/${created.id}/points/add`, { points, reason: 'opening' }),
      201,
    );
  }
  return created as { id: string } & Record<string, unknown>;
}

async function promotion(p: Program, body: Record<string, unknown>) {
  return ok(comeback(p.org, 'POST', '/v1/promotions', body));
}

/** The promotions of the GET Customer example, as Comeback would have them. */
async function examplePromotions(p: Program) {
  await promotion(p, {
    name: 'Descuento 10%',
    description: 'Obtén un descuento por valor del 10%',
    discountType: 'percentage',
    discountAmount: 10,
    pointsExpense: 0,
  });
  await promotion(p, {
    name: 'Café gratis',
    description: 'Obtén un café gratis en tu próxima visita',
    discountType: 'currency',
    discountAmount: 250,
    pointsExpense: 10,
    availableOnline: false,
  });
}

describe('Comeback: locations', () => {
  it('GET /v1/locations answers the example: the same fields and values, Regulars ids', async () => {
    const p = await program();
    const body = await ok(comeback(p.org, 'GET', '/v1/locations'));
    expect(body).toHaveLength(2);
    for (const [index, example] of locationsExample.entries()) {
      const location = body.find((l: { name: string }) => l.name === example.name);
      expect(keys(location)).toEqual(keys(locationsExample[index]));
      expect(location).toEqual({
        ...example,
        id: p.locations.get(example.id),
        // One token is one organization: the example's two organization ids are the document's slip.
        organizationId: p.org.id,
      });
    }
  });

  it('shows a deleted location with deleted: 1', async () => {
    const p = await program();
    const id = p.locations.get(COMEBACK.location)!;
    expectStatus(
      await ctx.app.inject({ method: 'DELETE', url: `/v1/locations/${id}`, headers: p.org.headers }),
      200,
    );
    const body = await ok(comeback(p.org, 'GET', '/v1/locations'));
    expect(body.find((l: { id: string }) => l.id === id).deleted).toBe(1);
  });
});

describe('Comeback: customers', () => {
  it('POST /v1/customers takes the example and answers the customer object', async () => {
    const p = await program();
    const created = await ok(comeback(p.org, 'POST', '/v1/customers', customerCreateExample));
    expect(keys(created)).toEqual(keys(customerExample));
    expect(created).toMatchObject({
      ...customerCreateExample,
      externalId: null,
      appleDownloaded: false,
      androidDownloaded: false,
      points: [{ amount: 0, pointTypeId: p.pointTypeId, pointTypeName: 'Burgers' }],
      level: null,
      availablePromotions: [],
    });
    expect(created.creationTime).toMatch(ISO_MS);
  });

  it('GET /v1/customers/:customerId answers the example: points, level, available promotions', async () => {
    const p = await program();
    await examplePromotions(p);
    const created = await bruce(p, 50);
    // The example's member has the Apple pass: they opened their card from the Apple link.
    const apple = await ok(comeback(p.org, 'GET', `/v1/customers/${created.id}/appleDownloadUrl`));
    expectStatus(await ctx.app.inject({ method: 'GET', url: new URL(apple.downloadUrl).pathname }), 200);

    for (const id of [created.id, COMEBACK.customer]) {
      const body = await ok(comeback(p.org, 'GET', `/v1/customers/${id}`));
      expect(keys(body)).toEqual(keys(customerExample));
      expect(body).toEqual({
        ...customerExample,
        id: created.id,
        email: EMAIL,
        creationTime: body.creationTime,
        // The create example says MyWebsite; the GET example shows another member's "SignUp".
        source: 'MyWebsite',
        points: [{ ...customerExample.points[0], pointTypeId: p.pointTypeId }],
        availablePromotions: customerExample.availablePromotions.map((promotion: { name: string }) => ({
          ...promotion,
          id: expect.any(String),
          code: null,
        })),
      });
      expect(body.creationTime).toMatch(ISO_MS);
    }
  });

  it('GET /v1/location/:locationId/customer/:identifier finds the member by phone and by email, with that location’s promotions', async () => {
    const p = await program();
    await examplePromotions(p);
    const elsewhere = await promotion(p, {
      name: 'Only at T8',
      description: 'Only at the tea bar',
      discountType: 'currency',
      discountAmount: 100,
      pointsExpense: 0,
    });
    const t8 = p.locations.get('0e53f16f-88f5-4379-ab6d-b21213968d5c')!;
    await ok(native(p.org, 'PATCH', `/v1/rewards/${elsewhere.id}`, { locationIds: [t8] }));
    const created = await bruce(p, 50);

    for (const identifier of ['+34666666666', encodeURIComponent('+34666666666'), '666666666', EMAIL]) {
      const body = await ok(
        comeback(p.org, 'GET', `/v1/location/${COMEBACK.location}/customer/${identifier}`),
      );
      expect(keys(body)).toEqual(keys(scannedExample));
      expect(body.id).toBe(created.id);
      expect(body.availablePromotions.map((promo: { name: string }) => promo.name)).toEqual(
        scannedExample.availablePromotions.map((promo: { name: string }) => promo.name),
      );
    }
    const atT8 = await ok(comeback(p.org, 'GET', `/v1/location/${t8}/customer/${EMAIL}`));
    expect(atT8.availablePromotions.map((promo: { name: string }) => promo.name)).toContain('Only at T8');

    expect(
      (await comeback(p.org, 'GET', `/v1/location/${COMEBACK.location}/customer/nobody@x.com`)).statusCode,
    ).toBe(404);
    expect((await comeback(p.org, 'GET', `/v1/location/nowhere/customer/${EMAIL}`)).statusCode).toBe(404);
  });

  it('GET /v1/customers pages of 100: {customers, page, lastPage}', async () => {
    const p = await program();
    await bruce(p);
    for (let i = 0; i < 100; i++) {
      await ok(
        comeback(p.org, 'POST', '/v1/customers', {
          name: `Guest ${i}`,
          phoneNumber: `+3460000${String(i).padStart(4, '0')}`,
        }),
      );
    }
    const first = await ok(comeback(p.org, 'GET', '/v1/customers'));
    expect(keys(first)).toEqual(keys(customersListExample));
    expect(first.page).toBe(0);
    expect(first.lastPage).toBe(1);
    expect(first.customers).toHaveLength(100);
    for (const customer of first.customers) expect(keys(customer)).toEqual(keys(customerExample));
    expect(first.customers[0].name).toBe('Bruce');
    const second = await ok(comeback(p.org, 'GET', '/v1/customers?page=1'));
    expect(second).toMatchObject({ page: 1, lastPage: 1 });
    expect(second.customers.map((c: { name: string }) => c.name)).toEqual(['Guest 99']);
    expect((await ok(comeback(p.org, 'GET', '/v1/customers?page=5'))).customers).toEqual([]);
    expect((await comeback(p.org, 'GET', '/v1/customers?page=-1')).statusCode).toBe(400);
  });

  it('DELETE /v1/customers/:identifier by id, phone or email: 200, then 404', async () => {
    const p = await program();
    for (const identifier of ['id', '+34666666666', EMAIL]) {
      const created = await bruce(p);
      const target = identifier === 'id' ? created.id : identifier;
      expectStatus(await comeback(p.org, 'DELETE', `/v1/customers/${encodeURIComponent(target)}`), 200);
      expect((await comeback(p.org, 'GET', `/v1/customers/${created.id}`)).statusCode).toBe(404);
      expect(
        (await comeback(p.org, 'DELETE', `/v1/customers/${encodeURIComponent(target)}`)).statusCode,
      ).toBe(404);
    }
  });
});

describe('Comeback: promotions and orders', () => {
  it('POST /v1/promotions takes the example (point type by its Comeback id) and GET /v1/promotions answers the example', async () => {
    const p = await program();
    const created = await promotion(p, promotionCreateExample);
    expect(created).toMatchObject({ ...promotionCreateExample, pointTypeId: p.pointTypeId });
    await promotion(p, {
      name: 'El tenedor',
      description: 'el tenedor',
      pointsExpense: 3,
      discountType: 'percentage',
      discountAmount: 10,
      code: COMEBACK.promotion,
    });
    const body = await ok(comeback(p.org, 'GET', '/v1/promotions'));
    expect(keys(body)).toEqual(keys(promotionsExample));
    const [example] = promotionsExample.promotions;
    const listed = body.promotions.find((promo: { name: string }) => promo.name === example.name);
    // Both readings of the document: pointsExpense (its example) and pointsRequired (its table).
    expect(listed).toEqual({
      ...example,
      id: expect.any(String),
      pointsRequired: 3,
      code: COMEBACK.promotion,
      pointTypeId: p.pointTypeId,
      availableOnline: true,
    });
    expect(body.promotions.find((promo: { id: string }) => promo.id === created.id)).toBeDefined();
  });

  it('takes pointsRequired for pointsExpense, a code without a type, and 2x1', async () => {
    const p = await program();
    const byCode = await promotion(p, { name: 'Menú', code: 'MENU', pointsRequired: 7 });
    expect(byCode).toMatchObject({ discountType: 'products', pointsExpense: 7, code: 'MENU' });
    const twoForOne = await promotion(p, { name: '2x1', discountType: '2x1', pointsExpense: 5 });
    expect(twoForOne).toMatchObject({ discountType: '2x1', discountAmount: 0, pointsExpense: 5 });
    const refused = await comeback(p.org, 'POST', '/v1/promotions', { name: 'Nothing', pointsExpense: 1 });
    expect(refused.statusCode).toBe(400);
    expect(refused.json()).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: 'discountType is required when no code is given',
    });
  });

  it('POST /v1/orders: the example earns, its promotion is charged once when the order is sent three times', async () => {
    const p = await program();
    const tenedor = await promotion(p, {
      name: 'El tenedor',
      description: 'el tenedor',
      pointsExpense: 3,
      discountType: 'percentage',
      discountAmount: 10,
      code: COMEBACK.promotion,
    });
    const created = await bruce(p, 50);

    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await ok(comeback(p.org, 'POST', '/v1/orders', orderExample)));
    expect(new Set(answers.map((answer) => answer.id)).size).toBe(1);
    expect(answers[0]).toMatchObject({
      externalId: 'h230he02',
      amount: 2950,
      discountAmount: 50,
      customerId: created.id,
      locationId: p.locations.get(COMEBACK.location),
      promotionsApplied: [{ id: COMEBACK.promotion }],
    });

    // 50 − 3 for the promotion + 2 points per euro on the 29.50 paid.
    const customer = await ok(comeback(p.org, 'GET', `/v1/customers/${created.id}`));
    expect(customer.points).toEqual([{ amount: 106, pointTypeId: p.pointTypeId, pointTypeName: 'Burgers' }]);
    const transactions = (await ok(native(p.org, 'GET', '/v1/transactions'))).data;
    expect(transactions).toHaveLength(1);
    expect(transactions[0]).toMatchObject({
      source: 'comeback',
      documentNumber: 'h230he02',
      customerId: created.id,
    });

    const applied = await ok(comeback(p.org, 'GET', `/v1/customers/${created.id}/appliedPromotions`));
    expect(keys(applied)).toEqual(keys(appliedExample));
    expect(applied.appliedPromotions).toEqual([
      {
        promotionId: tenedor.id,
        customerId: created.id,
        creationTime: expect.stringMatching(ISO_MS),
        locationId: p.locations.get(COMEBACK.location),
        orderId: answers[0].id,
      },
    ]);
    expect(keys(applied.appliedPromotions[0])).toEqual(keys(appliedExample.appliedPromotions[0]));
    const report = await verifyLedger(ctx.database.db, { organizationId: p.org.id });
    expect(report.mismatches).toEqual([]);
  });

  it('POST /v1/orders charges the promotion with the ticket or not at all: a ticket that fails leaves nothing charged', async () => {
    const p = await program();
    await promotion(p, {
      name: 'El tenedor',
      discountType: 'percentage',
      discountAmount: 10,
      pointsExpense: 3,
      code: COMEBACK.promotion,
    });
    const created = await bruce(p, 50);
    // The ticket's insert, which comes after the promotion is charged, fails as a CHECK would.
    const { db } = ctx.database;
    await db.execute(
      sql.raw(`create function refuse_ticket() returns trigger language plpgsql as $$
        begin raise exception 'ticket refused' using errcode = 'check_violation'; end $$`),
    );
    await db.execute(
      sql.raw(`create trigger refuse_ticket before insert on transactions for each row
        when (new.organization_id = '${p.org.id}') execute function refuse_ticket()`),
    );
    let failed: Awaited<ReturnType<typeof comeback>>;
    try {
      failed = await comeback(p.org, 'POST', '/v1/orders', orderExample);
    } finally {
      await db.execute(sql.raw('drop trigger refuse_ticket on transactions'));
      await db.execute(sql.raw('drop function refuse_ticket()'));
    }
    expect(failed.statusCode).toBe(500);
    const untouched = await ok(comeback(p.org, 'GET', `/v1/customers/${created.id}`));
    expect(untouched.points[0].amount).toBe(50);
    expect((await ok(native(p.org, 'GET', '/v1/redemptions?orderId=h230he02'))).data).toEqual([]);

    // Sent again, the order is charged once and earns: 50 − 3 + 2 per euro on 29.50.
    await ok(comeback(p.org, 'POST', '/v1/orders', orderExample));
    const charged = await ok(comeback(p.org, 'GET', `/v1/customers/${created.id}`));
    expect(charged.points[0].amount).toBe(106);
    expect((await ok(native(p.org, 'GET', '/v1/redemptions?orderId=h230he02'))).data).toHaveLength(1);
  });

  it('the example as printed (broken JSON) is a 400; a promotion the member cannot pay is a 400 and writes nothing', async () => {
    const p = await program();
    await promotion(p, {
      name: 'El tenedor',
      discountType: 'percentage',
      discountAmount: 10,
      pointsExpense: 3,
      code: COMEBACK.promotion,
    });
    const created = await bruce(p, 1);
    const broken = await comeback(p.org, 'POST', '/v1/orders', verbatim('order.request.txt'));
    expect(broken.statusCode).toBe(400);
    expect(broken.json()).toMatchObject({ statusCode: 400, error: 'Bad Request' });

    const refused = await comeback(p.org, 'POST', '/v1/orders', orderExample);
    expect(refused.statusCode).toBe(400);
    expect(refused.json().message).toMatch(/^promotionsApplied\.0 insufficient_points/);
    expect((await ok(native(p.org, 'GET', '/v1/transactions'))).data).toEqual([]);
    const customer = await ok(comeback(p.org, 'GET', `/v1/customers/${created.id}`));
    expect(customer.points[0].amount).toBe(1);

    const unknown = await comeback(p.org, 'POST', '/v1/orders', {
      ...orderExample,
      promotionsApplied: [{ id: 'nope' }],
    });
    expect(unknown.statusCode).toBe(404);
  });

  it('an order without products or promotions still earns on what was paid', async () => {
    const p = await program();
    const created = await bruce(p);
    const { products: _products, promotionsApplied: _promotions, ...bare } = orderExample;
    await ok(comeback(p.org, 'POST', '/v1/orders', { ...bare, externalId: 'B-1', customerId: created.id }));
    const customer = await ok(comeback(p.org, 'GET', `/v1/customers/${created.id}`));
    expect(customer.points[0].amount).toBe(59);
  });
});

describe('Comeback: points, point types and passes', () => {
  it('addPoints takes the example by POST and by PUT; a negative amount takes points away', async () => {
    const p = await program();
    const created = await bruce(p, 40);
    const added = await ok(
      comeback(p.org, 'POST', `/v1/customers/${created.id}/addPoints`, addPointsExample),
    );
    expect(added.points).toEqual([{ amount: 50, pointTypeId: p.pointTypeId, pointTypeName: 'Burgers' }]);
    const put = await ok(
      comeback(p.org, 'PUT', `/v1/customers/${COMEBACK.customer}/addPoints`, addPointsExample),
    );
    expect(put.points[0].amount).toBe(60);
    const taken = await ok(
      comeback(p.org, 'POST', `/v1/customers/${created.id}/addPoints`, { addedPoints: -15 }),
    );
    expect(taken.points[0].amount).toBe(45);
    const zero = await comeback(p.org, 'POST', `/v1/customers/${created.id}/addPoints`, { addedPoints: 0 });
    expect(zero.statusCode).toBe(400);
    expect(zero.json().message).toBe('addedPoints must not be zero');
    const badType = await comeback(p.org, 'POST', `/v1/customers/${created.id}/addPoints`, {
      addedPoints: 1,
      pointTypeId: 'gold-coins',
    });
    expect(badType.json().message).toBe('pointTypeId is not a point type of this organization');
  });

  it('answers whole points, as Comeback’s Integer says, for a program that keeps hundredths', async () => {
    const p = await program();
    const created = await bruce(p);
    const { products: _products, promotionsApplied: _promotions, ...bare } = orderExample;
    // 2 points per euro on 22.75 is 45.5 points: the POS is shown 45, the ledger keeps 45.5.
    await ok(
      comeback(p.org, 'POST', '/v1/orders', {
        ...bare,
        externalId: 'H-1',
        amount: 2275,
        customerId: created.id,
      }),
    );
    await promotion(p, {
      name: 'Half a coffee',
      discountType: 'currency',
      discountAmount: 100,
      pointsExpense: 9.5,
    });
    const customer = await ok(comeback(p.org, 'GET', `/v1/customers/${created.id}`));
    expect(customer.points).toEqual([{ amount: 45, pointTypeId: p.pointTypeId, pointTypeName: 'Burgers' }]);
    // A cost shows any fraction as one more point, so 45 shown never looks short of what 45.5 can pay.
    expect(customer.availablePromotions).toMatchObject([{ name: 'Half a coffee', pointsExpense: 10 }]);
    const [listed] = (await ok(comeback(p.org, 'GET', '/v1/promotions'))).promotions;
    expect(listed).toMatchObject({ pointsExpense: 10, pointsRequired: 10 });
    const balances = (await ok(native(p.org, 'GET', `/v1/customers/${created.id}/points`))).balances;
    expect(balances[0].active).toBe(45.5);
  });

  it('GET /v1/pointTypes answers the example’s shape; the pass is the member’s one card', async () => {
    const p = await program();
    const body = await ok(comeback(p.org, 'GET', '/v1/pointTypes'));
    expect(keys(body)).toEqual(keys(pointTypesExample));
    expect(body.pointTypes).toEqual([
      { ...pointTypesExample.pointTypes[0], id: p.pointTypeId, name: 'Burgers', allowedPassIds: [p.org.id] },
    ]);
  });

  it('androidDownloadUrl and appleDownloadUrl point at the member’s card page, which sets the flags', async () => {
    const p = await program();
    const created = await bruce(p);
    const android = await ok(comeback(p.org, 'GET', `/v1/customers/${created.id}/androidDownloadUrl`));
    expect(keys(android)).toEqual(keys(androidExample));
    const apple = await ok(
      comeback(p.org, 'GET', `/v1/customers/${created.id}/appleDownloadUrl?passId=${p.org.id}`),
    );
    expect(keys(apple)).toEqual(keys(appleExample));
    expect(new URL(android.downloadUrl).pathname).toMatch(
      new RegExp(`^/cards/${p.org.id}/[A-Za-z0-9_-]{43}/android$`),
    );

    let customer = await ok(comeback(p.org, 'GET', `/v1/customers/${created.id}`));
    expect([customer.appleDownloaded, customer.androidDownloaded]).toEqual([false, false]);
    const page = await ctx.app.inject({ method: 'GET', url: new URL(android.downloadUrl).pathname });
    expectStatus(page, 200);
    expect(page.body).toContain(COMEBACK.customer);
    customer = await ok(comeback(p.org, 'GET', `/v1/customers/${created.id}`));
    expect([customer.appleDownloaded, customer.androidDownloaded]).toEqual([false, true]);
    expectStatus(await ctx.app.inject({ method: 'GET', url: new URL(apple.downloadUrl).pathname }), 200);
    customer = await ok(comeback(p.org, 'GET', `/v1/customers/${created.id}`));
    expect([customer.appleDownloaded, customer.androidDownloaded]).toEqual([true, true]);

    expect(
      (await comeback(p.org, 'GET', `/v1/customers/${created.id}/appleDownloadUrl?passId=other`)).statusCode,
    ).toBe(404);
  });
});

describe('Comeback: authentication and errors', () => {
  it('takes the token as Comeback sends it, or as a Bearer token; anything else is 401', async () => {
    const p = await program();
    expectStatus(await comeback(p.org, 'GET', '/v1/pointTypes', undefined, p.org.apiKey), 200);
    expectStatus(await comeback(p.org, 'GET', '/v1/pointTypes', undefined, `Bearer ${p.org.apiKey}`), 200);
    for (const authorization of ['', 'nope', `Basic ${p.org.apiKey}`, `${p.org.apiKey} extra words`]) {
      const response = await comeback(p.org, 'GET', '/v1/pointTypes', undefined, authorization);
      expect(response.statusCode).toBe(401);
      expect(response.json()).toEqual({
        statusCode: 401,
        error: 'Unauthorized',
        message: 'Invalid or missing token',
      });
    }
    // Before validation: a bad body without a token is a 401 too.
    expect((await comeback(p.org, 'POST', '/v1/orders', {}, '')).statusCode).toBe(401);
  });

  it('never shows another organization’s members, locations or promotions', async () => {
    const p = await program();
    const other = await program();
    const created = await bruce(p);
    const tenedor = await promotion(p, { name: 'Secret', code: 'SECRET' });
    expect((await comeback(other.org, 'GET', `/v1/customers/${created.id}`)).statusCode).toBe(404);
    expect((await comeback(other.org, 'DELETE', `/v1/customers/${created.id}`)).statusCode).toBe(404);
    expect(
      (
        await comeback(
          other.org,
          'GET',
          `/v1/location/${p.locations.get(COMEBACK.location)}/customer/${EMAIL}`,
        )
      ).statusCode,
    ).toBe(404);
    const promotions = await ok(comeback(other.org, 'GET', '/v1/promotions'));
    expect(promotions.promotions.map((promo: { id: string }) => promo.id)).not.toContain(tenedor.id);
  });

  it('answers bad input with 400 and Comeback’s field names, clashes with 409, unknown paths with 404', async () => {
    const p = await program();
    await bruce(p);
    const badPhone = await comeback(p.org, 'POST', '/v1/customers', { name: 'Al', phoneNumber: '12' });
    expect(badPhone.statusCode).toBe(400);
    expect(badPhone.json().message).toMatch(/^phoneNumber is not a valid phone number/);
    const missing = await comeback(p.org, 'POST', '/v1/orders', { externalId: 'X' });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().message).toBe('amount is required');
    const taken = await comeback(p.org, 'POST', '/v1/customers', customerCreateExample);
    expect(taken.statusCode).toBe(409);
    expect(taken.json()).toMatchObject({ statusCode: 409, error: 'Conflict' });
    const unknown = await comeback(p.org, 'GET', '/v1/nothing');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ statusCode: 404, error: 'Not Found' });
  });
});
