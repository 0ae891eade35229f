import { type Static, Type } from 'typebox';
import { tenantOf } from '../../http/auth.ts';
import { CsvResponse, sendCsv } from '../../http/csv.ts';
import { Page, PageQuery, pageRequest, toPage } from '../../http/pagination.ts';
import { errorResponses, Timestamp, Uuid } from '../../http/schemas.ts';
import type { App } from '../../http/types.ts';
import { AUDIT_ACTOR_TYPES } from './schema.ts';
import type { AuditService } from './service.ts';
import type { AuditFilter, AuditRow } from './store.ts';

const Nullable = <T extends ReturnType<typeof Type.String>>(schema: T) => Type.Union([schema, Type.Null()]);

const ActorType = Type.Enum(AUDIT_ACTOR_TYPES, {
  description:
    'api_key, staff (a staff user), member (on their own account), system (jobs, the CLI), master (the platform master key)',
});

const AuditEntrySchema = Type.Object(
  {
    id: Uuid('Audit entry id (time-ordered)'),
    occurredAt: Timestamp('When the change was made'),
    actor: Type.Object({
      type: ActorType,
      id: Type.Union([Type.String(), Type.Null()], {
        description: "The key's, staff user's or member's id; null for system and master",
      }),
    }),
    ip: Nullable(Type.String({ description: 'Where the request came from; null outside a request' })),
    userAgent: Nullable(Type.String({ description: "The request's User-Agent" })),
    requestId: Nullable(Type.String({ description: "The request's id (its X-Request-Id answer header)" })),
    action: Type.String({ description: 'What was done', examples: ['customer.updated'] }),
    subject: Type.Object({
      type: Type.String({ description: 'Kind of thing changed', examples: ['customer'] }),
      id: Type.String({ description: 'Its id' }),
    }),
    changes: Type.Record(Type.String(), Type.Unknown(), {
      description:
        '`{ field: { before, after } }` where the change knows both, else what the change carried; secrets read `[redacted]`',
      examples: [{ firstName: { before: 'Bruce', after: 'Bruno' } }],
    }),
  },
  { $id: 'AuditEntry' },
);

const Filters = {
  actorType: Type.Optional(ActorType),
  actorId: Type.Optional(Uuid('Only changes by this API key, staff user or member')),
  subjectType: Type.Optional(
    Type.String({
      maxLength: 100,
      description: 'Only changes to this kind of thing',
      examples: ['customer'],
    }),
  ),
  subjectId: Type.Optional(Type.String({ maxLength: 200, description: 'Only changes to this one' })),
  action: Type.Optional(
    Type.String({
      maxLength: 100,
      pattern: '^[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)*(\\.\\*)?$',
      description: 'An action (`customer.updated`) or a family of them (`customer.*`)',
      examples: ['earning_rule.*'],
    }),
  ),
  from: Type.Optional(Timestamp('Only changes made at or after this moment')),
  to: Type.Optional(Timestamp('Only changes made at or before this moment')),
};

const ListQuery = Type.Object({ ...PageQuery, ...Filters });
const ExportQuery = Type.Object(Filters);

const CSV_COLUMNS = [
  'id',
  'occurredAt',
  'actorType',
  'actorId',
  'ip',
  'userAgent',
  'requestId',
  'action',
  'subjectType',
  'subjectId',
  'changes',
] as const;

function toFilter(query: Static<typeof ExportQuery>): AuditFilter {
  return {
    ...query,
    from: query.from === undefined ? undefined : new Date(query.from),
    to: query.to === undefined ? undefined : new Date(query.to),
  };
}

function presentEntry(row: AuditRow) {
  return {
    id: row.id,
    occurredAt: row.occurredAt.toISOString(),
    actor: { type: row.actorType, id: row.actorId },
    ip: row.ip,
    userAgent: row.userAgent,
    requestId: row.requestId,
    action: row.action,
    subject: { type: row.subjectType, id: row.subjectId },
    changes: row.changes,
  };
}

function csvCells(row: AuditRow): string[] {
  return [
    row.id,
    row.occurredAt.toISOString(),
    row.actorType,
    row.actorId ?? '',
    row.ip ?? '',
    row.userAgent ?? '',
    row.requestId ?? '',
    row.action,
    row.subjectType,
    row.subjectId,
    JSON.stringify(row.changes),
  ];
}

const FILTERS_DESCRIPTION =
  'Every change to the configuration (organization, locations, point types, earning rules, tiers, segments, ' +
  'rewards, webhook endpoints), to API keys, staff and members, and every manual points operation: who, from ' +
  'where, what. Newest first; filters combine.';

export function auditRoutes(app: App, audit: AuditService) {
  app.addSchema(AuditEntrySchema);
  const tags = ['audit log'];

  app.get(
    '/v1/audit-log',
    {
      config: { scope: 'read' },
      schema: {
        tags,
        summary: "The organization's audit log, newest first",
        description: FILTERS_DESCRIPTION,
        querystring: ListQuery,
        response: { 200: Page(Type.Ref('AuditEntry')), ...errorResponses(401, 422) },
      },
    },
    async (request) => {
      const page = pageRequest(request.query);
      const rows = await audit.list(tenantOf(request).organizationId, toFilter(request.query), page);
      const result = toPage(rows, page, (row) => row.id);
      return { data: result.data.map(presentEntry), nextCursor: result.nextCursor };
    },
  );

  app.get(
    '/v1/audit-log.csv',
    {
      config: { scope: 'read' },
      schema: {
        tags,
        summary: 'The audit log (or the filtered part) as CSV, newest first, streamed',
        description: `${FILTERS_DESCRIPTION} Columns: ${CSV_COLUMNS.join(', ')} (changes as JSON).`,
        querystring: ExportQuery,
        produces: ['text/csv'],
        response: { 200: CsvResponse, ...errorResponses(401, 422) },
      },
    },
    async (request, reply) => {
      const rows = audit.iterate(tenantOf(request).organizationId, toFilter(request.query));
      return sendCsv(request, reply, {
        columns: CSV_COLUMNS,
        rows: (async function* () {
          for await (const row of rows) yield csvCells(row);
        })(),
        filename: 'audit-log.csv',
        what: 'audit log export',
      });
    },
  );
}
