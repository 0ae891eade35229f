import { Type } from 'typebox';
import { tenantOf } from '../../http/auth.ts';
import { Page, PageQuery, pageRequest, toPage } from '../../http/pagination.ts';
import { errorResponses, Timestamp, Uuid } from '../../http/schemas.ts';
import type { App } from '../../http/types.ts';
import type { OrganizationsService } from '../organizations/service.ts';
import { API_KEY_SCOPES, ApiKeyScope, DEFAULT_API_KEY_SCOPES } from './scopes.ts';
import type { ApiKeyRow, ApiKeysService } from './service.ts';

const Scopes = Type.Array(ApiKeyScope, {
  description: "What the key may reach (see the README's table of roles and scopes)",
  examples: [['till']],
});

/** A location restriction; a key restricted to none would be no key at all, so at least one. */
const LocationIds = Type.Array(Uuid('A location of the organization'), {
  minItems: 1,
  maxItems: 1000,
  uniqueItems: true,
  description: 'The locations the key may act at',
});

const LocationIdsOutput = Type.Union([Type.Array(Uuid('Location id')), Type.Null()], {
  description: 'The locations the key may act at; null = every location',
});

const ApiKeySchema = Type.Object(
  {
    id: Uuid('API key id'),
    name: Type.Union([Type.String(), Type.Null()], {
      description: 'What the key is for',
      examples: ['Till integration'],
    }),
    prefix: Type.String({ description: 'The visible start of the key', examples: ['rgl_1a2b3c4d'] }),
    scopes: Scopes,
    locationIds: LocationIdsOutput,
    createdAt: Timestamp('When the key was created'),
    lastUsedAt: Type.Union([Timestamp('Last use, to the minute'), Type.Null()]),
    revokedAt: Type.Union([Timestamp('When the key was revoked'), Type.Null()]),
  },
  { $id: 'ApiKey' },
);

const CreatedApiKeySchema = Type.Object({
  id: Uuid('API key id'),
  name: Type.Union([Type.String(), Type.Null()]),
  prefix: Type.String({ examples: ['rgl_1a2b3c4d'] }),
  key: Type.String({
    description: 'The secret key. Shown only in this response; store it now.',
    examples: ['rgl_1a2b3c4d_0123456789abcdef0123456789abcdef01234567'],
  }),
  scopes: Scopes,
  locationIds: LocationIdsOutput,
  createdAt: Timestamp('When the key was created'),
});

const scopesInput = {
  minItems: 1,
  maxItems: API_KEY_SCOPES.length,
  uniqueItems: true,
  examples: [['till'], ['integration', 'read']],
};

const CreateBody = Type.Object(
  {
    name: Type.Optional(Type.String({ maxLength: 200, description: 'What the key is for' })),
    scopes: Type.Optional(
      Type.Array(ApiKeyScope, {
        ...scopesInput,
        default: [...DEFAULT_API_KEY_SCOPES],
        description: 'What the key may reach; default `["admin"]` (everything)',
      }),
    ),
    locationIds: Type.Optional(
      Type.Union([LocationIds, Type.Null()], {
        description:
          "Restrict the key to these locations; null: every location; left out: every location, or the caller's own when it is restricted to some",
        examples: [['01936f4e-8b1a-7c3d-9e2f-1a2b3c4d5e6f']],
      }),
    ),
  },
  { additionalProperties: false },
);

const UpdateBody = Type.Object(
  {
    name: Type.Optional(
      Type.Union([Type.String({ maxLength: 200 }), Type.Null()], { description: 'What the key is for' }),
    ),
    scopes: Type.Optional(Type.Array(ApiKeyScope, { ...scopesInput, description: 'What the key may reach' })),
    locationIds: Type.Optional(
      Type.Union([LocationIds, Type.Null()], { description: 'These locations only; null: every location' }),
    ),
  },
  { additionalProperties: false, minProperties: 1 },
);

const UPDATE_DESCRIPTION =
  'Takes effect at once on the node that answers, and within 5 seconds on every other node (each trusts a key it verified for 5 s).';

const OrganizationParams = Type.Object({ id: Uuid('Organization id') });
const KeyParams = Type.Object({ id: Uuid('Organization id'), keyId: Uuid('API key id') });
const OwnKeyParams = Type.Object({ keyId: Uuid('API key id') });

function presentApiKey(row: ApiKeyRow) {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    scopes: row.scopes,
    locationIds: row.locationIds,
    createdAt: row.createdAt.toISOString(),
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
    revokedAt: row.revokedAt?.toISOString() ?? null,
  };
}

function presentCreated(created: ApiKeyRow & { key: string }) {
  return {
    id: created.id,
    name: created.name,
    prefix: created.prefix,
    key: created.key,
    scopes: created.scopes,
    locationIds: created.locationIds,
    createdAt: created.createdAt.toISOString(),
  };
}

/**
 * An organization's keys, two ways: the platform's (master key, under /v1/organizations/{id}) and
 * the organization's own (under /v1/api-keys, for callers with the `access` scope: admin keys and
 * owners), which give no more than the caller holds and never act on the calling key itself.
 */
export function apiKeyRoutes(app: App, apiKeys: ApiKeysService, organizations: OrganizationsService) {
  app.addSchema(ApiKeySchema);
  const ApiKeyRef = Type.Ref('ApiKey');
  const listPage = async (organizationId: string, query: Parameters<typeof pageRequest>[0]) => {
    const page = pageRequest(query);
    const result = toPage(await apiKeys.list(organizationId, page), page, (row) => row.id);
    return { data: result.data.map(presentApiKey), nextCursor: result.nextCursor };
  };

  app.post(
    '/v1/organizations/:id/api-keys',
    {
      config: { auth: 'master', mintsSecret: 'key' },
      schema: {
        tags: ['platform'],
        summary: 'Create an API key for an organization (master key); the key is shown once',
        params: OrganizationParams,
        body: CreateBody,
        response: { 201: CreatedApiKeySchema, ...errorResponses(401, 404, 422) },
      },
    },
    async (request, reply) => {
      await organizations.get(request.params.id);
      const created = await apiKeys.create(request.params.id, request.body);
      return reply.code(201).send(presentCreated(created));
    },
  );

  app.get(
    '/v1/organizations/:id/api-keys',
    {
      config: { auth: 'master' },
      schema: {
        tags: ['platform'],
        summary: "List an organization's API keys (master key); secrets are never shown again",
        params: OrganizationParams,
        querystring: Type.Object(PageQuery),
        response: { 200: Page(ApiKeyRef), ...errorResponses(401, 404, 422) },
      },
    },
    async (request) => {
      await organizations.get(request.params.id);
      return listPage(request.params.id, request.query);
    },
  );

  app.patch(
    '/v1/organizations/:id/api-keys/:keyId',
    {
      config: { auth: 'master' },
      schema: {
        tags: ['platform'],
        summary: "Change an API key's name, scopes or locations (master key)",
        description: UPDATE_DESCRIPTION,
        params: KeyParams,
        body: UpdateBody,
        response: { 200: ApiKeyRef, ...errorResponses(401, 404, 409, 422) },
      },
    },
    async (request) =>
      presentApiKey(await apiKeys.update(request.params.id, request.params.keyId, request.body)),
  );

  app.delete(
    '/v1/organizations/:id/api-keys/:keyId',
    {
      config: { auth: 'master' },
      schema: {
        tags: ['platform'],
        summary: 'Revoke an API key (master key); it stops working at once',
        params: KeyParams,
        response: { 200: ApiKeyRef, ...errorResponses(401, 404) },
      },
    },
    async (request) => presentApiKey(await apiKeys.revoke(request.params.id, request.params.keyId)),
  );

  const tags = ['api keys'];

  app.get(
    '/v1/api-keys',
    {
      config: { scope: 'access' },
      schema: {
        tags,
        summary: "The organization's API keys; secrets are never shown again",
        querystring: Type.Object(PageQuery),
        response: { 200: Page(ApiKeyRef), ...errorResponses(401, 403, 422) },
      },
    },
    async (request) => listPage(tenantOf(request).organizationId, request.query),
  );

  app.post(
    '/v1/api-keys',
    {
      config: { scope: 'access', mintsSecret: 'key' },
      schema: {
        tags,
        summary: 'Create an API key; the key is shown once',
        description:
          'The key reaches no more than the caller: no scope the caller lacks, and, for a caller restricted to some locations, some of those (its own when `locationIds` is left out). A replay of the same Idempotency-Key answers `key: null` (header Idempotent-Secret-Withheld).',
        body: CreateBody,
        response: { 201: CreatedApiKeySchema, ...errorResponses(401, 403, 422) },
      },
    },
    async (request, reply) => {
      const tenant = tenantOf(request);
      const created = await apiKeys.create(tenant.organizationId, request.body, tenant);
      return reply.code(201).send(presentCreated(created));
    },
  );

  app.patch(
    '/v1/api-keys/:keyId',
    {
      config: { scope: 'access' },
      schema: {
        tags,
        summary: "Change an API key's name, scopes or locations",
        description: `${UPDATE_DESCRIPTION} The caller gives no more than it holds, and a key does not change itself (403): use another key, an owner, or the master key.`,
        params: OwnKeyParams,
        body: UpdateBody,
        response: { 200: ApiKeyRef, ...errorResponses(401, 403, 404, 409, 422) },
      },
    },
    async (request) => {
      const tenant = tenantOf(request);
      return presentApiKey(
        await apiKeys.update(tenant.organizationId, request.params.keyId, request.body, tenant),
      );
    },
  );

  app.post(
    '/v1/api-keys/:keyId/revoke',
    {
      config: { scope: 'access' },
      schema: {
        tags,
        summary: 'Revoke an API key; it stops working at once',
        description:
          'A key does not revoke itself (403): revoke it with another key, an owner, or the master key. Revoking a revoked key answers it as it is.',
        params: OwnKeyParams,
        response: { 200: ApiKeyRef, ...errorResponses(401, 403, 404) },
      },
    },
    async (request) => {
      const tenant = tenantOf(request);
      return presentApiKey(await apiKeys.revoke(tenant.organizationId, request.params.keyId, tenant));
    },
  );
}
