import { AsyncLocalStorage } from 'node:async_hooks';
import type { FastifyRequest } from 'fastify';
import type { Actor } from '../domain/actors.ts';
import type { App } from './types.ts';

/**
 * The platform operator as a caller (the master key, or the `regulars` CLI on the database): it
 * acts on organizations (creates them, mints and revokes their keys) without being one of their
 * actors, so it is not an `Actor` (src/domain/actors.ts).
 */
export const MASTER_CALLER = { type: 'master', id: null } as const;

/** Whoever made a request: an organization's actor, or the master key on the platform routes. */
export type Caller = Actor | typeof MASTER_CALLER;

/**
 * What the audit log records of a request's events: the changes to configuration and people
 * (the default), or every event (`config.audit: 'all-events'`, e.g. manual points operations).
 */
export type AuditMode = 'changes' | 'all-events';

/** Where a change came from: the request being served, seen from any code it calls. */
export interface RequestContext {
  /** null for work with no HTTP request (the CLI). */
  requestId: string | null;
  ip: string | null;
  userAgent: string | null;
  /**
   * Who is calling, or null when nobody authenticated (public routes). A function: the context
   * opens before authentication (the auth hook, or a dialect's own), which sets the caller later.
   */
  caller(): Caller | null;
  auditMode(): AuditMode;
}

/** A user agent is the client's to choose: long ones are cut, so a row stays small. */
const MAX_USER_AGENT_LENGTH = 512;

const storage = new AsyncLocalStorage<RequestContext>();

/** The request this code runs for, when it runs for one (not in a job, the CLI or a test calling a service). */
export function currentRequest(): RequestContext | undefined {
  return storage.getStore();
}

/** Runs fn as the request context says, for work that serves a caller without an HTTP request (the CLI). */
export function runWithContext<T>(context: RequestContext, fn: () => T): T {
  return storage.run(context, fn);
}

function contextOf(request: FastifyRequest): RequestContext {
  const userAgent = request.headers['user-agent'];
  return {
    requestId: request.id,
    ip: request.ip,
    userAgent: userAgent ? userAgent.slice(0, MAX_USER_AGENT_LENGTH) : null,
    caller: () => request.tenant?.actor ?? (request.isMaster ? MASTER_CALLER : null),
    auditMode: () => request.routeOptions.config?.audit ?? 'changes',
  };
}

/**
 * Runs the rest of each request (hooks, handler, the services it calls and what they start)
 * inside its context, as @fastify/request-context does: a callback hook that calls `done` within
 * `AsyncLocalStorage.run`. Registered before every other hook. Body parsing resumes in the
 * request's context (Fastify's content-type parser runs it in an AsyncResource of the request),
 * so no second hook is needed after it; request-context.test.ts checks that over a real socket.
 */
export function registerRequestContext(app: App) {
  app.addHook('onRequest', (request, _reply, done) => {
    storage.run(contextOf(request), done);
  });
}
