import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest, RouteHandlerMethod } from 'fastify';
import { guardCommits } from '../db/transaction.ts';
import { AppError, validationFailed } from '../errors.ts';
import {
  type Claim,
  type IdempotencyService,
  LEASE_RENEWAL_MS,
  PLATFORM_SCOPE,
  type StoredResponse,
} from '../modules/idempotency/service.ts';
import { StreamedBody } from './streamed-body.ts';
import type { App } from './types.ts';

declare module 'fastify' {
  interface FastifyRequest {
    idempotency: RunningClaim | null;
  }
  interface FastifyContextConfig {
    /**
     * The response field that carries a secret minted by this route (a new API key, a signing
     * secret). It is replaced by null in the stored response: a replay never shows the secret.
     */
    mintsSecret?: string;
  }
}

interface RunningClaim {
  claim: Claim;
  /** Whether transactions opened for this request still mark the key used (until the answer is out). */
  marking: boolean;
  stopRenewing(): void;
}

const HEADER = 'idempotency-key';
/** On a replay whose secret was withheld: the field that is null instead of the secret. */
const WITHHELD_HEADER = 'idempotent-secret-withheld';

function fingerprint(request: FastifyRequest, body: string): string {
  return createHash('sha256').update(`${request.method} ${request.url}\n`).update(body).digest('hex');
}

/** The hash of a parsed body; a streamed body's is known once read (null here). */
function parsedBodyHash(request: FastifyRequest): string | null {
  if (request.body instanceof StreamedBody) return null;
  return fingerprint(request, JSON.stringify(request.body ?? null));
}

async function sentBodyHash(request: FastifyRequest): Promise<string> {
  const body = request.body;
  return body instanceof StreamedBody
    ? fingerprint(request, `stream:${await body.digest()}`)
    : fingerprint(request, JSON.stringify(body ?? null));
}

function withheld(body: string, field: string): string {
  const parsed: unknown = JSON.parse(body);
  if (typeof parsed !== 'object' || parsed === null || !(field in parsed)) return body;
  return JSON.stringify({ ...parsed, [field]: null });
}

/**
 * `Idempotency-Key` on every POST: the first response (2xx or 4xx) is stored for 24 h and
 * replayed to any retry with the same key and body.
 *
 * Crash safety: the key is claimed with a short lease that the running request renews; the
 * operation's own transaction marks the key used just before it commits (src/db/transaction.ts
 * `guardCommits`), and refuses to commit if the claim was taken over. So an operation runs at most
 * once per key; a retry after a crash runs it if it had not committed, replays the stored answer if
 * one was stored, and answers 410 `idempotency_response_lost` if the crash fell between the commit
 * and the storing of the answer — never a second run. That window is the answer's presentation plus
 * the wait for a database connection: milliseconds, but longer under overload (the kill -9 test,
 * 100 requests on one member, sees a tenth to a third of those cut off land there).
 *
 * Storing the answer in the operation's transaction would close it, but the answer exists only
 * after the service's transaction has committed, and holding that transaction open until onSend
 * would make any later query of the request wait on it (PGlite has one connection) or read around
 * it (a pool connection does not see its writes).
 */
export function registerIdempotency(app: App, service: IdempotencyService) {
  app.decorateRequest('idempotency', null);

  // Every handler runs under its request's claim, so that its transactions mark the key used.
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (!methods.includes('POST')) return;
    const handler: RouteHandlerMethod = route.handler;
    route.handler = function (this: typeof app, request, reply) {
      const running = request.idempotency;
      if (!running) return handler.call(this, request, reply);
      return guardCommits(
        (tx) => (running.marking ? service.markCommitted(tx, running.claim) : Promise.resolve()),
        () => handler.call(this, request, reply),
      );
    };
  });

  app.addHook('preHandler', async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.method !== 'POST') return;
    const key = request.headers[HEADER];
    if (key === undefined) return;
    if (typeof key !== 'string' || key.length === 0 || key.length > 255) {
      throw validationFailed('headers.idempotency-key', 'must be a string of 1–255 characters');
    }
    const scope = request.tenant?.organizationId ?? PLATFORM_SCOPE;
    const begun = await service.begin(scope, key, parsedBodyHash(request));
    if (begun.kind === 'claimed') {
      const renewal = setInterval(() => service.renew(begun.claim).catch(() => {}), LEASE_RENEWAL_MS);
      renewal.unref();
      request.idempotency = { claim: begun.claim, marking: true, stopRenewing: () => clearInterval(renewal) };
      return;
    }
    if (begun.requestHash !== null && begun.requestHash !== (await sentBodyHash(request))) {
      throw new AppError(
        'idempotency_conflict',
        'this Idempotency-Key was already used with a different request',
      );
    }
    if (!begun.response) {
      throw new AppError(
        'idempotency_response_lost',
        'the request with this Idempotency-Key was carried out, but the server stopped before storing its answer; ' +
          'it will not run again: read the resource to see the result',
      );
    }
    return replay(reply, begun.response);
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const running = request.idempotency;
    if (!running) return payload;
    request.idempotency = null;
    running.marking = false;
    running.stopRenewing();
    const response = storable(request, reply, payload);
    // 5xx and 429 say nothing about the request itself: forget them so a retry runs again.
    const retryable = reply.statusCode >= 500 || reply.statusCode === 429;
    if (retryable || response === null) {
      await service.release(running.claim, response);
      return payload;
    }
    await service.complete(running.claim, response, await sentBodyHash(request));
    return payload;
  });

  // A reply that never reached onSend: stop renewing, so the claim lapses and a retry can take over.
  app.addHook('onResponse', async (request) => {
    request.idempotency?.stopRenewing();
  });
}

function replay(reply: FastifyReply, stored: StoredResponse) {
  reply.code(stored.statusCode).header('idempotent-replayed', 'true');
  if (stored.withheldField) reply.header(WITHHELD_HEADER, stored.withheldField);
  if (stored.contentType) reply.type(stored.contentType);
  return reply.send(stored.body);
}

/** The response as it will be stored, or null when it cannot be (a streamed payload). */
function storable(request: FastifyRequest, reply: FastifyReply, payload: unknown): StoredResponse | null {
  if (typeof payload !== 'string' && !Buffer.isBuffer(payload)) return null;
  const contentType = reply.getHeader('content-type');
  const secretField = request.routeOptions.config.mintsSecret;
  const withholds = secretField !== undefined && reply.statusCode < 300;
  const body = payload.toString();
  return {
    statusCode: reply.statusCode,
    contentType: typeof contentType === 'string' ? contentType : null,
    body: withholds ? withheld(body, secretField) : body,
    withheldField: withholds ? secretField : null,
  };
}
