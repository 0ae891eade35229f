import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { AppError } from '../../errors.ts';
import { bearerToken } from '../../http/auth.ts';
import { problemOf } from '../../http/problem.ts';
import type { App } from '../../http/types.ts';
import { hashSecret, sameHash } from '../api-keys/secrets.ts';
import type { Metrics } from './registry.ts';

/** Where /metrics is served, and who may read it (METRICS_TOKEN, METRICS_PORT, METRICS_HOST). */
export interface MetricsAccess {
  /** Bearer token a scraper must send; absent = /metrics is not on the API port. */
  token?: string | undefined;
}

/** Every request's route template, method, status and duration, recorded once it is answered. */
export function recordRequests(app: App, metrics: Metrics): void {
  app.addHook('onResponse', async (request, reply) => {
    metrics.request(request.routeOptions.url, request.method, reply.statusCode, reply.elapsedTime / 1000);
  });
}

function authorized(request: FastifyRequest, token: string | undefined): boolean {
  if (token === undefined) return true;
  // Digests compared, not the tokens: equal length whatever was sent, so the time tells nothing.
  const given = bearerToken(request);
  return given !== undefined && sameHash(hashSecret(given), hashSecret(token));
}

const refusal = () =>
  new AppError('unauthorized', 'GET /metrics needs Authorization: Bearer <METRICS_TOKEN>');

async function answerScrape(metrics: Metrics, reply: FastifyReply): Promise<string> {
  const { contentType, body } = await metrics.scrape();
  reply.type(contentType);
  return body;
}

/** GET /metrics on the API port, for a scraper holding METRICS_TOKEN. */
export function metricsRoute(app: App, metrics: Metrics, token: string): void {
  app.get(
    '/metrics',
    // Limited and logged like /healthz: the limit also slows anyone guessing the token.
    { schema: { hide: true }, config: { auth: 'public' } },
    async (request, reply) => {
      if (!authorized(request, token)) {
        reply.header('www-authenticate', 'Bearer realm="metrics"');
        throw refusal();
      }
      return answerScrape(metrics, reply);
    },
  );
}

/**
 * A listener of its own serving only GET /metrics (METRICS_PORT on METRICS_HOST): kept off the
 * API port by its address; with METRICS_TOKEN set it asks for the token too.
 */
export async function listenForMetrics(
  metrics: Metrics,
  options: { port: number; host: string; token: string | undefined },
): Promise<{ url: string; close(): Promise<void> }> {
  const server = Fastify({ logger: false });
  server.get('/metrics', async (request, reply) => {
    if (!authorized(request, options.token)) {
      reply.header('www-authenticate', 'Bearer realm="metrics"');
      // The API's problem+json, without its error handler: this listener has none of its plugins.
      return reply.code(401).type('application/problem+json').send(problemOf(refusal()));
    }
    return answerScrape(metrics, reply);
  });
  const url = await server.listen({ port: options.port, host: options.host });
  return { url, close: () => server.close() };
}
