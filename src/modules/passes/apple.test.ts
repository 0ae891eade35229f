import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestContext,
  expectStatus,
  type TestContext,
  type TestOrganization,
} from '../../../test/support/context.ts';
import { startSmtpServer, type TestSmtpServer } from '../../../test/support/smtp.ts';
import {
  makeWalletMaterial,
  unzipPass,
  verifyPassSignature,
  type WalletMaterial,
} from '../../../test/support/wallet.ts';
import { loadConfig } from '../../config.ts';

const PUBLIC_URL = 'https://loyalty.example.com';

let material: WalletMaterial;
let ctx: TestContext;
let org: TestOrganization;
let smtp: TestSmtpServer;

beforeAll(async () => {
  material = makeWalletMaterial();
  const config = loadConfig(material.env({})).passes;
  smtp = await startSmtpServer();
  ctx = await createTestContext({
    passes: { config, publicUrl: PUBLIC_URL },
    messaging: { smtpUrl: smtp.url },
  });
  org = await ctx.createOrganization({ name: 'La Tasca' });
});
afterAll(async () => {
  await ctx.close();
  await smtp.close();
  material.remove();
});

async function call(method: 'GET' | 'POST' | 'PATCH', url: string, payload?: Record<string, unknown>) {
  return ctx.app.inject({ method, url, headers: org.headers, ...(payload ? { payload } : {}) });
}

async function member(fields: Record<string, unknown> = {}) {
  const created = await call('POST', '/v1/customers', {
    firstName: 'Ana',
    lastName: 'García',
    email: `ana-${Math.random().toString(36).slice(2)}@example.com`,
    ...fields,
  });
  expectStatus(created, 201);
  return created.json() as { id: string; loyaltyCardNumber: string };
}

async function applePass(customerId: string) {
  const response = await call('GET', `/v1/customers/${customerId}/passes/apple`);
  expectStatus(response, 200);
  expect(response.headers['content-type']).toBe('application/vnd.apple.pkpass');
  return unzipPass(response.rawPayload);
}

const passJson = (entries: Map<string, Buffer>) => JSON.parse(entries.get('pass.json')?.toString() ?? '{}');

describe('Apple Wallet pass', () => {
  it('is a signed storeCard with the member, the card QR, balances, tier and expiry', async () => {
    const logo = (await import('../passes/images.ts')).solidPng(48, '#aa0000').toString('base64');
    expectStatus(
      await call('PATCH', '/v1/organization', {
        settings: { walletPass: { backgroundColor: '#112233', foregroundColor: '#ffffff', logoPng: logo } },
      }),
      200,
    );
    const ana = await member();
    const expiresAt = new Date(Date.now() + 10 * 86_400_000).toISOString();
    expectStatus(
      await call('POST', `/v1/customers/${ana.id}/points/add`, {
        points: 12.5,
        expiresAt,
        reason: 'welcome',
      }),
      201,
    );

    const entries = await applePass(ana.id);
    const pass = passJson(entries);
    expect(pass).toMatchObject({
      formatVersion: 1,
      passTypeIdentifier: material.passTypeId,
      teamIdentifier: material.teamId,
      serialNumber: ana.id,
      organizationName: 'La Tasca',
      backgroundColor: 'rgb(17, 34, 51)',
      webServiceURL: `${PUBLIC_URL}/passkit/${org.id}`,
      barcodes: [
        { message: ana.loyaltyCardNumber, format: 'PKBarcodeFormatQR', messageEncoding: 'iso-8859-1' },
      ],
    });
    expect(pass.authenticationToken.length).toBeGreaterThanOrEqual(16);
    expect(pass.storeCard.primaryFields).toEqual([
      expect.objectContaining({ label: 'Points', value: '12.50', changeMessage: 'BALANCE_CHANGED' }),
    ]);
    expect(pass.storeCard.secondaryFields).toEqual([
      expect.objectContaining({ label: 'MEMBER', value: 'Ana García' }),
    ]);
    expect(pass.storeCard.headerFields).toEqual([
      expect.objectContaining({ label: 'TIER', value: 'NO_TIER' }),
    ]);
    expect(pass.storeCard.auxiliaryFields[0].value).toMatch(/^12\.50 Points · \d{4}-\d{2}-\d{2}$/);
    expect(entries.get('logo.png')?.toString('base64')).toBe(logo);
    for (const language of ['es', 'en', 'fr'])
      expect(entries.get(`${language}.lproj/pass.strings`)?.toString()).toContain('"MEMBER"');
    expect(entries.get('es.lproj/pass.strings')?.toString()).toContain('"MEMBER" = "Socio";');

    const manifest = JSON.parse(entries.get('manifest.json')?.toString() ?? '{}') as Record<string, string>;
    const listed = [...entries.keys()]
      .filter((name) => !['manifest.json', 'signature'].includes(name))
      .sort();
    expect(Object.keys(manifest).sort()).toEqual(listed);
    for (const name of listed)
      expect(manifest[name], name).toBe(
        createHash('sha1')
          .update(entries.get(name) ?? '')
          .digest('hex'),
      );
    expect(() => verifyPassSignature(entries, material.wwdrPath)).not.toThrow();
    // A tampered manifest no longer verifies: the check above can fail.
    const tampered = new Map(entries).set('manifest.json', Buffer.from('{}'));
    expect(() => verifyPassSignature(tampered, material.wwdrPath)).toThrow();
  });

  it('answers 404 for another organization’s member and an unknown one', async () => {
    const other = await ctx.createOrganization();
    const theirs = await ctx.app.inject({
      method: 'POST',
      url: '/v1/customers',
      headers: other.headers,
      payload: { firstName: 'Eve', email: 'eve@example.com' },
    });
    expectStatus(theirs, 201);
    expectStatus(await call('GET', `/v1/customers/${theirs.json().id}/passes/apple`), 404);
    expectStatus(await call('GET', '/v1/customers/0190a000-0000-7000-8000-000000000000/passes/apple'), 404);
  });
});

describe('PassKit web service', () => {
  const device = 'device-library-1';
  const base = () => `/passkit/${org.id}/v1`;

  async function issued() {
    const ana = await member();
    const token = passJson(await applePass(ana.id)).authenticationToken as string;
    return { ana, token, auth: { authorization: `ApplePass ${token}` } };
  }

  it('registers a device once, with the pass’s token only', async () => {
    const { ana, auth } = await issued();
    const url = `${base()}/devices/${device}/registrations/${material.passTypeId}/${ana.id}`;
    const payload = { pushToken: 'push-token-1' };
    expectStatus(await ctx.app.inject({ method: 'POST', url, headers: auth, payload }), 201);
    expectStatus(await ctx.app.inject({ method: 'POST', url, headers: auth, payload }), 200);
    for (const headers of [
      {},
      { authorization: 'ApplePass wrong-token-0123456789' },
      { authorization: 'Bearer x' },
    ])
      expectStatus(await ctx.app.inject({ method: 'POST', url, headers, payload }), 401);
    const otherType = url.replace(material.passTypeId, 'pass.other');
    expectStatus(await ctx.app.inject({ method: 'POST', url: otherType, headers: auth, payload }), 404);
    // A token of one pass does not open another.
    const { ana: bea } = await issued();
    const beaUrl = `${base()}/devices/${device}/registrations/${material.passTypeId}/${bea.id}`;
    expectStatus(await ctx.app.inject({ method: 'POST', url: beaUrl, headers: auth, payload }), 401);
  });

  it('lists the device’s passes updated since a tag, and serves the latest pass with If-Modified-Since', async () => {
    const { ana, auth } = await issued();
    const registrations = `${base()}/devices/device-2/registrations/${material.passTypeId}`;
    expectStatus(await ctx.app.inject({ method: 'GET', url: registrations }), 204);
    const register = await ctx.app.inject({
      method: 'POST',
      url: `${registrations}/${ana.id}`,
      headers: auth,
      payload: { pushToken: 'push-token-2' },
    });
    expectStatus(register, 201);
    const listed = await ctx.app.inject({ method: 'GET', url: registrations });
    expectStatus(listed, 200);
    const { serialNumbers, lastUpdated } = listed.json();
    expect(serialNumbers).toEqual([ana.id]);
    expectStatus(
      await ctx.app.inject({ method: 'GET', url: `${registrations}?passesUpdatedSince=${lastUpdated}` }),
      204,
    );

    const passUrl = `${base()}/passes/${material.passTypeId}/${ana.id}`;
    const latest = await ctx.app.inject({ method: 'GET', url: passUrl, headers: auth });
    expectStatus(latest, 200);
    expect(passJson(unzipPass(latest.rawPayload)).serialNumber).toBe(ana.id);
    const lastModified = latest.headers['last-modified'] as string;
    expect(lastModified).toBeTruthy();
    const again = await ctx.app.inject({
      method: 'GET',
      url: passUrl,
      headers: { ...auth, 'if-modified-since': lastModified },
    });
    expectStatus(again, 304);
    expectStatus(await ctx.app.inject({ method: 'GET', url: passUrl }), 401);

    expectStatus(
      await ctx.app.inject({ method: 'DELETE', url: `${registrations}/${ana.id}`, headers: auth }),
      200,
    );
    expectStatus(await ctx.app.inject({ method: 'GET', url: registrations }), 204);
    const log = await ctx.app.inject({
      method: 'POST',
      url: `${base()}/log`,
      payload: { logs: ['could not fetch'] },
    });
    expectStatus(log, 200);
  });
});

describe('wallet links', () => {
  it('Comeback’s download URLs serve the real passes when the wallets are configured, and record the download', async () => {
    const ana = await member();
    const comeback = (path: string) =>
      ctx.app.inject({
        method: 'GET',
        url: `/compat/comeback/v1/customers/${ana.id}/${path}`,
        headers: { authorization: org.apiKey },
      });
    const apple = await comeback('appleDownloadUrl');
    expectStatus(apple, 200);
    const applePath = new URL(apple.json().downloadUrl).pathname;
    expect(applePath).toMatch(new RegExp(`^/passes/${org.id}/[A-Za-z0-9_-]{43}/apple$`));
    const file = await ctx.app.inject({ method: 'GET', url: applePath });
    expectStatus(file, 200);
    expect(file.headers['content-type']).toBe('application/vnd.apple.pkpass');
    expect(passJson(unzipPass(file.rawPayload)).serialNumber).toBe(ana.id);

    const android = await comeback('androidDownloadUrl');
    const redirect = await ctx.app.inject({
      method: 'GET',
      url: new URL(android.json().downloadUrl).pathname,
    });
    expectStatus(redirect, 302);
    expect(redirect.headers.location).toMatch(/^https:\/\/pay\.google\.com\/gp\/v\/save\//);

    const customer = await ctx.app.inject({
      method: 'GET',
      url: `/compat/comeback/v1/customers/${ana.id}`,
      headers: { authorization: org.apiKey },
    });
    expect([customer.json().appleDownloaded, customer.json().androidDownloaded]).toEqual([true, true]);
    expectStatus(
      await ctx.app.inject({
        method: 'GET',
        url: applePath.replace(/\/[^/]+\/apple$/, '/wrong-token/apple'),
      }),
      404,
    );
  });

  it('the member gets their own pass and save link under /v1/me', async () => {
    const email = `me-${Math.random().toString(36).slice(2)}@example.com`;
    const ana = await member({ email });
    const signIn = `/v1/public/organizations/${org.id}/sign-in`;
    expectStatus(await ctx.app.inject({ method: 'POST', url: `${signIn}/code`, payload: { email } }), 202);
    const code = /\b(\d{6})\b/.exec((await smtp.waitForMessage(email)).text)?.[1] ?? '';
    const verified = await ctx.app.inject({
      method: 'POST',
      url: `${signIn}/verify`,
      payload: { email, code },
    });
    expectStatus(verified, 200);
    const headers = { authorization: `Bearer ${verified.json().token}` };

    const wallets = await ctx.app.inject({ method: 'GET', url: '/v1/me/passes', headers });
    expect(wallets.json()).toEqual({ apple: true, google: true });
    const file = await ctx.app.inject({ method: 'GET', url: '/v1/me/passes/apple', headers });
    expectStatus(file, 200);
    expect(passJson(unzipPass(file.rawPayload)).serialNumber).toBe(ana.id);
    const link = await ctx.app.inject({ method: 'GET', url: '/v1/me/passes/google', headers });
    expect(link.json().saveUrl).toMatch(/^https:\/\/pay\.google\.com\/gp\/v\/save\//);
    expectStatus(await ctx.app.inject({ method: 'GET', url: '/v1/me/passes/apple' }), 401);
  });
});

describe('without wallet configuration', () => {
  it('answers 404 wallet_not_configured, and card links fall back to the HTML card', async () => {
    const plain = await createTestContext();
    try {
      const other = await plain.createOrganization();
      const created = await plain.app.inject({
        method: 'POST',
        url: '/v1/customers',
        headers: other.headers,
        payload: { firstName: 'Ana', email: 'ana@example.com' },
      });
      const id = created.json().id as string;
      const apple = await plain.app.inject({
        method: 'GET',
        url: `/v1/customers/${id}/passes/apple`,
        headers: other.headers,
      });
      expectStatus(apple, 404);
      expect(apple.json().code).toBe('wallet_not_configured');
      const download = await plain.app.inject({
        method: 'GET',
        url: `/compat/comeback/v1/customers/${id}/appleDownloadUrl`,
        headers: { authorization: other.apiKey },
      });
      const path = new URL(download.json().downloadUrl).pathname;
      expect(path).toMatch(/^\/cards\//);
      const redirect = await plain.app.inject({ method: 'GET', url: path.replace(/^\/cards\//, '/passes/') });
      expectStatus(redirect, 302);
      expect(redirect.headers.location).toBe(path);
      // The members' events still pass through the pass queue, which drains with nothing to update.
      expect(await plain.services.passes.processUpdates()).toBeGreaterThan(0);
      expect(await plain.services.passes.processUpdates()).toBe(0);
      expect(await plain.services.passes.deliverDue()).toBe(0);
    } finally {
      await plain.close();
    }
  });
});
