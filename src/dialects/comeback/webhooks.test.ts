import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestContext,
  expectStatus,
  type TestContext,
  type TestOrganization,
} from '../../../test/support/context.ts';
import { startReceiver, type WebhookReceiver } from '../../../test/support/webhook-receiver.ts';
import { createWebhookWorker, type WebhookWorker } from '../../modules/webhooks/worker.ts';
import { dialectWebhookFormats } from '../webhook-formats.ts';

/**
 * Comeback's webhooks reach a real receiver on 127.0.0.1: the four types, in Comeback's
 * `{type, created, data}` shape plus the `eventTime` its table names (test/fixtures/comeback/webhook-*.json), with the endpoint's
 * static Authorization header, driven by a webhook worker that has the dialects' formats.
 */

const fixtures = join(import.meta.dirname, '..', '..', '..', 'test', 'fixtures', 'comeback');
const fixture = (name: string) =>
  JSON.parse(
    readFileSync(join(fixtures, name), 'utf8').replaceAll('[email protected]', 'bruce.wayne@example.com'),
  );
const customerExample = fixture('customer.response.json');
const customerWebhookExample = fixture('webhook-customer.json');
const pointsWebhookExample = fixture('webhook-points.json');
const promotionWebhookExample = fixture('webhook-promotion.json');
const orderExample = fixture('order.request.json');
const TOKEN = 'comeback-webhook-token-0001';

let ctx: TestContext;
let worker: WebhookWorker;
let receiver: WebhookReceiver;
beforeAll(async () => {
  ctx = await createTestContext({ webhooks: { allowPrivate: true } });
  worker = createWebhookWorker(ctx.database, {
    allowPrivate: true,
    timeoutMs: 5000,
    formats: dialectWebhookFormats(ctx.services),
  });
  receiver = await startReceiver();
});
afterAll(async () => {
  await worker.stop();
  await receiver.close();
  await ctx.close();
});

const keys = (value: object) => Object.keys(value).sort();

async function call(org: TestOrganization, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) {
  const comeback = url.startsWith('/compat/comeback');
  const response = await ctx.app.inject({
    method,
    url,
    headers: comeback ? { authorization: org.apiKey } : org.headers,
    ...(payload ? { payload } : {}),
  });
  expectStatus(response, comeback ? 200 : method === 'POST' ? 201 : 200);
  return response.json();
}

describe('Comeback webhooks', () => {
  it('delivers customer:created, customer:updated, customer-points:updated and promotion:applied with the token', async () => {
    const org = await ctx.createOrganization({ country: 'ES' });
    const endpoint = await call(org, 'POST', '/v1/webhook-endpoints', {
      url: receiver.url,
      format: 'comeback',
      headers: { Authorization: TOKEN },
    });
    receiver.secrets = [endpoint.secret];
    // The point type keeps its Comeback id as its code, as the add-points example names it.
    const [pointType] = (await call(org, 'GET', '/v1/point-types')).data;
    await call(org, 'PATCH', `/v1/point-types/${pointType.id}`, {
      code: fixture('add-points.request.json').pointTypeId,
    });
    const location = await call(org, 'POST', '/v1/locations', {
      name: 'JOVELLANOS',
      externalId: orderExample.locationId,
    });
    await call(org, 'POST', '/v1/earning-rules', {
      name: '2 per euro',
      type: 'spend',
      config: { pointsPerUnit: 2 },
    });
    const tenedor = await call(org, 'POST', '/compat/comeback/v1/promotions', {
      name: 'El tenedor',
      discountType: 'percentage',
      discountAmount: 10,
      pointsExpense: 3,
      code: orderExample.promotionsApplied[0].id,
    });
    const cafe = await call(org, 'POST', '/compat/comeback/v1/promotions', {
      name: 'Café gratis',
      discountType: 'currency',
      discountAmount: 250,
      pointsExpense: 10,
    });

    const bruce = await call(
      org,
      'POST',
      '/compat/comeback/v1/customers',
      fixture('customer-create.request.json'),
    );
    await call(org, 'PATCH', `/v1/customers/${bruce.id}`, { loyaltyCardNumber: orderExample.customerId });
    await call(org, 'POST', `/v1/customers/${bruce.id}/points/add`, { points: 40, reason: 'opening' });
    await call(
      org,
      'POST',
      `/compat/comeback/v1/customers/${bruce.id}/addPoints`,
      fixture('add-points.request.json'),
    );
    for (let i = 0; i < 3; i++) await call(org, 'POST', '/compat/comeback/v1/orders', orderExample);
    await call(org, 'POST', '/compat/comeback/v1/orders', {
      ...orderExample,
      externalId: 'two-promotions',
      promotionsApplied: [{ id: tenedor.id }, { id: cafe.id }],
    });

    await worker.drain();
    const received = receiver.received.filter(
      (hook) =>
        JSON.parse(hook.body).data?.customerId === bruce.id || JSON.parse(hook.body).data?.id === bruce.id,
    );
    expect(received.length).toBeGreaterThan(0);
    for (const hook of received) {
      expect(hook.headers.authorization).toBe(TOKEN);
      expect(hook.headers['content-type']).toBe('application/json');
      expect(hook.verified).toBe(true);
    }
    const bodies = received.map((hook) => JSON.parse(hook.body));
    for (const body of bodies) {
      expect(keys(body)).toEqual(keys({ ...customerWebhookExample, eventTime: null }));
      expect(body.created).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      expect(body.eventTime).toBe(body.created);
    }
    const ofType = (type: string) => bodies.filter((body) => body.type === type);

    // customer:created and customer:updated carry the customer object of GET /v1/customers/:id.
    expect(ofType('customer:created')).toHaveLength(1);
    expect(ofType('customer:updated').length).toBeGreaterThan(0);
    for (const body of [...ofType('customer:created'), ...ofType('customer:updated')]) {
      expect(keys(body.data)).toEqual(keys(customerExample));
      expect(body.data.id).toBe(bruce.id);
    }

    const points = ofType('customer-points:updated').map((body) => body.data);
    for (const data of points) expect(keys(data)).toEqual(keys(pointsWebhookExample.data));
    const pointTypeId = bruce.points[0].pointTypeId;
    const at = location.id;
    expect(points).toEqual([
      { customerId: bruce.id, locationId: null, addedPoints: 40, newPointsValue: 40, pointTypeId },
      // The add-points example: 10 more, 50 in all, as in the webhook example.
      { ...pointsWebhookExample.data, customerId: bruce.id, locationId: null, pointTypeId },
      // The order: El tenedor charged once, 59 earned on 29.50; then the second order's two promotions and points.
      { customerId: bruce.id, locationId: at, addedPoints: -3, newPointsValue: 47, pointTypeId },
      { customerId: bruce.id, locationId: at, addedPoints: 59, newPointsValue: 106, pointTypeId },
      { customerId: bruce.id, locationId: at, addedPoints: -13, newPointsValue: 93, pointTypeId },
      { customerId: bruce.id, locationId: at, addedPoints: 59, newPointsValue: 152, pointTypeId },
    ]);

    const promotions = ofType('promotion:applied');
    expect(promotions.map((body) => body.data)).toEqual([
      { customerId: bruce.id, promotionId: tenedor.id },
      { customerId: bruce.id, promotionId: tenedor.id },
      { customerId: bruce.id, promotionId: cafe.id },
    ]);
    for (const body of promotions) expect(keys(body.data)).toEqual(keys(promotionWebhookExample.data));
    // One event, two messages: each with an id of its own, each signed.
    const ids = received
      .filter((hook) => JSON.parse(hook.body).type === 'promotion:applied')
      .map((h) => h.webhookId);
    expect(ids[2]).toBe(`${ids[1]}.1`);

    // Events Comeback has no webhook for (transactions, locations…) are done without being sent.
    const deliveries = await call(org, 'GET', `/v1/webhook-endpoints/${endpoint.id}/deliveries?limit=100`);
    expect(deliveries.data.length).toBeGreaterThan(received.length);
    expect(new Set(deliveries.data.map((delivery: { status: string }) => delivery.status))).toEqual(
      new Set(['delivered']),
    );
  });

  it('sends whole addedPoints and newPointsValue for a program that keeps hundredths, the fraction dropped', async () => {
    const org = await ctx.createOrganization();
    const endpoint = await call(org, 'POST', '/v1/webhook-endpoints', {
      url: receiver.url,
      format: 'comeback',
      eventTypes: ['points.added', 'points.spent'],
    });
    receiver.secrets = [endpoint.secret];
    const alfred = await call(org, 'POST', '/compat/comeback/v1/customers', { name: 'Alfred' });
    for (const addedPoints of [45.5, 0.75, -3.5]) {
      await call(org, 'POST', `/compat/comeback/v1/customers/${alfred.id}/addPoints`, { addedPoints });
    }
    await worker.drain();
    const points = receiver.received
      .map((hook) => JSON.parse(hook.body))
      .filter((body) => body.data.customerId === alfred.id)
      .map((body) => body.data);
    // 45.5, then 46.25, then 42.75 points held: shown as 45, 46 and 42.
    expect(points.map(({ addedPoints, newPointsValue }) => ({ addedPoints, newPointsValue }))).toEqual([
      { addedPoints: 45, newPointsValue: 45 },
      { addedPoints: 0, newPointsValue: 46 },
      { addedPoints: -3, newPointsValue: 42 },
    ]);
  });

  it('a worker without the dialects’ formats fails a comeback delivery and says why', async () => {
    const org = await ctx.createOrganization();
    const endpoint = await call(org, 'POST', '/v1/webhook-endpoints', {
      url: receiver.url,
      format: 'comeback',
      eventTypes: ['customer.created'],
    });
    await call(org, 'POST', '/compat/comeback/v1/customers', { name: 'Alfred' });
    const plain = createWebhookWorker(ctx.database, { allowPrivate: true, timeoutMs: 5000 });
    await plain.runOnce();
    await plain.stop();
    const [delivery] = (await call(org, 'GET', `/v1/webhook-endpoints/${endpoint.id}/deliveries`)).data;
    expect(delivery).toMatchObject({
      status: 'pending',
      lastError: 'this worker has no formatter for the "comeback" webhook format',
    });
  });
});
