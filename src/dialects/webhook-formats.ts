import type { WebhookFormatters } from '../modules/webhooks/formats.ts';
import type { Services } from '../services.ts';
import { comebackWebhookFormat } from './comeback/webhooks.ts';

/**
 * The dialects' webhook formats, handed to every webhook worker (`regulars serve` and
 * `regulars worker`): the webhooks module knows their names, the dialects how they look.
 */
export function dialectWebhookFormats(services: Services): WebhookFormatters {
  return { comeback: comebackWebhookFormat(services) };
}
