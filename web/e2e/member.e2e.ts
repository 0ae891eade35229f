import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killStartedProcesses } from '../../test/support/processes.ts';
import { databaseEnv, removeTempDirs, type ServeProcess, startServe } from '../../test/support/serve.ts';
import { startSmtpServer, type TestSmtpServer } from '../../test/support/smtp.ts';
import { makeWalletMaterial, unzipPass, type WalletMaterial } from '../../test/support/wallet.ts';
import { launch, screenshot, seriousViolations } from './browser.ts';

const MASTER_KEY = 'rgm_browser_member_0123456789abcdef012';
/** On PostgreSQL the database outlives the run: this run's emails are its own. */
const RUN = Date.now().toString(36);
const ANA = `ana.${RUN}@example.com`;
const LUIS = `luis.${RUN}@example.com`;

let server: ServeProcess;
let wallet: WalletMaterial | undefined;
let smtp: TestSmtpServer;
let browser: Browser;
let organizationId: string;
let adminKey: string;

async function api(method: string, path: string, body?: unknown, key = adminKey) {
  const response = await fetch(server.url + path, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status} ${text}`);
  return (text ? JSON.parse(text) : {}) as Record<string, unknown>;
}

async function customerIdOf(email: string): Promise<string> {
  const page = await api('GET', `/v1/customers?email=${encodeURIComponent(email)}`);
  return String((page.data as { id: string }[])[0]?.id);
}

async function activeBalance(customerId: string): Promise<number> {
  const points = await api('GET', `/v1/customers/${customerId}/points`);
  return (points.balances as { active: number }[])[0]?.active ?? 0;
}

/** The six digits of the next sign-in email to this address. */
async function codeSentTo(email: string): Promise<string> {
  const mail = await smtp.waitForMessage(email, 10_000);
  const code = /\b(\d{6})\b/.exec(mail.text)?.[1];
  if (!code) throw new Error(`no code in the email: ${mail.text}`);
  return code;
}

/** A diner's phone: 390×844, touch, a browser in English (the organization's language wins). */
async function phone(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    locale: 'en-US',
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
  });
  return { context, page: await context.newPage() };
}

const memberUrl = (page = '') => `${server.url}/m/${organizationId}/${page}`;

async function expectAccessible(page: Page, name: string) {
  await page.waitForLoadState('networkidle');
  const violations = await seriousViolations(page);
  expect(violations, `${name}: ${JSON.stringify(violations, null, 1)}`).toEqual([]);
}

async function openTab(page: Page, name: string) {
  await page.getByRole('navigation').getByRole('link', { name }).click();
}

beforeAll(async () => {
  smtp = await startSmtpServer();
  wallet = makeWalletMaterial();
  server = await startServe({
    ...databaseEnv(),
    REGULARS_MASTER_KEY: MASTER_KEY,
    WEBHOOKS_WORKER: 'false',
    SMTP_URL: smtp.url,
    // Both wallets, with test material: the card offers them. Nothing listens on these hosts; the
    // pushes after a change fail and wait for a retry, which no journey here waits for.
    ...wallet.env({
      apns: 'https://127.0.0.1:9',
      google: 'http://127.0.0.1:9',
      tokenUri: 'http://127.0.0.1:9/token',
    }),
  });
  const organization = await api(
    'POST',
    '/v1/organizations',
    { name: 'La Tasca', timeZone: 'Europe/Madrid', country: 'ES', currency: 'EUR' },
    MASTER_KEY,
  );
  organizationId = String(organization.id);
  adminKey = String(
    (await api('POST', `/v1/organizations/${organizationId}/api-keys`, undefined, MASTER_KEY)).key,
  );
  await api('PATCH', '/v1/organization', {
    settings: {
      pointsPrecision: 'hundredths',
      brandColor: '#8a1c1c',
      memberTermsVersion: '2026-01',
      memberTermsText: 'Acepto las condiciones de La Tasca Amigos',
      memberMarketingText: 'Quiero recibir las ofertas de La Tasca',
    },
  });
  await api('POST', '/v1/earning-rules', { name: '1 per euro', type: 'spend', config: { pointsPerUnit: 1 } });
  await api('POST', '/v1/earning-rules', {
    name: 'Welcome',
    type: 'event',
    config: { event: 'registration', points: 60 },
  });
  await api('POST', '/v1/tiers', { name: 'Gold', conditionValue: 5000 });
  await api('POST', '/v1/rewards', {
    name: 'Free coffee',
    translations: { es: { name: 'Café gratis' } },
    type: 'free_product',
    scope: { skus: ['COFFEE'] },
    costPoints: 50,
  });
  await api('POST', '/v1/rewards', {
    name: 'Dinner for two',
    type: 'amount_discount',
    value: 4000,
    costPoints: 5000,
  });
  browser = await launch();
});

afterAll(async () => {
  await browser?.close();
  await killStartedProcesses();
  await smtp?.close();
  wallet?.remove();
  removeTempDirs();
});

describe('the member pages on a phone', () => {
  it('joins from the table’s QR, signs in with the emailed code and sees the card with the welcome points', async () => {
    const { context, page } = await phone();
    await page.goto(memberUrl('join'));
    // The organization's language (Spain: Spanish) over the browser's, its name and wording.
    await page.getByRole('heading', { name: 'Únete a La Tasca' }).waitFor();
    await page.getByText('Acepto las condiciones de La Tasca Amigos').waitFor();
    await expectAccessible(page, 'join');
    await screenshot(page, 'member-join');

    // Refusals show under their field: the page's own checks, then the server's.
    await page.getByRole('button', { name: 'Unirme' }).click();
    await page.getByText('Indica un email o un teléfono').waitFor();
    await page.getByText('Acepta las condiciones para unirte').waitFor();
    await page.getByRole('textbox', { name: 'Nombre', exact: true }).fill('Ana');
    await page.getByRole('textbox', { name: 'Email' }).fill(ANA);
    await page.getByRole('textbox', { name: 'Teléfono' }).fill('12');
    await page.getByRole('checkbox', { name: 'Acepto las condiciones de La Tasca Amigos' }).check();
    await page.getByRole('checkbox', { name: 'por email' }).check();
    await page.getByRole('button', { name: 'Unirme' }).click();
    const phoneField = page.getByRole('textbox', { name: 'Teléfono' });
    await expect.poll(() => phoneField.getAttribute('aria-invalid')).toBe('true');
    await page.getByText(/is not a valid phone number/).waitFor();
    await screenshot(page, 'member-join-refused');
    await phoneField.fill('');
    await page.getByRole('button', { name: 'Unirme' }).click();

    await page.getByRole('textbox', { name: 'Código de seis cifras' }).fill(await codeSentTo(ANA));
    await page.getByRole('button', { name: 'Entrar' }).click();
    await page.getByRole('heading', { name: 'Hola, Ana' }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/m/${organizationId}/`);
    await expect.poll(() => page.getByTestId('balance').textContent()).toBe('60 puntos');
    await page.getByRole('img', { name: /Código QR de la tarjeta/ }).waitFor();
    expect(await page.getByTestId('card-number').textContent()).toMatch(/^[0-9A-Z]{10}$/);
    // €50 to Gold on what the member spent, in the organization's money.
    await expect
      .poll(() => page.getByTestId('tier-progress').textContent())
      .toMatch(/^Te faltan 50,00\s€ para Gold$/);
    // The card in the phone's wallet: the Apple file and the Google save link, as this member.
    await page.getByRole('link', { name: 'Añadir a Apple Wallet' }).waitFor();
    const pkpass = await page.request.get(`${server.url}/v1/me/passes/apple`);
    expect(pkpass.status()).toBe(200);
    expect(pkpass.headers()['content-type']).toBe('application/vnd.apple.pkpass');
    expect(unzipPass(await pkpass.body()).has('pass.json')).toBe(true);
    await page.route('https://pay.google.com/**', (route) => route.fulfill({ body: 'Google Wallet' }));
    await expectAccessible(page, 'card');
    await screenshot(page, 'member-card');
    await page.getByRole('button', { name: 'Guardar en Google Wallet' }).click();
    await page.waitForURL(/^https:\/\/pay\.google\.com\/gp\/v\/save\/[\w-]+\.[\w-]+\.[\w-]+$/);
    await page.goBack();
    await page.getByRole('heading', { name: 'Hola, Ana' }).waitFor();

    const customerId = await customerIdOf(ANA);
    const member = await api('GET', `/v1/customers/${customerId}`);
    expect(member).toMatchObject({ firstName: 'Ana', marketingConsents: { email: { granted: true } } });

    // A ticket posted by the POS shows on the history page.
    await api('POST', '/v1/transactions', {
      documentNumber: `T-${RUN}`,
      customer: { customerId },
      lines: [
        { lineId: 'L1', sku: 'BURGER', name: 'Burger', quantity: 1, total: 1250 },
        { lineId: 'L2', sku: 'COFFEE', name: 'Coffee', quantity: 1, total: 200 },
      ],
      totals: { total: 1450 },
    });
    await openTab(page, 'Historial');
    await page.getByRole('heading', { name: 'Historial' }).waitFor();
    const ticket = page.getByTestId('history-entry').filter({ hasText: 'Visita' });
    await expect.poll(() => ticket.textContent()).toMatch(/Ganados.*Visita.*\+14,5/);
    await expectAccessible(page, 'history');
    await screenshot(page, 'member-history');

    // Claiming a reward spends its points: the balance drops by its cost.
    await openTab(page, 'Premios');
    await expect.poll(() => page.getByTestId('rewards-balance').textContent()).toBe('Tienes 74,5 puntos');
    await page.getByText('Aún no: te faltan 4925,5 puntos').waitFor();
    await page.getByRole('button', { name: 'Canjear: Café gratis' }).click();
    await page.getByText(/Has canjeado «Café gratis»: enseña el cupón \S+ en caja\./).waitFor();
    await expect.poll(() => page.getByTestId('rewards-balance').textContent()).toBe('Tienes 24,5 puntos');
    expect(await activeBalance(customerId)).toBe(24.5);
    await page.getByRole('heading', { name: 'Tus cupones' }).waitFor();
    await expectAccessible(page, 'rewards');
    await screenshot(page, 'member-rewards');

    await openTab(page, 'Tarjeta');
    await expect
      .poll(() => page.getByTestId('tier-progress').textContent())
      .toMatch(/^Te faltan 35,50\s€ para Gold$/);
    await expect.poll(() => page.getByTestId('balance').textContent()).toBe('24,5 puntos');
    await context.close();
  });

  it('signs a member in with a code, edits the profile, remembers the language, and deletes the account once confirmed', async () => {
    await api('POST', '/v1/customers', { firstName: 'Luis', email: LUIS });
    const customerId = await customerIdOf(LUIS);
    const { context, page } = await phone();
    await page.goto(memberUrl());
    // Not signed in: the sign-in page.
    await page.getByRole('heading', { name: 'Entra en La Tasca' }).waitFor();
    await page.getByRole('textbox', { name: 'Email' }).fill(LUIS);
    await page.getByRole('button', { name: 'Envíame un código' }).click();
    const code = await codeSentTo(LUIS);
    const wrong = code === '000000' ? '111111' : '000000';
    await page.getByRole('textbox', { name: 'Código de seis cifras' }).fill(wrong);
    await page.getByRole('button', { name: 'Entrar' }).click();
    await page.getByText(/the code is wrong, expired or already used/).waitFor();
    await page.getByRole('textbox', { name: 'Código de seis cifras' }).fill(code);
    await page.getByRole('button', { name: 'Entrar' }).click();
    await page.getByRole('heading', { name: 'Hola, Luis' }).waitFor();

    // The member's own choice of language is remembered over the organization's.
    await page.getByRole('combobox', { name: 'Idioma' }).selectOption('en');
    await page.getByRole('link', { name: 'Profile' }).click();
    await page.reload();
    await page.getByRole('heading', { name: 'Profile' }).waitFor();
    await page.getByRole('textbox', { name: 'Last name' }).fill('Martín');
    await page.getByRole('checkbox', { name: 'By SMS' }).check();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved', { exact: true }).waitFor();
    expect(await api('GET', `/v1/customers/${customerId}`)).toMatchObject({
      lastName: 'Martín',
      marketingConsents: { sms: { granted: true } },
    });
    await expectAccessible(page, 'profile');
    await screenshot(page, 'member-profile');

    // Installable: the organization's manifest, and a service worker that keeps no API answer.
    const manifest = await page.evaluate(() => {
      const link = (
        globalThis as unknown as { document: { querySelector(s: string): { href: string } | null } }
      ).document.querySelector('link[rel="manifest"]');
      return link ? fetch(link.href).then((response) => response.json()) : null;
    });
    expect(manifest).toMatchObject({
      name: 'La Tasca',
      start_url: `/m/${organizationId}/`,
      theme_color: '#8a1c1c',
    });
    const cached = await page.evaluate(async () => {
      const scope = globalThis as unknown as {
        navigator: { serviceWorker: { ready: Promise<{ active: unknown }> } };
        caches: {
          keys(): Promise<string[]>;
          open(name: string): Promise<{ keys(): Promise<{ url: string }[]> }>;
        };
      };
      await scope.navigator.serviceWorker.ready;
      const urls: string[] = [];
      for (const name of await scope.caches.keys()) {
        for (const request of await (await scope.caches.open(name)).keys()) urls.push(request.url);
      }
      return urls;
    });
    expect(cached.filter((url) => new URL(url).pathname.startsWith('/v1/'))).toEqual([]);

    await page.getByRole('button', { name: 'Delete my account' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete your account?' });
    await dialog.waitFor();
    await page.waitForTimeout(400); // the modal's opening transition
    await screenshot(page, 'member-delete');
    await dialog.getByRole('button', { name: 'Keep my account' }).click();
    await dialog.waitFor({ state: 'hidden' });
    expect((await api('GET', `/v1/customers/${customerId}`)).anonymizedAt).toBeNull();
    await page.getByRole('button', { name: 'Delete my account' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Yes, delete it' }).click();
    await page.getByRole('heading', { name: 'Join La Tasca' }).waitFor();
    const erased = await api('GET', `/v1/customers/${customerId}`);
    expect(erased.anonymizedAt).not.toBeNull();
    expect(erased.email).toBeNull();
    await context.close();
  });

  it('answers an unknown organization’s address with a page saying so', async () => {
    const { context, page } = await phone();
    await page.goto(`${server.url}/m/00000000-0000-4000-8000-000000000000/join`);
    await page.getByRole('alert').waitFor();
    await context.close();
  });
});
