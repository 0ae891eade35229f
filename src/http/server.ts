import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import cookie from '@fastify/cookie';
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
import { AppError } from '../errors.ts';
import type { Lifecycle } from '../lifecycle.ts';
import { memberAuthenticator } from '../modules/member-access/authenticator.ts';
import type { Metrics } from '../modules/metrics/registry.ts';
import { metricsRoute, recordRequests } from '../modules/metrics/routes.ts';
import { staffAuthenticators } from '../modules/staff/authenticators.ts';
import type { Services } from '../services.ts';
import { registerAuth } from './auth.ts';
import { lazyCompilers } from './compilers.ts';
import { registerIdempotency } from './idempotency.ts';
import { registerJsonBodyParser } from './json-body.ts';
import { registerLocationAccess } from './location-access.ts';
import { sendProblem, toAppError } from './problem.ts';
import { registerRequestContext } from './request-context.ts';
import { refuseOutsizedNumbers, refuseUnstorableText } from './request-guards.ts';
import { ProblemSchema } from './schemas.ts';
import type { App } from './types.ts';
import { fieldErrors, summary } from './validation-errors.ts';

const PACKAGE = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  name: string;
  version: string;
};

export interface ServerOptions {
  /** Logger options: `loggerOptions` of src/logging.ts (redactions, error serializer), or false. */
  logger?: FastifyServerOptions['logger'];
  rateLimit?: RateLimitOptions;
  /**
   * Which proxies in front to believe about the client (X-Forwarded-For, -Proto): what request.ip
   * (per-address limits) and request.protocol (Secure cookies) read. Fastify's `trustProxy`.
   */
  trustProxy?: boolean | string | undefined;
  /** Registers the modules' and dialects' routes (src/app.ts `registerRoutes`), after the shared hooks and plugins. */
  routes?: (app: App, services: Services) => Promise<void>;
  /**
   * Requests recorded into these metrics; with a token, served at GET /metrics to a scraper that
   * sends it. Absent (neither METRICS_TOKEN nor METRICS_PORT), nothing is recorded and /metrics is 404.
   */
  metrics?: { metrics: Metrics; token?: string | undefined };
  /** Once it is draining (shutdown has begun), /readyz answers 503 so a load balancer stops sending. */
  lifecycle?: Lifecycle;
}

export interface RateLimitOptions {
  /** Requests per key per window; 0 turns the limit off. */
  max: number;
  windowMs: number;
  /** Counters in Redis, shared by every process using it; absent = in this process's memory. */
  redisUrl?: string | undefined;
  /** Start of the counters' Redis keys, and the connection's name: one per deployment sharing a Redis. */
  redisKeyPrefix?: string;
}

const DEFAULT_REDIS_KEY_PREFIX = 'regulars-rate-limit:';

export async function buildServer(services: Services, options: ServerOptions = {}): Promise<App> {
  const compilers = lazyCompilers();
  const app = Fastify({
    logger: options.logger ?? false,
    trustProxy: options.trustProxy ?? false,
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    schemaController: {
      compilersFactory: {
        buildValidator: compilers.buildValidator,
        buildSerializer: compilers.buildSerializer,
      },
    },
    bodyLimit: 1024 * 1024,
    // Fastify's own joins every error into the message, which the dialects' error handlers show.
    schemaErrorFormatter: (errors, context) => new Error(summary(fieldErrors(errors, context))),
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.decorate('compileSchemas', compilers.compileAll);
  // First of all hooks: everything after it (auth, handlers, services) sees the request's context.
  registerRequestContext(app);
  if (options.metrics) recordRequests(app, options.metrics.metrics);
  app.setErrorHandler((error, request, reply) => sendProblem(reply, toAppError(error, request)));
  registerJsonBodyParser(app);
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
  app.addHook('preValidation', refuseUnstorableText);
  app.addHook('preHandler', refuseOutsizedNumbers);
  app.addHook('onSend', async (request, reply, payload) => {
    reply.header('x-request-id', request.id);
    return payload;
  });

  // Cookies are parsed first: staff sessions of the web apps are read from one in the auth hook.
  await app.register(cookie);
  // Request decorators and hooks first, so that every route (plugins' included) sees them.
  registerAuth(app, {
    apiKeys: services.apiKeys,
    staff: staffAuthenticators(services.staff.sessions),
    members: [memberAuthenticator(services.memberAccess)],
  });
  registerLocationAccess(app);
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
          memberSession: {
            type: 'http',
            scheme: 'bearer',
            description:
              "A member's session token (rgme_…), from POST /v1/public/organizations/{id}/sign-in/verify",
          },
          memberCookie: {
            type: 'apiKey',
            in: 'cookie',
            name: 'regulars_member',
            description: "A member's session cookie; POST and PATCH also need its csrfToken in X-CSRF-Token",
          },
        },
      },
      security: [{ apiKey: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  if (options.rateLimit && options.rateLimit.max > 0) await registerRateLimit(app, options.rateLimit);

  app.addSchema(ProblemSchema);
  metaRoutes(app, services, options.lifecycle);
  if (options.metrics?.token) metricsRoute(app, options.metrics.metrics, options.metrics.token);
  await options.routes?.(app, services);

  return app;
}

async function registerRateLimit(app: App, options: RateLimitOptions) {
  const keyPrefix = options.redisKeyPrefix ?? DEFAULT_REDIS_KEY_PREFIX;
  await app.register(rateLimit, {
    // After authentication, so the limit is per API key rather than per shared POS gateway IP.
    hook: 'preHandler',
    max: options.max,
    timeWindow: options.windowMs,
    keyGenerator: (request) =>
      request.tenant ? `${request.tenant.actor.type}:${request.tenant.actor.id}` : request.ip,
    ...(options.redisUrl
      ? { redis: connectRedis(app, options.redisUrl, keyPrefix), nameSpace: keyPrefix }
      : {}),
    errorResponseBuilder: (_request, context) =>
      new AppError('rate_limited', `rate limit of ${context.max} requests per ${context.after} exceeded`),
  });
}

/** A Redis connection for the app's lifetime: the plugin never closes the client it is given. */
function connectRedis(app: App, url: string, name: string): Redis {
  const redis = new Redis(url, { connectionName: name });
  // ioredis reconnects by itself; unheard, each failed attempt would print "Unhandled error event".
  redis.on('error', (error) => app.log.warn({ err: error }, 'rate-limit Redis connection failed'));
  app.addHook('onClose', async () => {
    // QUIT waits for Redis to answer, which a connection that is down never does.
    if (redis.status === 'ready') await redis.quit();
    else redis.disconnect();
  });
  return redis;
}

function metaRoutes(app: App, services: Services, lifecycle: Lifecycle | undefined) {
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
        summary: 'The database answers and the server is not shutting down (503 otherwise)',
        security: [],
        response: { 200: Type.Object({ status: Type.Literal('ready') }), 503: Type.Ref('Problem') },
      },
    },
    async () => {
      // First sign of a shutdown: the load balancer stops sending while in-flight requests finish.
      if (lifecycle?.draining) throw new AppError('service_unavailable', 'the server is shutting down');
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
