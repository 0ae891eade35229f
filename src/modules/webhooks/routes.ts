import { type TSchema, Type } from 'typebox';
import { tenantOf } from '../../http/auth.ts';
import { Page, PageQuery, pageRequest, toPage } from '../../http/pagination.ts';
import { errorResponses, IdParams, Timestamp, Uuid } from '../../http/schemas.ts';
import type { App } from '../../http/types.ts';
import { EVENT_TYPE_PATTERN } from './event-types.ts';
import { WEBHOOK_FORMATS } from './formats.ts';
import { WAITING } from './schema.ts';
import type { Delivery, Endpoint, EndpointWithSecret, WebhooksService } from './service.ts';

const nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

const url = Type.String({
  minLength: 1,
  maxLength: 2000,
  description:
    'Where deliveries are POSTed (http or https). Private, loopback and link-local destinations are refused unless the server runs with WEBHOOKS_ALLOW_PRIVATE=true',
  examples: ['https://crm.example.com/hooks/regulars'],
});
const description = nullable(
  Type.String({ maxLength: 500, description: 'A note for humans', examples: ['CRM sync'] }),
);
const enabled = Type.Boolean({
  description: 'Disabled endpoints get no new deliveries; enabling again resumes waiting ones',
});
const eventTypes = Type.Array(
  Type.String({
    pattern: EVENT_TYPE_PATTERN,
    maxLength: 200,
    description: 'An event type, a family (`points.*`) or `*` for every event',
    examples: ['location.created'],
  }),
  {
    minItems: 1,
    maxItems: 100,
    uniqueItems: true,
    description: 'Which events the endpoint receives (default: `["*"]`)',
    examples: [['customer.*', 'points.*']],
  },
);
const format = Type.Enum(WEBHOOK_FORMATS, {
  description:
    'Payload format: `native` is the shape of GET /v1/events; `comeback` is Comeback’s webhooks ({type, created, data}; see docs/dialects/comeback.md)',
});
const headers = Type.Record(
  Type.String({ pattern: "^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$" }),
  Type.String({ maxLength: 2000 }),
  {
    maxProperties: 20,
    description:
      'Static headers sent with every delivery, e.g. a token the receiver checks. Write-only: answers list the names only',
    examples: [{ 'X-Api-Token': 'vendor-token-123' }],
  },
);

const endpointProperties = {
  id: Uuid('Webhook endpoint id'),
  url,
  description,
  enabled,
  disabledReason: nullable(
    Type.Literal('failing', { description: 'Set when Regulars disabled it after failing for too long' }),
  ),
  failingSince: nullable(Timestamp('Start of the current run of failed attempts; null after a success')),
  eventTypes,
  format,
  headerNames: Type.Array(Type.String(), {
    description: 'Names of the static headers (their values are not shown)',
    examples: [['X-Api-Token']],
  }),
  previousSecretExpiresAt: nullable(
    Timestamp('During a secret rotation: until when the previous secret also signs'),
  ),
  createdAt: Timestamp('When the endpoint was created'),
  updatedAt: Timestamp('When it last changed'),
};

const EndpointSchema = Type.Object(endpointProperties, { $id: 'WebhookEndpoint' });

const EndpointWithSecretSchema = Type.Object(
  {
    ...endpointProperties,
    secret: Type.String({
      description: 'Signing secret (Standard Webhooks `whsec_…`). Shown only in this response; store it now',
      examples: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'],
    }),
  },
  { $id: 'WebhookEndpointWithSecret' },
);

const CreateBody = Type.Object(
  {
    url,
    description: Type.Optional(description),
    enabled: Type.Optional(enabled),
    eventTypes: Type.Optional(eventTypes),
    format: Type.Optional(format),
    headers: Type.Optional(headers),
  },
  { additionalProperties: false },
);

const UpdateBody = Type.Partial(Type.Object({ url, description, enabled, eventTypes, format, headers }), {
  additionalProperties: false,
  minProperties: 1,
});

const RotateBody = Type.Object(
  {
    overlapSeconds: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 7 * 86_400,
        description: 'How long the previous secret keeps signing too (default 86400 = 24 h; 0 = none)',
        examples: [3600],
      }),
    ),
  },
  { additionalProperties: false },
);

const STATUSES = ['pending', 'delivering', 'delivered', 'dead'] as const;
const status = Type.Enum(STATUSES, {
  description:
    '`pending` (waiting for its next attempt, or for an earlier event of the same subject), `delivering`, `delivered` (2xx), `dead` (retries exhausted)',
});

const AttemptSchema = Type.Object({
  id: Uuid('Attempt id'),
  attemptedAt: Timestamp('When the request started'),
  outcome: Type.Union([Type.Literal('delivered'), Type.Literal('failed'), Type.Literal('released')], {
    description: '`released`: cut short by a worker shutting down; sent again without using up a retry',
  }),
  statusCode: nullable(
    Type.Integer({ description: "The receiver's HTTP status; null when none came", examples: [500] }),
  ),
  durationMs: Type.Integer({ description: 'Latency of the attempt', examples: [87] }),
  error: nullable(
    Type.String({
      description: 'Why it failed',
      examples: ['connection_failed: connection failed (ECONNREFUSED)'],
    }),
  ),
  responseSnippet: nullable(Type.String({ description: 'The first 1 KB of the response body' })),
});

const DeliverySchema = Type.Object(
  {
    id: Uuid('Delivery id'),
    endpointId: Uuid('Webhook endpoint id'),
    eventId: Uuid('The event delivered; also its `webhook-id` header'),
    eventType: Type.String({ description: 'The event type', examples: ['location.created'] }),
    subject: Type.Object({
      type: Type.String({ description: 'Kind of thing the event is about', examples: ['customer'] }),
      id: Type.String({ description: 'Its id' }),
    }),
    status,
    attemptCount: Type.Integer({ description: 'Attempts made so far', examples: [3] }),
    nextAttemptAt: nullable(
      Timestamp('When it will be tried next; null unless pending, or while waiting for an earlier event'),
    ),
    lastStatusCode: nullable(Type.Integer({ description: 'Status of the last attempt', examples: [503] })),
    lastError: nullable(Type.String({ description: 'Error of the last attempt' })),
    deliveredAt: nullable(Timestamp('When a 2xx arrived')),
    createdAt: Timestamp('When the event was fanned out to this endpoint'),
    updatedAt: Timestamp('When it last changed'),
    attempts: Type.Array(AttemptSchema, { description: 'Every attempt, oldest first' }),
  },
  { $id: 'WebhookDelivery' },
);

const DeliveriesQuery = Type.Object({
  ...PageQuery,
  status: Type.Optional(status),
  eventId: Type.Optional(Uuid('Only the delivery of this event')),
});

const DeliveryParams = Type.Object({ id: Uuid('Webhook endpoint id'), deliveryId: Uuid('Delivery id') });

const ReplayBody = Type.Object(
  { sinceEventId: Uuid('Replay this event and every later one the endpoint subscribes to') },
  { additionalProperties: false },
);

const ReplayResult = Type.Object({
  scheduled: Type.Integer({ description: 'Deliveries scheduled', examples: [42] }),
  nextEventId: nullable(
    Uuid(
      'Set when the replay stopped at its limit (10,000 events a call): call again with this as sinceEventId',
    ),
  ),
});

function presentEndpoint(endpoint: Endpoint) {
  return {
    id: endpoint.id,
    url: endpoint.url,
    description: endpoint.description,
    enabled: endpoint.enabled,
    disabledReason: endpoint.disabledReason === 'failing' ? ('failing' as const) : null,
    failingSince: endpoint.failingSince?.toISOString() ?? null,
    eventTypes: endpoint.eventTypes,
    format: endpoint.format as (typeof WEBHOOK_FORMATS)[number],
    headerNames: Object.keys(endpoint.headers),
    previousSecretExpiresAt: endpoint.previousSecretExpiresAt?.toISOString() ?? null,
    createdAt: endpoint.createdAt.toISOString(),
    updatedAt: endpoint.updatedAt.toISOString(),
  };
}

function presentWithSecret(endpoint: EndpointWithSecret) {
  return { ...presentEndpoint(endpoint), secret: endpoint.secret };
}

function presentDelivery(delivery: Delivery) {
  return {
    id: delivery.id,
    endpointId: delivery.endpointId,
    eventId: delivery.eventId,
    eventType: delivery.eventType,
    subject: { type: delivery.subjectType, id: delivery.subjectId },
    status: delivery.status,
    attemptCount: delivery.attempts,
    nextAttemptAt:
      delivery.status === 'pending' && delivery.nextAttemptAt < WAITING
        ? delivery.nextAttemptAt.toISOString()
        : null,
    lastStatusCode: delivery.lastStatusCode,
    lastError: delivery.lastError,
    deliveredAt: delivery.deliveredAt?.toISOString() ?? null,
    createdAt: delivery.createdAt.toISOString(),
    updatedAt: delivery.updatedAt.toISOString(),
    attempts: delivery.attemptLog.map((attempt) => ({
      id: attempt.id,
      attemptedAt: attempt.attemptedAt.toISOString(),
      outcome: attempt.outcome,
      statusCode: attempt.statusCode,
      durationMs: attempt.durationMs,
      error: attempt.error,
      responseSnippet: attempt.responseSnippet,
    })),
  };
}

export function webhookRoutes(app: App, webhooks: WebhooksService) {
  app.addSchema(EndpointSchema);
  app.addSchema(EndpointWithSecretSchema);
  app.addSchema(DeliverySchema);
  const EndpointRef = Type.Ref('WebhookEndpoint');
  const WithSecretRef = Type.Ref('WebhookEndpointWithSecret');
  const DeliveryRef = Type.Ref('WebhookDelivery');
  const tags = ['webhooks'];

  app.post(
    '/v1/webhook-endpoints',
    {
      config: { mintsSecret: 'secret' },
      schema: {
        tags,
        summary: 'Subscribe a URL to events; the answer carries the signing secret, shown only this once',
        body: CreateBody,
        response: { 201: WithSecretRef, ...errorResponses(401, 422) },
      },
    },
    async (request, reply) => {
      const endpoint = await webhooks.create(tenantOf(request).organizationId, request.body);
      return reply.code(201).send(presentWithSecret(endpoint));
    },
  );

  app.get(
    '/v1/webhook-endpoints',
    {
      schema: {
        tags,
        summary: 'List webhook endpoints',
        querystring: Type.Object(PageQuery),
        response: { 200: Page(EndpointRef), ...errorResponses(401, 422) },
      },
    },
    async (request) => {
      const page = pageRequest(request.query);
      const rows = await webhooks.list(tenantOf(request).organizationId, page);
      const result = toPage(rows, page, (row) => row.id);
      return { data: result.data.map(presentEndpoint), nextCursor: result.nextCursor };
    },
  );

  app.get(
    '/v1/webhook-endpoints/:id',
    {
      schema: {
        tags,
        summary: 'Get a webhook endpoint (without its secret)',
        params: IdParams,
        response: { 200: EndpointRef, ...errorResponses(401, 404) },
      },
    },
    async (request) =>
      presentEndpoint(await webhooks.get(tenantOf(request).organizationId, request.params.id)),
  );

  app.patch(
    '/v1/webhook-endpoints/:id',
    {
      schema: {
        tags,
        summary: 'Change a webhook endpoint; `enabled: true` re-enables one that was disabled',
        params: IdParams,
        body: UpdateBody,
        response: { 200: EndpointRef, ...errorResponses(401, 404, 422) },
      },
    },
    async (request) =>
      presentEndpoint(
        await webhooks.update(tenantOf(request).organizationId, request.params.id, request.body),
      ),
  );

  app.delete(
    '/v1/webhook-endpoints/:id',
    {
      schema: {
        tags,
        summary: 'Delete a webhook endpoint with its delivery log',
        params: IdParams,
        response: { 204: Type.Null(), ...errorResponses(401, 404) },
      },
    },
    async (request, reply) => {
      await webhooks.remove(tenantOf(request).organizationId, request.params.id);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/webhook-endpoints/:id/rotate-secret',
    {
      config: { mintsSecret: 'secret' },
      schema: {
        tags,
        summary: 'Replace the signing secret; the previous one keeps signing during the overlap',
        params: IdParams,
        body: RotateBody,
        response: { 200: WithSecretRef, ...errorResponses(401, 404, 422) },
      },
    },
    async (request) =>
      presentWithSecret(
        await webhooks.rotateSecret(
          tenantOf(request).organizationId,
          request.params.id,
          request.body.overlapSeconds,
        ),
      ),
  );

  app.get(
    '/v1/webhook-endpoints/:id/deliveries',
    {
      schema: {
        tags,
        summary: "An endpoint's deliveries with every attempt (status code, latency, response), newest first",
        params: IdParams,
        querystring: DeliveriesQuery,
        response: { 200: Page(DeliveryRef), ...errorResponses(401, 404, 422) },
      },
    },
    async (request) => {
      const page = pageRequest(request.query);
      const { status: wanted, eventId } = request.query;
      const rows = await webhooks.listDeliveries(
        tenantOf(request).organizationId,
        request.params.id,
        { status: wanted, eventId },
        page,
      );
      const result = toPage(rows, page, (row) => row.id);
      return { data: result.data.map(presentDelivery), nextCursor: result.nextCursor };
    },
  );

  app.get(
    '/v1/webhook-endpoints/:id/deliveries/:deliveryId',
    {
      schema: {
        tags,
        summary: 'One delivery with every attempt',
        params: DeliveryParams,
        response: { 200: DeliveryRef, ...errorResponses(401, 404) },
      },
    },
    async (request) => {
      const { id, deliveryId } = request.params;
      return presentDelivery(await webhooks.getDelivery(tenantOf(request).organizationId, id, deliveryId));
    },
  );

  app.post(
    '/v1/webhook-endpoints/:id/deliveries/:deliveryId/retry',
    {
      schema: {
        tags,
        summary:
          'Send a delivery again now: a dead-lettered one gets one more attempt, a waiting one skips its wait',
        params: DeliveryParams,
        response: { 202: DeliveryRef, ...errorResponses(401, 404, 409) },
      },
    },
    async (request, reply) => {
      const { id, deliveryId } = request.params;
      const delivery = await webhooks.retryDelivery(tenantOf(request).organizationId, id, deliveryId);
      return reply.code(202).send(presentDelivery(delivery));
    },
  );

  app.post(
    '/v1/webhook-endpoints/:id/replay',
    {
      schema: {
        tags,
        summary: 'Send an event and every later one again (those the endpoint subscribes to), in order',
        params: IdParams,
        body: ReplayBody,
        response: { 202: ReplayResult, ...errorResponses(401, 404, 422) },
      },
    },
    async (request, reply) => {
      const result = await webhooks.replay(
        tenantOf(request).organizationId,
        request.params.id,
        request.body.sinceEventId,
      );
      return reply.code(202).send(result);
    },
  );
}
