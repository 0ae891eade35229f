import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { notFound } from '../../errors.ts';
import { tenantOf } from '../../http/auth.ts';
import { Page, pageRequest, toPage } from '../../http/pagination.ts';
import { errorResponses } from '../../http/schemas.ts';
import type { App } from '../../http/types.ts';
import { cardPng, cardSvg } from '../customers/card.ts';
import { PngImage, PngQuery, presentCustomer } from '../customers/routes.ts';
import type { Customer, CustomersService } from '../customers/service.ts';
import {
  CustomerPointsResponse,
  HistoryQuery,
  historyFilter,
  presentBalance,
  presentEntry,
} from '../ledger/routes.ts';
import type { LedgerService } from '../ledger/service.ts';
import {
  AvailableResponse,
  ClaimResponse,
  presentAvailable,
  presentClaim,
} from '../rewards/coupon-routes.ts';
import { presentCoupon } from '../rewards/presenters.ts';
import type { RewardsService } from '../rewards/service.ts';
import { ProgressSchema, presentProgress } from '../tiers/routes.ts';
import type { TiersService } from '../tiers/service.ts';
import { clearSessionCookie, memberTokenOf, setSessionCookie } from './authenticator.ts';
import {
  AcceptedResponse,
  AnonymizeBody,
  CardResponse,
  CodeRequestBody,
  JoinBody,
  ManifestResponse,
  MEMBER_PROFILE_FIELDS,
  MemberClaimBody,
  MemberCouponsQuery,
  MemberPageResponse,
  MemberProfilePatch,
  MemberProfileSchema,
  MemberRewardsQuery,
  OrganizationParams,
  RewardParams,
  SessionResponse,
  VerifyBody,
} from './contract.ts';
import type { MemberAccessService, Origin } from './service.ts';

export interface MemberAccessRouteServices {
  memberAccess: MemberAccessService;
  customers: CustomersService;
  ledger: LedgerService;
  rewards: RewardsService;
  tiers: TiersService;
}

const MAX_USER_AGENT = 500;

function originOf(request: FastifyRequest): Origin {
  const userAgent = request.headers['user-agent'];
  return { ip: request.ip, userAgent: userAgent ? userAgent.slice(0, MAX_USER_AGENT) : null };
}

/** The signed-in member, as the member authenticator put them on the request. */
function me(request: FastifyRequest): { organizationId: string; customerId: string } {
  const { organizationId, actor } = tenantOf(request);
  return { organizationId, customerId: actor.id! };
}

/** What members see of their record: presentCustomer's fields, fewer of them. */
function presentProfile(customer: Customer) {
  const full = presentCustomer(customer);
  return Object.fromEntries(MEMBER_PROFILE_FIELDS.map((field) => [field, full[field]])) as Pick<
    typeof full,
    (typeof MEMBER_PROFILE_FIELDS)[number]
  >;
}

export function memberAccessRoutes(app: App, services: MemberAccessRouteServices) {
  publicRoutes(app, services.memberAccess);
  meRoutes(app, services);
}

function publicRoutes(app: App, memberAccess: MemberAccessService) {
  const config = { auth: 'public' as const };
  const tags = ['member sign-in'];
  pageRoutes(app, memberAccess);
  const accepted = () => ({
    message: `If this address belongs to a member, a sign-in code is on its way. It expires in ${Math.round(
      memberAccess.limits.codeTtlMs / 60_000,
    )} minutes.`,
  });

  app.post(
    '/v1/public/organizations/:organizationId/sign-in/code',
    {
      config,
      schema: {
        tags,
        summary: 'Send a member a one-time sign-in code by email (or SMS)',
        description:
          'Always 202 with the same body, whether or not a member has this email or phone: the code is sent ' +
          'after the answer, only to an active member. Six digits, valid 15 minutes, single use, burnt after ' +
          '5 wrong tries; a new code replaces the previous one. SMS when a phone is given and SMS is set up, ' +
          'email otherwise. 429 after 5 codes per address (or 30 per IP) in 15 minutes.',
        security: [],
        params: OrganizationParams,
        body: CodeRequestBody,
        response: { 202: AcceptedResponse, ...errorResponses(404, 422, 429) },
      },
    },
    async (request, reply) => {
      await memberAccess.requestCode(request.params.organizationId, request.body, originOf(request));
      return reply.code(202).send(accepted());
    },
  );

  app.post(
    '/v1/public/organizations/:organizationId/sign-in/verify',
    {
      config: { ...config, mintsSecret: 'token' },
      schema: {
        tags,
        summary: 'Trade a sign-in code for a member session (cookie and bearer token)',
        description:
          'Sets the httpOnly, Secure, SameSite=Strict `regulars_member` cookie (path /v1/me) and answers the ' +
          'same session as a bearer token for apps. A cookie session sends `csrfToken` in the `X-CSRF-Token` ' +
          'header on POST and PATCH. 401 sign_in_failed for a wrong, expired, used or burnt code and for an ' +
          'address no active member has, alike.',
        security: [],
        params: OrganizationParams,
        body: VerifyBody,
        response: { 200: SessionResponse, ...errorResponses(401, 404, 422, 429) },
      },
    },
    async (request, reply) => {
      const session = await memberAccess.verify(
        request.params.organizationId,
        request.body,
        originOf(request),
      );
      setSessionCookie(reply, session);
      reply.header('cache-control', 'no-store');
      return {
        token: session.token,
        csrfToken: session.csrfToken,
        customerId: session.customerId,
        expiresAt: session.expiresAt.toISOString(),
      };
    },
  );

  app.post(
    '/v1/public/organizations/:organizationId/join',
    {
      config,
      schema: {
        tags,
        summary: 'Join the program: become a member and get a sign-in code',
        description:
          'Creates the member (source `self-registration`), records the acceptance of the terms with its ' +
          'version, time, IP and browser, and sends a sign-in code. When the email or phone is already a ' +
          "member's, nothing is created or changed and that member gets a sign-in code instead: the answer " +
          'is the same 202, so the page reveals nobody. 422 names a bad field; 429 after 20 joins per IP in 15 minutes.',
        security: [],
        params: OrganizationParams,
        body: JoinBody,
        response: { 202: AcceptedResponse, ...errorResponses(404, 422, 429) },
      },
    },
    async (request, reply) => {
      await memberAccess.join(request.params.organizationId, request.body, originOf(request));
      return reply.code(202).send(accepted());
    },
  );
}

/** The member pages' public reads: the organization's look and wording, and the installable app's manifest. */
function pageRoutes(app: App, memberAccess: MemberAccessService) {
  const config = { auth: 'public' as const };
  app.get(
    '/v1/public/organizations/:organizationId/member-page',
    {
      config,
      schema: {
        tags: ['member sign-in'],
        summary: 'The organization’s name, logo, colors, language and join wording, for its member pages',
        description:
          'Public: what the join and sign-in pages at /m/{organizationId}/ show before anyone signs in. ' +
          'Set with the brand* and member* keys of PATCH /v1/organization settings.',
        security: [],
        params: OrganizationParams,
        response: { 200: MemberPageResponse, ...errorResponses(404, 422) },
      },
    },
    async (request, reply) => {
      reply.header('cache-control', 'public, max-age=300');
      return memberAccess.memberPage(request.params.organizationId);
    },
  );

  // The web app manifest of /m/{organizationId}/: installed, it opens on the organization's pages.
  app.get(
    '/v1/public/organizations/:organizationId/manifest.webmanifest',
    {
      config,
      schema: {
        tags: ['member sign-in'],
        summary: 'The web app manifest of the organization’s member pages (installable on a phone)',
        security: [],
        params: OrganizationParams,
        produces: ['application/manifest+json'],
        response: { 200: ManifestResponse, ...errorResponses(404, 422) },
      },
    },
    async (request, reply) => {
      const page = await memberAccess.memberPage(request.params.organizationId);
      const start = `/m/${page.organizationId}/`;
      const icons = [
        ...(page.logoUrl ? [{ src: page.logoUrl, sizes: 'any', purpose: 'any' }] : []),
        { src: '/m/icon.svg', sizes: 'any', type: 'image/svg+xml', purpose: 'any' },
      ];
      return reply
        .type('application/manifest+json; charset=utf-8')
        .header('cache-control', 'public, max-age=300')
        .send({
          id: start,
          name: page.name,
          short_name: page.name.slice(0, 12),
          start_url: start,
          scope: start,
          display: 'standalone',
          lang: page.language,
          theme_color: page.color,
          background_color: '#ffffff',
          icons,
        });
    },
  );
}

function meRoutes(app: App, services: MemberAccessRouteServices) {
  const { memberAccess, customers, ledger, rewards, tiers } = services;
  app.addSchema(MemberProfileSchema);
  const config = { auth: 'member' as const };
  const tags = ['members (own account)'];
  const security: Record<string, string[]>[] = [{ memberSession: [] }, { memberCookie: [] }];
  const ProfileRef = Type.Ref('MemberProfile');

  app.post(
    '/v1/me/sign-out',
    {
      config,
      schema: {
        tags,
        summary: 'End this session (its token and cookie stop working at once)',
        security,
        response: { 204: Type.Null(), ...errorResponses(401, 403) },
      },
    },
    async (request, reply) => {
      const carried = memberTokenOf(request);
      if (carried) await memberAccess.signOut(carried.token);
      clearSessionCookie(reply);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/me/anonymize',
    {
      config,
      schema: {
        tags,
        summary: 'Erase one’s own account (anonymize): personal data gone for good, every session ended',
        description:
          'As staff anonymize a member: name, email, phone, birth date, address and card are wiped, so they ' +
          'no longer sign in or identify anyone; points history stays without a name. Cannot be undone.',
        security,
        body: AnonymizeBody,
        response: { 204: Type.Null(), ...errorResponses(401, 403, 422) },
      },
    },
    async (request, reply) => {
      const { organizationId, customerId } = me(request);
      await memberAccess.anonymizeSelf(organizationId, customerId);
      clearSessionCookie(reply);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/v1/me',
    {
      config,
      schema: {
        tags,
        summary: 'The signed-in member’s profile',
        security,
        response: { 200: ProfileRef, ...errorResponses(401) },
      },
    },
    async (request) => {
      const { organizationId, customerId } = me(request);
      return presentProfile(await customers.get(organizationId, customerId));
    },
  );

  app.patch(
    '/v1/me',
    {
      config,
      schema: {
        tags,
        summary: 'Change one’s own profile and marketing consents',
        description:
          'Names, birth date, gender, address, language and marketing consents (each consent recorded with ' +
          'the time it changed). Email and phone identify the member and are changed by staff; status, notes, ' +
          'labels and tier are not the member’s to change (422 names such a field).',
        security,
        body: MemberProfilePatch,
        response: { 200: ProfileRef, ...errorResponses(401, 403, 422) },
      },
    },
    async (request) => {
      const { organizationId, customerId } = me(request);
      return presentProfile(await customers.update(organizationId, customerId, request.body));
    },
  );

  app.get(
    '/v1/me/card',
    {
      config,
      schema: {
        tags,
        summary: 'The member’s card: its number and QR code (SVG) to show at the till',
        security,
        response: { 200: CardResponse, ...errorResponses(401, 404) },
      },
    },
    async (request) => {
      const cardNumber = await cardNumberOf(request);
      return { loyaltyCardNumber: cardNumber, qrSvg: await cardSvg(cardNumber) };
    },
  );

  app.get(
    '/v1/me/card.png',
    {
      config,
      schema: {
        tags,
        summary: 'The member’s card QR code as PNG',
        security,
        querystring: PngQuery,
        produces: ['image/png'],
        response: { 200: PngImage, ...errorResponses(401, 404, 422) },
      },
    },
    async (request, reply) =>
      reply.type('image/png').send(await cardPng(await cardNumberOf(request), request.query.size ?? 512)),
  );

  async function cardNumberOf(request: FastifyRequest): Promise<string> {
    const { organizationId, customerId } = me(request);
    const customer = await customers.get(organizationId, customerId);
    if (!customer.loyaltyCardNumber) throw notFound('loyalty card');
    return customer.loyaltyCardNumber;
  }

  app.get(
    '/v1/me/points',
    {
      config,
      schema: {
        tags,
        summary: 'The member’s balances, one per point type, with what expires in the next 30 days',
        security,
        response: { 200: CustomerPointsResponse, ...errorResponses(401) },
      },
    },
    async (request) => {
      const { organizationId, customerId } = me(request);
      const balances = await ledger.balances(organizationId, customerId);
      return { customerId, balances: balances.map(presentBalance) };
    },
  );

  app.get(
    '/v1/me/points/history',
    {
      config,
      schema: {
        tags,
        summary: 'The member’s points history, newest first',
        security,
        querystring: HistoryQuery,
        response: { 200: Page(Type.Ref('LedgerEntry')), ...errorResponses(401, 422) },
      },
    },
    async (request) => {
      const { organizationId, customerId } = me(request);
      const page = pageRequest(request.query);
      const rows = await ledger.history(organizationId, customerId, historyFilter(request.query), page);
      const result = toPage(rows, page, (row) => row.id);
      return { data: result.data.map(presentEntry), nextCursor: result.nextCursor };
    },
  );

  app.get(
    '/v1/me/rewards',
    {
      config,
      schema: {
        tags,
        summary: 'The rewards on show, and whether the member can claim each now (and why not)',
        security,
        querystring: MemberRewardsQuery,
        response: { 200: AvailableResponse, ...errorResponses(401, 404, 422) },
      },
    },
    async (request) => {
      const { organizationId, customerId } = me(request);
      const { locale, ...query } = request.query;
      const asked = { ...query, channel: 'shop' as const };
      const result = await rewards.available(organizationId, customerId, asked);
      return presentAvailable(customerId, asked, result, locale);
    },
  );

  app.post(
    '/v1/me/rewards/:rewardId/claim',
    {
      config,
      schema: {
        tags,
        summary: 'Claim a reward: spend its points, get its coupons',
        description:
          'As staff claim it on the shop channel, with the member as the actor. 422 insufficient_points, ' +
          '409 reward_limit_reached or no_codes_left, 422 reward_not_available with every reason.',
        security,
        params: RewardParams,
        body: MemberClaimBody,
        response: { 201: ClaimResponse, ...errorResponses(401, 403, 404, 409, 422) },
      },
    },
    async (request, reply) => {
      const { organizationId, customerId } = me(request);
      const result = await rewards.coupons.claim(organizationId, customerId, request.params.rewardId, {
        quantity: request.body.quantity,
        channel: 'shop',
        actor: tenantOf(request).actor,
      });
      return reply.code(201).send(presentClaim(customerId, result));
    },
  );

  app.get(
    '/v1/me/coupons',
    {
      config,
      schema: {
        tags,
        summary: 'The member’s coupons, oldest first',
        security,
        querystring: MemberCouponsQuery,
        response: { 200: Page(Type.Ref('Coupon')), ...errorResponses(401, 422) },
      },
    },
    async (request) => {
      const { organizationId, customerId } = me(request);
      const page = pageRequest(request.query);
      const rows = await rewards.coupons.list(
        organizationId,
        { customerId, status: request.query.status },
        page,
      );
      const result = toPage(rows, page, (row) => row.id);
      return { data: result.data.map((coupon) => presentCoupon(coupon)), nextCursor: result.nextCursor };
    },
  );

  app.get(
    '/v1/me/tier',
    {
      config,
      schema: {
        tags,
        summary: 'The member’s tier, the next one, and what is missing to reach it or keep this one',
        security,
        response: { 200: ProgressSchema, ...errorResponses(401) },
      },
    },
    async (request) => {
      const { organizationId, customerId } = me(request);
      return presentProgress(customerId, await tiers.progress(organizationId, customerId, new Date()));
    },
  );
}
