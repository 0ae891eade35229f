import { and, asc, eq } from 'drizzle-orm';
import type { Db, Executor } from '../../db/connection.ts';
import { newId } from '../../db/ids.ts';
import { afterCursor, fetchSize, type PageRequest } from '../../db/pagination.ts';
import { events } from './schema.ts';

export interface NewEvent {
  organizationId: string;
  /** Dotted name, `<subject>.<what happened>`: `customer.created`, `points.spent`. */
  type: string;
  subject: { type: string; id: string };
  payload: Record<string, unknown>;
}

export type EventRow = typeof events.$inferSelect;

/**
 * The one way to emit an event: call it with the transaction that makes the change,
 * so the event commits or rolls back with it (transactional outbox).
 */
export async function emit(tx: Executor, event: NewEvent): Promise<EventRow> {
  const [row] = await tx
    .insert(events)
    .values({
      organizationId: event.organizationId,
      id: newId(),
      type: event.type,
      subjectType: event.subject.type,
      subjectId: event.subject.id,
      payload: event.payload,
    })
    .returning();
  return row!;
}

export interface EventFilter {
  type?: string | undefined;
  subjectType?: string | undefined;
  subjectId?: string | undefined;
}

export function createEventsService(db: Db) {
  return {
    list(organizationId: string, filter: EventFilter, page: PageRequest): Promise<EventRow[]> {
      return db
        .select()
        .from(events)
        .where(
          and(
            eq(events.organizationId, organizationId),
            filter.type ? eq(events.type, filter.type) : undefined,
            filter.subjectType ? eq(events.subjectType, filter.subjectType) : undefined,
            filter.subjectId ? eq(events.subjectId, filter.subjectId) : undefined,
            afterCursor(events.id, page),
          ),
        )
        .orderBy(asc(events.id))
        .limit(fetchSize(page));
    },
  };
}

export type EventsService = ReturnType<typeof createEventsService>;
