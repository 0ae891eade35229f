import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestContext,
  expectStatus,
  masterHeaders,
  type TestContext,
  type TestOrganization,
} from '../../../test/support/context.ts';
import { startSmtpServer, type TestSmtpServer } from '../../../test/support/smtp.ts';
import {
  addFirstOwner,
  addStaff,
  emailedToken,
  STAFF_PASSWORD,
  signIn,
  signInWithCookie,
  signInWithToken,
} from '../../../test/support/staff.ts';

let smtp: TestSmtpServer;
let ctx: TestContext;
beforeAll(async () => {
  smtp = await startSmtpServer();
  ctx = await createTestContext({ messaging: { smtpUrl: smtp.url } });
});
afterAll(async () => {
  await ctx.close();
  await smtp.close();
});

const someId = '01936f4e-8b1a-7c3d-9e2f-1a2b3c4d5e6f';

async function call(method: string, url: string, headers: object, payload?: object) {
  return ctx.app.inject({
    method: method as 'GET',
    url,
    headers: headers as Record<string, string>,
    payload,
  });
}

describe('inviting the first owner', () => {
  it('the master key invites an owner, who gets the email, chooses a password and signs in', async () => {
    const org = await ctx.createOrganization({ name: 'La Tasca' });
    const invited = await call('POST', `/v1/organizations/${org.id}/staff`, masterHeaders, {
      email: 'Marta@LaTasca.test',
      role: 'owner',
      name: 'Marta',
    });
    expectStatus(invited, 201);
    expect(invited.json()).toMatchObject({
      staff: { email: 'Marta@LaTasca.test', role: 'owner', status: 'invited', locationIds: null },
      invite: { emailed: true },
      // Emailed: the link is not shown to anyone else.
      inviteLink: null,
    });
    const mail = await smtp.waitForMessage('marta@latasca.test');
    expect(mail.text).toContain('La Tasca');
    expect(mail.text).toMatch(/http:\/\/localhost:8080\/console\/accept-invite\?token=rgt_/);
    const token = /token=(rgt_[\w-]+)/.exec(mail.text)![1]!;

    const weak = await call('POST', '/v1/auth/accept-invite', {}, { token, password: 'short' });
    expect(weak.statusCode).toBe(422);
    expect(weak.json().errors[0].path).toBe('body.password');
    const sameAsEmail = await call(
      'POST',
      '/v1/auth/accept-invite',
      {},
      { token, password: 'marta@latasca.test' },
    );
    expect(sameAsEmail.json().errors[0]).toMatchObject({ path: 'body.password' });
    const accepted = await call('POST', '/v1/auth/accept-invite', {}, { token, password: STAFF_PASSWORD });
    expectStatus(accepted, 200);
    expect(accepted.json()).toMatchObject({ status: 'active', role: 'owner' });
    const again = await call('POST', '/v1/auth/accept-invite', {}, { token, password: STAFF_PASSWORD });
    expect(again.statusCode).toBe(422);
    expect(again.json().errors[0].path).toBe('body.token');

    // The email is matched without regard to case.
    const session = await signInWithCookie(ctx, {
      id: '',
      email: 'MARTA@latasca.TEST',
      password: STAFF_PASSWORD,
    });
    const me = await call('GET', '/v1/auth/me', session.headers);
    expectStatus(me, 200);
    expect(me.json()).toMatchObject({
      organizationId: org.id,
      actor: { type: 'staff', id: accepted.json().id },
      reach: expect.arrayContaining(['access', 'admin']),
      locationIds: null,
      staff: { email: 'Marta@LaTasca.test', role: 'owner' },
      session: { mode: 'cookie', csrfToken: session.csrfToken },
    });
  });

  it('an unknown organization answers 404 and a staff session never reaches the platform routes', async () => {
    const unknown = await call('POST', `/v1/organizations/${someId}/staff`, masterHeaders, {
      email: 'nobody@latasca.test',
      role: 'owner',
    });
    expect(unknown.statusCode).toBe(404);
    const org = await ctx.createOrganization();
    const owner = await addFirstOwner(ctx, smtp, org.id, 'platform-owner@latasca.test');
    const cookie = await signInWithCookie(ctx, owner);
    const token = await signInWithToken(ctx, owner);
    for (const headers of [cookie.headers, token.headers]) {
      const listed = await call('GET', '/v1/organizations', headers);
      expect(listed.statusCode).toBe(401);
      const created = await call('POST', `/v1/organizations/${org.id}/staff`, headers, {
        email: 'sneaky@latasca.test',
        role: 'owner',
      });
      expect(created.statusCode).toBe(401);
    }
  });
});

describe('what each role reaches', () => {
  let org: TestOrganization;
  const sessions: Record<string, { authorization: string }> = {};
  let ruleId: string;
  let memberId: string;

  beforeAll(async () => {
    org = await ctx.createOrganization();
    const owner = await addFirstOwner(ctx, smtp, org.id, `owner-${org.id}@latasca.test`);
    const ownerSession = await signInWithCookie(ctx, owner);
    // The owner invites the others from their own session.
    for (const role of ['manager', 'analyst', 'cashier'] as const) {
      const email = `${role}-${org.id}@latasca.test`;
      const invited = await call('POST', '/v1/staff', ownerSession.headers, { email, role });
      expectStatus(invited, 201);
      expect(invited.json().inviteLink).toBeNull();
      const accepted = await call(
        'POST',
        '/v1/auth/accept-invite',
        {},
        {
          token: await emailedToken(smtp, email),
          password: STAFF_PASSWORD,
        },
      );
      expectStatus(accepted, 200);
      sessions[role] = (await signInWithToken(ctx, { id: '', email, password: STAFF_PASSWORD })).headers;
    }
    sessions.owner = (await signInWithToken(ctx, owner)).headers;
    const rule = await call('POST', '/v1/earning-rules', org.headers, {
      name: 'Points per euro',
      type: 'spend',
      config: { pointsPerUnit: 1 },
    });
    expectStatus(rule, 201);
    ruleId = rule.json().id;
    const member = await call('POST', '/v1/customers', org.headers, { email: 'ana@example.com' });
    expectStatus(member, 201);
    memberId = member.json().id;
  });

  it('an owner manages staff; a manager cannot, with a 403 naming the scope', async () => {
    const byOwner = await call('POST', '/v1/staff', sessions.owner!, {
      email: 'new@latasca.test',
      role: 'cashier',
    });
    expectStatus(byOwner, 201);
    const byManager = await call('POST', '/v1/staff', sessions.manager!, {
      email: 'x@latasca.test',
      role: 'owner',
    });
    expect(byManager.statusCode).toBe(403);
    expect(byManager.json()).toMatchObject({
      code: 'forbidden',
      detail: "this staff user's role lacks the 'access' scope needed by POST /v1/staff",
    });
  });

  it('a manager changes an earning rule; an analyst and a cashier cannot', async () => {
    const patch = { name: 'Double points' };
    expectStatus(await call('PATCH', `/v1/earning-rules/${ruleId}`, sessions.manager!, patch), 200);
    for (const role of ['analyst', 'cashier']) {
      const refused = await call('PATCH', `/v1/earning-rules/${ruleId}`, sessions[role]!, patch);
      expect(refused.statusCode).toBe(403);
      expect(refused.json().detail).toContain("lacks the 'admin' scope");
    }
  });

  it('an analyst reads everything and changes nothing', async () => {
    expectStatus(await call('GET', '/v1/earning-rules', sessions.analyst!), 200);
    expectStatus(await call('GET', `/v1/customers/${memberId}`, sessions.analyst!), 200);
    const created = await call('POST', '/v1/customers', sessions.analyst!, { email: 'bo@example.com' });
    expect(created.statusCode).toBe(403);
    expect(created.json().detail).toBe(
      "this staff user's role lacks the 'till' scope needed by POST /v1/customers",
    );
  });

  it('a cashier works the till and nothing else', async () => {
    const cashier = sessions.cashier!;
    expectStatus(await call('GET', `/v1/customers/lookup?identifier=ana@example.com`, cashier), 200);
    const added = await call('POST', `/v1/customers/${memberId}/points/add`, cashier, {
      points: 5,
      reason: 'Welcome',
    });
    expectStatus(added, 201);
    expect(added.json().entry.actor).toEqual({ type: 'staff', id: expect.any(String) });
    expect((await call('GET', '/v1/earning-rules', cashier)).statusCode).toBe(403);
    expect((await call('GET', '/v1/staff', cashier)).statusCode).toBe(403);
    const me = await call('GET', '/v1/auth/me', cashier);
    expect(me.json()).toMatchObject({
      reach: ['till'],
      staff: { role: 'cashier' },
      session: { mode: 'token', csrfToken: null },
    });
  });

  it('an API key asking who it is gets its own actor', async () => {
    const me = await call('GET', '/v1/auth/me', org.headers);
    expectStatus(me, 200);
    expect(me.json()).toMatchObject({
      actor: { type: 'api_key', id: org.apiKeyId },
      staff: null,
      session: null,
    });
  });
});

describe('managing staff', () => {
  it("records invites and changes in the audit log with the owner's session as the actor", async () => {
    const org = await ctx.createOrganization();
    const owner = await addFirstOwner(ctx, smtp, org.id, `owner-${org.id}@latasca.test`);
    const session = await signInWithToken(ctx, owner);
    const analyst = await addStaff(ctx, smtp, org, 'analyst');
    const promoted = await call('PATCH', `/v1/staff/${analyst.id}`, session.headers, { role: 'manager' });
    expectStatus(promoted, 200);

    const log = await call('GET', `/v1/audit-log?subjectId=${analyst.id}`, org.headers);
    expectStatus(log, 200);
    const entries = log.json().data as Array<{ action: string; actor: object; changes: object }>;
    expect(entries.map((entry) => entry.action)).toEqual([
      'staff_user.updated',
      'staff_user.activated',
      'staff_user.invited',
    ]);
    expect(entries[0]).toMatchObject({
      actor: { type: 'staff', id: owner.id },
      changes: { role: { before: 'analyst', after: 'manager' } },
    });
    expect(JSON.stringify(entries)).not.toMatch(/password|\$argon2/i);
  });

  it('lists, reads and changes staff; a foreign location, a taken email and the last owner are refused', async () => {
    const org = await ctx.createOrganization();
    const other = await ctx.createOrganization();
    const mine = await call('POST', '/v1/locations', org.headers, { name: 'Gràcia' });
    const theirs = await call('POST', '/v1/locations', other.headers, { name: 'Elsewhere' });
    const cashier = await addStaff(ctx, smtp, org, 'cashier', { locationIds: [mine.json().id] });

    const foreign = await call('PATCH', `/v1/staff/${cashier.id}`, org.headers, {
      locationIds: [mine.json().id, theirs.json().id],
    });
    expect(foreign.statusCode).toBe(422);
    expect(foreign.json().errors[0]).toEqual({
      path: 'body.locationIds.1',
      message: 'is not a location of this organization',
    });
    const taken = await call('POST', '/v1/staff', org.headers, {
      email: cashier.email.toUpperCase(),
      role: 'manager',
    });
    expect(taken.statusCode).toBe(409);
    expect(taken.json()).toMatchObject({ code: 'email_taken', errors: [{ path: 'body.email' }] });
    // Another organization's staff user is not found.
    expect((await call('GET', `/v1/staff/${cashier.id}`, other.headers)).statusCode).toBe(404);

    const changed = await call('PATCH', `/v1/staff/${cashier.id}`, org.headers, {
      role: 'manager',
      name: 'Jordi',
    });
    expectStatus(changed, 200);
    expect(changed.json()).toMatchObject({ role: 'manager', name: 'Jordi', locationIds: [mine.json().id] });
    const listed = await call('GET', '/v1/staff?limit=100', org.headers);
    expect(listed.json().data.map((s: { id: string }) => s.id)).toContain(cashier.id);
    expect(JSON.stringify(listed.json())).not.toMatch(/password|totpSecret|rgt_/);

    const owner = await addStaff(ctx, smtp, org, 'owner');
    const demoted = await call('PATCH', `/v1/staff/${owner.id}`, org.headers, { role: 'manager' });
    expect(demoted.statusCode).toBe(409);
    expect(demoted.json().detail).toContain('last active owner');
    expect((await call('DELETE', `/v1/staff/${owner.id}`, org.headers)).statusCode).toBe(409);
  });

  it('a resent invite replaces the first link; an accepted one cannot be resent', async () => {
    const org = await ctx.createOrganization();
    const email = 'resend@latasca.test';
    const invited = await call('POST', '/v1/staff', org.headers, { email, role: 'analyst' });
    const first = await emailedToken(smtp, email);
    const resent = await call('POST', `/v1/staff/${invited.json().staff.id}/invite`, org.headers);
    expectStatus(resent, 200);
    const second = await emailedToken(smtp, email);
    expect(second).not.toBe(first);
    const withFirst = await call(
      'POST',
      '/v1/auth/accept-invite',
      {},
      { token: first, password: STAFF_PASSWORD },
    );
    expect(withFirst.statusCode).toBe(422);
    expectStatus(
      await call('POST', '/v1/auth/accept-invite', {}, { token: second, password: STAFF_PASSWORD }),
      200,
    );
    const late = await call('POST', `/v1/staff/${invited.json().staff.id}/invite`, org.headers);
    expect(late.statusCode).toBe(409);
  });

  it('disabling a staff user ends their sessions at once', async () => {
    const org = await ctx.createOrganization();
    const manager = await addStaff(ctx, smtp, org, 'manager');
    const cookie = await signInWithCookie(ctx, manager);
    const token = await signInWithToken(ctx, manager);
    expectStatus(await call('GET', '/v1/auth/me', cookie.headers), 200);
    expectStatus(await call('GET', '/v1/auth/me', token.headers), 200);
    const disabled = await call('DELETE', `/v1/staff/${manager.id}`, org.headers);
    expectStatus(disabled, 200);
    expect(disabled.json().status).toBe('disabled');
    expect((await call('GET', '/v1/auth/me', cookie.headers)).statusCode).toBe(401);
    expect((await call('GET', '/v1/auth/me', token.headers)).statusCode).toBe(401);
    expect((await signIn(ctx, { email: manager.email, password: manager.password })).statusCode).toBe(401);
    // Enabled again, they sign in again.
    expectStatus(await call('PATCH', `/v1/staff/${manager.id}`, org.headers, { status: 'active' }), 200);
    expectStatus(await signIn(ctx, { email: manager.email, password: manager.password }), 200);
  });
});
