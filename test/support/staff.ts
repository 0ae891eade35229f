import type { LightMyRequestResponse } from 'fastify';
import type { StaffRole } from '../../src/modules/staff/roles.ts';
import { expectStatus, masterHeaders, type TestContext, type TestOrganization } from './context.ts';
import type { TestSmtpServer } from './smtp.ts';

/** What staff tests sign in with: long enough for the policy, and not anyone's email. */
export const STAFF_PASSWORD = 'correct horse battery staple';

/** The token of the newest unread invite or reset email to `email`. */
export async function emailedToken(smtp: TestSmtpServer, email: string): Promise<string> {
  const mail = await smtp.waitForMessage(email);
  const token = /token=(rgt_[\w-]+)/.exec(mail.text)?.[1];
  if (!token) throw new Error(`no token link in the email to ${email}: ${mail.text}`);
  return token;
}

/** The headers a cookie session sends: the cookie, and the CSRF token (unsafe methods need it). */
export interface CookieSession {
  headers: { cookie: string; 'x-csrf-token': string };
  csrfToken: string;
  cookie: string;
}

export function cookieSessionOf(response: LightMyRequestResponse): CookieSession {
  expectStatus(response, 200);
  const cookie = response.cookies.find((c) => c.name === 'regulars_session')?.value;
  if (!cookie) throw new Error(`no session cookie in ${JSON.stringify(response.headers['set-cookie'])}`);
  const csrfToken = response.json().csrfToken as string;
  return { cookie, csrfToken, headers: { cookie: `regulars_session=${cookie}`, 'x-csrf-token': csrfToken } };
}

export interface TokenSession {
  headers: { authorization: string };
  accessToken: string;
  refreshToken: string;
}

export function tokenSessionOf(response: LightMyRequestResponse): TokenSession {
  expectStatus(response, 200);
  const { accessToken, refreshToken } = response.json() as { accessToken: string; refreshToken: string };
  return { accessToken, refreshToken, headers: { authorization: `Bearer ${accessToken}` } };
}

/**
 * A made-up client address: sign-in and invite acceptance are limited per IP address (100 per
 * 15 minutes), which a test file's many sign-ins from one address would reach.
 */
export function someAddress(): string {
  const byte = () => Math.floor(Math.random() * 254) + 1;
  return `10.${byte()}.${byte()}.${byte()}`;
}

export function signIn(ctx: TestContext, body: Record<string, unknown>, remoteAddress = someAddress()) {
  return ctx.app.inject({ method: 'POST', url: '/v1/auth/sign-in', payload: body, remoteAddress });
}

export interface StaffMember {
  id: string;
  email: string;
  password: string;
}

/**
 * A staff user of the organization, invited by its admin key, invite read from the SMTP server
 * and accepted: ready to sign in.
 */
export async function addStaff(
  ctx: TestContext,
  smtp: TestSmtpServer,
  org: TestOrganization,
  role: StaffRole,
  body: Record<string, unknown> = {},
): Promise<StaffMember> {
  const email = `${role}-${Math.random().toString(36).slice(2, 10)}@latasca.test`;
  const invited = await ctx.app.inject({
    method: 'POST',
    url: '/v1/staff',
    headers: org.headers,
    payload: { email, role, name: `A ${role}`, ...body },
  });
  expectStatus(invited, 201);
  const accepted = await ctx.app.inject({
    method: 'POST',
    url: '/v1/auth/accept-invite',
    payload: { token: await emailedToken(smtp, email), password: STAFF_PASSWORD },
    remoteAddress: someAddress(),
  });
  expectStatus(accepted, 200);
  return { id: invited.json().staff.id, email, password: STAFF_PASSWORD };
}

/** The platform operator invites an organization's first owner (master key), who accepts. */
export async function addFirstOwner(
  ctx: TestContext,
  smtp: TestSmtpServer,
  organizationId: string,
  email: string,
): Promise<StaffMember> {
  const invited = await ctx.app.inject({
    method: 'POST',
    url: `/v1/organizations/${organizationId}/staff`,
    headers: masterHeaders,
    payload: { email, role: 'owner', name: 'Owner' },
  });
  expectStatus(invited, 201);
  const accepted = await ctx.app.inject({
    method: 'POST',
    url: '/v1/auth/accept-invite',
    payload: { token: await emailedToken(smtp, email), password: STAFF_PASSWORD },
    remoteAddress: someAddress(),
  });
  expectStatus(accepted, 200);
  return { id: invited.json().staff.id, email, password: STAFF_PASSWORD };
}

export async function signInWithCookie(ctx: TestContext, member: StaffMember): Promise<CookieSession> {
  return cookieSessionOf(await signIn(ctx, { email: member.email, password: member.password }));
}

export async function signInWithToken(ctx: TestContext, member: StaffMember): Promise<TokenSession> {
  return tokenSessionOf(await signIn(ctx, { email: member.email, password: member.password, mode: 'token' }));
}
