import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttp2Server, type Http2Server } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { importSPKI, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestContext,
  expectStatus,
  type TestContext,
  type TestOrganization,
} from '../../../test/support/context.ts';
import { makeWalletMaterial, unzipPass, type WalletMaterial } from '../../../test/support/wallet.ts';
import { loadConfig } from '../../config.ts';

/** What the APNs stand-in received: one entry per push. */
interface Push {
  path: string;
  topic: string;
  authorization: string;
}

/** What the Google stand-in received. */
interface GoogleCall {
  method: string;
  path: string;
  authorization: string;
  body: string;
}

let material: WalletMaterial;
let ctx: TestContext;
let org: TestOrganization;
let apns: Http2Server;
let google: Server;
const pushes: Push[] = [];
const googleCalls: GoogleCall[] = [];
/** Answer the next APNs pushes with this status (then 200 again). */
const apnsFailures: number[] = [];

const listen = async (server: Http2Server | Server) => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
};

const read = (request: IncomingMessage) =>
  new Promise<string>((resolve) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => resolve(body));
  });

beforeAll(async () => {
  material = makeWalletMaterial();
  // APNs speaks HTTP/2 only: a cleartext HTTP/2 server stands in for api.push.apple.com.
  apns = createHttp2Server((request, response) => {
    request.resume();
    request.on('end', () => {
      pushes.push({
        path: request.headers[':path'] ?? '',
        topic: String(request.headers['apns-topic']),
        authorization: String(request.headers.authorization),
      });
      const failure = apnsFailures.shift();
      response.writeHead(failure ?? 200, { 'content-type': 'application/json' });
      response.end(failure ? JSON.stringify({ reason: 'InternalServerError' }) : '');
    });
  });
  google = createHttpServer(async (request, response) => {
    const body = await read(request);
    googleCalls.push({
      method: request.method ?? '',
      path: request.url ?? '',
      authorization: String(request.headers.authorization),
      body,
    });
    if (request.url === '/token') {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({ access_token: 'google-access-token', expires_in: 3600, token_type: 'Bearer' }),
      );
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(body);
  });
  const apnsUrl = await listen(apns);
  const googleUrl = await listen(google);
  const env = material.env({ apns: apnsUrl, google: googleUrl, tokenUri: `${googleUrl}/token` });
  ctx = await createTestContext({
    passes: {
      config: loadConfig(env).passes,
      publicUrl: 'https://loyalty.example.com',
      retrySchedule: [1, 1],
    },
  });
  org = await ctx.createOrganization({ name: 'La Tasca' });
});
afterAll(async () => {
  ctx.services.passes.close();
  await ctx.close();
  await new Promise((resolve) => apns.close(resolve));
  await new Promise((resolve) => google.close(resolve));
  material.remove();
});

async function call(method: 'GET' | 'POST', url: string, payload?: Record<string, unknown>) {
  return ctx.app.inject({ method, url, headers: org.headers, ...(payload ? { payload } : {}) });
}

async function member() {
  const created = await call('POST', '/v1/customers', {
    firstName: 'Ana',
    email: `ana-${Math.random().toString(36).slice(2)}@example.com`,
  });
  expectStatus(created, 201);
  return created.json() as { id: string; loyaltyCardNumber: string };
}

async function addPoints(customerId: string, points: number) {
  expectStatus(await call('POST', `/v1/customers/${customerId}/points/add`, { points, reason: 'test' }), 201);
}

/** What `regulars serve` does in the background, run to the end. */
async function settle() {
  while ((await ctx.services.passes.processUpdates()) > 0) {}
  while ((await ctx.services.passes.deliverDue()) > 0) {}
}

const primaryValue = (pkpass: Buffer) =>
  JSON.parse(unzipPass(pkpass).get('pass.json')?.toString() ?? '{}').storeCard.primaryFields[0].value;

describe('wallet updates', () => {
  it('pushes once per registered device after a balance change, and the next GET has the new balance', async () => {
    await settle();
    const ana = await member();
    const pass = await call('GET', `/v1/customers/${ana.id}/passes/apple`);
    const token = JSON.parse(
      unzipPass(pass.rawPayload).get('pass.json')?.toString() ?? '{}',
    ).authenticationToken;
    const auth = { authorization: `ApplePass ${token}` };
    const registration = (device: string) =>
      `/passkit/${org.id}/v1/devices/${device}/registrations/${material.passTypeId}/${ana.id}`;
    for (const device of ['phone', 'watch', 'old-phone']) {
      const registered = await ctx.app.inject({
        method: 'POST',
        url: registration(device),
        headers: auth,
        payload: { pushToken: `token-${device}` },
      });
      expectStatus(registered, 201);
    }
    expectStatus(
      await ctx.app.inject({ method: 'DELETE', url: registration('old-phone'), headers: auth }),
      200,
    );
    const passUrl = `/passkit/${org.id}/v1/passes/${material.passTypeId}/${ana.id}`;
    const before = await ctx.app.inject({ method: 'GET', url: passUrl, headers: auth });
    expect(primaryValue(before.rawPayload)).toBe('0');
    pushes.length = 0;

    await addPoints(ana.id, 30);
    await addPoints(ana.id, 12);
    await settle();

    expect(pushes.map((push) => push.path).sort()).toEqual([
      '/3/device/token-phone',
      '/3/device/token-watch',
    ]);
    expect(pushes.every((push) => push.topic === material.passTypeId)).toBe(true);
    const jwt = pushes[0]?.authorization.replace(/^bearer /, '') ?? '';
    const { payload, protectedHeader } = await jwtVerify(
      jwt,
      await importSPKI(material.apnsPublicKey, 'ES256'),
    );
    expect(protectedHeader).toMatchObject({ alg: 'ES256', kid: material.apnsKeyId });
    expect(payload.iss).toBe(material.teamId);

    const changed = await ctx.app.inject({
      method: 'GET',
      url: registration('phone').replace(`/${ana.id}`, ''),
    });
    expect(changed.json().serialNumbers).toEqual([ana.id]);
    const after = await ctx.app.inject({
      method: 'GET',
      url: passUrl,
      headers: { ...auth, 'if-modified-since': before.headers['last-modified'] as string },
    });
    expectStatus(after, 200);
    expect(primaryValue(after.rawPayload)).toBe('42');

    // Nothing changed since: no more pushes.
    pushes.length = 0;
    await settle();
    expect(pushes).toEqual([]);
  });

  it('retries a push APNs refused, on the retry schedule', async () => {
    await settle();
    const bea = await member();
    const pass = await call('GET', `/v1/customers/${bea.id}/passes/apple`);
    const token = JSON.parse(
      unzipPass(pass.rawPayload).get('pass.json')?.toString() ?? '{}',
    ).authenticationToken;
    const registered = await ctx.app.inject({
      method: 'POST',
      url: `/passkit/${org.id}/v1/devices/bea-phone/registrations/${material.passTypeId}/${bea.id}`,
      headers: { authorization: `ApplePass ${token}` },
      payload: { pushToken: 'token-bea' },
    });
    expectStatus(registered, 201);
    pushes.length = 0;
    apnsFailures.push(500);
    await addPoints(bea.id, 5);
    await ctx.services.passes.processUpdates();
    expect(await ctx.services.passes.deliverDue()).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await ctx.services.passes.deliverDue()).toBe(1);
    expect(pushes.map((push) => push.path)).toEqual(['/3/device/token-bea', '/3/device/token-bea']);
  });

  it('gives a Google save link whose JWT verifies and carries the loyalty class and object', async () => {
    const ana = await member();
    await addPoints(ana.id, 7);
    const response = await call('GET', `/v1/customers/${ana.id}/passes/google`);
    expectStatus(response, 200);
    const { saveUrl } = response.json() as { saveUrl: string };
    expect(saveUrl).toMatch(/^https:\/\/pay\.google\.com\/gp\/v\/save\//);
    const jwt = saveUrl.split('/').pop() ?? '';
    const { payload } = await jwtVerify(jwt, await importSPKI(material.googlePublicKey, 'RS256'), {
      issuer: material.googleClientEmail,
      audience: 'google',
    });
    expect(payload.typ).toBe('savetowallet');
    const body = payload.payload as {
      loyaltyClasses: Record<string, unknown>[];
      loyaltyObjects: Record<string, unknown>[];
    };
    expect(body.loyaltyClasses[0]).toMatchObject({
      id: `${material.googleIssuerId}.regulars-${org.id}`,
      issuerName: 'La Tasca',
      programName: 'La Tasca',
      programLogo: { sourceUri: { uri: `https://loyalty.example.com/passes/${org.id}/logo.png` } },
    });
    expect(body.loyaltyObjects[0]).toMatchObject({
      id: `${material.googleIssuerId}.${ana.id}`,
      classId: `${material.googleIssuerId}.regulars-${org.id}`,
      state: 'ACTIVE',
      accountId: ana.loyaltyCardNumber,
      accountName: 'Ana',
      barcode: { type: 'QR_CODE', value: ana.loyaltyCardNumber },
      loyaltyPoints: { label: 'Points', balance: { string: '7' } },
    });
  });

  it('updates the Google object after a balance change, with a service-account OAuth token', async () => {
    await settle();
    const ana = await member();
    expectStatus(await call('GET', `/v1/customers/${ana.id}/passes/google`), 200);
    googleCalls.length = 0;
    await addPoints(ana.id, 20);
    await settle();

    const exchange = googleCalls.find((entry) => entry.path === '/token');
    const update = googleCalls.find((entry) => entry.method === 'PUT');
    // The first update of this process: the token endpoint is asked first.
    expect(googleCalls[0]?.path).toBe('/token');
    {
      const form = new URLSearchParams(exchange?.body);
      expect(form.get('grant_type')).toBe('urn:ietf:params:oauth:grant-type:jwt-bearer');
      const { payload } = await jwtVerify(
        form.get('assertion') ?? '',
        await importSPKI(material.googlePublicKey, 'RS256'),
      );
      expect(payload).toMatchObject({
        iss: material.googleClientEmail,
        scope: 'https://www.googleapis.com/auth/wallet_object.issuer',
      });
      expect(payload.aud).toMatch(/\/token$/);
    }
    expect(update?.path).toBe(`/walletobjects/v1/loyaltyObject/${material.googleIssuerId}.${ana.id}`);
    expect(update?.authorization).toBe('Bearer google-access-token');
    expect(JSON.parse(update?.body ?? '{}')).toMatchObject({
      id: `${material.googleIssuerId}.${ana.id}`,
      loyaltyPoints: { balance: { string: '20' } },
    });
    expect(googleCalls.filter((entry) => entry.method === 'PUT')).toHaveLength(1);
  });
  it('a ticket that earns points updates both wallets: one push per device and one Google object update', async () => {
    await settle();
    const rule = await call('POST', '/v1/earning-rules', {
      name: '1 per euro',
      type: 'spend',
      config: { pointsPerUnit: 1 },
    });
    expectStatus(rule, 201);
    const ana = await member();
    const pass = await call('GET', `/v1/customers/${ana.id}/passes/apple`);
    const token = JSON.parse(
      unzipPass(pass.rawPayload).get('pass.json')?.toString() ?? '{}',
    ).authenticationToken;
    const registered = await ctx.app.inject({
      method: 'POST',
      url: `/passkit/${org.id}/v1/devices/ticket-phone/registrations/${material.passTypeId}/${ana.id}`,
      headers: { authorization: `ApplePass ${token}` },
      payload: { pushToken: 'token-ticket' },
    });
    expectStatus(registered, 201);
    expectStatus(await call('GET', `/v1/customers/${ana.id}/passes/google`), 200);
    pushes.length = 0;
    googleCalls.length = 0;

    const ticket = await call('POST', '/v1/transactions', {
      documentNumber: `T-${ana.id}`,
      totals: { total: 2500 },
      lines: [{ sku: 'MENU', name: 'Menu del día', total: 2500 }],
      customer: { customerId: ana.id },
    });
    expectStatus(ticket, 201);
    await settle();

    expect(pushes.map((push) => push.path)).toEqual(['/3/device/token-ticket']);
    const updates = googleCalls.filter((entry) => entry.method === 'PUT');
    expect(updates).toHaveLength(1);
    expect(JSON.parse(updates[0]?.body ?? '{}').loyaltyPoints.balance.string).toBe('25');
    const latest = await ctx.app.inject({
      method: 'GET',
      url: `/passkit/${org.id}/v1/passes/${material.passTypeId}/${ana.id}`,
      headers: { authorization: `ApplePass ${token}` },
    });
    expect(primaryValue(latest.rawPayload)).toBe('25');
  });

  it("forgets an erased member's cards: Apple devices and tokens go, the Google object is cleared once", async () => {
    await settle();
    const ana = await member();
    const pass = await call('GET', `/v1/customers/${ana.id}/passes/apple`);
    const token = JSON.parse(
      unzipPass(pass.rawPayload).get('pass.json')?.toString() ?? '{}',
    ).authenticationToken;
    const auth = { authorization: `ApplePass ${token}` };
    const devicePasses = `/passkit/${org.id}/v1/devices/erased-phone/registrations/${material.passTypeId}`;
    expectStatus(
      await ctx.app.inject({
        method: 'POST',
        url: `${devicePasses}/${ana.id}`,
        headers: auth,
        payload: { pushToken: 'token-erased' },
      }),
      201,
    );
    expectStatus(await call('GET', `/v1/customers/${ana.id}/passes/google`), 200);
    await settle();
    googleCalls.length = 0;

    expectStatus(await call('POST', `/v1/customers/${ana.id}/anonymize`), 200);
    await settle();

    const updates = googleCalls.filter((entry) => entry.method === 'PUT');
    expect(updates).toHaveLength(1);
    const object = JSON.parse(updates[0]?.body ?? '{}');
    expect(object).toMatchObject({
      id: `${material.googleIssuerId}.${ana.id}`,
      state: 'INACTIVE',
      accountName: '',
    });
    expect(updates[0]?.body).not.toContain(ana.loyaltyCardNumber);
    expect(updates[0]?.body).not.toContain('Ana');
    // The device has no pass left, and the old token opens nothing.
    expectStatus(await ctx.app.inject({ method: 'GET', url: devicePasses }), 204);
    const latest = await ctx.app.inject({
      method: 'GET',
      url: `/passkit/${org.id}/v1/passes/${material.passTypeId}/${ana.id}`,
      headers: auth,
    });
    expectStatus(latest, 401);
    // Cleared once: later events about the member change nothing more.
    googleCalls.length = 0;
    await settle();
    expect(googleCalls).toEqual([]);
  });
});
