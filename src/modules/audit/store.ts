import { and, desc, eq, gte, lt, lte, sql } from 'drizzle-orm';
import type { Executor } from '../../db/connection.ts';
import { afterCursor, fetchSize, type PageRequest } from '../../db/pagination.ts';
import { deferredWrite } from '../../db/pipeline.ts';
import { type AuditActorType, auditLog } from './schema.ts';

export type AuditRow = typeof auditLog.$inferSelect;

/**
 * Audit rows in one statement, as one JSON parameter (no bind-parameter limit). Nobody reads its
 * answer: inside a transaction it travels with the next statement, often COMMIT.
 */
export async function insertAuditRows(executor: Executor, rows: readonly AuditRow[]): Promise<void> {
  const json = rows.map((row) => ({
    organization_id: row.organizationId,
    id: row.id,
    occurred_at: row.occurredAt.toISOString(),
    actor_type: row.actorType,
    actor_id: row.actorId,
    ip: row.ip,
    user_agent: row.userAgent,
    request_id: row.requestId,
    action: row.action,
    subject_type: row.subjectType,
    subject_id: row.subjectId,
    changes: row.changes,
  }));
  await executor.execute(
    deferredWrite(sql`
    insert into ${auditLog} (organization_id, id, occurred_at, actor_type, actor_id, ip, user_agent,
      request_id, action, subject_type, subject_id, changes)
    select organization_id, id, occurred_at, actor_type, actor_id, ip, user_agent, request_id, action,
      subject_type, subject_id, changes
    from jsonb_to_recordset(${JSON.stringify(json)}::jsonb)
      as x(organization_id uuid, id uuid, occurred_at timestamptz, actor_type text, actor_id uuid, ip text,
           user_agent text, request_id text, action text, subject_type text, subject_id text, changes jsonb)`),
  );
}

export interface AuditFilter {
  actorType?: AuditActorType | undefined;
  actorId?: string | undefined;
  subjectType?: string | undefined;
  subjectId?: string | undefined;
  /** An action (`customer.updated`) or a family of them (`customer.*`). */
  action?: string | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
}

/**
 * `customer.*` as a range of the index's order, `[customer., customer/)` ('/' follows '.'), rather
 * than LIKE, whose `_` would match any character in `point_type.*`.
 */
function actionMatches(action: string) {
  if (!action.endsWith('.*')) return eq(auditLog.action, action);
  const prefix = action.slice(0, -1);
  return and(gte(auditLog.action, prefix), lt(auditLog.action, `${prefix.slice(0, -1)}/`));
}

/** One organization's audit rows, newest first. */
export function listAuditRows(
  executor: Executor,
  organizationId: string,
  filter: AuditFilter,
  page: PageRequest,
): Promise<AuditRow[]> {
  return executor
    .select()
    .from(auditLog)
    .where(
      and(
        eq(auditLog.organizationId, organizationId),
        filter.actorType ? eq(auditLog.actorType, filter.actorType) : undefined,
        filter.actorId ? eq(auditLog.actorId, filter.actorId) : undefined,
        filter.subjectType ? eq(auditLog.subjectType, filter.subjectType) : undefined,
        filter.subjectId ? eq(auditLog.subjectId, filter.subjectId) : undefined,
        filter.action ? actionMatches(filter.action) : undefined,
        filter.from ? gte(auditLog.occurredAt, filter.from) : undefined,
        filter.to ? lte(auditLog.occurredAt, filter.to) : undefined,
        afterCursor(auditLog.id, page, 'desc'),
      ),
    )
    .orderBy(desc(auditLog.id))
    .limit(fetchSize(page));
}

/** Deletes up to `limit` rows (any organization's) that happened before `before`; how many it deleted. */
export async function deleteAuditRowsBefore(
  executor: Executor,
  before: Date,
  limit: number,
): Promise<number> {
  const old = executor
    .select({ organizationId: auditLog.organizationId, id: auditLog.id })
    .from(auditLog)
    .where(lt(auditLog.occurredAt, before))
    .limit(limit);
  const deleted = await executor
    .delete(auditLog)
    .where(sql`(${auditLog.organizationId}, ${auditLog.id}) in (${old})`)
    .returning({ id: auditLog.id });
  return deleted.length;
}

/**
 * Replaces every value recorded by the actions of one family about one subject (a member's
 * `customer.*` rows when they are anonymized); the field names stay, so the history still says
 * what changed, when and by whom.
 */
export async function eraseRecordedValues(
  executor: Executor,
  organizationId: string,
  subject: { type: string; id: string },
  actions: string,
  erased: string,
): Promise<void> {
  await executor
    .update(auditLog)
    .set({
      changes: sql`coalesce(
        (select jsonb_object_agg(key, ${JSON.stringify(erased)}::jsonb) from jsonb_each(${auditLog.changes})),
        '{}'::jsonb)`,
    })
    .where(
      and(
        eq(auditLog.organizationId, organizationId),
        eq(auditLog.subjectType, subject.type),
        eq(auditLog.subjectId, subject.id),
        actionMatches(actions),
      ),
    );
}
