import type { Db, Executor } from '../../db/connection.ts';
import { newId } from '../../db/ids.ts';
import type { PageRequest } from '../../db/pagination.ts';
import { commitBuffer } from '../../db/transaction.ts';
import { SYSTEM } from '../../domain/actors.ts';
import {
  type AuditMode,
  type Caller,
  currentRequest,
  type RequestContext,
} from '../../http/request-context.ts';
import { redactChanges } from './redaction.ts';
import type { FieldChange } from './schema.ts';
import {
  type AuditFilter,
  type AuditRow,
  deleteAuditRowsBefore,
  eraseRecordedValues,
  insertAuditRows,
  listAuditRows,
} from './store.ts';

/**
 * The audit log: who (the request's caller) changed what (action, subject, before/after of the
 * changed fields, secrets redacted), from where (IP, user agent, request id), written in the
 * transaction of the change, so a change that rolls back leaves no row.
 *
 * Two ways a change is recorded:
 * - By its event, without anything to do: `emit`/`emitMany` (src/modules/events/service.ts) hand
 *   every event to `auditEvents`, which keeps those `isAudited` says (configuration and people).
 *   A use case that has the old and new values at hand passes them as the event's `changes`.
 * - Explicitly, for a change that emits no event (API keys, staff users): call
 *   `recordAudit(tx, { organizationId, action, subject, changes })` inside the change's
 *   transaction. `action` reads `<subject>.<what happened>` like an event type (`staff_user.invited`,
 *   `staff_user.role_changed`); `changes` is `{ field: { before, after } }` or any details. Never
 *   put a secret in it on purpose: redaction (src/modules/audit/redaction.ts) goes by field names.
 *
 * Who: the caller of the request the code runs for (src/http/request-context.ts): an API key, a
 * staff user, a member, or `master` for the platform master key. Outside a request (the periodic
 * jobs, the CLI, the webhook worker) it is `system`, with no IP, user agent or request id. The
 * jobs' own events (points expiring, tiers recomputed, birthdays) are flow, not audited anyway;
 * the few audited events they cause (the worker disabling a failing endpoint) are recorded as the
 * system's, which is what an owner looking for "who turned my webhook off" needs to read.
 */

/**
 * Event families that are configuration or people: their events are audited wherever they are
 * emitted. Anything else (tickets, points, coupons, redemptions) is the program running; it is
 * audited only inside a request whose route says `config: { audit: 'all-events' }`.
 */
const AUDITED_FAMILIES = new Set([
  'organization',
  'location',
  'point_type',
  'earning_rule',
  'tier',
  'segment',
  'reward',
  'reward_category',
  'webhook_endpoint',
  'customer',
  'api_key',
]);

/**
 * Events of those families that are the program running rather than someone changing it: a
 * member moving tier or in or out of a segment after a ticket, a reward claimed at the till.
 */
const FLOW_EVENTS = new Set([
  'tier.changed',
  'segment.customer_added',
  'segment.customer_removed',
  'reward.claimed',
]);

export function isAudited(type: string, mode: AuditMode): boolean {
  if (mode === 'all-events') return true;
  return AUDITED_FAMILIES.has(type.slice(0, type.indexOf('.'))) && !FLOW_EVENTS.has(type);
}

/** A change to record; see the module comment for what `action` and `changes` hold. */
export interface AuditEntry {
  organizationId: string;
  action: string;
  subject: { type: string; id: string };
  changes?: Record<string, unknown>;
}

/** An event as `emit` receives it (src/modules/events/service.ts `NewEvent`). */
export interface EmittedEvent {
  organizationId: string;
  type: string;
  subject: { type: string; id: string };
  payload: Record<string, unknown>;
  changes?: Record<string, FieldChange> | undefined;
}

const pending = commitBuffer(insertAuditRows);

function callerOf(context: RequestContext | undefined): Caller {
  return context?.caller() ?? SYSTEM;
}

function toRow(entry: AuditEntry, context: RequestContext | undefined, occurredAt: Date): AuditRow {
  const caller = callerOf(context);
  return {
    organizationId: entry.organizationId,
    id: newId(),
    occurredAt,
    actorType: caller.type,
    actorId: caller.id,
    ip: context?.ip ?? null,
    userAgent: context?.userAgent ?? null,
    requestId: context?.requestId ?? null,
    action: entry.action,
    subjectType: entry.subject.type,
    subjectId: entry.subject.id,
    changes: redactChanges(entry.changes ?? {}),
  };
}

/**
 * Records a change that emits no event, in tx (the change's transaction): written with the
 * transaction's other audit rows just before it commits, or at once outside `transaction()`.
 */
export async function recordAudit(tx: Executor, entry: AuditEntry): Promise<void> {
  await pending(tx, [toRow(entry, currentRequest(), new Date())]);
}

/** The audit rows of events just emitted in tx: those `isAudited` keeps for the current request. */
export async function auditEvents(tx: Executor, events: readonly EmittedEvent[], at: Date): Promise<void> {
  const context = currentRequest();
  const mode = context?.auditMode() ?? 'changes';
  const rows: AuditRow[] = [];
  for (const event of events) {
    if (!isAudited(event.type, mode)) continue;
    const entry = {
      organizationId: event.organizationId,
      action: event.type,
      subject: event.subject,
      changes: event.changes ?? event.payload,
    };
    rows.push(toRow(entry, context, at));
  }
  await pending(tx, rows);
}

const ERASED = '[erased]';

/**
 * GDPR erasure of a member: the values their `customer.*` rows recorded (names, emails, phones
 * before and after) become `[erased]`, in the anonymization's transaction. The rows themselves
 * stay: who changed the member, when, and which fields.
 */
export function eraseMemberValues(tx: Executor, organizationId: string, customerId: string): Promise<void> {
  return eraseRecordedValues(tx, organizationId, { type: 'customer', id: customerId }, 'customer.*', ERASED);
}

/** The values that differ between before and after, among the fields given: an event's `changes`. */
export function changesBetween<T extends object>(
  before: T,
  after: T,
  fields: readonly (keyof T & string)[] = Object.keys(after) as (keyof T & string)[],
): Record<string, FieldChange> {
  const changes: Record<string, FieldChange> = {};
  for (const field of fields) {
    const was = before[field];
    const is = after[field];
    if (JSON.stringify(was) !== JSON.stringify(is)) changes[field] = { before: was, after: is };
  }
  return changes;
}

/** How many rows one purge statement deletes: a purge never holds many locks at once. */
const PURGE_BATCH = 5000;

export function createAuditService(db: Db) {
  function list(organizationId: string, filter: AuditFilter, page: PageRequest): Promise<AuditRow[]> {
    return listAuditRows(db, organizationId, filter, page);
  }

  return {
    list,

    /** Every matching row, newest first, read a batch at a time (the CSV export). */
    iterate(organizationId: string, filter: AuditFilter, batchSize = 1000): AsyncGenerator<AuditRow> {
      return (async function* () {
        let afterId: string | undefined;
        for (;;) {
          const rows = await list(organizationId, filter, { limit: batchSize, afterId });
          yield* rows.slice(0, batchSize);
          if (rows.length <= batchSize) return;
          afterId = rows[batchSize - 1]!.id;
        }
      })();
    },

    /** Deletes every organization's rows that happened before `before` (the retention); how many. */
    async purgeBefore(before: Date): Promise<number> {
      let total = 0;
      for (;;) {
        const deleted = await deleteAuditRowsBefore(db, before, PURGE_BATCH);
        total += deleted;
        if (deleted < PURGE_BATCH) return total;
      }
    },
  };
}

export type AuditService = ReturnType<typeof createAuditService>;
