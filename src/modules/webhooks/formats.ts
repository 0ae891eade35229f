import type { EventRow } from '../events/service.ts';

/**
 * How an event is written into webhook bodies. `native` is the shape of `GET /v1/events`, so a
 * receiver and a poller of the event stream parse the same thing. Other formats are a vendor's
 * webhook shapes (a dialect's): the webhooks module only knows their names, and whoever starts a
 * worker hands it their formatters (`formats` option), so this module imports no dialect code.
 */
export const WEBHOOK_FORMATS = ['native', 'comeback'] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

/**
 * The messages one event becomes in a format, in the order they are sent: usually one; none when
 * the format has nothing for this kind of event (the delivery then counts as done, with nothing
 * sent); several when the vendor sends one per item (e.g. one per promotion applied). It may read
 * the current state through the services (a vendor that sends whole objects).
 */
export type WebhookFormatter = (event: EventRow) => unknown[] | Promise<unknown[]>;
export type WebhookFormatters = Readonly<Partial<Record<WebhookFormat, WebhookFormatter>>>;

const native: WebhookFormatter = (event) => [
  {
    id: event.id,
    type: event.type,
    subject: { type: event.subjectType, id: event.subjectId },
    payload: event.payload,
    createdAt: event.createdAt.toISOString(),
  },
];

export function isWebhookFormat(format: string): format is WebhookFormat {
  return (WEBHOOK_FORMATS as readonly string[]).includes(format);
}

/** The exact bytes that are signed and sent, one string per message. */
export async function renderBodies(
  format: string,
  event: EventRow,
  formatters: WebhookFormatters = {},
): Promise<string[]> {
  const render = format === 'native' ? native : formatters[format as WebhookFormat];
  // Thrown inside an attempt: recorded as its error and retried (a worker started without the formatter).
  if (!render) throw new Error(`this worker has no formatter for the "${format}" webhook format`);
  return (await render(event)).map((message) => JSON.stringify(message));
}
