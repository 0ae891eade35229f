import { Type } from 'typebox';
import { Page, PageQuery, pageRequest, toPage } from '../../http/pagination.ts';
import { errorResponses, Timestamp, Uuid } from '../../http/schemas.ts';
import type { App } from '../../http/types.ts';
import type { OrganizationsService } from '../organizations/service.ts';
import { API_KEY_SCOPES, ApiKeyScope, DEFAULT_API_KEY_SCOPES } from './scopes.ts';
import type { ApiKeyRow, ApiKeysService } from './service.ts';

const Scopes = Type.Array(ApiKeyScope, {
  description: "What the key may reach (see the README's scope table)",
  examples: [['till']],
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
  createdAt: Timestamp('When the key was created'),
});

const OrganizationParams = Type.Object({ id: Uuid('Organization id') });
const KeyParams = Type.Object({ id: Uuid('Organization id'), keyId: Uuid('API key id') });

function presentApiKey(row: ApiKeyRow) {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    scopes: row.scopes,
    createdAt: row.createdAt.toISOString(),
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
    revokedAt: row.revokedAt?.toISOString() ?? null,
  };
}

export function apiKeyRoutes(app: App, apiKeys: ApiKeysService, organizations: OrganizationsService) {
  app.addSchema(ApiKeySchema);

  app.post(
    '/v1/organizations/:id/api-keys',
    {
      config: { auth: 'master', mintsSecret: 'key' },
      schema: {
        tags: ['platform'],
        summary: 'Create an API key for an organization (master key); the key is shown once',
        params: OrganizationParams,
        body: Type.Object(
          {
            name: Type.Optional(Type.String({ maxLength: 200, description: 'What the key is for' })),
            scopes: Type.Optional(
              Type.Array(ApiKeyScope, {
                minItems: 1,
                maxItems: API_KEY_SCOPES.length,
                uniqueItems: true,
                default: [...DEFAULT_API_KEY_SCOPES],
                description: 'What the key may reach; default `["admin"]` (everything)',
                examples: [['till'], ['integration', 'read']],
              }),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 201: CreatedApiKeySchema, ...errorResponses(401, 404, 422) },
      },
    },
    async (request, reply) => {
      await organizations.get(request.params.id);
      const created = await apiKeys.create(request.params.id, request.body.name, request.body.scopes);
      return reply.code(201).send({
        id: created.id,
        name: created.name,
        prefix: created.prefix,
        key: created.key,
        scopes: created.scopes,
        createdAt: created.createdAt.toISOString(),
      });
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
        response: { 200: Page(Type.Ref('ApiKey')), ...errorResponses(401, 404, 422) },
      },
    },
    async (request) => {
      await organizations.get(request.params.id);
      const page = pageRequest(request.query);
      const result = toPage(await apiKeys.list(request.params.id, page), page, (row) => row.id);
      return { data: result.data.map(presentApiKey), nextCursor: result.nextCursor };
    },
  );

  app.delete(
    '/v1/organizations/:id/api-keys/:keyId',
    {
      config: { auth: 'master' },
      schema: {
        tags: ['platform'],
        summary: 'Revoke an API key (master key); it stops working at once',
        params: KeyParams,
        response: { 200: Type.Ref('ApiKey'), ...errorResponses(401, 404) },
      },
    },
    async (request) => presentApiKey(await apiKeys.revoke(request.params.id, request.params.keyId)),
  );
}
