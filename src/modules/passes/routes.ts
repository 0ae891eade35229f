import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';
import { tenantOf } from '../../http/auth.ts';
import { errorResponses, Uuid } from '../../http/schemas.ts';
import type { App } from '../../http/types.ts';
import type { PassesService } from './service.ts';

const PKPASS = 'application/vnd.apple.pkpass';

const PassFile = {
  description: 'The signed Apple Wallet pass (.pkpass)',
  content: { [PKPASS]: { schema: Type.Unsafe<Buffer>({ type: 'string', format: 'binary' }) } },
};

const GoogleLink = Type.Object({
  saveUrl: Type.String({
    description:
      'The "Save to Google Wallet" link: https://pay.google.com/gp/v/save/ followed by a signed JWT',
    examples: ['https://pay.google.com/gp/v/save/eyJhbGciOiJSUzI1NiJ9…'],
  }),
});

const CustomerParams = Type.Object({ id: Uuid('The customer') });

function sendPass(reply: FastifyReply, file: Buffer, lastModified?: Date) {
  reply
    .type(PKPASS)
    .header('content-disposition', 'attachment; filename="card.pkpass"')
    .header('cache-control', 'no-store');
  if (lastModified) reply.header('last-modified', lastModified.toUTCString());
  return reply.send(file);
}

/**
 * Members' wallet cards: the native API (staff and integrations, and the member's own under
 * /v1/me), the card-link downloads Comeback's URLs hand out, and Apple's PassKit web service.
 */
export function passRoutes(app: App, passes: PassesService) {
  const tags = ['wallet passes'];

  app.get(
    '/v1/customers/:id/passes/apple',
    {
      config: { scope: 'till' },
      schema: {
        tags,
        summary: 'The member’s Apple Wallet card (.pkpass), kept current on their phone once added',
        params: CustomerParams,
        produces: [PKPASS],
        response: { 200: PassFile, ...errorResponses(401, 404) },
      },
    },
    async (request, reply) =>
      sendPass(reply, await passes.applePass(tenantOf(request).organizationId, request.params.id)),
  );

  app.get(
    '/v1/customers/:id/passes/google',
    {
      config: { scope: 'till' },
      schema: {
        tags,
        summary: 'The member’s "Save to Google Wallet" link',
        params: CustomerParams,
        response: { 200: GoogleLink, ...errorResponses(401, 404) },
      },
    },
    async (request) => ({
      saveUrl: await passes.googleSaveLink(tenantOf(request).organizationId, request.params.id),
    }),
  );

  const member = { auth: 'member' as const };
  const memberSecurity: Record<string, string[]>[] = [{ memberSession: [] }, { memberCookie: [] }];
  const me = (request: Parameters<typeof tenantOf>[0]) => {
    const { organizationId, actor } = tenantOf(request);
    return { organizationId, customerId: actor.id ?? '' };
  };

  app.get(
    '/v1/me/passes/apple',
    {
      config: member,
      schema: {
        tags: ['members (own account)'],
        summary: 'The member’s own Apple Wallet card (.pkpass)',
        security: memberSecurity,
        produces: [PKPASS],
        response: { 200: PassFile, ...errorResponses(401, 404) },
      },
    },
    async (request, reply) => {
      const { organizationId, customerId } = me(request);
      return sendPass(reply, await passes.applePass(organizationId, customerId));
    },
  );

  app.get(
    '/v1/me/passes/google',
    {
      config: member,
      schema: {
        tags: ['members (own account)'],
        summary: 'The member’s own "Save to Google Wallet" link',
        security: memberSecurity,
        response: { 200: GoogleLink, ...errorResponses(401, 404) },
      },
    },
    async (request) => {
      const { organizationId, customerId } = me(request);
      return { saveUrl: await passes.googleSaveLink(organizationId, customerId) };
    },
  );

  app.get(
    '/v1/me/passes',
    {
      config: member,
      schema: {
        tags: ['members (own account)'],
        summary: 'Which wallet cards this server can make (the member pages show those buttons)',
        security: memberSecurity,
        response: {
          200: Type.Object({
            apple: Type.Boolean({ description: 'GET /v1/me/passes/apple gives the card' }),
            google: Type.Boolean({ description: 'GET /v1/me/passes/google gives the save link' }),
          }),
          ...errorResponses(401),
        },
      },
    },
    async () => passes.enabled,
  );

  cardLinkRoutes(app, passes);
  passKitRoutes(app, passes);
}

/**
 * The card link's wallet forms, as Comeback's download URLs give them: the real pass when the
 * wallet is configured, the HTML card (/cards/…) otherwise.
 */
function cardLinkRoutes(app: App, passes: PassesService) {
  const Params = Type.Object({
    organizationId: Uuid('The organization'),
    token: Type.String({ maxLength: 100, description: 'The secret of the card link' }),
    wallet: Type.Enum(['apple', 'android'], { description: 'The wallet the link was made for' }),
  });
  app.get(
    '/passes/:organizationId/:token/:wallet',
    {
      config: { auth: 'public' },
      schema: {
        tags: ['wallet passes'],
        security: [],
        summary: 'The member’s wallet card from a card link: the .pkpass, or a redirect to Google Wallet',
        params: Params,
        response: {
          200: PassFile,
          302: { description: 'To Google Wallet, or to the HTML card' },
          ...errorResponses(404),
        },
      },
    },
    async (request, reply) => {
      const { organizationId, token, wallet } = request.params;
      const configured = wallet === 'apple' ? passes.enabled.apple : passes.enabled.google;
      if (!configured)
        return reply.redirect(`/cards/${organizationId}/${encodeURIComponent(token)}/${wallet}`, 302);
      const pass = await passes.passByCardLink(organizationId, token, wallet);
      return pass.kind === 'apple' ? sendPass(reply, pass.file) : reply.redirect(pass.url, 302);
    },
  );

  app.get(
    '/passes/:organizationId/logo.png',
    {
      config: { auth: 'public' },
      schema: {
        tags: ['wallet passes'],
        security: [],
        summary: 'The organization’s wallet card logo (Google Wallet fetches it)',
        params: Type.Object({ organizationId: Uuid('The organization') }),
        produces: ['image/png'],
        response: {
          200: {
            description: 'PNG image',
            content: { 'image/png': { schema: Type.Unsafe<Buffer>({ type: 'string', format: 'binary' }) } },
          },
          ...errorResponses(404),
        },
      },
    },
    async (request, reply) =>
      reply
        .type('image/png')
        .header('cache-control', 'public, max-age=3600')
        .send(await passes.logo(request.params.organizationId)),
  );
}

/**
 * Apple's PassKit web service (developer.apple.com/documentation/walletpasses/adding-a-web-service-to-update-passes),
 * at the pass's webServiceURL, /passkit/{organizationId}. Wallet authenticates with
 * `Authorization: ApplePass <token>`, the token in the pass.
 */
function passKitRoutes(app: App, passes: PassesService) {
  const config = { auth: 'public' as const };
  const base = { tags: ['passkit web service'], security: [] };
  const Registration = Type.Object({
    organizationId: Type.String({ maxLength: 100, description: 'The organization (in the web service URL)' }),
    deviceLibraryIdentifier: Type.String({ maxLength: 200, description: 'The device, as Wallet names it' }),
    passTypeIdentifier: Type.String({ maxLength: 200, description: 'APPLE_PASS_TYPE_ID' }),
    serialNumber: Type.String({ maxLength: 100, description: 'The pass: the customer id' }),
  });
  const Authorization = Type.Object({
    authorization: Type.Optional(Type.String({ description: 'ApplePass <the pass’s authenticationToken>' })),
  });
  const registrationPath =
    '/passkit/:organizationId/v1/devices/:deviceLibraryIdentifier/registrations/:passTypeIdentifier/:serialNumber';

  app.post(
    registrationPath,
    {
      config,
      schema: {
        ...base,
        summary: 'Wallet registers a device for a pass’s updates',
        params: Registration,
        headers: Authorization,
        body: Type.Object({
          pushToken: Type.String({ minLength: 1, maxLength: 200, description: 'The device’s APNs token' }),
        }),
        response: {
          200: { description: 'Already registered', type: 'null' },
          201: { description: 'Registered', type: 'null' },
          ...errorResponses(401, 404),
        },
      },
    },
    async (request, reply) => {
      const { params } = request;
      const created = await passes.registerDevice({
        organizationId: params.organizationId,
        deviceLibraryId: params.deviceLibraryIdentifier,
        passTypeId: params.passTypeIdentifier,
        serialNumber: params.serialNumber,
        authorization: request.headers.authorization,
        pushToken: request.body.pushToken,
      });
      return reply.code(created ? 201 : 200).send(null);
    },
  );

  app.delete(
    registrationPath,
    {
      config,
      schema: {
        ...base,
        summary: 'Wallet unregisters a device (the pass was removed)',
        params: Registration,
        headers: Authorization,
        response: { 200: { description: 'Unregistered', type: 'null' }, ...errorResponses(401, 404) },
      },
    },
    async (request, reply) => {
      const { params } = request;
      await passes.unregisterDevice({
        organizationId: params.organizationId,
        deviceLibraryId: params.deviceLibraryIdentifier,
        passTypeId: params.passTypeIdentifier,
        serialNumber: params.serialNumber,
        authorization: request.headers.authorization,
      });
      return reply.code(200).send(null);
    },
  );

  app.get(
    '/passkit/:organizationId/v1/devices/:deviceLibraryIdentifier/registrations/:passTypeIdentifier',
    {
      config,
      schema: {
        ...base,
        summary: 'The serial numbers of a device’s passes updated since a tag',
        params: Type.Omit(Registration, ['serialNumber']),
        querystring: Type.Object({
          passesUpdatedSince: Type.Optional(
            Type.String({ maxLength: 40, description: 'The lastUpdated of a previous answer' }),
          ),
        }),
        response: {
          200: Type.Object({
            serialNumbers: Type.Array(Type.String({ description: 'A pass that changed' })),
            lastUpdated: Type.String({ description: 'The tag to send next time' }),
          }),
          204: { description: 'Nothing changed', type: 'null' },
          ...errorResponses(404),
        },
      },
    },
    async (request, reply) => {
      const { params } = request;
      const updated = await passes.updatedSerials(
        params.organizationId,
        params.deviceLibraryIdentifier,
        params.passTypeIdentifier,
        request.query.passesUpdatedSince,
      );
      return updated ? updated : reply.code(204).send(null);
    },
  );

  app.get(
    '/passkit/:organizationId/v1/passes/:passTypeIdentifier/:serialNumber',
    {
      config,
      schema: {
        ...base,
        summary: 'The latest version of a pass (304 when not modified since If-Modified-Since)',
        params: Type.Omit(Registration, ['deviceLibraryIdentifier']),
        headers: Type.Object({
          ...Authorization.properties,
          'if-modified-since': Type.Optional(
            Type.String({ description: 'The Last-Modified of the copy Wallet has' }),
          ),
        }),
        produces: [PKPASS],
        response: {
          200: PassFile,
          304: { description: 'Not modified', type: 'null' },
          ...errorResponses(401, 404),
        },
      },
    },
    async (request, reply) => {
      const { params } = request;
      const latest = await passes.latestPass(
        params.organizationId,
        params.passTypeIdentifier,
        params.serialNumber,
        request.headers.authorization,
      );
      // HTTP dates have whole seconds; a change always moves the pass into a later second (store.ts).
      const since = Date.parse(request.headers['if-modified-since'] ?? '');
      if (!Number.isNaN(since) && Math.floor(latest.lastModified.getTime() / 1000) * 1000 <= since)
        return reply.code(304).send(null);
      return sendPass(reply, await latest.build(), latest.lastModified);
    },
  );

  app.post(
    '/passkit/:organizationId/v1/log',
    {
      config,
      schema: {
        ...base,
        summary: 'Wallet reports errors it met with the web service',
        params: Type.Object({
          organizationId: Type.String({ maxLength: 100, description: 'The organization' }),
        }),
        body: Type.Object({
          logs: Type.Array(Type.String({ maxLength: 2000 }), {
            maxItems: 100,
            description: 'Messages from the device',
          }),
        }),
        response: { 200: { description: 'Logged', type: 'null' } },
      },
    },
    async (request, reply) => {
      // Anyone may call this (Apple sends no credential): one log line, bounded, per request.
      const { logs } = request.body;
      request.log.warn(
        { walletLog: logs.slice(0, 10).map((message) => message.slice(0, 200)), count: logs.length },
        'Apple Wallet reported a problem',
      );
      return reply.code(200).send(null);
    },
  );
}
