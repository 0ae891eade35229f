import { Type } from 'typebox';
import { tenantOf } from '../../http/auth.ts';
import { Page, PageQuery, pageRequest, toPage } from '../../http/pagination.ts';
import { errorResponses, Timestamp, Uuid } from '../../http/schemas.ts';
import type { App } from '../../http/types.ts';
import type { EventRow, EventsService } from './service.ts';

const EventSchema = Type.Object(
  {
    id: Uuid('Event id (time-ordered)'),
    type: Type.String({ description: 'What happened', examples: ['customer.created'] }),
    subject: Type.Object({
      type: Type.String({ description: 'Kind of thing it happened to', examples: ['customer'] }),
      id: Type.String({ description: 'Its id' }),
    }),
    payload: Type.Record(Type.String(), Type.Unknown(), { description: 'Event-specific data' }),
    createdAt: Timestamp('When it happened'),
  },
  { $id: 'Event' },
);

const ListQuery = Type.Object({
  ...PageQuery,
  type: Type.Optional(
    Type.String({ description: 'Only events of this type', examples: ['location.created'] }),
  ),
  subjectType: Type.Optional(Type.String({ description: 'Only events about this kind of subject' })),
  subjectId: Type.Optional(Type.String({ description: 'Only events about this subject' })),
});

function presentEvent(event: EventRow) {
  return {
    id: event.id,
    type: event.type,
    subject: { type: event.subjectType, id: event.subjectId },
    payload: event.payload,
    createdAt: event.createdAt.toISOString(),
  };
}

export function eventRoutes(app: App, events: EventsService) {
  app.addSchema(EventSchema);

  app.get(
    '/v1/events',
    {
      config: { scope: 'integration' },
      schema: {
        tags: ['events'],
        summary: "The organization's event stream, oldest first",
        querystring: ListQuery,
        response: { 200: Page(Type.Ref('Event')), ...errorResponses(401, 422) },
      },
    },
    async (request) => {
      const page = pageRequest(request.query);
      const rows = await events.list(tenantOf(request).organizationId, request.query, page);
      const result = toPage(rows, page, (row) => row.id);
      return { data: result.data.map(presentEvent), nextCursor: result.nextCursor };
    },
  );
}
