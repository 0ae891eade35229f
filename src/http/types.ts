import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { ApiKeyScope } from '../modules/api-keys/scopes.ts';

/** The Fastify instance every route module registers on; request/response types come from TypeBox schemas. */
export type App = FastifyInstance<
  Server,
  IncomingMessage,
  ServerResponse,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

/** Who is calling: decided by the auth hook from the route's `config.auth`. */
export interface Tenant {
  organizationId: string;
  apiKeyId: string;
  /** What the key may reach (src/modules/api-keys/scopes.ts). */
  scopes: readonly ApiKeyScope[];
}

/**
 * `organization` (default under /v1): a tenant's API key. `master`: the platform master key.
 * `public`: no key. Dialects set their own value and authenticate in their plugin.
 */
export type AuthMode = 'organization' | 'master' | 'public' | 'dialect';

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
    scope?: ApiKeyScope;
  }
  interface FastifyRequest {
    tenant: Tenant | null;
    isMaster: boolean;
  }
}
