import { sql } from 'drizzle-orm';
import { SignJWT } from 'jose';
import { generate } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, expectStatus, type TestContext } from '../../../test/support/context.ts';
import { startSmtpServer, type TestSmtpServer } from '../../../test/support/smtp.ts';
import {
  addStaff,
  emailedToken,
  STAFF_PASSWORD,
  type StaffMember,
  signIn,
  signInWithCookie,
  signInWithToken,
} from '../../../test/support/staff.ts';
import { rawRows } from '../../db/connection.ts';
import { deriveKeys } from './secrets.ts';

const SESSION_SECRET = 'a test session secret of at least 32 characters';

let smtp: TestSmtpServer;
let ctx: TestContext;
beforeAll(async () => {
  smtp = await startSmtpServer();
  ctx = await createTestContext({
    messaging: { smtpUrl: smtp.url },
    staff: { sessionSecret: SESSION_SECRET },
  });
});
afterAll(async () => {
  await ctx.close();
  await smtp.close();
});

function call(
  method: 'GET' | 'POST' | 'PATCH',
  url: string,
  headers: Record<string, string> = {},
  payload?: object,
) {
  return ctx.app.inject({ method, url, headers, payload });
}

async function newManager(): Promise<StaffMember> {
  return addStaff(ctx, smtp, await ctx.createOrganization(), 'manager');
}

describe('failed sign-ins', () => {
  it('answer alike for an unknown email, a wrong password, an invited, a disabled and a locked account', async () => {
    const org = await ctx.createOrganization();
    const manager = await addStaff(ctx, smtp, org, 'manager');
    const disabled = await addStaff(ctx, smtp, org, 'analyst');
    await call('PATCH', `/v1/staff/${disabled.id}`, org.headers, { status: 'disabled' });
    const invitedEmail = 'invited-only@latasca.test';
    expectStatus(await call('POST', '/v1/staff', org.headers, { email: invitedEmail, role: 'cashier' }), 201);
    const locked = await addStaff(ctx, smtp, org, 'cashier');
    for (let attempt = 0; attempt < 5; attempt++)
      await signIn(ctx, { email: locked.email, password: 'wrong password!' });

    const answers = await Promise.all([
      signIn(ctx, { email: 'nobody@latasca.test', password: STAFF_PASSWORD }),
      signIn(ctx, { email: manager.email, password: 'not the password' }),
      signIn(ctx, { email: invitedEmail, password: STAFF_PASSWORD }),
      signIn(ctx, { email: disabled.email, password: STAFF_PASSWORD }),
      signIn(ctx, { email: locked.email, password: STAFF_PASSWORD }),
    ]);
    const bodies = answers.map((answer) => {
      expect(answer.statusCode).toBe(401);
      const { instance: _instance, ...body } = answer.json();
      return JSON.stringify(body);
    });
    expect(new Set(bodies).size).toBe(1);
    expect(answers[0]!.json().detail).toContain('sign-in failed');
  });

  it('take about as long for an unknown email as for a wrong password (one argon2 check each)', async () => {
    const manager = await newManager();
    const time = async (email: string) => {
      const started = performance.now();
      await signIn(ctx, { email, password: 'not the password' });
      return performance.now() - started;
    };
    // Warm up, then compare medians: a known email costs no more than a missing one.
    await time('warm@latasca.test');
    const unknown: number[] = [];
    const known: number[] = [];
    for (let round = 0; round < 3; round++) {
      unknown.push(await time(`nobody-${round}@latasca.test`));
      known.push(await time(manager.email));
    }
    const median = (values: number[]) => values.sort((a, b) => a - b)[1]!;
    expect(median(unknown)).toBeGreaterThan(median(known) * 0.4);
    expect(median(known)).toBeGreaterThan(median(unknown) * 0.4);
  });

  it('lock the account after five wrong passwords, for 15 minutes, even to the right password', async () => {
    const manager = await newManager();
    for (let attempt = 1; attempt <= 5; attempt++) {
      expect(
        (await signIn(ctx, { email: manager.email, password: `wrong ${attempt} password` })).statusCode,
      ).toBe(401);
    }
    expect((await signIn(ctx, { email: manager.email, password: manager.password })).statusCode).toBe(401);
    const [row] = await rawRows<{ locked_until: Date | string }>(
      ctx.database.db,
      sql`select locked_until from staff_users where id = ${manager.id}`,
    );
    const lockedFor = new Date(row!.locked_until).getTime() - Date.now();
    expect(lockedFor).toBeGreaterThan(14 * 60_000);
    expect(lockedFor).toBeLessThanOrEqual(15 * 60_000);
    // Once the lock has passed, the right password works (and the count starts again).
    await ctx.database.db.execute(
      sql`update staff_users set locked_until = now() - interval '1 second' where id = ${manager.id}`,
    );
    expectStatus(await signIn(ctx, { email: manager.email, password: manager.password }), 200);
  });

  it('are rate limited per address: the 101st attempt from one IP in 15 minutes gets 429', async () => {
    const refresh = () =>
      ctx.app.inject({
        method: 'POST',
        url: '/v1/auth/refresh',
        payload: { refreshToken: 'rgr_guess' },
        remoteAddress: '192.0.2.7',
      });
    for (let attempt = 1; attempt <= 100; attempt++) expect((await refresh()).statusCode).toBe(401);
    expect((await refresh()).statusCode).toBe(429);
    // Sign-in counts against the same address.
    const signInFromThere = await signIn(
      ctx,
      { email: 'x@latasca.test', password: 'whatever it is' },
      '192.0.2.7',
    );
    expect(signInFromThere.statusCode).toBe(429);
  });

  it('are rate limited per email: the eleventh attempt in 15 minutes gets 429', async () => {
    const email = 'hammered@latasca.test';
    for (let attempt = 1; attempt <= 10; attempt++) {
      expect((await signIn(ctx, { email, password: 'guess guess guess' })).statusCode).toBe(401);
    }
    const limited = await signIn(ctx, { email: email.toUpperCase(), password: 'guess guess guess' });
    expect(limited.statusCode).toBe(429);
    expect(limited.json().code).toBe('rate_limited');
  });
});

describe('cookie sessions', () => {
  it('set an httpOnly, SameSite=Lax session cookie and a readable CSRF cookie', async () => {
    const manager = await newManager();
    const response = await signIn(ctx, { email: manager.email, password: manager.password });
    expectStatus(response, 200);
    const session = response.cookies.find((cookie) => cookie.name === 'regulars_session')!;
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
    expect(session.value).toMatch(/^rgs_/);
    const csrf = response.cookies.find((cookie) => cookie.name === 'regulars_csrf')!;
    expect(csrf.httpOnly).toBeUndefined();
    expect(csrf.value).toBe(response.json().csrfToken);
    // Plain HTTP here (PUBLIC_URL is http://…): no Secure flag, or the browser would drop the cookie.
    expect(session.secure).toBeUndefined();
  });

  it('refuse a change without the CSRF header (403) and accept it with the header', async () => {
    const org = await ctx.createOrganization();
    const manager = await addStaff(ctx, smtp, org, 'manager');
    const session = await signInWithCookie(ctx, manager);
    const body = { name: 'Stars', code: 'stars' };
    const withoutHeader = await call('POST', '/v1/point-types', { cookie: session.headers.cookie }, body);
    expect(withoutHeader.statusCode).toBe(403);
    expect(withoutHeader.json().detail).toContain('X-CSRF-Token');
    const wrongHeader = await call(
      'POST',
      '/v1/point-types',
      { ...session.headers, 'x-csrf-token': 'forged' },
      body,
    );
    expect(wrongHeader.statusCode).toBe(403);
    // Another session's token does not fit this one.
    const other = await signInWithCookie(ctx, manager);
    const crossed = await call(
      'POST',
      '/v1/point-types',
      { ...session.headers, 'x-csrf-token': other.csrfToken },
      body,
    );
    expect(crossed.statusCode).toBe(403);
    expectStatus(await call('POST', '/v1/point-types', session.headers, body), 201);
    // Reads need no header.
    expectStatus(await call('GET', '/v1/point-types', { cookie: session.headers.cookie }), 200);
  });

  it('end at sign-out: the cookie answers 401 afterwards', async () => {
    const manager = await newManager();
    const session = await signInWithCookie(ctx, manager);
    // Another site cannot sign the user out: the CSRF token is needed here too.
    const forced = await call('POST', '/v1/auth/sign-out', { cookie: session.headers.cookie });
    expect(forced.statusCode).toBe(403);
    expectStatus(await call('GET', '/v1/auth/me', { cookie: session.headers.cookie }), 200);
    const out = await call('POST', '/v1/auth/sign-out', session.headers);
    expect(out.statusCode).toBe(204);
    expect(out.cookies.find((cookie) => cookie.name === 'regulars_session')?.value).toBe('');
    const after = await call('GET', '/v1/auth/me', { cookie: session.headers.cookie });
    expect(after.statusCode).toBe(401);
    expect(after.json().detail).toContain('session has ended');
  });
});

describe('bearer tokens', () => {
  it('an access token works until its session is signed out', async () => {
    const manager = await newManager();
    const tokens = await signInWithToken(ctx, manager);
    expectStatus(await call('GET', '/v1/auth/me', tokens.headers), 200);
    expect((await call('POST', '/v1/auth/sign-out', tokens.headers)).statusCode).toBe(204);
    expect((await call('GET', '/v1/auth/me', tokens.headers)).statusCode).toBe(401);
  });

  it('an expired access token answers 401 saying to refresh', async () => {
    const manager = await newManager();
    const tokens = await signInWithToken(ctx, manager);
    const claims = JSON.parse(Buffer.from(tokens.accessToken.split('.')[1]!, 'base64url').toString());
    const past = Math.floor(Date.now() / 1000) - 60;
    const expired = await new SignJWT({ org: claims.org, sid: claims.sid })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(claims.iss)
      .setAudience(claims.aud)
      .setSubject(claims.sub)
      .setIssuedAt(past - 900)
      .setExpirationTime(past)
      .sign(deriveKeys(SESSION_SECRET).jwt);
    const response = await call('GET', '/v1/auth/me', { authorization: `Bearer ${expired}` });
    expect(response.statusCode).toBe(401);
    expect(response.json().detail).toContain('/v1/auth/refresh');
    // Signed with another key, it is not valid at all.
    const forged = await new SignJWT({ org: claims.org, sid: claims.sid })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(claims.iss)
      .setAudience(claims.aud)
      .setSubject(claims.sub)
      .setExpirationTime('5m')
      .sign(deriveKeys('another secret of at least 32 characters!').jwt);
    expect((await call('GET', '/v1/auth/me', { authorization: `Bearer ${forged}` })).json().detail).toContain(
      'not valid',
    );
  });

  it('a refresh token works once; presenting a used one again ends the session', async () => {
    const manager = await newManager();
    const first = await signInWithToken(ctx, manager);
    const refreshed = await call('POST', '/v1/auth/refresh', {}, { refreshToken: first.refreshToken });
    expectStatus(refreshed, 200);
    const second = refreshed.json();
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expectStatus(await call('GET', '/v1/auth/me', { authorization: `Bearer ${second.accessToken}` }), 200);

    const replayed = await call('POST', '/v1/auth/refresh', {}, { refreshToken: first.refreshToken });
    expect(replayed.statusCode).toBe(401);
    // Someone holds a copy of the chain: the whole session ends, the newest tokens too.
    expect(
      (await call('POST', '/v1/auth/refresh', {}, { refreshToken: second.refreshToken })).statusCode,
    ).toBe(401);
    expect(
      (await call('GET', '/v1/auth/me', { authorization: `Bearer ${second.accessToken}` })).statusCode,
    ).toBe(401);
  });

  it('sign-in refuses an Idempotency-Key, which would store its tokens', async () => {
    const manager = await newManager();
    const response = await ctx.app.inject({
      method: 'POST',
      url: '/v1/auth/sign-in',
      headers: { 'idempotency-key': 'once' },
      payload: { email: manager.email, password: manager.password, mode: 'token' },
    });
    expect(response.statusCode).toBe(422);
    expect(response.json().errors[0].path).toBe('headers.idempotency-key');
  });
});

describe('password reset', () => {
  it('answers 202 alike for any email, and emails a link that works once and ends every session', async () => {
    const manager = await newManager();
    const oldSession = await signInWithToken(ctx, manager);
    const known = await call('POST', '/v1/auth/password-reset', {}, { email: manager.email });
    const unknown = await call('POST', '/v1/auth/password-reset', {}, { email: 'nobody@latasca.test' });
    expect(known.statusCode).toBe(202);
    expect(unknown.statusCode).toBe(202);
    expect(known.body).toBe(unknown.body);

    const mail = await smtp.waitForMessage(manager.email);
    expect(mail.text).toMatch(/\/console\/reset-password\?token=rgt_/);
    const token = /token=(rgt_[\w-]+)/.exec(mail.text)![1]!;
    const newPassword = 'a brand new passphrase';
    expect(
      (await call('POST', '/v1/auth/password-reset/complete', {}, { token, password: 'short' })).statusCode,
    ).toBe(422);
    expect(
      (await call('POST', '/v1/auth/password-reset/complete', {}, { token, password: newPassword }))
        .statusCode,
    ).toBe(204);
    const again = await call(
      'POST',
      '/v1/auth/password-reset/complete',
      {},
      { token, password: 'yet another passphrase' },
    );
    expect(again.statusCode).toBe(422);
    expect(again.json().errors[0].path).toBe('body.token');

    expect((await call('GET', '/v1/auth/me', oldSession.headers)).statusCode).toBe(401);
    expect(
      (await call('POST', '/v1/auth/refresh', {}, { refreshToken: oldSession.refreshToken })).statusCode,
    ).toBe(401);
    expect((await signIn(ctx, { email: manager.email, password: manager.password })).statusCode).toBe(401);
    expectStatus(await signIn(ctx, { email: manager.email, password: newPassword }), 200);
  });

  it('a reset link stops working after 15 minutes', async () => {
    const manager = await newManager();
    await call('POST', '/v1/auth/password-reset', {}, { email: manager.email });
    const token = await emailedToken(smtp, manager.email);
    const [row] = await rawRows<{ seconds: number }>(
      ctx.database.db,
      sql`select extract(epoch from expires_at - created_at)::int as seconds from staff_tokens
          where staff_user_id = ${manager.id} and purpose = 'password_reset'`,
    );
    expect(Number(row!.seconds)).toBe(15 * 60);
    await ctx.database.db.execute(
      sql`update staff_tokens set expires_at = now() - interval '1 second' where staff_user_id = ${manager.id}`,
    );
    const late = await call(
      'POST',
      '/v1/auth/password-reset/complete',
      {},
      { token, password: 'too late a passphrase' },
    );
    expect(late.statusCode).toBe(422);
  });
});

describe('the second factor', () => {
  it('once confirmed, sign-in needs a current code, used once', async () => {
    const manager = await newManager();
    const session = await signInWithToken(ctx, manager);
    const enrolled = await call('POST', '/v1/auth/totp/enrol', session.headers, {});
    expectStatus(enrolled, 200);
    const { secret, otpauthUrl } = enrolled.json();
    expect(otpauthUrl).toMatch(/^otpauth:\/\/totp\/Regulars:/);
    // Until confirmed, sign-in asks for nothing.
    expectStatus(await signIn(ctx, { email: manager.email, password: manager.password }), 200);
    const wrong = await call('POST', '/v1/auth/totp/confirm', session.headers, { code: '000000' });
    expect(wrong.statusCode).toBe(422);
    const code = await generate({ secret });
    const confirmed = await call('POST', '/v1/auth/totp/confirm', session.headers, { code });
    expectStatus(confirmed, 200);
    expect(confirmed.json().totpEnabled).toBe(true);

    const withoutCode = await signIn(ctx, { email: manager.email, password: manager.password });
    expect(withoutCode.statusCode).toBe(401);
    expect(withoutCode.json().code).toBe('totp_required');
    // The code that confirmed was used: it does not open a session too.
    const reused = await signIn(ctx, { email: manager.email, password: manager.password, totpCode: code });
    expect(reused.statusCode).toBe(401);
    expect(reused.json().code).toBe('unauthorized');
    // The next time step's code does (one step of drift is allowed).
    const next = await generate({ secret, epoch: Math.floor(Date.now() / 1000) + 30 });
    expectStatus(
      await signIn(ctx, { email: manager.email, password: manager.password, totpCode: next }),
      200,
    );
    // The secret is never shown again.
    const me = await call('GET', '/v1/auth/me', session.headers);
    expect(JSON.stringify(me.json())).not.toContain(secret);
  });

  it('the self-service routes need a staff session, not an API key', async () => {
    const org = await ctx.createOrganization();
    const response = await call('POST', '/v1/auth/totp/enrol', org.headers, {});
    expect(response.statusCode).toBe(401);
  });
});

describe('one email, several organizations', () => {
  it('the password picks the account; when it opens two, organizationId must choose', async () => {
    const first = await ctx.createOrganization();
    const second = await ctx.createOrganization();
    const email = 'shared@latasca.test';
    for (const org of [first, second]) {
      expectStatus(await call('POST', '/v1/staff', org.headers, { email, role: 'manager' }), 201);
      const token = await emailedToken(smtp, email);
      expectStatus(
        await call('POST', '/v1/auth/accept-invite', {}, { token, password: STAFF_PASSWORD }),
        200,
      );
    }
    const ambiguous = await signIn(ctx, { email, password: STAFF_PASSWORD });
    expect(ambiguous.statusCode).toBe(409);
    expect(ambiguous.json()).toMatchObject({
      code: 'organization_required',
      errors: [{ path: 'body.organizationId' }],
    });
    const chosen = await signIn(ctx, {
      email,
      password: STAFF_PASSWORD,
      organizationId: second.id,
      mode: 'token',
    });
    expectStatus(chosen, 200);
    const me = await call('GET', '/v1/auth/me', { authorization: `Bearer ${chosen.json().accessToken}` });
    expect(me.json().organizationId).toBe(second.id);
    // A wrong password says nothing about how many accounts there are.
    const wrong = await signIn(ctx, { email, password: 'not the password' });
    expect(wrong.statusCode).toBe(401);
  });
});
