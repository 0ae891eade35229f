import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { sql } from 'drizzle-orm';
import Fastify, { type FastifyServerOptions } from 'fastify';
import { Redis } from 'ioredis';
import { Type } from 'typebox';
import { cheerfyDialect } from '../dialects/cheerfy/routes.ts';
import { comebackDialect } from '../dialects/comeback/routes.ts';
import { posGatewayDialect } from '../dialects/pos-gateway/routes.ts';
import { AppError } from '../errors.ts';
import { apiKeyRoutes } from '../modules/api-keys/routes.ts';
import { customerRoutes } from '../modules/customers/routes.ts';
import { earningRuleRoutes } from '../modules/earning-rules/routes.ts';
import { triggerRoutes } from '../modules/earning-rules/trigger-routes.ts';
import { eventRoutes } from '../modules/events/routes.ts';
import { ledgerRoutes } from '../modules/ledger/routes.ts';
import { locationRoutes } from '../modules/locations/routes.ts';
import { organizationRoutes } from '../modules/organizations/routes.ts';
import { pointTypeRoutes } from '../modules/point-types/routes.ts';
import { registerRewardRoutes } from '../modules/rewards/routes.ts';
import { segmentRoutes } from '../modules/segments/routes.ts';
import { tierRoutes } from '../modules/tiers/routes.ts';
import { transactionRoutes } from '../modules/transactions/routes.ts';
import { webhookRoutes } from '../modules/webhooks/routes.ts';
import type { Services } from '../services.ts';
import { registerAuth } from './auth.ts';
import { lazyCompilers } from './compilers.ts';
import { registerIdempotency } from './idempotency.ts';
import { sendProblem, toAppError } from './problem.ts';
import { refuseNulCharacters, refuseOutsizedNumbers } from './request-guards.ts';
import { ProblemSchema } from './schemas.ts';
import type { App } from './types.ts';

const PACKAGE = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  name: string;
  version: string;
};

export interface ServerOptions {
  /** Logger options: `loggerOptions` of src/logging.ts (redactions, error serializer), or false. */
  logger?: FastifyServerOptions['logger'];
  rateLimit?: { max: number; windowMs: number; redisUrl?: string | undefined };
}

export async function buildServer(services: Services, options: ServerOptions = {}): Promise<App> {
  const compilers = lazyCompilers();
  const app = Fastify({
    logger: options.logger ?? false,
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    schemaController: {
      compilersFactory: {
        buildValidator: compilers.buildValidator,
        buildSerializer: compilers.buildSerializer,
      },
    },
    bodyLimit: 1024 * 1024,
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.decorate('compileSchemas', compilers.compileAll);
  app.setErrorHandler((error, request, reply) => sendProblem(reply, toAppError(error, request)));
  app.setNotFoundHandler((request, reply) =>
    sendProblem(
      reply,
      new AppError('route_not_found', `no route for ${request.method} ${request.url.split('?')[0]}`),
    ),
  );
  // Action routes (`POST …/revoke`) are called without a body: validate that as an empty object.
  app.addHook('preValidation', async (request) => {
    if (request.body === undefined && (request.method === 'POST' || request.method === 'PATCH'))
      request.body = {};
  });
  app.addHook('preValidation', refuseNulCharacters);
  app.addHook('preHandler', refuseOutsizedNumbers);
  app.addHook('onSend', async (request, reply, payload) => {
    reply.header('x-request-id', request.id);
    return payload;
  });

  // Request decorators and hooks first, so that every route (plugins' included) sees them.
  registerAuth(app, services.apiKeys);
  registerIdempotency(app, services.idempotency);
  await app.register(helmet, { contentSecurityPolicy: false });
  await app.register(cors);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Regulars API',
        version: PACKAGE.version,
        description: 'Loyalty engine for restaurants and shops',
      },
      components: {
        securitySchemes: {
          apiKey: {
            type: 'http',
            scheme: 'bearer',
            description: 'An API key, or the master key for platform routes',
          },
        },
      },
      security: [{ apiKey: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  if (options.rateLimit && options.rateLimit.max > 0) {
    await app.register(rateLimit, {
      // After authentication, so the limit is per API key rather than per shared POS gateway IP.
      hook: 'preHandler',
      max: options.rateLimit.max,
      timeWindow: options.rateLimit.windowMs,
      keyGenerator: (request) => request.tenant?.apiKeyId ?? request.ip,
      ...(options.rateLimit.redisUrl ? { redis: new Redis(options.rateLimit.redisUrl) } : {}),
      errorResponseBuilder: (_request, context) =>
        new AppError('rate_limited', `rate limit of ${context.max} requests per ${context.after} exceeded`),
    });
  }

  app.addSchema(ProblemSchema);
  metaRoutes(app, services);
  organizationRoutes(app, services.organizations);
  apiKeyRoutes(app, services.apiKeys, services.organizations);
  locationRoutes(app, services.locations);
  customerRoutes(app, services.customers);
  earningRuleRoutes(app, services.earningRules);
  triggerRoutes(app, services.triggers);
  eventRoutes(app, services.events);
  pointTypeRoutes(app, services.pointTypes);
  ledgerRoutes(app, services.ledger);
  transactionRoutes(app, services.transactions);
  tierRoutes(app, services.tiers, services.audience);
  segmentRoutes(app, services.segments, services.customers);
  await app.register(cheerfyDialect, { prefix: '/compat/cheerfy', services });
  await app.register(comebackDialect, { prefix: '/compat/comeback', services });
  await app.register(posGatewayDialect, { prefix: '/compat/pos-gateway', services });
  registerRewardRoutes(app, services.rewards);
  webhookRoutes(app, services.webhooks);

  return app;
}

function metaRoutes(app: App, services: Services) {
  const hidden = { hide: true };
  app.get(
    '/',
    {
      schema: {
        tags: ['meta'],
        summary: 'Name and version',
        security: [],
        response: { 200: Type.Object({ name: Type.String(), version: Type.String() }) },
      },
    },
    async () => ({ name: PACKAGE.name, version: PACKAGE.version }),
  );
  app.get(
    '/healthz',
    {
      schema: {
        tags: ['meta'],
        summary: 'The process is up',
        security: [],
        response: { 200: Type.Object({ status: Type.Literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );
  app.get(
    '/readyz',
    {
      schema: {
        tags: ['meta'],
        summary: 'The database answers (503 otherwise)',
        security: [],
        response: { 200: Type.Object({ status: Type.Literal('ready') }), 503: Type.Ref('Problem') },
      },
    },
    async () => {
      try {
        await services.database.db.execute(sql`select 1`);
      } catch (error) {
        throw new AppError('service_unavailable', 'the database is not reachable', { cause: error });
      }
      return { status: 'ready' as const };
    },
  );
  app.get('/openapi.json', { schema: hidden }, async () => app.swagger());
}
