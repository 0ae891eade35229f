import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';

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
  }
  interface FastifyRequest {
    tenant: Tenant | null;
    isMaster: boolean;
  }
}
