import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../errors.ts';
import { actingLocation } from '../../http/location-access.ts';
import type { App } from '../../http/types.ts';
import { effectiveSettings } from '../../modules/organizations/settings.ts';
import type { Services } from '../../services.ts';
import { CheerfyTicket } from './contract.ts';
import { idOf, toResponse, toTransaction } from './translate.ts';

/**
 * Cheerfy's ticket API under /compat/cheerfy: `Authorization: Token <key>`, its field names,
 * and its answers — 200 with the ticket, 400 `{"error": "Invalid request"}` (invalid data, or a
 * deactivated member: nothing is assigned), 500 `{"errors": "Internal server error"}`.
 */

const INVALID = { error: 'Invalid request' };
const INTERNAL = { errors: 'Internal server error' };

async function authenticate(services: Services, request: FastifyRequest, reply: FastifyReply) {
  const [scheme, token] = (request.headers.authorization ?? '').split(' ');
  const tenant = scheme === 'Token' && token ? await services.apiKeys.authenticate(token) : null;
  // Cheerfy's backend answers like Django REST framework's TokenAuthentication.
  if (!tenant) return reply.code(401).send({ detail: 'Invalid token.' });
  request.tenant = tenant;
}

export async function cheerfyDialect(app: App, options: { services: Services }) {
  const { services } = options;

  app.setErrorHandler((error, request, reply) => {
    const status = error instanceof AppError ? error.status : (error as { statusCode?: number }).statusCode;
    // A key without the till scope: Django REST framework's permission answer, with the scope named.
    if (status === 403 && error instanceof AppError) return reply.code(403).send({ detail: error.message });
    if (status !== undefined && status >= 400 && status < 500) return reply.code(400).send(INVALID);
    request.log.error({ err: error }, 'cheerfy ticket failed');
    return reply.code(500).send(INTERNAL);
  });

  const handler = async (request: FastifyRequest<{ Body: CheerfyTicket }>, reply: FastifyReply) => {
    const tenant = request.tenant!;
    const ticket = request.body;
    const organization = await services.organizations.get(tenant.organizationId);
    const scopeId = ticket.scope?.locations?.[0];
    const [location] =
      scopeId === undefined
        ? []
        : await services.locations.list(
            tenant.organizationId,
            { externalId: String(scopeId) },
            { limit: 1, afterId: undefined },
          );
    const rectification = ticket.rectification_id == null ? null : idOf(ticket.rectification_id);
    const rectified = rectification
      ? await services.transactions.findByDocument(tenant.organizationId, 'cheerfy', rectification)
      : null;
    const input = toTransaction(ticket, {
      // A key restricted to some locations sells only there (its one location when none is named).
      locationId: actingLocation(tenant, location?.id ?? null, 'body.scope.locations.0'),
      earningStatuses: effectiveSettings(organization.settings).cheerfyEarningStatuses,
      rectifiesKnownTicket: rectified !== null,
    });
    const { transaction } = await services.transactions.ingest(tenant.organizationId, input, tenant.actor, {
      rejectInactiveMember: true,
    });
    return reply
      .code(200)
      .send(
        toResponse(
          ticket,
          transaction,
          location && scopeId !== undefined ? { scopeId, name: location.name } : null,
        ),
      );
  };

  for (const url of ['/ticket/', '/ticket']) {
    app.post(
      url,
      {
        config: { auth: 'dialect' },
        onRequest: (request, reply) => authenticate(services, request, reply),
        schema: {
          tags: ['dialect: cheerfy'],
          summary: 'Cheerfy: assign a POS ticket to the member whose loyalty card was scanned',
          security: [],
          body: CheerfyTicket,
        },
      },
      handler,
    );
  }
}
