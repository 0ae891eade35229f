import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { validationFailed } from '../errors.ts';
import { type IdempotencyService, PLATFORM_SCOPE } from '../modules/idempotency/service.ts';
import type { App } from './types.ts';

declare module 'fastify' {
  interface FastifyRequest {
    idempotency: { scope: string; key: string } | null;
  }
}

const HEADER = 'idempotency-key';

function requestHash(request: FastifyRequest): string {
  return createHash('sha256')
    .update(`${request.method} ${request.url}\n`)
    .update(JSON.stringify(request.body ?? null))
    .digest('hex');
}

/**
 * `Idempotency-Key` on every POST: the first response (2xx or 4xx) is stored for 24 h and
 * replayed to any retry with the same key and body.
 */
export function registerIdempotency(app: App, service: IdempotencyService) {
  app.decorateRequest('idempotency', null);

  app.addHook('preHandler', async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.method !== 'POST') return;
    const key = request.headers[HEADER];
    if (key === undefined) return;
    if (typeof key !== 'string' || key.length === 0 || key.length > 255) {
      throw validationFailed('headers.idempotency-key', 'must be a string of 1–255 characters');
    }
    const scope = request.tenant?.organizationId ?? PLATFORM_SCOPE;
    const stored = await service.begin(scope, key, requestHash(request));
    if (stored === null) {
      request.idempotency = { scope, key };
      return;
    }
    reply.code(stored.statusCode).header('idempotent-replayed', 'true');
    if (stored.contentType) reply.type(stored.contentType);
    return reply.send(stored.body);
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const claim = request.idempotency;
    if (!claim) return payload;
    request.idempotency = null;
    // 5xx and 429 say nothing about the request itself: forget them so a retry runs again.
    const retryable = reply.statusCode >= 500 || reply.statusCode === 429;
    if (retryable || (typeof payload !== 'string' && !Buffer.isBuffer(payload))) {
      await service.release(claim.scope, claim.key);
      return payload;
    }
    const contentType = reply.getHeader('content-type');
    await service.complete(claim.scope, claim.key, {
      statusCode: reply.statusCode,
      contentType: typeof contentType === 'string' ? contentType : null,
      body: payload.toString(),
    });
    return payload;
  });
}
