import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../errors.ts';
import { actingLocation } from '../../http/location-access.ts';
import type { App } from '../../http/types.ts';
import type { Services } from '../../services.ts';
import { RedeemRequest } from './contract.ts';
import { NOT_EXPRESSIBLE, toDiscounts, toOrder } from './translate.ts';

/**
 * The POS loyalty gateway's `POST /v1/benefits/redeem` under /compat/pos-gateway: rewards are
 * redeemed (points charged) and locked to `orderLive.id`; calling again for the same order answers
 * the same discounts and charges nothing; a later cancelled ticket for that order releases them.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const problem = (code: string, message: string) => ({ code, message });

async function authenticate(services: Services, request: FastifyRequest, reply: FastifyReply) {
  const header = request.headers.authorization;
  const bearer = header?.startsWith('Bearer ') ? header.slice(7) : undefined;
  const apiKey = request.headers['x-api-key'];
  const key = bearer ?? (typeof apiKey === 'string' ? apiKey : undefined);
  const tenant = key ? await services.apiKeys.authenticate(key) : null;
  if (!tenant) return reply.code(401).send(problem('UNAUTHORIZED', 'A valid API key is required.'));
  request.tenant = tenant;
}

export async function posGatewayDialect(app: App, options: { services: Services }) {
  const { services } = options;

  app.setErrorHandler((error, request, reply) => {
    const message = error instanceof Error ? error.message : 'Invalid request.';
    if ((error as { validation?: unknown }).validation || error instanceof SyntaxError) {
      return reply.code(400).send(problem('INVALID_REQUEST', message));
    }
    if (error instanceof AppError && error.status < 500) {
      if (error.code === 'not_found' && error.message.startsWith('customer')) {
        return reply.code(404).send(problem('CUSTOMER_NOT_FOUND', 'No customers found.'));
      }
      if (error.code === 'forbidden') return reply.code(403).send(problem('FORBIDDEN', error.message));
      return reply
        .code(error.status === 404 ? 404 : 400)
        .send(problem(error.code.toUpperCase(), error.message));
    }
    const status = (error as { statusCode?: number }).statusCode;
    if (status !== undefined && status >= 400 && status < 500) {
      return reply.code(400).send(problem('INVALID_REQUEST', message));
    }
    request.log.error({ err: error }, 'pos-gateway redeem failed');
    return reply.code(500).send(problem('UNEXPECTED_ERROR', 'Internal server error.'));
  });

  app.post(
    '/v1/benefits/redeem',
    {
      config: { auth: 'dialect' },
      onRequest: (request, reply) => authenticate(services, request, reply),
      schema: {
        tags: ['dialect: pos-gateway'],
        summary: 'POS gateway: validate and redeem rewards against a live order',
        security: [],
        body: RedeemRequest,
      },
    },
    async (request, reply) => {
      const tenant = request.tenant!;
      const organizationId = tenant.organizationId;
      const body = request.body;
      // The member must exist before anything else is read (the gateway's CUSTOMER_NOT_FOUND).
      await services.customers.lookup(organizationId, body.customerId);

      const requested = [];
      const gatewayIds = new Map<string, string>();
      for (const reward of body.rewards) {
        if (reward.couponCode) {
          requested.push({ couponCode: reward.couponCode });
          continue;
        }
        const row = reward.rewardId
          ? await services.rewards.catalog.find(organizationId, reward.rewardId)
          : undefined;
        if (!row)
          return reply.code(400).send(problem('REWARD_NOT_FOUND', `No reward ${reward.rewardId ?? ''}.`));
        if (NOT_EXPRESSIBLE.has(row.type)) {
          return reply.code(501).send(problem('NOT_IMPLEMENTED', 'This method is not implemented.'));
        }
        gatewayIds.set(row.id, reward.rewardId!);
        requested.push({ rewardId: row.id });
      }

      // A key restricted to some locations redeems only there (its one location when none is named).
      const locationId = actingLocation(
        tenant,
        await locationOf(services, organizationId, body),
        'body.orderLive.locationId',
      );
      const redemption = await services.rewards.redemptions.redeem(organizationId, {
        customerId: body.customerId,
        order: toOrder(body, locationId),
        rewards: requested,
        mode: 'commit',
        channel: 'pos',
        actor: tenant.actor,
      });
      return reply
        .code(200)
        .send(toDiscounts(redemption, (rewardId) => gatewayIds.get(rewardId) ?? rewardId));
    },
  );
}

/** orderLive.locationId when it is a Regulars location, else the location whose external id it is. */
async function locationOf(
  services: Services,
  organizationId: string,
  body: RedeemRequest,
): Promise<string | null> {
  const candidates = [body.orderLive.locationId, body.orderLive.data?.externalLocationId].filter(
    (value): value is string => typeof value === 'string' && value !== '',
  );
  for (const candidate of candidates) {
    if (UUID.test(candidate)) {
      const byId = await services.locations.get(organizationId, candidate).catch((error: unknown) => {
        if (error instanceof AppError && error.status === 404) return null;
        throw error;
      });
      if (byId) return byId.id;
    }
    const [byExternalId] = await services.locations.list(
      organizationId,
      { externalId: candidate },
      { limit: 1, afterId: undefined },
    );
    if (byExternalId) return byExternalId.id;
  }
  return null;
}
