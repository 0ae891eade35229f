import { and, asc, eq, sql } from 'drizzle-orm';
import type { Db, Executor, Tx } from '../../db/connection.ts';
import { newId } from '../../db/ids.ts';
import { afterCursor, fetchSize, type PageRequest } from '../../db/pagination.ts';
import { transaction } from '../../db/transaction.ts';
import { conflict, notFound, validationFailed } from '../../errors.ts';
import { OutboundError, type Resolver, vetDestination } from '../../http/outbound.ts';
import { emit, eventsFrom } from '../events/service.ts';
import { isWebhookFormat, type WebhookFormat } from './formats.ts';
import { DEFAULT_RETRY_SCHEDULE_MS } from './retry-schedule.ts';
import { webhookEndpoints } from './schema.ts';
import { generateSecret } from './signing.ts';
import {
  type AttemptRow,
  attemptsOf,
  type DeliveryFilter,
  type DeliveryRow,
  deliveriesFor,
  type EndpointRow,
  findDelivery,
  findEndpoint,
  listDeliveries,
  rescheduleNow,
  upsertDeliveries,
} from './store.ts';

export interface WebhookSettings {
  /** WEBHOOKS_ALLOW_PRIVATE: endpoints may point at private/loopback addresses. */
  allowPrivate: boolean;
  /** Waits between attempts (see retry-schedule.ts). */
  retrySchedule: number[];
  /** Where an endpoint's host name is resolved when it is registered (tests: a stand-in DNS). */
  resolve?: Resolver;
}

export const DEFAULT_WEBHOOK_SETTINGS: WebhookSettings = {
  allowPrivate: false,
  retrySchedule: DEFAULT_RETRY_SCHEDULE_MS,
};

export interface EndpointInput {
  url: string;
  description?: string | null | undefined;
  enabled?: boolean | undefined;
  eventTypes?: string[] | undefined;
  format?: string | undefined;
  headers?: Record<string, string> | undefined;
}

export type EndpointPatch = Partial<EndpointInput>;

export type Endpoint = Omit<EndpointRow, 'secret' | 'previousSecret'>;
/** An endpoint with its secret: only the answers of create and rotate carry one. */
export type EndpointWithSecret = Endpoint & { secret: string };
export type Delivery = DeliveryRow & { attemptLog: AttemptRow[] };

/** Headers a static header may not replace: the signature, the body's framing and hop-by-hop ones. */
const RESERVED_HEADERS = new Set([
  'host',
  'content-length',
  'content-type',
  'content-encoding',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
  'proxy-authorization',
  'user-agent',
]);

const DEFAULT_OVERLAP_SECONDS = 24 * 3600;
/** A replay call schedules at most this many events; the answer says where to continue. */
const REPLAY_LIMIT = 10_000;
const REPLAY_BATCH = 500;

function withoutSecrets(row: EndpointRow): Endpoint {
  const { secret: _secret, previousSecret: _previous, ...endpoint } = row;
  return endpoint;
}

function checkHeaders(headers: Record<string, string>) {
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (RESERVED_HEADERS.has(lower) || lower.startsWith('webhook-')) {
      throw validationFailed(`body.headers.${name}`, 'is set by Regulars and cannot be replaced');
    }
    if (/[\r\n]/.test(value)) throw validationFailed(`body.headers.${name}`, 'must be on one line');
  }
}

export function createWebhooksService(db: Db, settings: WebhookSettings = DEFAULT_WEBHOOK_SETTINGS) {
  const retries = settings.retrySchedule.length;

  /** The URL's form, and every address its host resolves to now (delivery checks again). */
  async function checkUrl(url: string) {
    try {
      await vetDestination(url, {
        allowPrivate: settings.allowPrivate,
        ...(settings.resolve ? { resolve: settings.resolve } : {}),
      });
    } catch (error) {
      if (!(error instanceof OutboundError)) throw error;
      const hint =
        error.kind === 'blocked_address'
          ? '; private, loopback and link-local destinations are allowed only when the server runs with WEBHOOKS_ALLOW_PRIVATE=true'
          : '';
      throw validationFailed('body.url', error.message + hint);
    }
  }

  async function checkInput(input: EndpointPatch) {
    if (input.url !== undefined) await checkUrl(input.url);
    if (input.format !== undefined && !isWebhookFormat(input.format)) {
      throw validationFailed('body.format', 'is not a known payload format');
    }
    if (input.headers !== undefined) checkHeaders(input.headers);
  }

  async function getRow(organizationId: string, id: string, executor: Executor = db): Promise<EndpointRow> {
    const row = await findEndpoint(executor, organizationId, id);
    if (!row) throw notFound('webhook endpoint');
    return row;
  }

  function endpointEvent(tx: Tx, type: string, row: EndpointRow, payload: Record<string, unknown> = {}) {
    return emit(tx, {
      organizationId: row.organizationId,
      type,
      subject: { type: 'webhook_endpoint', id: row.id },
      payload: { endpointId: row.id, ...payload },
    });
  }

  async function withAttempts(organizationId: string, rows: DeliveryRow[]): Promise<Delivery[]> {
    const attempts = await attemptsOf(
      db,
      organizationId,
      rows.map((row) => row.id),
    );
    return rows.map((row) => ({
      ...row,
      attemptLog: attempts.filter((attempt) => attempt.deliveryId === row.id),
    }));
  }

  async function getDeliveryRow(organizationId: string, endpointId: string, deliveryId: string) {
    const row = await findDelivery(db, organizationId, endpointId, deliveryId);
    if (!row) throw notFound('delivery');
    return row;
  }

  return {
    settings,

    async create(organizationId: string, input: EndpointInput): Promise<EndpointWithSecret> {
      await checkInput(input);
      return transaction(db, async (tx) => {
        const [row] = await tx
          .insert(webhookEndpoints)
          .values({
            organizationId,
            id: newId(),
            url: input.url,
            description: input.description ?? null,
            enabled: input.enabled ?? true,
            eventTypes: input.eventTypes ?? ['*'],
            format: (input.format ?? 'native') as WebhookFormat,
            headers: input.headers ?? {},
            secret: generateSecret(),
          })
          .returning();
        await endpointEvent(tx, 'webhook_endpoint.created', row!);
        return { ...withoutSecrets(row!), secret: row!.secret };
      });
    },

    async get(organizationId: string, id: string): Promise<Endpoint> {
      return withoutSecrets(await getRow(organizationId, id));
    },

    async list(organizationId: string, page: PageRequest): Promise<Endpoint[]> {
      const rows = await db
        .select()
        .from(webhookEndpoints)
        .where(
          and(eq(webhookEndpoints.organizationId, organizationId), afterCursor(webhookEndpoints.id, page)),
        )
        .orderBy(asc(webhookEndpoints.id))
        .limit(fetchSize(page));
      return rows.map(withoutSecrets);
    },

    async update(organizationId: string, id: string, patch: EndpointPatch): Promise<Endpoint> {
      await checkInput(patch);
      return transaction(db, async (tx) => {
        const now = new Date();
        const [row] = await tx
          .update(webhookEndpoints)
          .set({
            ...patch,
            // Enabling again starts with a clean slate; disabling by hand is not a failure.
            ...(patch.enabled !== undefined ? { disabledReason: null, failingSince: null } : {}),
            updatedAt: now,
          })
          .where(and(eq(webhookEndpoints.organizationId, organizationId), eq(webhookEndpoints.id, id)))
          .returning();
        if (!row) throw notFound('webhook endpoint');
        await endpointEvent(tx, 'webhook_endpoint.updated', row, { changed: Object.keys(patch) });
        return withoutSecrets(row);
      });
    },

    /** Deletes the endpoint with its delivery log; deliveries not yet sent are dropped. */
    async remove(organizationId: string, id: string): Promise<void> {
      await transaction(db, async (tx) => {
        const [row] = await tx
          .delete(webhookEndpoints)
          .where(and(eq(webhookEndpoints.organizationId, organizationId), eq(webhookEndpoints.id, id)))
          .returning();
        if (!row) throw notFound('webhook endpoint');
        await endpointEvent(tx, 'webhook_endpoint.deleted', row);
      });
    },

    /**
     * A new secret, shown once. The previous one keeps signing (both signatures are sent) for
     * `overlapSeconds`, so receivers can switch without losing a delivery.
     */
    async rotateSecret(
      organizationId: string,
      id: string,
      overlapSeconds = DEFAULT_OVERLAP_SECONDS,
    ): Promise<EndpointWithSecret> {
      return transaction(db, async (tx) => {
        const now = new Date();
        // The previous secret is the row's own, read by the update: two rotations at once chain
        // (the later one keeps the earlier's new secret signing), neither drops the other's.
        const [row] = await tx
          .update(webhookEndpoints)
          .set({
            secret: generateSecret(),
            previousSecret: overlapSeconds > 0 ? sql`${webhookEndpoints.secret}` : null,
            previousSecretExpiresAt:
              overlapSeconds > 0 ? new Date(now.getTime() + overlapSeconds * 1000) : null,
            updatedAt: now,
          })
          .where(and(eq(webhookEndpoints.organizationId, organizationId), eq(webhookEndpoints.id, id)))
          .returning();
        if (!row) throw notFound('webhook endpoint');
        await endpointEvent(tx, 'webhook_endpoint.secret_rotated', row, {
          previousSecretExpiresAt: row.previousSecretExpiresAt?.toISOString() ?? null,
        });
        return { ...withoutSecrets(row), secret: row.secret };
      });
    },

    async listDeliveries(
      organizationId: string,
      endpointId: string,
      filter: DeliveryFilter,
      page: PageRequest,
    ): Promise<Delivery[]> {
      await getRow(organizationId, endpointId);
      return withAttempts(organizationId, await listDeliveries(db, organizationId, endpointId, filter, page));
    },

    async getDelivery(organizationId: string, endpointId: string, deliveryId: string): Promise<Delivery> {
      const row = await getDeliveryRow(organizationId, endpointId, deliveryId);
      const [delivery] = await withAttempts(organizationId, [row]);
      return delivery!;
    },

    /**
     * Sends a delivery again now: a dead-lettered or delivered one gets exactly one more
     * attempt (dead-lettered again if it fails), a waiting one skips the rest of its wait.
     */
    async retryDelivery(organizationId: string, endpointId: string, deliveryId: string): Promise<Delivery> {
      const row = await getDeliveryRow(organizationId, endpointId, deliveryId);
      const updated = await transaction(db, (tx) => rescheduleNow(tx, row, new Date()));
      if (!updated) throw conflict('delivery_in_progress', 'this delivery is being attempted right now');
      const [delivery] = await withAttempts(organizationId, [updated]);
      return delivery!;
    },

    /**
     * Sends every event from `sinceEventId` (inclusive) that the endpoint subscribes to again,
     * in order, with a fresh retry schedule; events it never had a delivery for are added.
     * At most REPLAY_LIMIT events per call: `nextEventId` says where to continue.
     */
    async replay(
      organizationId: string,
      endpointId: string,
      sinceEventId: string,
    ): Promise<{ scheduled: number; nextEventId: string | null }> {
      const endpoint = await getRow(organizationId, endpointId);
      const [first] = await eventsFrom(db, organizationId, sinceEventId, 1);
      // An id in the body, unlike the endpoint's in the path, is the caller's mistake to fix: 422.
      if (!first || first.id !== sinceEventId)
        throw validationFailed('body.sinceEventId', 'is not an event of this organization');
      let scheduled = 0;
      let from: string | null = sinceEventId;
      let scanned = 0;
      await transaction(db, async (tx) => {
        const now = new Date();
        while (from !== null && scanned < REPLAY_LIMIT) {
          const size = Math.min(REPLAY_BATCH, REPLAY_LIMIT - scanned);
          const batch = await eventsFrom(tx, organizationId, from, size + 1);
          const page = batch.slice(0, size);
          scanned += page.length;
          scheduled += await upsertDeliveries(
            tx,
            deliveriesFor(page, [endpoint], now, retries, false),
            now,
            retries,
          );
          from = batch[size]?.id ?? null;
        }
      });
      return { scheduled, nextEventId: from };
    },
  };
}

export type WebhooksService = ReturnType<typeof createWebhooksService>;
