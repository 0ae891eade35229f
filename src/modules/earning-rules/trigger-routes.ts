import { Type } from 'typebox';
import { toPoints } from '../../domain/points.ts';
import { tenantOf } from '../../http/auth.ts';
import { errorResponses, IdParams, Uuid } from '../../http/schemas.ts';
import type { App } from '../../http/types.ts';
import { BreakdownEntrySchema } from '../transactions/contract.ts';
import type { TriggerAward, TriggerService } from './trigger-service.ts';

const AwardResponse = Type.Object({
  pointsEarned: Type.Number({
    description: 'Points the member earned with this request (two decimals); 0 for a duplicate',
    examples: [10],
  }),
  breakdown: Type.Array(BreakdownEntrySchema, { description: 'What each rule gave; empty for a duplicate' }),
  duplicate: Type.Boolean({
    description:
      'True when this eventId had already earned the member points: the event was received before, ' +
      'so nothing was earned now (what it earned then is in the points history)',
    examples: [false],
  }),
});

const occurrence = {
  eventId: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 200,
      description: 'Your id for this occurrence: sending it again earns nothing more',
    }),
  ),
  locationId: Type.Optional(Uuid('Where it happened (for location-restricted rules)')),
};

function present(award: TriggerAward) {
  return {
    pointsEarned: toPoints(award.total),
    breakdown: award.entries.map((entry) => ({ ...entry, points: toPoints(entry.points) })),
    duplicate: award.duplicate,
  };
}

export function triggerRoutes(app: App, triggers: TriggerService) {
  const tags = ['earning rules'];
  const routes = [
    {
      path: 'custom-events',
      summary:
        'Report a custom event (e.g. left_review); custom_event rules award points within their limits',
      body: Type.Object(
        {
          name: Type.String({
            minLength: 1,
            maxLength: 100,
            description: 'Event name',
            examples: ['left_review'],
          }),
          ...occurrence,
        },
        { additionalProperties: false },
      ),
      trigger: (body: Record<string, unknown>) => ({
        kind: 'custom_event' as const,
        name: String(body.name),
      }),
    },
    {
      path: 'qr-codes',
      summary: 'Submit a code the member scanned; qr_code rules award points within their limits',
      body: Type.Object(
        {
          code: Type.String({
            minLength: 1,
            maxLength: 200,
            description: 'The scanned code',
            examples: ['TABLE-7'],
          }),
          ...occurrence,
        },
        { additionalProperties: false },
      ),
      trigger: (body: Record<string, unknown>) => ({ kind: 'qr_code' as const, code: String(body.code) }),
    },
    {
      path: 'check-ins',
      summary: "Report the member's position; geolocation rules within their radius award points",
      body: Type.Object(
        {
          latitude: Type.Number({ minimum: -90, maximum: 90, examples: [41.4036] }),
          longitude: Type.Number({ minimum: -180, maximum: 180, examples: [2.1744] }),
          ...occurrence,
        },
        { additionalProperties: false },
      ),
      trigger: (body: Record<string, unknown>) => ({
        kind: 'geolocation' as const,
        latitude: Number(body.latitude),
        longitude: Number(body.longitude),
      }),
    },
  ];

  for (const route of routes) {
    app.post(
      `/v1/customers/:id/${route.path}`,
      {
        // Reported by the member's app, through its backend: an integration, not a till.
        config: { scope: 'integration' },
        schema: {
          tags,
          summary: route.summary,
          params: IdParams,
          body: route.body,
          response: { 200: AwardResponse, ...errorResponses(401, 404, 422) },
        },
      },
      async (request) => {
        const tenant = tenantOf(request);
        const body = request.body as Record<string, unknown>;
        const evaluation = await triggers.award({
          organizationId: tenant.organizationId,
          customerId: request.params.id,
          trigger: route.trigger(body),
          locationId: (body.locationId as string | undefined) ?? null,
          // The client's event id names an occurrence of this member's: another member may use it too.
          sourceId:
            body.eventId === undefined ? undefined : `${request.params.id.toLowerCase()}:${body.eventId}`,
          actor: tenant.actor,
        });
        return present(evaluation);
      },
    );
  }
}
