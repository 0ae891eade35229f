import { Type } from 'typebox';
import { tenantOf } from '../../http/auth.ts';
import { errorResponses, Timestamp, Uuid } from '../../http/schemas.ts';
import type { App } from '../../http/types.ts';
import { PAIRING_MINUTES, type TillPairings } from './pairings.ts';

const tags = ['till devices'];

const LocationIds = Type.Union([Type.Array(Uuid('Location id')), Type.Null()], {
  description: 'The locations the device may post at; null = every location',
});

const CreateBody = Type.Object(
  {
    name: Type.String({
      minLength: 1,
      maxLength: 100,
      description: 'What the device is, to tell it apart among the API keys',
      examples: ['Counter tablet'],
    }),
    locationIds: Type.Optional(
      Type.Union(
        [
          Type.Array(Uuid('A location of the organization'), {
            minItems: 1,
            maxItems: 1000,
            uniqueItems: true,
          }),
          Type.Null(),
        ],
        {
          description:
            "These locations only; null: every location; left out: every location, or the manager's own when they are restricted to some",
        },
      ),
    ),
  },
  { additionalProperties: false },
);

const PairingSchema = Type.Object({
  id: Uuid('Pairing id'),
  name: Type.String({ examples: ['Counter tablet'] }),
  code: Type.String({
    description: `The one-time code to type on the device (or open in the link's #code=), valid ${PAIRING_MINUTES} minutes. Shown only in this response.`,
    examples: ['7KX2M-Q9ZPA'],
  }),
  locationIds: LocationIds,
  expiresAt: Timestamp('When the code stops working'),
});

const ClaimBody = Type.Object(
  {
    code: Type.String({
      minLength: 1,
      maxLength: 40,
      description: 'The pairing code, in any case, with or without its dash',
      examples: ['7KX2M-Q9ZPA'],
    }),
  },
  { additionalProperties: false },
);

const ClaimedSchema = Type.Object({
  key: Type.String({
    description:
      'The device’s own `till`-scoped API key, sent as `Authorization: Bearer`. Shown only in this response.',
    examples: ['rgl_1a2b3c4d_0123456789abcdef0123456789abcdef01234567'],
  }),
  keyId: Uuid('The key’s id, to revoke it among the API keys'),
  organizationId: Uuid('The organization the device now belongs to'),
  name: Type.Union([Type.String(), Type.Null()], { examples: ['Till device: Counter tablet'] }),
  locationIds: LocationIds,
});

/** A manager pairs a device as a till: a one-time code, traded once by the device for its own key. */
export function tillPairingRoutes(app: App, pairings: TillPairings): void {
  app.post(
    '/v1/till-pairings',
    {
      config: { mintsSecret: 'code' },
      schema: {
        tags,
        summary: 'Pair a device as a till: a one-time code for it (owners and managers)',
        description: `The code works once, within ${PAIRING_MINUTES} minutes, for a new key with the \`till\` scope only, at no more locations than the caller's. A replay of the same Idempotency-Key answers \`code: null\`.`,
        body: CreateBody,
        response: { 201: PairingSchema, ...errorResponses(401, 403, 422) },
      },
    },
    async (request, reply) => {
      const tenant = tenantOf(request);
      const pairing = await pairings.create(tenant.organizationId, request.body, tenant);
      return reply.code(201).send({
        id: pairing.id,
        name: pairing.name,
        code: pairing.code,
        locationIds: pairing.locationIds,
        expiresAt: pairing.expiresAt.toISOString(),
      });
    },
  );

  app.post(
    '/v1/till-pairings/claim',
    {
      config: { auth: 'public', mintsSecret: 'key' },
      schema: {
        tags,
        summary: 'Trade a pairing code for the device’s till key (no credentials: the code is one)',
        description:
          'Once per code, before it expires; an unknown, used or expired code answers 401, and ten wrong codes from one address within 15 minutes answer 429.',
        security: [],
        body: ClaimBody,
        response: { 201: ClaimedSchema, ...errorResponses(401, 422, 429) },
      },
    },
    async (request, reply) => {
      const key = await pairings.claim(request.body.code, request.ip);
      return reply.code(201).send({
        key: key.key,
        keyId: key.id,
        organizationId: key.organizationId,
        name: key.name,
        locationIds: key.locationIds,
      });
    },
  );
}
