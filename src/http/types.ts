import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyBaseLogger, FastifyInstance, FastifyRequest } from 'fastify';
import type { Actor } from '../domain/actors.ts';
import type { RouteScope } from '../modules/api-keys/scopes.ts';

/** The Fastify instance every route module registers on; request/response types come from TypeBox schemas. */
export type App = FastifyInstance<
  Server,
  IncomingMessage,
  ServerResponse,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

/** Who is calling, for which organization, and what they may reach: decided by the auth hook. */
export interface Tenant {
  organizationId: string;
  /** The API key, staff user or member calling, as the ledger and the audit log record it. */
  actor: Actor;
  /** The route scopes the caller reaches (a key's scopes expanded, or a staff role's). */
  reach: readonly RouteScope[];
  /** The locations the caller may act at; null = every location of the organization. */
  locationIds: readonly string[] | null;
}

/** Recognizes one kind of credential: its tenant, or undefined when the request carries none of its kind. */
export type Authenticator = (request: FastifyRequest) => Promise<Tenant | undefined>;

/**
 * `organization` (default under /v1): a tenant's API key or a staff user. `member`: a member's own
 * session (`/v1/me…`). `staff`: a signed-in staff user, whatever their role (their own second
 * factor). `master`: the platform master key. `public`: nobody. Dialects set their own value and
 * authenticate in their plugin.
 */
export type AuthMode = 'organization' | 'member' | 'staff' | 'master' | 'public' | 'dialect';

declare module 'fastify' {
  interface FastifyInstance {
    /** Compiles the validators and serializers still waiting for their first use (src/http/compilers.ts). */
    compileSchemas(): number;
  }
  interface FastifyContextConfig {
    auth?: AuthMode;
    /**
     * The scope an API key needs for the route. Left out, it is `read` for a GET and `admin` for
     * anything else; dialect routes (POS systems) need `till`. Routes without an organization key
     * (master, public) have none. src/http/auth.ts fills it in and enforces it.
     */
    scope?: RouteScope;
    /**
     * `all-events`: the audit log records every event the request emits (manual points operations),
     * not only changes to configuration and people (src/modules/audit/service.ts).
     */
    audit?: 'all-events';
  }
  interface FastifyRequest {
    tenant: Tenant | null;
    isMaster: boolean;
  }
}
