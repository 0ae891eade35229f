import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestContext,
  expectStatus,
  type TestContext,
  type TestOrganization,
} from '../../../test/support/context.ts';
import {
  type ReceivedWebhook,
  startReceiver,
  type WebhookReceiver,
} from '../../../test/support/webhook-receiver.ts';
import { verify } from './signing.ts';
import { createWebhookWorker, type WebhookWorker, type WebhookWorkerOptions } from './worker.ts';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
/** Short waits so a test walks a whole schedule by moving the clock a few times. */
const SCHEDULE = [SECOND, 5 * SECOND, 30 * SECOND, MINUTE, 2 * MINUTE, 5 * MINUTE];

let ctx: TestContext;
const workers: WebhookWorker[] = [];
const receivers: WebhookReceiver[] = [];

beforeAll(async () => {
  ctx = await createTestContext({ webhooks: { allowPrivate: true, retrySchedule: SCHEDULE } });
});
afterEach(async () => {
  await Promise.all(workers.splice(0).map((worker) => worker.stop()));
  await Promise.all(receivers.splice(0).map((receiver) => receiver.close()));
});
afterAll(() => ctx.close());

/**
 * The worker's "now": real time plus whatever the test skipped ahead, so retries come due
 * without anyone sleeping, while API calls (which use real time) stay in the past.
 */
function manualClock() {
  let offset = 0;
  return {
    now: () => new Date(Date.now() + offset),
    advance(ms: number) {
      offset += ms;
    },
  };
}

function newWorker(clock: ReturnType<typeof manualClock>, options: Partial<WebhookWorkerOptions> = {}) {
  const worker = createWebhookWorker(ctx.database, {
    allowPrivate: true,
    retrySchedule: SCHEDULE,
    clock: clock.now,
    random: () => 0.5,
    timeoutMs: 5000,
    ...options,
  });
  workers.push(worker);
  return worker;
}

async function newReceiver(clock?: ReturnType<typeof manualClock>) {
  const receiver = await startReceiver();
  if (clock) receiver.now = clock.now;
  receivers.push(receiver);
  return receiver;
}

async function subscribe(
  org: TestOrganization,
  receiver: WebhookReceiver,
  payload: Record<string, unknown> = {},
): Promise<{ id: string; secret: string }> {
  const response = await ctx.app.inject({
    method: 'POST',
    url: '/v1/webhook-endpoints',
    headers: org.headers,
    payload: { url: receiver.url, ...payload },
  });
  expectStatus(response, 201);
  const endpoint = response.json();
  receiver.secrets.push(endpoint.secret);
  return endpoint;
}

async function createLocation(org: TestOrganization, name: string): Promise<string> {
  const response = await ctx.app.inject({
    method: 'POST',
    url: '/v1/locations',
    headers: org.headers,
    payload: { name },
  });
  expectStatus(response, 201);
  return response.json().id;
}

async function renameLocation(org: TestOrganization, id: string, name: string) {
  expectStatus(
    await ctx.app.inject({
      method: 'PATCH',
      url: `/v1/locations/${id}`,
      headers: org.headers,
      payload: { name },
    }),
    200,
  );
}

async function eventsOf(org: TestOrganization, query = '') {
  const response = await ctx.app.inject({
    method: 'GET',
    url: `/v1/events?limit=100${query}`,
    headers: org.headers,
  });
  expectStatus(response, 200);
  return response.json().data as { id: string; type: string; subject: { id: string } }[];
}

async function deliveriesOf(org: TestOrganization, endpointId: string, query = '') {
  const response = await ctx.app.inject({
    method: 'GET',
    url: `/v1/webhook-endpoints/${endpointId}/deliveries?limit=100${query}`,
    headers: org.headers,
  });
  expectStatus(response, 200);
  return response.json().data;
}

const types = (hooks: ReceivedWebhook[]) => hooks.map((hook) => hook.event.type);

describe('webhook delivery', () => {
  it('delivers each event once, signed so the receiver verifies it, in the shape of GET /v1/events', async () => {
    const clock = manualClock();
    const receiver = await newReceiver(clock);
    const org = await ctx.createOrganization();
    const endpoint = await subscribe(org, receiver, {
      eventTypes: ['location.*'],
      headers: { 'X-Api-Token': 'vendor-token-123' },
    });
    const locationId = await createLocation(org, 'La Tasca Gràcia');
    await renameLocation(org, locationId, 'La Tasca Gràcia II');

    await newWorker(clock).drain();

    expect(types(receiver.received)).toEqual(['location.created', 'location.updated']);
    const events = await eventsOf(org, '&subjectType=location');
    for (const [index, hook] of receiver.received.entries()) {
      expect(hook.verified).toBe(true);
      expect(hook.webhookId).toBe(events[index]!.id);
      expect(hook.event).toEqual(events[index]);
      expect(hook.headers['content-type']).toBe('application/json');
      expect(hook.headers['x-api-token']).toBe('vendor-token-123');
      expect(hook.signature.split(' ')).toHaveLength(1);
    }

    const deliveries = await deliveriesOf(org, endpoint.id);
    expect(deliveries).toHaveLength(2);
    for (const delivery of deliveries) {
      expect(delivery).toMatchObject({ status: 'delivered', attemptCount: 1, lastStatusCode: 200 });
      expect(delivery.attempts).toMatchObject([{ outcome: 'delivered', statusCode: 200, error: null }]);
      expect(delivery.attempts[0].durationMs).toBeGreaterThanOrEqual(0);
    }
    // Nothing is due any more: a second pass sends nothing.
    expect(await newWorker(clock).drain()).toEqual({ dispatched: 0, attempted: 0 });
    expect(receiver.received).toHaveLength(2);
  });

  it('sends each endpoint only the events its filter names, never to a disabled one or across organizations', async () => {
    const clock = manualClock();
    const [updates, family, everything, disabled] = await Promise.all([
      newReceiver(),
      newReceiver(),
      newReceiver(),
      newReceiver(),
    ]);
    const org = await ctx.createOrganization();
    const neighbour = await ctx.createOrganization();
    await subscribe(org, updates, { eventTypes: ['location.updated'] });
    await subscribe(org, family, { eventTypes: ['location.*'] });
    await subscribe(org, everything);
    await subscribe(org, disabled, { enabled: false });
    const locationId = await createLocation(org, 'Born');
    await renameLocation(org, locationId, 'Born 2');
    await createLocation(neighbour, 'Not yours');

    await newWorker(clock).drain();

    expect(types(updates.received)).toEqual(['location.updated']);
    expect(types(family.received)).toEqual(['location.created', 'location.updated']);
    // `*` also hears the endpoints created after it (and its own creation: it existed by then).
    expect(types(everything.received)).toEqual([
      'webhook_endpoint.created',
      'webhook_endpoint.created',
      'location.created',
      'location.updated',
    ]);
    expect(disabled.received).toEqual([]);
    const all = [...updates.received, ...family.received, ...everything.received];
    expect(all.every((hook) => hook.verified)).toBe(true);
    expect(all.map((hook) => hook.event.subject.id)).not.toContain(neighbour.id);
  });

  it('gets every event through an outage (500s, then connection refused) in per-subject order, duplicates only with the same webhook-id', async () => {
    const clock = manualClock();
    const receiver = await newReceiver(clock);
    const org = await ctx.createOrganization();
    const endpoint = await subscribe(org, receiver, { eventTypes: ['location.*'] });
    const worker = newWorker(clock);
    const locations = [
      await createLocation(org, 'A'),
      await createLocation(org, 'B'),
      await createLocation(org, 'C'),
    ];

    // The receiver processes each request, then fails with a 500 (so a retry is a true duplicate).
    receiver.answer = () => ({ status: 500, body: 'database is down' });
    for (const id of locations) await renameLocation(org, id, `${id} renamed`);
    await worker.runOnce();
    clock.advance(2 * SECOND);
    await worker.runOnce();

    // Then it is gone altogether: connection refused. Meanwhile members keep changing things.
    await receiver.goDown();
    for (const id of locations) await renameLocation(org, id, `${id} renamed twice`);
    clock.advance(10 * SECOND);
    await worker.runOnce();
    clock.advance(40 * SECOND);
    await worker.runOnce();
    const during = await deliveriesOf(org, endpoint.id, '&status=pending');
    expect(during.length).toBe(9);
    expect(
      during.flatMap((delivery: { attempts: { error: string }[] }) => delivery.attempts.map((a) => a.error)),
    ).toEqual(expect.arrayContaining(['HTTP 500', expect.stringMatching(/connection_failed.*ECONNREFUSED/)]));

    // It comes back.
    await receiver.comeBack();
    receiver.answer = () => 200;
    for (let round = 0; round < 10; round++) {
      clock.advance(5 * MINUTE);
      await worker.drain();
    }

    const events = (await eventsOf(org, '&subjectType=location')).map((event) => event.id);
    const accepted = receiver.received.filter((hook) => hook.answer === 200);
    expect(accepted.map((hook) => hook.webhookId).sort()).toEqual([...events].sort());
    expect(receiver.received.every((hook) => hook.verified)).toBe(true);
    // Duplicates happened (the 500s), and each carries the webhook-id and body of the first copy.
    expect(receiver.received.length).toBeGreaterThan(accepted.length);
    for (const hook of receiver.received) {
      expect(hook.webhookId).toBe(hook.event.id);
      expect(hook.body).toBe(receiver.received.find((other) => other.webhookId === hook.webhookId)!.body);
    }
    // Per subject, nothing ever overtook an earlier event, not even an attempt.
    for (const id of locations) {
      const seen = receiver.received
        .filter((hook) => hook.event.subject.id === id)
        .map((hook) => hook.webhookId);
      expect(seen).toEqual([...seen].sort());
      expect(new Set(seen).size).toBe(3);
    }
    const after = await deliveriesOf(org, endpoint.id);
    expect(after.every((delivery: { status: string }) => delivery.status === 'delivered')).toBe(true);
  });

  it('dead-letters a delivery after its schedule without holding up the next event, and lets a person retry it', async () => {
    const clock = manualClock();
    const receiver = await newReceiver(clock);
    const org = await ctx.createOrganization();
    const endpoint = await subscribe(org, receiver, { eventTypes: ['location.*'] });
    const worker = newWorker(clock, { retrySchedule: [SECOND, SECOND] });
    receiver.answer = (hook) =>
      hook.event.type === 'location.created' ? { status: 503, body: 'maintenance window' } : 200;
    const locationId = await createLocation(org, 'Sants');
    await renameLocation(org, locationId, 'Sants Estació');

    for (let round = 0; round < 4; round++) {
      await worker.drain();
      clock.advance(2 * SECOND);
    }
    expect(types(receiver.received)).toEqual([
      'location.created',
      'location.created',
      'location.created',
      'location.updated',
    ]);
    const [dead] = await deliveriesOf(org, endpoint.id, '&status=dead');
    expect(dead).toMatchObject({
      eventType: 'location.created',
      attemptCount: 3,
      lastStatusCode: 503,
      lastError: 'HTTP 503',
      nextAttemptAt: null,
    });
    expect(dead.attempts.map((attempt: { statusCode: number }) => attempt.statusCode)).toEqual([
      503, 503, 503,
    ]);
    expect(dead.attempts[0].responseSnippet).toBe('maintenance window');

    const retry = (deliveryId: string) =>
      ctx.app.inject({
        method: 'POST',
        url: `/v1/webhook-endpoints/${endpoint.id}/deliveries/${deliveryId}/retry`,
        headers: org.headers,
      });

    // A retry by hand is one more attempt: still failing, it is dead-lettered again at once.
    const first = await retry(dead.id);
    expectStatus(first, 202);
    expect(first.json()).toMatchObject({ status: 'pending', attemptCount: 3 });
    await worker.drain();
    const again = await ctx.app.inject({
      method: 'GET',
      url: `/v1/webhook-endpoints/${endpoint.id}/deliveries/${dead.id}`,
      headers: org.headers,
    });
    expect(again.json()).toMatchObject({ status: 'dead', attemptCount: 4 });

    // Fixed on the receiver's side, a retry delivers it.
    receiver.answer = () => 200;
    expectStatus(await retry(dead.id), 202);
    await worker.drain();
    const [delivered] = await deliveriesOf(org, endpoint.id, `&eventId=${dead.eventId}`);
    expect(delivered).toMatchObject({ status: 'delivered', attemptCount: 5, lastStatusCode: 200 });
    expect(receiver.received.at(-1)).toMatchObject({ webhookId: dead.eventId, answer: 200, verified: true });

    const unknown = await retry('01936f4e-8b1a-7c3d-9e2f-1a2b3c4d5e6f');
    expectStatus(unknown, 404);
  });

  it('disables an endpoint that keeps failing for the configured time, says so in an event, and resumes when enabled again', async () => {
    const clock = manualClock();
    const broken = await newReceiver(clock);
    const monitor = await newReceiver(clock);
    const org = await ctx.createOrganization();
    const failing = await subscribe(org, broken, { eventTypes: ['location.*'] });
    await subscribe(org, monitor, { eventTypes: ['webhook_endpoint.disabled'] });
    const worker = newWorker(clock, { retrySchedule: Array(40).fill(HOUR), disableAfterMs: 24 * HOUR });
    broken.answer = () => 500;
    await createLocation(org, 'Poblenou');

    let rounds = 0;
    for (; rounds < 30; rounds++) {
      await worker.drain();
      const state = await ctx.app.inject({
        method: 'GET',
        url: `/v1/webhook-endpoints/${failing.id}`,
        headers: org.headers,
      });
      if (!state.json().enabled) {
        expect(state.json()).toMatchObject({ disabledReason: 'failing' });
        expect(Date.parse(state.json().failingSince)).toBeLessThanOrEqual(clock.now().getTime() - 24 * HOUR);
        break;
      }
      clock.advance(HOUR);
    }
    expect(rounds).toBeGreaterThanOrEqual(24);
    expect(rounds).toBeLessThan(27);
    const disabledEvents = await eventsOf(org, '&type=webhook_endpoint.disabled');
    expect(disabledEvents).toMatchObject([
      {
        subject: { type: 'webhook_endpoint', id: failing.id },
        payload: { reason: 'failing', lastError: 'HTTP 500' },
      },
    ]);
    await worker.drain();
    expect(types(monitor.received)).toEqual(['webhook_endpoint.disabled']);

    // Disabled: new events are not even queued for it, and nothing is sent.
    const attemptsBefore = broken.received.length;
    await createLocation(org, 'Sant Martí');
    clock.advance(2 * HOUR);
    await worker.drain();
    expect(broken.received).toHaveLength(attemptsBefore);
    expect(await deliveriesOf(org, failing.id)).toHaveLength(1);

    // Fixed and enabled again: the waiting delivery goes out.
    broken.answer = () => 200;
    const enabled = await ctx.app.inject({
      method: 'PATCH',
      url: `/v1/webhook-endpoints/${failing.id}`,
      headers: org.headers,
      payload: { enabled: true },
    });
    expect(enabled.json()).toMatchObject({ enabled: true, disabledReason: null, failingSince: null });
    clock.advance(HOUR);
    await worker.drain();
    expect(broken.received.at(-1)).toMatchObject({ answer: 200, verified: true });
    expect((await deliveriesOf(org, failing.id))[0]).toMatchObject({ status: 'delivered' });
  });

  it('replays every subscribed event since a given one, in order and with the same webhook-ids', async () => {
    const clock = manualClock();
    const receiver = await newReceiver(clock);
    const org = await ctx.createOrganization();
    const endpoint = await subscribe(org, receiver, { eventTypes: ['location.*'] });
    const worker = newWorker(clock);
    const locationId = await createLocation(org, 'Raval');
    await renameLocation(org, locationId, 'Raval 1');
    await renameLocation(org, locationId, 'Raval 2');
    await worker.drain();
    const [, second, third] = receiver.received.map((hook) => hook.webhookId);

    const replay = await ctx.app.inject({
      method: 'POST',
      url: `/v1/webhook-endpoints/${endpoint.id}/replay`,
      headers: org.headers,
      payload: { sinceEventId: second },
    });
    expectStatus(replay, 202);
    expect(replay.json()).toEqual({ scheduled: 2, nextEventId: null });
    await worker.drain();
    expect(receiver.received.slice(3).map((hook) => hook.webhookId)).toEqual([second, third]);
    expect(receiver.received.every((hook) => hook.verified)).toBe(true);

    const missing = await ctx.app.inject({
      method: 'POST',
      url: `/v1/webhook-endpoints/${endpoint.id}/replay`,
      headers: org.headers,
      payload: { sinceEventId: '01936f4e-8b1a-7c3d-9e2f-1a2b3c4d5e6f' },
    });
    expectStatus(missing, 422);
    expect(missing.json().errors).toEqual([
      { path: 'body.sinceEventId', message: 'is not an event of this organization' },
    ]);
  });

  it('signs with both secrets while a rotation overlaps, then with the new one only', async () => {
    const clock = manualClock();
    const receiver = await newReceiver(clock);
    const org = await ctx.createOrganization();
    const endpoint = await subscribe(org, receiver, { eventTypes: ['location.*'] });
    const worker = newWorker(clock);
    const rotated = await ctx.app.inject({
      method: 'POST',
      url: `/v1/webhook-endpoints/${endpoint.id}/rotate-secret`,
      headers: org.headers,
      payload: { overlapSeconds: 3600 },
    });
    const newSecret = rotated.json().secret as string;

    await createLocation(org, 'Overlap');
    await worker.drain();
    const during = receiver.received.at(-1)!;
    expect(during.signature.split(' ')).toHaveLength(2);
    const signed = {
      'webhook-id': during.webhookId,
      'webhook-timestamp': during.timestamp,
      'webhook-signature': during.signature,
    };
    const nowSeconds = Math.floor(clock.now().getTime() / 1000);
    expect(verify(endpoint.secret, signed, during.body, nowSeconds)).toBe(true);
    expect(verify(newSecret, signed, during.body, nowSeconds)).toBe(true);
    receiver.secrets = [endpoint.secret];
    await createLocation(org, 'Old secret still verifies');
    await worker.drain();
    expect(receiver.received.at(-1)!.verified).toBe(true);

    clock.advance(2 * HOUR);
    receiver.secrets = [endpoint.secret];
    await createLocation(org, 'After the overlap');
    await worker.drain();
    const after = receiver.received.at(-1)!;
    expect(after.signature.split(' ')).toHaveLength(1);
    expect(after.verified).toBe(false);
    receiver.secrets = [newSecret];
    await createLocation(org, 'New secret');
    await worker.drain();
    expect(receiver.received.at(-1)!.verified).toBe(true);
  });

  it('forgets finished deliveries once they are older than the retention period', async () => {
    const clock = manualClock();
    const receiver = await newReceiver(clock);
    const org = await ctx.createOrganization();
    const endpoint = await subscribe(org, receiver, { eventTypes: ['location.*'] });
    await createLocation(org, 'Short memory');
    await newWorker(clock).drain();
    expect(await deliveriesOf(org, endpoint.id)).toHaveLength(1);

    clock.advance(29 * 24 * HOUR);
    await newWorker(clock, { retentionMs: 30 * 24 * HOUR }).runOnce();
    expect(await deliveriesOf(org, endpoint.id)).toHaveLength(1);
    clock.advance(2 * 24 * HOUR);
    await newWorker(clock, { retentionMs: 30 * 24 * HOUR }).runOnce();
    expect(await deliveriesOf(org, endpoint.id)).toEqual([]);
  });
});
