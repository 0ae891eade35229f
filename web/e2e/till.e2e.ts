import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killStartedProcesses } from '../../test/support/processes.ts';
import {
  databaseEnv,
  removeTempDirs,
  type ServeProcess,
  startServe,
  tempDir,
} from '../../test/support/serve.ts';
import { launch, launchWithCamera, screenshot, seriousViolations } from './browser.ts';
import { writeCardVideo } from './fake-camera.ts';

const MASTER_KEY = 'rgm_browser_till_0123456789abcdef0123';
const PASSWORD = 'correct horse battery staple';
/** On PostgreSQL the database outlives the run: this run's emails and phone are its own. */
const RUN = Date.now().toString(36);
const CASHIER = `pau.${RUN}@latasca.es`;
const MANAGER = `marta.${RUN}@latasca.es`;
// A Spanish mobile unique to the run: 6 then 8 digits.
const LOCAL_PHONE = `6${String(Date.now()).slice(-8)}`;

let server: ServeProcess;
let browser: Browser;
let organizationId: string;
let adminKey: string;
let customerId: string;
let locations: { born: string; gracia: string };

async function api(
  method: string,
  path: string,
  body?: unknown,
  key = adminKey,
): Promise<Record<string, unknown>> {
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
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

interface Entry {
  kind: string;
  points: number;
  source: { type: string; id: string | null } | null;
}

/** The member's ledger, newest first. */
async function ledger(): Promise<Entry[]> {
  const page = await api('GET', `/v1/customers/${customerId}/points/history?limit=100`);
  return page.data as Entry[];
}

/** The six digits of the last sign-in SMS to this number: with no SMS provider the server logs it. */
async function smsCodeSentTo(phone: string): Promise<string> {
  let code: string | undefined;
  await expect
    .poll(() => {
      for (const line of server.stdout().split('\n')) {
        if (line.includes(`"recipient":"${phone}"`)) code = /\b(\d{6})\b/.exec(line)?.[1] ?? code;
      }
      return code;
    })
    .toBeDefined();
  return code as string;
}

async function activeBalance(id = customerId): Promise<number> {
  const points = await api('GET', `/v1/customers/${id}/points`);
  return (points.balances as { active: number }[])[0]?.active ?? 0;
}

const balanceText = (points: number) =>
  `New balance: ${new Intl.NumberFormat('en-US').format(points)} Points`;

/**
 * Runs in the page before its scripts: keeps every camera stream the page opens in
 * `window.cameraStreams`, so a test can see whether its tracks were stopped.
 */
const RECORD_CAMERA_STREAMS = `
  window.cameraStreams = [];
  const devices = navigator.mediaDevices;
  const open = devices.getUserMedia.bind(devices);
  devices.getUserMedia = async (constraints) => {
    const stream = await open(constraints);
    window.cameraStreams.push(stream);
    return stream;
  };`;

/** Runs in the page before its scripts: the device's camera answers as when the cashier said no. */
const REFUSE_CAMERA = `
  navigator.mediaDevices.getUserMedia = async () => {
    throw new DOMException('Permission denied', 'NotAllowedError');
  };`;

/** The states of the camera tracks the page opened (`live` or `ended`). */
function cameraTracks(page: Page): Promise<string[]> {
  return page.evaluate(
    'window.cameraStreams.flatMap((stream) => stream.getTracks().map((track) => track.readyState))',
  ) as Promise<string[]>;
}

/** A cashier signed in on a tablet (landscape), sent to the till. */
async function cashierAtTheTill(
  on: Browser = browser,
  initScript?: string,
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await on.newContext({
    locale: 'en-US',
    viewport: { width: 1024, height: 768 },
    hasTouch: true,
  });
  if (initScript) await context.addInitScript(initScript);
  const page = await context.newPage();
  // The till's short address: the bookmark on the counter's tablet.
  await page.goto(`${server.url}/till`);
  await page.getByRole('textbox', { name: 'Email', exact: true }).fill(CASHIER);
  await page.getByRole('textbox', { name: 'Password', exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Till', level: 1 }).waitFor();
  expect(new URL(page.url()).pathname).toBe('/console/till');
  return { context, page };
}

/** Whether the search box has the focus (in the page: typed by hand, the server's tsconfig has no DOM). */
function searchHasFocus(page: Page): Promise<boolean> {
  return page
    .getByTestId('till-search')
    .evaluate(
      (input) =>
        input === (globalThis as unknown as { document: { activeElement: unknown } }).document.activeElement,
    );
}

/** Finds the member by phone typed as a cashier would (spaces, no country code), then Enter. */
async function findMember(page: Page) {
  await expect.poll(() => searchHasFocus(page)).toBe(true);
  await page.keyboard.type(LOCAL_PHONE.replace(/^(\d{3})(\d{3})(\d{3})$/, '$1 $2 $3'));
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Bruce Wayne' }).waitFor();
}

async function enterOrder(page: Page) {
  await page.getByRole('textbox', { name: 'Item code 1' }).fill('BURGER');
  await page.getByRole('textbox', { name: 'Price 1' }).fill('12.50');
  await page.getByRole('button', { name: 'Add item' }).click();
  await page.getByRole('textbox', { name: 'Item code 2' }).fill('COFFEE');
  await page.getByRole('textbox', { name: 'Price 2' }).fill('1,80');
}

async function expectAccessible(page: Page, name: string) {
  await page.waitForLoadState('networkidle');
  await page.mouse.move(0, 0);
  await page.waitForTimeout(300);
  const violations = await seriousViolations(page);
  expect(violations, `${name}: ${JSON.stringify(violations, null, 1)}`).toEqual([]);
}

beforeAll(async () => {
  server = await startServe({ ...databaseEnv(), REGULARS_MASTER_KEY: MASTER_KEY, WEBHOOKS_WORKER: 'false' });
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
  await api('POST', '/v1/earning-rules', { name: '1 per euro', type: 'spend', config: { pointsPerUnit: 1 } });
  await api('POST', '/v1/rewards', {
    name: 'Free coffee',
    type: 'free_product',
    scope: { skus: ['COFFEE'] },
    costPoints: 50,
    posCode: 'CAFE',
  });
  await api('POST', '/v1/rewards', {
    name: 'Dinner for two',
    type: 'amount_discount',
    value: 4000,
    costPoints: 5000,
  });
  const member = await api('POST', '/v1/customers', {
    firstName: 'Bruce',
    lastName: 'Wayne',
    phone: `+34${LOCAL_PHONE}`,
  });
  customerId = String(member.id);
  // Two locations: the till asks which one it stands at.
  locations = {
    born: String((await api('POST', '/v1/locations', { name: 'La Tasca Born' })).id),
    gracia: String((await api('POST', '/v1/locations', { name: 'La Tasca Gràcia' })).id),
  };
  await api('POST', `/v1/customers/${customerId}/points/add`, { points: 100, reason: 'Welcome' });
  const invited = await api(
    'POST',
    `/v1/organizations/${organizationId}/staff`,
    { email: CASHIER, role: 'cashier' },
    MASTER_KEY,
  );
  const token = /token=(rgt_[A-Za-z0-9_-]+)/.exec(String(invited.inviteLink))?.[1];
  await api('POST', '/v1/auth/accept-invite', { token, password: PASSWORD });
  const manager = await api(
    'POST',
    `/v1/organizations/${organizationId}/staff`,
    { email: MANAGER, role: 'manager', language: 'en' },
    MASTER_KEY,
  );
  await api('POST', '/v1/auth/accept-invite', {
    token: /token=(rgt_[A-Za-z0-9_-]+)/.exec(String(manager.inviteLink))?.[1],
    password: PASSWORD,
  });
  browser = await launch();
});

afterAll(async () => {
  await browser?.close();
  await killStartedProcesses();
  removeTempDirs();
});

describe('the till in a browser', () => {
  it('finds a member by a phone typed another way, applies a reward, posts the ticket and shows the new balance', async () => {
    const { context, page } = await cashierAtTheTill();
    await screenshot(page, 'till-empty');
    await findMember(page);
    const member = page.getByTestId('till-member');
    await expect.poll(() => member.getByTestId('till-balances').textContent()).toContain('100 Points');
    await member.getByTestId('till-usable').getByText('Free coffee').waitFor();
    // Why the other reward is not available now, in the engine's words.
    await member.getByTestId('till-not-now').getByText('Dinner for two').waitFor();
    await expect.poll(() => member.getByTestId('till-not-now').textContent()).toMatch(/points/i);
    await expectAccessible(page, 'till with a member');

    await enterOrder(page);
    await page.getByRole('button', { name: 'Apply: Free coffee' }).click();
    await page.getByTestId('till-applied').getByText('Free coffee').waitFor();
    await expect.poll(() => page.getByTestId('till-discount').textContent()).toBe('-€1.80');
    expect(await page.getByTestId('till-total').textContent()).toBe('€12.50');
    // Undo within the order gives the points back; applying again holds them again.
    await page.getByRole('button', { name: 'Undo: Free coffee' }).click();
    await expect.poll(() => page.getByTestId('till-discount').textContent()).toBe('€0.00');
    await page.getByRole('button', { name: 'Apply: Free coffee' }).click();
    await expect.poll(() => page.getByTestId('till-discount').textContent()).toBe('-€1.80');
    await screenshot(page, 'till-order');

    await page.getByRole('button', { name: 'Post ticket' }).click();
    const posted = page.getByTestId('till-posted');
    await posted.waitFor();
    // One way on to the next customer, not two.
    expect(await page.getByRole('button', { name: 'Next customer' }).count()).toBe(1);
    // 12.50 paid at 1 point per euro; 100 − 50 for the coffee + 12.5.
    await expect.poll(() => posted.textContent()).toContain('+12.5 points earned');
    await expect
      .poll(() => page.getByTestId('till-new-balance').textContent())
      .toBe('New balance: 62.5 Points');
    expect(await activeBalance()).toBe(62.5);
    const entries = await ledger();
    expect(entries.filter((entry) => entry.kind === 'spend')).toHaveLength(1);
    expect(entries.filter((entry) => entry.kind === 'earn')).toHaveLength(1);
    // Focus is back in the search box: the next scan needs no tap.
    await expect.poll(() => searchHasFocus(page)).toBe(true);
    await expectAccessible(page, 'till after the ticket');
    await screenshot(page, 'till-posted');
    await context.close();
  });

  it('charges once when the connection drops after the server took the ticket and the cashier retries, and on a double tap', async () => {
    const { context, page } = await cashierAtTheTill();
    const before = await ledger();
    const start = await activeBalance();
    await findMember(page);
    await enterOrder(page);
    await page.getByRole('button', { name: 'Apply: Free coffee' }).click();
    await expect.poll(() => page.getByTestId('till-discount').textContent()).toBe('-€1.80');

    // The ticket reaches the server, but its answer never reaches the till.
    let dropped = 0;
    await page.route('**/v1/transactions', async (route) => {
      if (dropped > 0) return route.continue();
      dropped++;
      await route.fetch();
      await route.abort('connectionreset');
    });
    await page.getByRole('button', { name: 'Post ticket' }).click();
    const failure = page.getByTestId('till-failure');
    await failure.getByText('Connection lost').waitFor();
    await screenshot(page, 'till-connection-lost');
    await failure.getByRole('button', { name: 'Retry' }).click();
    await page.getByTestId('till-posted').waitFor();
    await expect
      .poll(() => page.getByTestId('till-new-balance').textContent())
      .toBe(balanceText(start - 50 + 12.5));

    // The next customer's order, posted with a double tap.
    await page.getByRole('button', { name: 'Next customer' }).click();
    await findMember(page);
    await page.getByRole('textbox', { name: 'Price 1' }).fill('10');
    await page.getByRole('button', { name: 'Post ticket' }).dblclick();
    await page.getByTestId('till-posted').waitFor();
    await expect
      .poll(() => page.getByTestId('till-new-balance').textContent())
      .toBe(balanceText(start - 50 + 12.5 + 10));

    const after = await ledger();
    const added = after.slice(0, after.length - before.length);
    // The coffee held once and spent once, and one earn per ticket: nothing more.
    expect(added.map((entry) => `${entry.kind} ${entry.points}`).sort()).toEqual([
      'block 50',
      'earn 10',
      'earn 12.5',
      'spend 50',
    ]);
    expect(await activeBalance()).toBe(start - 50 + 12.5 + 10);
    await context.close();
  });

  it('signs up a walk-in in three fields when nobody is found, and speaks Spanish when asked', async () => {
    const { context, page } = await cashierAtTheTill();
    const email = `selina.${RUN}@example.com`;
    await page.keyboard.type(email);
    await page.keyboard.press('Enter');
    await page.getByText(`Nobody found for “${email}”.`).waitFor();
    await page.getByRole('button', { name: 'New member' }).click();
    expect(await page.getByRole('textbox', { name: 'Email', exact: true }).inputValue()).toBe(email);
    await page.getByRole('textbox', { name: 'First name' }).fill('Selina');
    // A phone the server refuses: the error shows by the field, and the corrected form goes through
    // (the refusal is kept with the first submission's Idempotency-Key, so the next needs its own).
    await page.getByRole('textbox', { name: 'Phone', exact: true }).fill('12');
    await page.getByRole('button', { name: 'Create and continue' }).click();
    await page.getByText(/not a valid phone number/).waitFor();
    await page.getByRole('textbox', { name: 'Phone', exact: true }).fill('');
    await expectAccessible(page, 'till new member');
    await page.getByRole('button', { name: 'Create and continue' }).dblclick();
    await page.getByRole('heading', { name: 'Selina' }).waitFor();
    const found = await api('GET', `/v1/customers?email=${encodeURIComponent(email)}`);
    expect(found.data).toHaveLength(1);

    await page.getByRole('combobox', { name: 'Language' }).click();
    await page.getByRole('option', { name: 'ES' }).click();
    await page.getByRole('heading', { name: 'Caja', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Registrar ticket' }).waitFor();
    await screenshot(page, 'till-es');
    await context.close();
  });
  it('scans the member’s card with the camera, applies a reward, posts the ticket and shows the new balance', async () => {
    // Enough for the coffee again, whatever the journeys before spent.
    await api('POST', `/v1/customers/${customerId}/points/add`, { points: 100, reason: 'Top-up' });
    const card = String((await api('GET', `/v1/customers/${customerId}`)).loyaltyCardNumber);
    const video = join(tempDir(), 'card.y4m');
    writeCardVideo(card, video);
    const camera = await launchWithCamera(video);
    try {
      const { context, page } = await cashierAtTheTill(camera, RECORD_CAMERA_STREAMS);
      const start = await activeBalance();
      await page.getByRole('button', { name: 'Scan card' }).click();
      const dialog = page.getByRole('dialog', { name: 'Scan the member’s card' });
      // The camera reads the card number; the dialog closes and the member opens.
      await page.getByRole('heading', { name: 'Bruce Wayne' }).waitFor();
      await dialog.waitFor({ state: 'detached' });
      await page.getByTestId('till-member').getByText(`Card ${card}`).waitFor();
      // The camera is off once the dialog is gone.
      await expect.poll(() => cameraTracks(page)).toEqual(['ended']);

      await enterOrder(page);
      await page.getByRole('button', { name: 'Apply: Free coffee' }).click();
      await expect.poll(() => page.getByTestId('till-discount').textContent()).toBe('-€1.80');
      await page.getByRole('button', { name: 'Post ticket' }).click();
      await page.getByTestId('till-posted').waitFor();
      await expect
        .poll(() => page.getByTestId('till-new-balance').textContent())
        .toBe(balanceText(start - 50 + 12.5));
      expect(await activeBalance()).toBe(start - 50 + 12.5);
      await context.close();
    } finally {
      await camera.close();
    }
  });

  it('shows the member, on their own phone page, the balance the till just left', async () => {
    const context = await browser.newContext({
      locale: 'es-ES',
      viewport: { width: 390, height: 844 },
      isMobile: true,
      hasTouch: true,
    });
    const page = await context.newPage();
    await page.goto(`${server.url}/m/${organizationId}/`);
    await page.getByRole('heading', { name: 'Entra en La Tasca' }).waitFor();
    await page.getByText('Usar mi teléfono').click();
    await page.getByRole('textbox', { name: 'Teléfono' }).fill(LOCAL_PHONE);
    await page.getByRole('button', { name: 'Envíame un código' }).click();
    await page
      .getByRole('textbox', { name: 'Código de seis cifras' })
      .fill(await smsCodeSentTo(`+34${LOCAL_PHONE}`));
    await page.getByRole('button', { name: 'Entrar' }).click();
    await page.getByRole('heading', { name: 'Hola, Bruce' }).waitFor();
    // What the till showed after the last ticket is what the member reads.
    const points = new Intl.NumberFormat('es-ES', { maximumFractionDigits: 2 }).format(await activeBalance());
    await page.getByText(`${points} puntos`, { exact: true }).waitFor();
    await screenshot(page, 'member-after-till');
    await context.close();
  });

  it('stops the camera when the scan is closed without a card', async () => {
    const video = join(tempDir(), 'no-card.y4m');
    writeCardVideo(null, video);
    const camera = await launchWithCamera(video);
    try {
      const { context, page } = await cashierAtTheTill(camera, RECORD_CAMERA_STREAMS);
      await page.getByRole('button', { name: 'Scan card' }).click();
      const dialog = page.getByRole('dialog', { name: 'Scan the member’s card' });
      await dialog.getByTestId('till-camera').waitFor();
      await expect.poll(() => cameraTracks(page)).toEqual(['live']);
      await expectAccessible(page, 'till scanning');
      await screenshot(page, 'till-scan');
      await dialog.getByRole('button', { name: 'Close' }).first().click();
      await dialog.waitFor({ state: 'detached' });
      await expect.poll(() => cameraTracks(page)).toEqual(['ended']);
      // Typing still goes to the search box.
      await findMember(page);
      await context.close();
    } finally {
      await camera.close();
    }
  });

  it('says so when the camera is refused, and typing still finds the member', async () => {
    const { context, page } = await cashierAtTheTill(browser, REFUSE_CAMERA);
    await page.getByRole('button', { name: 'Scan card' }).click();
    const problem = page.getByTestId('till-camera-problem');
    await problem.getByText('The camera is not allowed on this device.').waitFor();
    await screenshot(page, 'till-camera-refused');
    await page.getByRole('dialog').getByRole('button', { name: 'Close' }).first().click();
    await findMember(page);
    await context.close();
  });

  it('posts at the location chosen on the device, remembers it, and applies the member’s coupon', async () => {
    // Another Spanish mobile of this run's own (LOCAL_PHONE was taken earlier in the run).
    const phone = `6${String(Date.now()).slice(-8)}`;
    const diana = String(
      (await api('POST', '/v1/customers', { firstName: 'Diana', lastName: 'Prince', phone: `+34${phone}` }))
        .id,
    );
    await api('POST', `/v1/customers/${diana}/points/add`, { points: 80, reason: 'Welcome' });
    const flan = await api('POST', '/v1/rewards', {
      name: 'Free flan',
      type: 'free_product',
      scope: { skus: ['FLAN'] },
      costPoints: 30,
    });
    const claim = await api('POST', `/v1/customers/${diana}/rewards/${String(flan.id)}/claim`, {
      channel: 'admin',
    });
    const code = String((claim.coupons as { code: string }[])[0]?.code);

    const { context, page } = await cashierAtTheTill();
    const picker = page.getByRole('combobox', { name: 'Location' });
    await picker.click();
    await page.getByRole('option', { name: 'La Tasca Gràcia' }).click();
    await expect.poll(() => picker.inputValue()).toBe('La Tasca Gràcia');
    // The device remembers where it stands.
    await page.reload();
    await page.getByRole('heading', { name: 'Till', level: 1 }).waitFor();
    await expect.poll(() => picker.inputValue()).toBe('La Tasca Gràcia');

    await page.getByTestId('till-search').fill(phone);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Diana Prince' }).waitFor();
    // The claim already took the coupon's points: 80 − 30.
    await expect.poll(() => page.getByTestId('till-balances').textContent()).toContain('50 Points');
    await page.getByRole('textbox', { name: 'Item code 1' }).fill('FLAN');
    await page.getByRole('textbox', { name: 'Price 1' }).fill('4.50');
    await page.getByRole('button', { name: `Use coupon ${code}` }).click();
    await page.getByTestId('till-applied').getByText('Free flan').waitFor();
    await expect.poll(() => page.getByTestId('till-discount').textContent()).toBe('-€4.50');
    expect(await picker.isDisabled()).toBe(true);
    await expect.poll(() => page.getByRole('button', { name: 'Post ticket' }).isEnabled()).toBe(true);
    await screenshot(page, 'till-coupon');
    await page.getByRole('button', { name: 'Post ticket' }).click();
    await page.getByTestId('till-posted').waitFor();
    await expectAccessible(page, 'till after a coupon');

    // Nothing paid, nothing earned; the coupon is used and the ticket is Gràcia's.
    expect(await activeBalance(diana)).toBe(50);
    const history = await api('GET', `/v1/customers/${diana}/points/history?limit=100`);
    expect((history.data as Entry[]).map((entry) => entry.kind)).not.toContain('earn');
    const coupon = await api('GET', `/v1/customers/${diana}/rewards?channel=pos`);
    const flanNow = (coupon.data as { reward: { id: string }; coupons: unknown[] }[]).find(
      (item) => item.reward.id === flan.id,
    );
    expect(flanNow?.coupons ?? []).toEqual([]);
    const transactions = await api('GET', `/v1/transactions?customerId=${diana}`);
    expect((transactions.data as { locationId: string | null }[]).map((one) => one.locationId)).toEqual([
      locations.gracia,
    ]);
    await context.close();
  });
  it('pairs a tablet as a till from a manager’s code, with no cashier account and no key in any address', async () => {
    // The manager, in the console, makes a pairing code for the counter's tablet.
    const managerContext = await browser.newContext({
      locale: 'en-US',
      viewport: { width: 1280, height: 800 },
    });
    const console = await managerContext.newPage();
    await console.goto(`${server.url}/console/sign-in`);
    await console.getByRole('textbox', { name: 'Email', exact: true }).fill(MANAGER);
    await console.getByRole('textbox', { name: 'Password', exact: true }).fill(PASSWORD);
    await console.getByRole('button', { name: 'Sign in' }).click();
    await console.getByRole('link', { name: 'Till devices' }).click();
    await console.getByRole('heading', { name: 'Till devices', level: 1 }).waitFor();
    await console.getByRole('textbox', { name: 'Device name' }).fill('Counter tablet');
    await console.getByRole('button', { name: 'Make a pairing code' }).click();
    const link = String(await console.getByTestId('pairing-link').textContent());
    const code = String(await console.getByTestId('pairing-code-value').textContent());
    expect(link).toBe(`${server.url}/console/pair#code=${code}`);
    await expectAccessible(console, 'till devices page');
    await screenshot(console, 'till-devices');
    await managerContext.close();

    // The tablet opens the link: no sign-in, straight to the till.
    const context = await browser.newContext({
      locale: 'en-US',
      viewport: { width: 1024, height: 768 },
      hasTouch: true,
    });
    const page = await context.newPage();
    const addresses: string[] = [];
    page.on('request', (request) => addresses.push(request.url()));
    await page.goto(link);
    await page.getByRole('heading', { name: 'Till', exact: true, level: 1 }).waitFor();
    expect(page.url()).toBe(`${server.url}/console/till`);
    await page.getByText('Till device', { exact: true }).waitFor();
    const key = await page.evaluate("localStorage.getItem('regulars.till.deviceKey')");
    expect(String(key)).toMatch(/^rgl_/);
    // Neither the code nor the key was ever in an address the server (or a proxy) saw.
    expect(addresses.filter((address) => address.includes(code) || address.includes(String(key)))).toEqual(
      [],
    );
    await expectAccessible(page, 'paired till');
    await screenshot(page, 'till-paired');

    // It works as a till: a member found, a ticket posted at its location.
    const start = await activeBalance();
    await findMember(page);
    await page.getByRole('textbox', { name: 'Price 1' }).fill('8');
    await page.getByRole('button', { name: 'Post ticket' }).click();
    await expect.poll(() => page.getByTestId('till-new-balance').textContent()).toBe(balanceText(start + 8));
    // The code is spent: pairing again with it is refused.
    const again = await context.newPage();
    await again.goto(`${server.url}/console/pair`);
    await again.getByRole('textbox', { name: 'Pairing code' }).fill(code);
    await again.getByRole('button', { name: 'Pair' }).click();
    await again.getByText('This code is unknown, already used or expired.', { exact: false }).waitFor();
    await screenshot(again, 'till-pair-refused');
    await context.close();
  });
});
