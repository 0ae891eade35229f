import { type TSchema, Type } from 'typebox';
import { tenantOf } from '../../http/auth.ts';
import { Page, PageQuery, pageRequest, toPage } from '../../http/pagination.ts';
import { errorResponses, IdParams, Timestamp, Uuid } from '../../http/schemas.ts';
import type { App } from '../../http/types.ts';
import type { Invitation } from './accounts.ts';
import { StaffRole } from './roles.ts';
import type { StaffService, StaffUserRow } from './service.ts';

const nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

const email = Type.String({
  format: 'email',
  maxLength: 320,
  description: 'Their email: where the invite goes, and what they sign in with',
  examples: ['marta@latasca.es'],
});
const name = Type.String({
  minLength: 1,
  maxLength: 200,
  description: 'Their name',
  examples: ['Marta Puig'],
});
const locationIds = Type.Array(Uuid('Location'), {
  maxItems: 1000,
  uniqueItems: true,
  description: 'The locations they may act at; null = every location',
});
const language = Type.String({
  pattern: '^[a-z]{2}$',
  description: "Language of their emails (es, en, fr); null = the organization country's",
  examples: ['es'],
});

export const StaffUserSchema = Type.Object(
  {
    id: Uuid('Staff user id'),
    email,
    name: nullable(name),
    role: StaffRole,
    locationIds: nullable(locationIds),
    language: nullable(language),
    status: Type.Union([Type.Literal('invited'), Type.Literal('active'), Type.Literal('disabled')], {
      description: 'invited: has not chosen a password yet; active: signs in; disabled: cannot sign in',
      examples: ['active'],
    }),
    totpEnabled: Type.Boolean({ description: 'Whether sign-in asks for an authenticator app code' }),
    lastSignInAt: nullable(Timestamp('Last successful sign-in')),
    createdAt: Timestamp('When they were invited'),
    updatedAt: Timestamp('Last change'),
  },
  { $id: 'StaffUser' },
);

const StaffBody = Type.Object(
  {
    email,
    name: Type.Optional(nullable(name)),
    role: StaffRole,
    locationIds: Type.Optional(nullable(locationIds)),
    language: Type.Optional(nullable(language)),
  },
  { additionalProperties: false },
);

const StaffPatchBody = Type.Object(
  {
    name: Type.Optional(nullable(name)),
    role: Type.Optional(StaffRole),
    locationIds: Type.Optional(nullable(locationIds)),
    language: Type.Optional(nullable(language)),
    status: Type.Optional(
      Type.Union([Type.Literal('active'), Type.Literal('disabled')], {
        description:
          'disabled: cannot sign in, and every session ends at once; active: can again (invited if they never chose a password)',
      }),
    ),
    totpEnabled: Type.Optional(
      Type.Literal(false, { description: 'false turns their second factor off (a lost phone)' }),
    ),
  },
  { additionalProperties: false },
);

const InvitationSchema = Type.Object({
  staff: Type.Ref('StaffUser'),
  invite: Type.Object({
    expiresAt: Timestamp('When the invite link stops working (7 days)'),
    emailed: Type.Boolean({
      description: 'Whether an email channel took the invite; false without SMTP_URL (see inviteLink)',
    }),
  }),
  inviteLink: nullable(
    Type.String({
      description:
        'The invite link itself: only from the platform route, and only when no email channel is configured, ' +
        'so that the operator can pass it on. Shown once.',
      examples: ['https://loyalty.example.com/console/accept-invite?token=rgt_…'],
    }),
  ),
});

export function presentStaffUser(row: StaffUserRow) {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    role: row.role,
    locationIds: row.locationIds,
    language: row.language,
    status: row.status,
    totpEnabled: row.totpEnabledAt !== null,
    lastSignInAt: row.lastSignInAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

function presentInvitation(invitation: Invitation, showLink: boolean) {
  return {
    staff: presentStaffUser(invitation.user),
    invite: { expiresAt: invitation.expiresAt.toISOString(), emailed: invitation.emailed },
    inviteLink: showLink && !invitation.emailed ? invitation.link : null,
  };
}

export function staffRoutes(app: App, staff: StaffService) {
  const { accounts } = staff;
  app.addSchema(StaffUserSchema);
  const tags = ['staff'];

  app.post(
    '/v1/organizations/:id/staff',
    {
      config: { auth: 'master', mintsSecret: 'inviteLink' },
      schema: {
        tags: ['platform'],
        summary:
          "Invite a staff user to an organization (master key): how an organization's first owner is made",
        params: Type.Object({ id: Uuid('Organization id') }),
        body: StaffBody,
        response: { 201: InvitationSchema, ...errorResponses(401, 404, 409, 422) },
      },
    },
    async (request, reply) => {
      const invitation = await accounts.invite(request.params.id, request.body);
      return reply.code(201).send(presentInvitation(invitation, true));
    },
  );

  app.get(
    '/v1/staff',
    {
      config: { scope: 'access' },
      schema: {
        tags,
        summary: "The organization's staff users",
        querystring: Type.Object(PageQuery),
        response: { 200: Page(Type.Ref('StaffUser')), ...errorResponses(401, 403, 422) },
      },
    },
    async (request) => {
      const page = pageRequest(request.query);
      const rows = await accounts.list(tenantOf(request).organizationId, page);
      const result = toPage(rows, page, (row) => row.id);
      return { data: result.data.map(presentStaffUser), nextCursor: result.nextCursor };
    },
  );

  app.post(
    '/v1/staff',
    {
      config: { scope: 'access' },
      schema: {
        tags,
        summary: 'Invite a staff user: they get an email with a link to choose their password',
        body: StaffBody,
        response: { 201: InvitationSchema, ...errorResponses(401, 403, 409, 422) },
      },
    },
    async (request, reply) => {
      const invitation = await accounts.invite(tenantOf(request).organizationId, request.body);
      return reply.code(201).send(presentInvitation(invitation, false));
    },
  );

  app.get(
    '/v1/staff/:id',
    {
      config: { scope: 'access' },
      schema: {
        tags,
        summary: 'A staff user',
        params: IdParams,
        response: { 200: Type.Ref('StaffUser'), ...errorResponses(401, 403, 404) },
      },
    },
    async (request) =>
      presentStaffUser(await accounts.get(tenantOf(request).organizationId, request.params.id)),
  );

  app.patch(
    '/v1/staff/:id',
    {
      config: { scope: 'access' },
      schema: {
        tags,
        summary: 'Change a staff user’s role, name, locations or status (disabling ends their sessions)',
        params: IdParams,
        body: StaffPatchBody,
        response: { 200: Type.Ref('StaffUser'), ...errorResponses(401, 403, 404, 409, 422) },
      },
    },
    async (request) =>
      presentStaffUser(
        await accounts.update(tenantOf(request).organizationId, request.params.id, request.body),
      ),
  );

  app.delete(
    '/v1/staff/:id',
    {
      config: { scope: 'access' },
      schema: {
        tags,
        summary:
          'Disable a staff user: they cannot sign in, and their sessions end at once (kept for history)',
        params: IdParams,
        response: { 200: Type.Ref('StaffUser'), ...errorResponses(401, 403, 404, 409) },
      },
    },
    async (request) =>
      presentStaffUser(
        await accounts.update(tenantOf(request).organizationId, request.params.id, { status: 'disabled' }),
      ),
  );

  app.post(
    '/v1/staff/:id/invite',
    {
      config: { scope: 'access' },
      schema: {
        tags,
        summary: 'Send the invite again, with a new link (the previous link stops working)',
        params: IdParams,
        response: { 200: InvitationSchema, ...errorResponses(401, 403, 404, 409) },
      },
    },
    async (request) =>
      presentInvitation(
        await accounts.resendInvite(tenantOf(request).organizationId, request.params.id),
        false,
      ),
  );
}
