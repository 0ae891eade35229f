import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestContext,
  expectStatus,
  masterHeaders,
  type TestContext,
  type TestOrganization,
} from '../../../test/support/context.ts';
import { startSmsReceiver, type TestSmsReceiver } from '../../../test/support/sms.ts';
import { startSmtpServer, type TestSmtpServer } from '../../../test/support/smtp.ts';
import { rawRows } from '../../db/connection.ts';

let smtp: TestSmtpServer;
let sms: TestSmsReceiver;
let ctx: TestContext;
let org: TestOrganization;

beforeAll(async () => {
  [smtp, sms] = await Promise.all([startSmtpServer(), startSmsReceiver()]);
  ctx = await createTestContext({ messaging: { smtpUrl: smtp.url, smsProviderUrl: sms.url } });
  org = await ctx.createOrganization({ country: 'ES' });
});
afterAll(async () => {
  await ctx.close();
  await Promise.all([smtp.close(), sms.close()]);
});

const uniqueEmail = (name: string) => `${name}-${randomBytes(4).toString('hex')}@example.com`;
/** Each test speaks from its own address, so that the per-IP limits of one do not reach another. */
const someIp = () => `10.${randomBytes(1)[0]}.${randomBytes(1)[0]}.${randomBytes(1)[0]}`;

interface Call {
  method?: 'GET' | 'POST' | 'PATCH';
  payload?: object;
  headers?: Record<string, string>;
  ip?: string;
}

function call(url: string, { method = 'POST', payload, headers = {}, ip = '127.0.0.1' }: Call = {}) {
  return ctx.app.inject({ method, url, headers, remoteAddress: ip, ...(payload ? { payload } : {}) });
}

const publicUrl = (path: string, organizationId = org.id) =>
  `/v1/public/organizations/${organizationId}/${path}`;

async function member(email: string, extra: Record<string, unknown> = {}): Promise<string> {
  const created = await ctx.app.inject({
    method: 'POST',
    url: '/v1/customers',
    headers: org.headers,
    payload: { firstName: 'Ana', email, ...extra },
  });
  expectStatus(created, 201);
  return created.json().id;
}

/** The six digits of the next sign-in email to this address. */
async function codeSentTo(email: string): Promise<string> {
  const mail = await smtp.waitForMessage(email);
  const code = /\b(\d{6})\b/.exec(mail.text)?.[1];
  if (!code) throw new Error(`no code in the email: ${mail.text}`);
  return code;
}

interface Session {
  token: string;
  csrfToken: string;
  customerId: string;
  cookie: string;
  bearer: { authorization: string };
}

function sessionOf(response: LightMyRequestResponse): Session {
  expectStatus(response, 200);
  const body = response.json();
  const setCookie = String(response.headers['set-cookie']);
  return { ...body, cookie: setCookie.split(';')[0]!, bearer: { authorization: `Bearer ${body.token}` } };
}

async function signIn(email: string, ip = someIp()): Promise<Session> {
  expectStatus(await call(publicUrl('sign-in/code'), { payload: { email }, ip }), 202);
  const code = await codeSentTo(email);
  return sessionOf(await call(publicUrl('sign-in/verify'), { payload: { email, code }, ip }));
}

const verify = (email: string, code: string, ip = someIp()) =>
  call(publicUrl('sign-in/verify'), { payload: { email, code }, ip });

describe('joining and signing in', () => {
  it('a visitor joins, gets a code by email, signs in and sees the points the admin key adds', async () => {
    const email = uniqueEmail('ana');
    const joined = await call(publicUrl('join'), {
      payload: {
        firstName: 'Ana',
        lastName: 'García',
        email,
        birthDate: '1990-05-17',
        language: 'es',
        marketingConsents: { email: true },
        consent: { termsVersion: '2026-01', accepted: true },
      },
      ip: someIp(),
    });
    expectStatus(joined, 202);
    const code = await codeSentTo(email);
    const session = sessionOf(await verify(email, code));
    expect(session.token).toMatch(/^rgme_/);
    expect(session.cookie).toBe(`regulars_member=${session.token}`);

    const profile = await call('/v1/me', { method: 'GET', headers: session.bearer });
    expectStatus(profile, 200);
    expect(profile.json()).toMatchObject({
      id: session.customerId,
      firstName: 'Ana',
      email,
      language: 'es',
      marketingConsents: { email: { granted: true } },
      agreements: { terms: { granted: true } },
    });
    expect(profile.json()).not.toHaveProperty('internalNote');
    expect(profile.json()).not.toHaveProperty('status');

    const added = await ctx.app.inject({
      method: 'POST',
      url: `/v1/customers/${session.customerId}/points/add`,
      headers: org.headers,
      payload: { points: 120, reason: 'Welcome gift' },
    });
    expectStatus(added, 201);
    const points = await call('/v1/me/points', { method: 'GET', headers: session.bearer });
    expectStatus(points, 200);
    expect(points.json().balances[0]).toMatchObject({ active: 120 });
    const history = await call('/v1/me/points/history', { method: 'GET', headers: session.bearer });
    expectStatus(history, 200);
    expect(history.json().data).toMatchObject([{ kind: 'add', points: 120, reason: 'Welcome gift' }]);
  });

  it('stores the terms acceptance with its version, time, IP and browser, and marks the member self-registered', async () => {
    const email = uniqueEmail('consent');
    const before = Date.now();
    const joined = await call(publicUrl('join'), {
      payload: { email, consent: { termsVersion: 'terms-v7', accepted: true } },
      headers: { 'user-agent': 'JoinPage/1.0' },
      ip: '192.0.2.44',
    });
    expectStatus(joined, 202);
    await codeSentTo(email);
    const [found] = (
      await ctx.app.inject({
        method: 'GET',
        url: `/v1/customers?email=${encodeURIComponent(email)}`,
        headers: org.headers,
      })
    ).json().data;
    expect(found).toMatchObject({ source: 'self-registration', agreements: { terms: { granted: true } } });
    const consents = await ctx.services.memberAccess.consents(org.id, found.id);
    expect(consents).toHaveLength(1);
    expect(consents[0]).toMatchObject({
      kind: 'terms',
      version: 'terms-v7',
      ip: '192.0.2.44',
      userAgent: 'JoinPage/1.0',
    });
    expect(consents[0]!.acceptedAt.getTime()).toBeGreaterThanOrEqual(before - 1000);
    expect(consents[0]!.acceptedAt.toISOString()).toBe(found.agreements.terms.at);
  });

  it('joining with a member’s email answers the same, changes nothing and sends that member a code', async () => {
    const email = uniqueEmail('existing');
    const id = await member(email, { firstName: 'Original' });
    const fresh = await call(publicUrl('join'), {
      payload: { email: uniqueEmail('fresh'), consent: { termsVersion: '1', accepted: true } },
      ip: someIp(),
    });
    const again = await call(publicUrl('join'), {
      payload: { firstName: 'Impostor', email, consent: { termsVersion: '1', accepted: true } },
      ip: someIp(),
    });
    expect(again.statusCode).toBe(fresh.statusCode);
    expect(again.body).toBe(fresh.body);
    const code = await codeSentTo(email);
    expect(sessionOf(await verify(email, code)).customerId).toBe(id);
    const record = await ctx.app.inject({ method: 'GET', url: `/v1/customers/${id}`, headers: org.headers });
    expect(record.json()).toMatchObject({ firstName: 'Original', source: null });
    expect(await ctx.services.memberAccess.consents(org.id, id)).toEqual([]);
  });

  it('refuses a bad join with 422 naming the field, whether or not the email is a member’s', async () => {
    const email = uniqueEmail('bad-join');
    await member(email);
    for (const address of [email, uniqueEmail('nobody')]) {
      const refused = await call(publicUrl('join'), {
        payload: { email: address, birthDate: '2999-01-01', consent: { termsVersion: '1', accepted: true } },
        ip: someIp(),
      });
      expectStatus(refused, 422);
      expect(refused.json().errors).toEqual([
        { path: 'body.birthDate', message: 'must not be in the future' },
      ]);
    }
    const unaccepted = await call(publicUrl('join'), {
      payload: { email: uniqueEmail('no-consent'), consent: { termsVersion: '1', accepted: false } },
      ip: someIp(),
    });
    expectStatus(unaccepted, 422);
    expect(unaccepted.json().errors[0].path).toBe('body.consent.accepted');
    const neither = await call(publicUrl('join'), {
      payload: { firstName: 'Ana', consent: { termsVersion: '1', accepted: true } },
      ip: someIp(),
    });
    expectStatus(neither, 422);
    expect(neither.json().errors[0].path).toBe('body.email');
  });

  it('answers 404 for an organization that does not exist', async () => {
    const nowhere = '01936f4e-8b1a-7c3d-9e2f-1a2b3c4d5e6f';
    const joined = await call(publicUrl('join', nowhere), {
      payload: { email: uniqueEmail('x'), consent: { termsVersion: '1', accepted: true } },
      ip: someIp(),
    });
    expectStatus(joined, 404);
    expectStatus(await call(publicUrl('sign-in/code', nowhere), { payload: { email: 'a@b.example' } }), 404);
  });
});

describe('sign-in codes', () => {
  it('answers an unknown email exactly as a known one, and sends nothing to it', async () => {
    const known = uniqueEmail('known');
    await member(known);
    const unknown = uniqueEmail('unknown');
    const forKnown = await call(publicUrl('sign-in/code'), { payload: { email: known }, ip: someIp() });
    const forUnknown = await call(publicUrl('sign-in/code'), { payload: { email: unknown }, ip: someIp() });
    expect(forUnknown.statusCode).toBe(202);
    expect([forUnknown.statusCode, forUnknown.body, forUnknown.headers['content-type']]).toEqual([
      forKnown.statusCode,
      forKnown.body,
      forKnown.headers['content-type'],
    ]);
    const knownCode = await codeSentTo(known);
    await expect(smtp.waitForMessage(unknown, 300)).rejects.toThrow();
    const guess = knownCode === '123456' ? '654321' : '123456';
    const failedUnknown = await verify(unknown, guess);
    const failedKnown = await verify(known, guess);
    expect(failedUnknown.statusCode).toBe(401);
    expect([failedUnknown.statusCode, failedUnknown.json().detail]).toEqual([
      failedKnown.statusCode,
      failedKnown.json().detail,
    ]);
  });

  it('goes by SMS to a member who signs in with their phone, written as they like', async () => {
    const email = uniqueEmail('phone');
    const id = await member(email, { phone: '+34 622 000 111', language: 'en' });
    const ip = someIp();
    expectStatus(await call(publicUrl('sign-in/code'), { payload: { phone: '622 00 01 11' }, ip }), 202);
    const { text } = await sms.waitForMessage('+34622000111');
    const code = /\b(\d{6})\b/.exec(text)?.[1];
    expect(code).toBeDefined();
    const session = sessionOf(
      await call(publicUrl('sign-in/verify'), { payload: { phone: '0034 622 000 111', code }, ip }),
    );
    expect(session.customerId).toBe(id);
  });

  it('stores the code only as a salted hash', async () => {
    const email = uniqueEmail('hashed');
    const id = await member(email);
    expectStatus(await call(publicUrl('sign-in/code'), { payload: { email }, ip: someIp() }), 202);
    const code = await codeSentTo(email);
    const [row] = await rawRows<{ code_hash: string; salt: string }>(
      ctx.database.db,
      sql`select code_hash, salt from member_sign_in_codes where organization_id = ${org.id} and customer_id = ${id}`,
    );
    expect(row!.code_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(row!.code_hash).not.toContain(code);
    expect(row!.salt).toMatch(/^[0-9a-f]{32}$/);
  });

  it('signs in once: the same code is refused the second time', async () => {
    const email = uniqueEmail('once');
    await member(email);
    expectStatus(await call(publicUrl('sign-in/code'), { payload: { email }, ip: someIp() }), 202);
    const code = await codeSentTo(email);
    sessionOf(await verify(email, code));
    const reused = await verify(email, code);
    expectStatus(reused, 401);
    expect(reused.json()).toMatchObject({ code: 'sign_in_failed', errors: [{ path: 'body.code' }] });
  });

  it('burns a code after five wrong tries: the right one is refused after that', async () => {
    const email = uniqueEmail('burnt');
    await member(email);
    expectStatus(await call(publicUrl('sign-in/code'), { payload: { email }, ip: someIp() }), 202);
    const code = await codeSentTo(email);
    const wrong = code === '999999' ? '999998' : '999999';
    for (let attempt = 0; attempt < 5; attempt++) expectStatus(await verify(email, wrong), 401);
    expectStatus(await verify(email, code), 401);
  });

  it('refuses an expired code', async () => {
    const email = uniqueEmail('expired');
    const id = await member(email);
    expectStatus(await call(publicUrl('sign-in/code'), { payload: { email }, ip: someIp() }), 202);
    const code = await codeSentTo(email);
    await ctx.database.db.execute(
      sql`update member_sign_in_codes set expires_at = now() - interval '1 second' where organization_id = ${org.id} and customer_id = ${id}`,
    );
    expectStatus(await verify(email, code), 401);
  });

  it('replaces the previous code with a new one', async () => {
    const email = uniqueEmail('replaced');
    await member(email);
    const ip = someIp();
    expectStatus(await call(publicUrl('sign-in/code'), { payload: { email }, ip }), 202);
    const first = await codeSentTo(email);
    expectStatus(await call(publicUrl('sign-in/code'), { payload: { email }, ip }), 202);
    const second = await codeSentTo(email);
    if (first !== second) expectStatus(await verify(email, first), 401);
    sessionOf(await verify(email, second));
  });

  it('sends no code to a blocked member, who cannot sign in', async () => {
    const email = uniqueEmail('blocked');
    const id = await member(email);
    const blocked = await ctx.app.inject({
      method: 'POST',
      url: `/v1/customers/${id}/block`,
      headers: org.headers,
    });
    expectStatus(blocked, 200);
    expectStatus(await call(publicUrl('sign-in/code'), { payload: { email }, ip: someIp() }), 202);
    await expect(smtp.waitForMessage(email, 300)).rejects.toThrow();
  });

  it('limits codes per address to 5 in 15 minutes, for known and unknown addresses alike', async () => {
    const known = uniqueEmail('limited');
    await member(known);
    for (const email of [known, uniqueEmail('limited-unknown')]) {
      for (let request = 0; request < 5; request++) {
        expectStatus(await call(publicUrl('sign-in/code'), { payload: { email }, ip: someIp() }), 202);
      }
      const refused = await call(publicUrl('sign-in/code'), { payload: { email }, ip: someIp() });
      expectStatus(refused, 429);
      expect(refused.json().code).toBe('rate_limited');
    }
  });

  it('limits codes per IP', async () => {
    const ip = someIp();
    const { codesPerIp } = ctx.services.memberAccess.limits;
    for (let request = 0; request < codesPerIp; request++) {
      expectStatus(await call(publicUrl('sign-in/code'), { payload: { email: uniqueEmail('ip') }, ip }), 202);
    }
    expectStatus(await call(publicUrl('sign-in/code'), { payload: { email: uniqueEmail('ip') }, ip }), 429);
  });

  it('asks for exactly one of email and phone, naming the field', async () => {
    const both = await call(publicUrl('sign-in/code'), {
      payload: { email: uniqueEmail('both'), phone: '+34 666 000 111' },
      ip: someIp(),
    });
    expectStatus(both, 422);
    expect(both.json().errors[0].path).toBe('body.phone');
    const neither = await call(publicUrl('sign-in/code'), { payload: {}, ip: someIp() });
    expectStatus(neither, 422);
    expect(neither.json().errors[0].path).toBe('body.email');
    const badPhone = await call(publicUrl('sign-in/code'), { payload: { phone: '12' }, ip: someIp() });
    expectStatus(badPhone, 422);
    expect(badPhone.json().errors[0].path).toBe('body.phone');
  });
});

describe('a member session', () => {
  it('reaches only /v1/me: organization, staff and platform routes answer 401', async () => {
    const email = uniqueEmail('confined');
    const id = await member(email);
    const session = await signIn(email);
    for (const headers of [session.bearer, { cookie: session.cookie }]) {
      for (const url of [
        '/v1/customers',
        `/v1/customers/${id}`,
        `/v1/customers/${id}/points`,
        '/v1/rewards',
      ]) {
        expectStatus(await call(url, { method: 'GET', headers }), 401);
      }
      expectStatus(
        await call(`/v1/customers/${id}/points/add`, {
          headers,
          payload: { points: 5, reason: 'self-service' },
        }),
        401,
      );
      expectStatus(await call('/v1/organizations', { method: 'GET', headers }), 401);
    }
  });

  it('is the only way into /v1/me: an API key or the master key gets 401', async () => {
    expectStatus(await call('/v1/me', { method: 'GET', headers: org.headers }), 401);
    expectStatus(await call('/v1/me', { method: 'GET', headers: masterHeaders }), 401);
    expectStatus(await call('/v1/me', { method: 'GET' }), 401);
    expectStatus(
      await call('/v1/me', { method: 'GET', headers: { authorization: 'Bearer rgme_forged' } }),
      401,
    );
  });

  it('shows each member their own data only', async () => {
    const [emailA, emailB] = [uniqueEmail('a'), uniqueEmail('b')];
    const [idA, idB] = [await member(emailA), await member(emailB)];
    await ctx.app.inject({
      method: 'POST',
      url: `/v1/customers/${idB}/points/add`,
      headers: org.headers,
      payload: { points: 77, reason: 'B only' },
    });
    const [a, b] = [await signIn(emailA), await signIn(emailB)];
    expect((await call('/v1/me', { method: 'GET', headers: a.bearer })).json().id).toBe(idA);
    expect((await call('/v1/me', { method: 'GET', headers: b.bearer })).json().id).toBe(idB);
    expect((await call('/v1/me/points/history', { method: 'GET', headers: a.bearer })).json().data).toEqual(
      [],
    );
    expect((await call('/v1/me/points', { method: 'GET', headers: a.bearer })).json().customerId).toBe(idA);
  });

  it('changes the profile and consents, but not status, notes, labels or email (422 naming the field)', async () => {
    const email = uniqueEmail('patch');
    const id = await member(email, { internalNote: 'VIP table 4' });
    const session = await signIn(email);
    const changed = await call('/v1/me', {
      method: 'PATCH',
      headers: session.bearer,
      payload: { firstName: 'Anita', marketingConsents: { sms: true } },
    });
    expectStatus(changed, 200);
    expect(changed.json()).toMatchObject({
      firstName: 'Anita',
      marketingConsents: { sms: { granted: true } },
    });
    for (const [field, value] of [
      ['status', 'blocked'],
      ['internalNote', 'none'],
      ['labels', []],
      ['email', 'other@example.com'],
      ['loyaltyCardNumber', 'MINE'],
    ] as const) {
      const refused = await call('/v1/me', {
        method: 'PATCH',
        headers: session.bearer,
        payload: { [field]: value },
      });
      expectStatus(refused, 422);
      expect(JSON.stringify(refused.json().errors)).toContain(field);
    }
    const record = await ctx.app.inject({ method: 'GET', url: `/v1/customers/${id}`, headers: org.headers });
    expect(record.json()).toMatchObject({ status: 'active', internalNote: 'VIP table 4', email });
  });

  it('as a cookie, needs its CSRF token on PATCH and sign-out, not on GET', async () => {
    const email = uniqueEmail('cookie');
    await member(email);
    const session = await signIn(email);
    const cookie = { cookie: session.cookie };
    expectStatus(await call('/v1/me', { method: 'GET', headers: cookie }), 200);
    const forged = await call('/v1/me', { method: 'PATCH', headers: cookie, payload: { firstName: 'Eve' } });
    expectStatus(forged, 403);
    expect(forged.json().detail).toMatch(/x-csrf-token/i);
    const wrong = await call('/v1/me', {
      method: 'PATCH',
      headers: { ...cookie, 'x-csrf-token': 'guess' },
      payload: { firstName: 'Eve' },
    });
    expectStatus(wrong, 403);
    const allowed = await call('/v1/me', {
      method: 'PATCH',
      headers: { ...cookie, 'x-csrf-token': session.csrfToken },
      payload: { firstName: 'Ana María' },
    });
    expectStatus(allowed, 200);
    expectStatus(await call('/v1/me/sign-out', { headers: cookie }), 403);
  });

  it('ends at sign-out: its token and cookie stop working', async () => {
    const email = uniqueEmail('out');
    await member(email);
    const session = await signIn(email);
    const out = await call('/v1/me/sign-out', { headers: session.bearer });
    expectStatus(out, 204);
    expect(String(out.headers['set-cookie'])).toMatch(/^regulars_member=;/);
    expectStatus(await call('/v1/me', { method: 'GET', headers: session.bearer }), 401);
    expectStatus(await call('/v1/me', { method: 'GET', headers: { cookie: session.cookie } }), 401);
  });

  it('stops working when the member is blocked', async () => {
    const email = uniqueEmail('later-blocked');
    const id = await member(email);
    const session = await signIn(email);
    await ctx.app.inject({ method: 'POST', url: `/v1/customers/${id}/block`, headers: org.headers });
    expectStatus(await call('/v1/me', { method: 'GET', headers: session.bearer }), 401);
  });

  it('does not open another organization’s /v1/me', async () => {
    const other = await ctx.createOrganization();
    const email = uniqueEmail('two-orgs');
    await member(email);
    const session = await signIn(email);
    // The same email in another organization is another member: the session stays with its own.
    const there = await ctx.app.inject({
      method: 'POST',
      url: '/v1/customers',
      headers: other.headers,
      payload: { email },
    });
    expectStatus(there, 201);
    expect((await call('/v1/me', { method: 'GET', headers: session.bearer })).json().id).toBe(
      session.customerId,
    );
    expect(session.customerId).not.toBe(there.json().id);
  });
});

describe('the member’s card, tier and rewards', () => {
  it('shows the card number and its QR code', async () => {
    const email = uniqueEmail('card');
    await member(email, { loyaltyCardNumber: `CARD${randomBytes(3).toString('hex').toUpperCase()}` });
    const session = await signIn(email);
    const card = await call('/v1/me/card', { method: 'GET', headers: session.bearer });
    expectStatus(card, 200);
    expect(card.json().loyaltyCardNumber).toMatch(/^CARD/);
    expect(card.json().qrSvg).toContain('<svg');
    const png = await call('/v1/me/card.png?size=128', { method: 'GET', headers: session.bearer });
    expectStatus(png, 200);
    expect(png.headers['content-type']).toBe('image/png');
  });

  it('shows the tier and what is missing for the next', async () => {
    const tier = await ctx.app.inject({
      method: 'POST',
      url: '/v1/tiers',
      headers: org.headers,
      payload: { name: `Gold ${randomBytes(2).toString('hex')}`, conditionValue: 1_000_000 },
    });
    expectStatus(tier, 201);
    const email = uniqueEmail('tier');
    await member(email);
    const session = await signIn(email);
    const progress = await call('/v1/me/tier', { method: 'GET', headers: session.bearer });
    expectStatus(progress, 200);
    expect(progress.json()).toMatchObject({ customerId: session.customerId, currentTier: null });
    expect(progress.json().nextTier).not.toBeNull();
  });

  it('lists the rewards the member can claim, claims one with their points, and shows its coupon', async () => {
    const reward = await ctx.app.inject({
      method: 'POST',
      url: '/v1/rewards',
      headers: org.headers,
      payload: { name: 'Free coffee', type: 'free_product', scope: { skus: ['COFFEE'] }, costPoints: 50 },
    });
    expectStatus(reward, 201);
    const email = uniqueEmail('claim');
    const id = await member(email);
    await ctx.app.inject({
      method: 'POST',
      url: `/v1/customers/${id}/points/add`,
      headers: org.headers,
      payload: { points: 60, reason: 'visits' },
    });
    const session = await signIn(email);
    const listed = await call('/v1/me/rewards', { method: 'GET', headers: session.bearer });
    expectStatus(listed, 200);
    expect(listed.json().channel).toBe('shop');
    const offer = listed
      .json()
      .data.find((item: { reward: { id: string } }) => item.reward.id === reward.json().id);
    expect(offer).toMatchObject({ canRedeem: true, pointsRequired: 50 });

    const claimed = await call(`/v1/me/rewards/${reward.json().id}/claim`, {
      headers: session.bearer,
      payload: {},
    });
    expectStatus(claimed, 201);
    expect(claimed.json()).toMatchObject({ customerId: id, pointsSpent: 50 });
    const coupons = await call('/v1/me/coupons', { method: 'GET', headers: session.bearer });
    expect(coupons.json().data).toHaveLength(1);
    const history = await call('/v1/me/points/history', { method: 'GET', headers: session.bearer });
    expect(history.json().data[0]).toMatchObject({ kind: 'spend', actor: { type: 'member', id } });
    const again = await call(`/v1/me/rewards/${reward.json().id}/claim`, {
      headers: session.bearer,
      payload: {},
    });
    expectStatus(again, 422);
    expect(again.json().code).toBe('insufficient_points');
  });
});

describe('the member pages’ public read and erasing one’s account', () => {
  it('shows the organization’s name, look and join wording, with defaults until they are set', async () => {
    const other = await ctx.createOrganization({ country: 'FR', name: 'Chez Paul' });
    const before = await call(publicUrl('member-page', other.id), { method: 'GET' });
    expectStatus(before, 200);
    expect(before.json()).toMatchObject({
      name: 'Chez Paul',
      logoUrl: null,
      color: '#087f5b',
      language: 'fr',
      terms: { version: '1', text: null, url: null },
      marketingText: null,
    });

    const settings = {
      brandLogoUrl: 'https://chezpaul.fr/logo.png',
      brandColor: '#8a1c1c',
      memberTermsVersion: '2026-01',
      memberTermsText: 'J’accepte les conditions du club',
      memberTermsUrl: 'https://chezpaul.fr/conditions',
      memberMarketingText: 'Je veux recevoir les offres',
    };
    const patched = await ctx.app.inject({
      method: 'PATCH',
      url: '/v1/organization',
      headers: other.headers,
      payload: { settings },
    });
    expectStatus(patched, 200);
    const after = (await call(publicUrl('member-page', other.id), { method: 'GET' })).json();
    expect(after).toMatchObject({
      logoUrl: settings.brandLogoUrl,
      color: '#8a1c1c',
      terms: { version: '2026-01', text: settings.memberTermsText, url: settings.memberTermsUrl },
      marketingText: settings.memberMarketingText,
    });

    const manifest = await call(publicUrl('manifest.webmanifest', other.id), { method: 'GET' });
    expectStatus(manifest, 200);
    expect(manifest.headers['content-type']).toMatch(/^application\/manifest\+json/);
    expect(manifest.json()).toMatchObject({
      name: 'Chez Paul',
      start_url: `/m/${other.id}/`,
      scope: `/m/${other.id}/`,
      theme_color: '#8a1c1c',
    });
  });

  it('refuses a branding setting that is not an https address or a #rrggbb color, naming it', async () => {
    for (const [key, value] of [
      ['brandLogoUrl', 'http://chezpaul.fr/logo.png'],
      ['brandColor', 'red'],
    ] as const) {
      const patched = await ctx.app.inject({
        method: 'PATCH',
        url: '/v1/organization',
        headers: org.headers,
        payload: { settings: { [key]: value } },
      });
      expectStatus(patched, 422);
      expect(JSON.stringify(patched.json().errors)).toContain(key);
    }
  });

  it('answers 404 for the page of an organization that does not exist', async () => {
    const missing = await call(publicUrl('member-page', '00000000-0000-4000-8000-000000000000'), {
      method: 'GET',
    });
    expectStatus(missing, 404);
  });

  it('lets a member erase their account once confirmed: data wiped, sessions ended, no sign-in after', async () => {
    const email = uniqueEmail('erase');
    const id = await member(email, { lastName: 'Borrada', phone: '+34 611 222 333' });
    const session = await signIn(email);
    const other = await signIn(email);

    const unconfirmed = await call('/v1/me/anonymize', { headers: session.bearer, payload: {} });
    expectStatus(unconfirmed, 422);
    expect(JSON.stringify(unconfirmed.json().errors)).toContain('confirm');

    const erased = await call('/v1/me/anonymize', { headers: session.bearer, payload: { confirm: true } });
    expectStatus(erased, 204);
    const seen = await ctx.app.inject({ method: 'GET', url: `/v1/customers/${id}`, headers: org.headers });
    expect(seen.json()).toMatchObject({ firstName: null, lastName: null, email: null, phone: null });
    expect(seen.json().anonymizedAt).not.toBeNull();

    for (const ended of [session, other]) {
      expectStatus(await call('/v1/me', { method: 'GET', headers: ended.bearer }), 401);
    }
    expectStatus(await call(publicUrl('sign-in/code'), { payload: { email }, ip: someIp() }), 202);
    await expect(smtp.waitForMessage(email, 500)).rejects.toThrow(/no email/);
  });

  it('needs the CSRF token to erase an account with a cookie session', async () => {
    const email = uniqueEmail('csrf-erase');
    await member(email);
    const session = await signIn(email);
    const refused = await call('/v1/me/anonymize', {
      headers: { cookie: session.cookie },
      payload: { confirm: true },
    });
    expectStatus(refused, 403);
    expectStatus(await call('/v1/me', { method: 'GET', headers: session.bearer }), 200);
  });
});
