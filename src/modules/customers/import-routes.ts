import { Type } from 'typebox';
import { AppError } from '../../errors.ts';
import { tenantOf } from '../../http/auth.ts';
import { CsvResponse, sendCsv } from '../../http/csv.ts';
import { Page, PageQuery, pageRequest, toPage } from '../../http/pagination.ts';
import { errorResponses, IdParams, Timestamp, Uuid } from '../../http/schemas.ts';
import { StreamedBody } from '../../http/streamed-body.ts';
import type { App } from '../../http/types.ts';
import { IMPORTABLE_FIELDS } from './csv-columns.ts';
import { type CustomerImport, type CustomerImportError, JOB_ERRORS_SHOWN } from './import.ts';
import { IMPORT_MODES, IMPORT_STATUSES } from './schema.ts';
import type { CustomersService } from './service.ts';

const count = (description: string) => Type.Integer({ minimum: 0, description, examples: [990] });

const RowError = Type.Object({
  row: Type.Integer({
    description: 'Row in the file as a spreadsheet numbers it: the header is row 1',
    examples: [14],
  }),
  field: Type.Union([Type.String(), Type.Null()], {
    description: 'The customer field at fault (`email`, `address.country`); null for the whole row',
    examples: ['email'],
  }),
  reason: Type.String({ description: 'What is wrong', examples: ['must match format "email"'] }),
});

const CustomerImportSchema = Type.Object(
  {
    id: Uuid('Import id'),
    status: Type.Enum([...IMPORT_STATUSES], {
      description: '`running` while rows are read; then `completed`, or `failed` with `failure`',
    }),
    mode: Type.Enum([...IMPORT_MODES], { description: 'create or upsert' }),
    mapping: Type.Record(Type.String(), Type.String(), {
      description: 'CSV header → customer field, as applied',
      examples: [{ 'E-mail': 'email', Tel: 'phone' }],
    }),
    ignoredColumns: Type.Array(Type.String(), { description: 'Headers that map to no field (not imported)' }),
    rowsRead: count('Member rows read so far (the header and blank lines not counted)'),
    created: count('Members created'),
    updated: count('Existing members changed (upsert)'),
    unchanged: count('Rows that matched a member and changed nothing (upsert)'),
    failed: count('Rows not imported; see errors'),
    failure: Type.Union([Type.String(), Type.Null()], {
      description: 'Why the import stopped before the end of the file; null otherwise',
    }),
    errors: Type.Array(RowError, {
      description: `The first ${JOB_ERRORS_SHOWN} row errors, by row; errors.csv has them all`,
    }),
    createdAt: Timestamp('When the upload started'),
    updatedAt: Timestamp('Last progress'),
    finishedAt: Type.Union([Timestamp('When it finished'), Type.Null()]),
  },
  { $id: 'CustomerImport' },
);

const ImportQuery = Type.Object({
  mode: Type.Optional(
    Type.Enum([...IMPORT_MODES], {
      default: 'create',
      description:
        '`create`: rows whose email, phone, card number or external id a member already has are reported as errors. ' +
        '`upsert`: such rows update that member (found by externalId, then email, then phone); empty cells never erase.',
    }),
  ),
  mapping: Type.Optional(
    Type.String({
      maxLength: 4000,
      description:
        `CSV header → field, as \`Header:field;Header:field\`. Headers named like a field (any case, ` +
        `\`first_name\` = \`firstName\`) need no entry. Fields: ${IMPORTABLE_FIELDS.join(', ')}`,
      examples: ['E-mail:email;Teléfono:phone;Tarjeta:loyaltyCardNumber'],
    }),
  ),
  delimiter: Type.Optional(
    Type.Enum([',', ';', 'tab'], { description: 'Cell delimiter; detected from the header row when absent' }),
  ),
});

function presentRowError(error: CustomerImportError) {
  return { row: error.row, field: error.field, reason: error.reason };
}

function presentImport(job: CustomerImport, errors: CustomerImportError[]) {
  return {
    id: job.id,
    status: job.status,
    mode: job.mode,
    mapping: job.mapping,
    ignoredColumns: job.ignoredColumns,
    rowsRead: job.rowsRead,
    created: job.created,
    updated: job.updated,
    unchanged: job.unchanged,
    failed: job.failed,
    failure: job.failure,
    errors: errors.map(presentRowError),
    createdAt: job.createdAt.toISOString(),
    updatedAt: job.updatedAt.toISOString(),
    finishedAt: job.finishedAt?.toISOString() ?? null,
  };
}

/** The CSV body, as the parser above leaves it (any other content type is refused before the handler). */
function uploadOf(body: unknown): StreamedBody {
  if (!(body instanceof StreamedBody)) {
    throw new AppError('unsupported_media_type', 'send the CSV as the body with Content-Type: text/csv');
  }
  return body;
}

export function importRoutes(app: App, customers: CustomersService) {
  const imports = customers.imports;
  app.addSchema(CustomerImportSchema);
  const ImportRef = Type.Ref('CustomerImport');
  const tags = ['customers'];

  // The CSV parser lives in this plugin only, so no other route accepts text/csv.
  app.register(async (scope: App) => {
    // Leave the body unread: the handler streams it into the CSV parser (the upload is never buffered),
    // hashed on the way for Idempotency-Key.
    scope.addContentTypeParser(['text/csv', 'application/csv'], (_request, payload, done) =>
      done(null, new StreamedBody(payload)),
    );

    scope.post(
      '/v1/customers/import',
      {
        config: { scope: 'integration' },
        schema: {
          tags,
          summary: 'Import members from a CSV upload (Content-Type: text/csv), streamed',
          description:
            'The first row names the columns. Each row is imported whole or not at all; rows with problems are ' +
            'reported (row number, field, reason) and the others go in. Answers when the upload is processed; ' +
            'GET /v1/customer-imports/{id} shows progress meanwhile.',
          querystring: ImportQuery,
          consumes: ['text/csv'],
          response: { 201: ImportRef, ...errorResponses(401, 415, 422) },
        },
      },
      async (request, reply) => {
        const upload = uploadOf(request.body);
        const organizationId = tenantOf(request).organizationId;
        const { mode = 'create', mapping, delimiter } = request.query;
        const job = await imports.run(organizationId, upload, {
          mode,
          mapping,
          delimiter: delimiter === 'tab' ? '\t' : delimiter,
        });
        const errors = await imports.firstErrors(organizationId, job.id);
        return reply
          .code(201)
          .header('location', `/v1/customer-imports/${job.id}`)
          .send(presentImport(job, errors));
      },
    );
  });

  app.get(
    '/v1/customer-imports',
    {
      config: { scope: 'integration' },
      schema: {
        tags,
        summary: 'List CSV imports, oldest first',
        querystring: Type.Object(PageQuery),
        response: { 200: Page(ImportRef), ...errorResponses(401, 422) },
      },
    },
    async (request) => {
      const organizationId = tenantOf(request).organizationId;
      const page = pageRequest(request.query);
      const result = toPage(await imports.list(organizationId, page), page, (row) => row.id);
      const data = [];
      for (const job of result.data)
        data.push(presentImport(job, await imports.firstErrors(organizationId, job.id)));
      return { data, nextCursor: result.nextCursor };
    },
  );

  app.get(
    '/v1/customer-imports/:id',
    {
      config: { scope: 'integration' },
      schema: {
        tags,
        summary: 'An import: its progress and its first row errors',
        params: IdParams,
        response: { 200: ImportRef, ...errorResponses(401, 404) },
      },
    },
    async (request) => {
      const organizationId = tenantOf(request).organizationId;
      const job = await imports.get(organizationId, request.params.id);
      return presentImport(job, await imports.firstErrors(organizationId, job.id));
    },
  );

  app.get(
    '/v1/customer-imports/:id/errors.csv',
    {
      config: { scope: 'integration' },
      schema: {
        tags,
        summary: 'Every row error of an import as CSV (row, field, reason), streamed',
        params: IdParams,
        produces: ['text/csv'],
        response: {
          200: CsvResponse,
          ...errorResponses(401, 404),
        },
      },
    },
    async (request, reply) => {
      const organizationId = tenantOf(request).organizationId;
      const job = await imports.get(organizationId, request.params.id);
      return sendCsv(request, reply, {
        columns: ['row', 'field', 'reason'],
        rows: (async function* () {
          for await (const error of imports.allErrors(organizationId, job.id)) {
            yield [String(error.row), error.field ?? '', error.reason];
          }
        })(),
        filename: `customer-import-${job.id}-errors.csv`,
        what: 'import errors export',
      });
    },
  );
}
