import type { EventRow } from '../events/service.ts';

/**
 * How an event is written into a webhook body. `native` is the shape of `GET /v1/events`, so a
 * receiver and a poller of the event stream parse the same thing; dialect formats (a vendor's
 * webhook shape, e.g. `comeback`) are added here as more entries.
 */
export const WEBHOOK_FORMATS = ['native'] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

const RENDERERS: Record<WebhookFormat, (event: EventRow) => unknown> = {
  native: (event) => ({
    id: event.id,
    type: event.type,
    subject: { type: event.subjectType, id: event.subjectId },
    payload: event.payload,
    createdAt: event.createdAt.toISOString(),
  }),
};

export function isWebhookFormat(format: string): format is WebhookFormat {
  return (WEBHOOK_FORMATS as readonly string[]).includes(format);
}

/** The exact bytes that are signed and sent. */
export function renderBody(format: string, event: EventRow): string {
  const render = isWebhookFormat(format) ? RENDERERS[format] : RENDERERS.native;
  return JSON.stringify(render(event));
}
