import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parse } from 'csv-parse';
import { and, asc, eq, gt, or, sql } from 'drizzle-orm';
import type { Db, Executor } from '../../db/connection.ts';
import { newId } from '../../db/ids.ts';
import { afterCursor, fetchSize, type PageRequest } from '../../db/pagination.ts';
import { transaction } from '../../db/transaction.ts';
import { emailKey, isUuid } from '../../domain/customers.ts';
import { AppError, type FieldError, notFound } from '../../errors.ts';
import type { CreateCustomerBody } from './contract.ts';
import { type ColumnPlan, parseMapping, planColumns, rowToInput } from './csv-columns.ts';
import { type Customer, type CustomerValues, changedFields, normalizeCustomerInput } from './input.ts';
import { customerImportErrors, customerImports, type ImportMode } from './schema.ts';
import type { ProgramContext } from './service.ts';
import * as store from './store.ts';
import { clashMessage, insertCustomers, type UniqueField, uniqueClash, updateCustomer } from './writes.ts';

export type CustomerImport = typeof customerImports.$inferSelect;
export type CustomerImportError = typeof customerImportErrors.$inferSelect;

export interface ImportOptions {
  mode: ImportMode;
  /** `Header:field;Header:field`; headers named like a field need no entry. */
  mapping?: string | undefined;
  /** `,` `;` or a tab; detected from the header row when absent. */
  delimiter?: string | undefined;
}

/** Rows handled per batch: one multi-row insert and one progress update each. */
export const IMPORT_CHUNK_SIZE = 500;
/** How many row errors the job document shows; errors.csv has them all. */
export const JOB_ERRORS_SHOWN = 100;
const GENERATED_CODE_ATTEMPTS = 5;

interface RowProblem {
  field: string | null;
  reason: string;
}

type Outcome =
  | { row: number; kind: 'created' | 'updated' | 'unchanged' }
  | { row: number; kind: 'failed'; problems: RowProblem[] };

/** A row that passed validation: its normalized values and the keys it can clash or match on. */
interface ValidRow {
  row: number;
  input: CreateCustomerBody;
  values: CustomerValues;
  keys: Partial<Record<Exclude<UniqueField, 'referralCode'>, string>>;
}

const UNIQUE_FIELDS = ['email', 'phone', 'loyaltyCardNumber', 'externalId'] as const;
/** What `mode=upsert` finds an existing member by, in this order. */
const UPSERT_KEYS = ['externalId', 'email', 'phone'] as const;

function keysOf(values: CustomerValues): ValidRow['keys'] {
  const keys: ValidRow['keys'] = {};
  if (values.email) keys.email = emailKey(values.email);
  if (values.phone) keys.phone = values.phone;
  if (values.loyaltyCardNumber) keys.loyaltyCardNumber = values.loyaltyCardNumber;
  if (values.externalId) keys.externalId = values.externalId;
  return keys;
}

function keyOf(customer: Customer, field: (typeof UNIQUE_FIELDS)[number]): string | null {
  if (field === 'email') return customer.email === null ? null : emailKey(customer.email);
  return customer[field];
}

const problems = (errors: FieldError[]): RowProblem[] =>
  errors.map((error) => ({ field: error.path, reason: error.message }));

/**
 * Reads the header line to choose the delimiter (the most frequent of `,` `;` and tab), then
 * hands on every byte, the header included. Only the first line is held, never the file.
 */
async function sniffDelimiter(
  source: AsyncIterable<Buffer | string>,
): Promise<{ delimiter: string; stream: AsyncIterable<Buffer> }> {
  const iterator = source[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let size = 0;
  let firstLine = '';
  for (;;) {
    const next = await iterator.next();
    if (next.done) break;
    const chunk = typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
    head.push(chunk);
    size += chunk.length;
    const text = Buffer.concat(head).toString('utf8');
    const newline = text.indexOf('\n');
    if (newline !== -1 || size > 64 * 1024) {
      firstLine = newline === -1 ? text : text.slice(0, newline);
      break;
    }
    firstLine = text;
  }
  const count = (char: string) => firstLine.split(char).length - 1;
  const delimiter = [';', '\t'].reduce((best, char) => (count(char) > count(best) ? char : best), ',');
  async function* rest() {
    yield* head;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
    }
  }
  return { delimiter, stream: rest() };
}

export function createCustomerImports(
  db: Db,
  programOf: (organizationId: string) => Promise<ProgramContext>,
) {
  async function getJob(
    organizationId: string,
    id: string,
    executor: Executor = db,
  ): Promise<CustomerImport> {
    if (!isUuid(id)) throw notFound('customer import');
    const [job] = await executor
      .select()
      .from(customerImports)
      .where(
        and(eq(customerImports.organizationId, organizationId), eq(customerImports.id, id.toLowerCase())),
      );
    if (!job) throw notFound('customer import');
    return job;
  }

  /**
   * Works out, for rows that passed validation, what each would do against the members in the
   * database (create, update, or fail on a clash), then does it: one multi-row insert for the
   * new members, one update per changed member, an event for each. Runs inside `tx`; throws on a
   * database error, and the caller then retries the rows one by one.
   */
  async function applyRows(
    tx: Executor,
    organizationId: string,
    importId: string,
    rows: ValidRow[],
    mode: ImportMode,
    program: ProgramContext,
  ): Promise<Outcome[]> {
    const sets: store.IdentifierSets = { emailKeys: [], phones: [], loyaltyCardNumbers: [], externalIds: [] };
    const references = { codes: [] as string[], ids: [] as string[] };
    for (const { keys, input } of rows) {
      if (keys.email) sets.emailKeys.push(keys.email);
      if (keys.phone) sets.phones.push(keys.phone);
      if (keys.loyaltyCardNumber) sets.loyaltyCardNumbers.push(keys.loyaltyCardNumber);
      if (keys.externalId) sets.externalIds.push(keys.externalId);
      const reference = input.referredBy?.trim();
      if (reference) (isUuid(reference) ? references.ids : references.codes).push(reference);
    }
    const existing = await store.findByIdentifierSets(tx, organizationId, sets);
    const holders = new Map<string, Customer>();
    for (const customer of existing) {
      for (const field of UNIQUE_FIELDS) {
        const key = keyOf(customer, field);
        if (key !== null) holders.set(`${field}\u0000${key}`, customer);
      }
    }
    const referrers = await store.findReferrers(tx, organizationId, references);

    const outcomes: Outcome[] = [];
    const creates: { row: number; values: CustomerValues; referredBy: string | undefined }[] = [];
    const updates: {
      row: number;
      target: Customer;
      input: CreateCustomerBody;
      referredBy: string | undefined;
    }[] = [];
    for (const { row, input, values, keys } of rows) {
      const holder = (field: (typeof UNIQUE_FIELDS)[number]) => {
        const key = keys[field];
        return key === undefined ? undefined : holders.get(`${field}\u0000${key}`);
      };
      const fail = (field: string, reason: string) =>
        outcomes.push({ row, kind: 'failed', problems: [{ field, reason }] });
      const reference = input.referredBy?.trim();
      const referredBy = reference ? referrers.get(reference) : undefined;
      if (reference && !referredBy) {
        fail('referredBy', 'no member has this referral code or id');
        continue;
      }
      if (mode === 'create') {
        const clash = UNIQUE_FIELDS.find((field) => holder(field));
        if (clash) fail(clash, clashMessage(clash));
        else creates.push({ row, values, referredBy });
        continue;
      }
      let target: Customer | undefined;
      let targetField: string | undefined;
      let ambiguous: string | undefined;
      for (const field of UPSERT_KEYS) {
        const found = holder(field);
        if (!found) continue;
        if (target && found.id !== target.id) {
          ambiguous = `matches another member than the one found by ${targetField}`;
          fail(field, ambiguous);
          break;
        }
        target = found;
        targetField = field;
      }
      if (ambiguous) continue;
      const cardHolder = holder('loyaltyCardNumber');
      if (cardHolder && cardHolder.id !== target?.id)
        fail('loyaltyCardNumber', clashMessage('loyaltyCardNumber'));
      else if (target && referredBy === target.id) fail('referredBy', 'a member cannot refer themself');
      else if (target) updates.push({ row, target, input, referredBy });
      else creates.push({ row, values, referredBy });
    }

    await insertCustomers(
      tx,
      organizationId,
      creates.map(({ values, referredBy }) => ({ values, referredBy })),
      { cardNumberLength: program.cardNumberLength, eventPayload: { importId } },
    );
    for (const { row } of creates) outcomes.push({ row, kind: 'created' });
    const changeFor = (current: Customer, input: CreateCustomerBody, referredBy: string | undefined) => {
      // Read against the member: nested objects and consents merge into theirs.
      const { values } = normalizeCustomerInput(input, {
        country: program.country,
        now: new Date(),
        current,
      });
      // The email it was matched by, in another case, is the same email: keep the member's spelling.
      if (values.email && current.email && emailKey(values.email) === emailKey(current.email))
        delete values.email;
      return referredBy === undefined ? values : { ...values, referredBy };
    };
    for (const { row, target, input, referredBy } of updates) {
      // Most rows of a re-import change nothing: only a member about to change is locked (and
      // read again under the lock, so a concurrent change is not overwritten with stale values).
      if (changedFields(target, changeFor(target, input, referredBy)).length === 0) {
        outcomes.push({ row, kind: 'unchanged' });
        continue;
      }
      const locked = await store.findById(tx, organizationId, target.id, { forUpdate: true });
      if (!locked) {
        outcomes.push({
          row,
          kind: 'failed',
          problems: [{ field: null, reason: 'the member was deleted meanwhile' }],
        });
        continue;
      }
      const { changed } = await updateCustomer(tx, locked, changeFor(locked, input, referredBy), {
        importId,
      });
      outcomes.push({ row, kind: changed.length > 0 ? 'updated' : 'unchanged' });
    }
    return outcomes;
  }

  /** One row in its own transaction: what a chunk falls back to, so one bad row cannot sink the others. */
  async function applyOne(
    organizationId: string,
    importId: string,
    row: ValidRow,
    mode: ImportMode,
    program: ProgramContext,
  ): Promise<Outcome> {
    for (let attempt = 1; ; attempt++) {
      try {
        const [outcome] = await transaction(db, (tx) =>
          applyRows(tx, organizationId, importId, [row], mode, program),
        );
        return outcome!;
      } catch (error) {
        const field = uniqueClash(error);
        const generated =
          field === 'referralCode' || (field === 'loyaltyCardNumber' && row.values.loyaltyCardNumber == null);
        if (generated && attempt < GENERATED_CODE_ATTEMPTS) continue;
        if (field)
          return { row: row.row, kind: 'failed', problems: [{ field, reason: clashMessage(field) }] };
        throw error;
      }
    }
  }

  async function processChunk(
    organizationId: string,
    importId: string,
    records: { row: number; cells: string[] }[],
    plan: ColumnPlan,
    mode: ImportMode,
    program: ProgramContext,
  ): Promise<Outcome[]> {
    const outcomes: Outcome[] = [];
    const batch: ValidRow[] = [];
    const later: ValidRow[] = [];
    const seenKeys = new Set<string>();
    const now = new Date();
    for (const { row, cells } of records) {
      const { input, errors } = rowToInput(cells, plan);
      // The fields the schema accepted still get their own checks, so a row reports all its problems.
      const normalized = normalizeCustomerInput(withoutFields(input, errors), {
        country: program.country,
        now,
      });
      if (errors.length > 0 || normalized.errors.length > 0) {
        outcomes.push({ row, kind: 'failed', problems: problems([...errors, ...normalized.errors]) });
        continue;
      }
      const valid: ValidRow = { row, input, values: normalized.values, keys: keysOf(normalized.values) };
      // A row sharing an identifier with an earlier row of the same chunk waits until that one is
      // committed, then goes alone: it is then a duplicate (create) or an update (upsert) of it.
      const rowKeys = Object.entries(valid.keys).map(([field, key]) => `${field}\u0000${key}`);
      if (rowKeys.some((key) => seenKeys.has(key))) later.push(valid);
      else batch.push(valid);
      for (const key of rowKeys) seenKeys.add(key);
    }
    try {
      outcomes.push(
        ...(await transaction(db, (tx) => applyRows(tx, organizationId, importId, batch, mode, program))),
      );
    } catch (error) {
      // A clash the batch could not foresee (a concurrent writer, a generated code taken):
      // nothing of the batch was written, so each row now goes alone and reports its own problem.
      if (!uniqueClash(error)) throw error;
      for (const row of batch) outcomes.push(await applyOne(organizationId, importId, row, mode, program));
    }
    for (const row of later) outcomes.push(await applyOne(organizationId, importId, row, mode, program));
    return outcomes;
  }

  async function recordProgress(
    organizationId: string,
    importId: string,
    rowsRead: number,
    outcomes: Outcome[],
  ) {
    const count = (kind: Outcome['kind']) => outcomes.filter((outcome) => outcome.kind === kind).length;
    const errorRows = outcomes.flatMap((outcome) =>
      outcome.kind === 'failed'
        ? outcome.problems.map((problem, seq) => ({
            organizationId,
            importId,
            row: outcome.row,
            seq,
            field: problem.field,
            reason: problem.reason,
          }))
        : [],
    );
    await transaction(db, async (tx) => {
      if (errorRows.length > 0) await tx.insert(customerImportErrors).values(errorRows);
      await tx
        .update(customerImports)
        .set({
          rowsRead: sql`${customerImports.rowsRead} + ${rowsRead}`,
          created: sql`${customerImports.created} + ${count('created')}`,
          updated: sql`${customerImports.updated} + ${count('updated')}`,
          unchanged: sql`${customerImports.unchanged} + ${count('unchanged')}`,
          failed: sql`${customerImports.failed} + ${count('failed')}`,
          updatedAt: new Date(),
        })
        .where(and(eq(customerImports.organizationId, organizationId), eq(customerImports.id, importId)));
    });
  }

  async function finish(organizationId: string, importId: string, failure: string | null) {
    // A bulk load leaves the planner's statistics behind (PGlite never refreshes them, PostgreSQL's
    // autovacuum does so a minute later); segment and lookup queries planned on stale statistics
    // can degrade from milliseconds to minutes, so refresh them now.
    await db.execute(sql`analyze customers`);
    await db
      .update(customerImports)
      .set({
        status: failure ? 'failed' : 'completed',
        failure,
        finishedAt: new Date(),
        updatedAt: new Date(),
      })
      .where(and(eq(customerImports.organizationId, organizationId), eq(customerImports.id, importId)));
  }

  return {
    get: getJob,

    list(organizationId: string, page: PageRequest): Promise<CustomerImport[]> {
      return db
        .select()
        .from(customerImports)
        .where(and(eq(customerImports.organizationId, organizationId), afterCursor(customerImports.id, page)))
        .orderBy(asc(customerImports.id))
        .limit(fetchSize(page));
    },

    /** The first row errors of a job, by row. */
    async firstErrors(organizationId: string, importId: string, limit = JOB_ERRORS_SHOWN) {
      return db
        .select()
        .from(customerImportErrors)
        .where(
          and(
            eq(customerImportErrors.organizationId, organizationId),
            eq(customerImportErrors.importId, importId),
          ),
        )
        .orderBy(asc(customerImportErrors.row), asc(customerImportErrors.seq))
        .limit(limit);
    },

    /** Every row error of a job, a page at a time (for errors.csv). */
    async *allErrors(organizationId: string, importId: string, batchSize = 5000) {
      await getJob(organizationId, importId);
      let after: { row: number; seq: number } | undefined;
      for (;;) {
        const rows = await db
          .select()
          .from(customerImportErrors)
          .where(
            and(
              eq(customerImportErrors.organizationId, organizationId),
              eq(customerImportErrors.importId, importId.toLowerCase()),
              after
                ? or(
                    gt(customerImportErrors.row, after.row),
                    and(eq(customerImportErrors.row, after.row), gt(customerImportErrors.seq, after.seq)),
                  )
                : undefined,
            ),
          )
          .orderBy(asc(customerImportErrors.row), asc(customerImportErrors.seq))
          .limit(batchSize);
        yield* rows;
        const last = rows[rows.length - 1];
        if (rows.length < batchSize || !last) return;
        after = { row: last.row, seq: last.seq };
      }
    },

    /**
     * Imports a CSV as it streams in: the header row decides the columns (422 and nothing written
     * if it maps to nothing), then rows are validated, checked and written a chunk at a time.
     * Each row is atomic; the job's counters move after each chunk, so `GET
     * /v1/customer-imports/{id}` shows progress while the upload runs.
     */
    async run(organizationId: string, source: Readable, options: ImportOptions): Promise<CustomerImport> {
      const explicit = parseMapping(options.mapping);
      if (!(explicit instanceof Map)) throw invalid(explicit);
      const program = await programOf(organizationId);
      const sniffed = options.delimiter
        ? { delimiter: options.delimiter, stream: source }
        : await sniffDelimiter(source);
      const parser = parse({
        bom: true,
        delimiter: sniffed.delimiter,
        relax_column_count: true,
        info: true,
        // A parse error would destroy the stream and the good rows buffered before it: instead, note
        // where the file broke, import what came before, and stop there.
        skip_records_with_error: true,
      });
      let broken: { records: number; message: string } | undefined;
      parser.on('skip', (error: Error & { records?: number }) => {
        broken ??= { records: error.records ?? 0, message: error.message };
      });
      const piping = pipeline(sniffed.stream, parser).catch(() => undefined);
      const records = parser[Symbol.asyncIterator]() as AsyncIterator<{
        record: string[];
        info: { records: number };
      }>;

      let header: string[] | undefined;
      try {
        const first = await records.next();
        if (!first.done) header = first.value.record;
      } catch (error) {
        throw invalid({ path: 'body', message: `the CSV cannot be read: ${(error as Error).message}` });
      }
      if (broken?.records === 0) {
        parser.destroy();
        throw invalid({ path: 'body', message: `the header row cannot be read: ${broken.message}` });
      }
      if (!header || header.every((cell) => cell.trim() === '')) {
        parser.destroy();
        throw invalid({ path: 'body', message: 'the CSV is empty; the first row must name the columns' });
      }
      const plan = planColumns(header, explicit);
      if ('path' in plan) {
        parser.destroy();
        throw invalid(plan);
      }

      const importId = newId();
      await db.insert(customerImports).values({
        organizationId,
        id: importId,
        mode: options.mode,
        mapping: plan.mapping,
        ignoredColumns: plan.ignored,
      });

      let chunk: { row: number; cells: string[] }[] = [];
      const flush = async () => {
        const outcomes = await processChunk(organizationId, importId, chunk, plan, options.mode, program);
        await recordProgress(organizationId, importId, chunk.length, outcomes);
        chunk = [];
      };
      try {
        for (;;) {
          const next = await records.next();
          if (next.done) break;
          const { record, info } = next.value;
          // What follows a malformed line cannot be trusted (a stray quote swallows the next lines).
          if (broken && info.records > broken.records) break;
          if (record.every((cell) => cell.trim() === '')) continue;
          chunk.push({ row: info.records, cells: record });
          if (chunk.length >= IMPORT_CHUNK_SIZE) await flush();
        }
        if (chunk.length > 0) await flush();
      } catch (error) {
        // An interrupted upload or a database failure: the rows committed so far stay imported,
        // and the job says it stopped early.
        parser.destroy();
        await piping;
        await finish(
          organizationId,
          importId,
          'the import stopped before the end of the upload; the rows counted were imported',
        );
        throw error;
      }
      parser.destroy();
      await piping;
      await finish(
        organizationId,
        importId,
        broken ? `the CSV is malformed (${broken.message}); the rows after it were not read` : null,
      );
      return getJob(organizationId, importId);
    },
  };
}

/** The input without the top-level fields that already failed the schema. */
function withoutFields(input: CreateCustomerBody, errors: FieldError[]): CreateCustomerBody {
  if (errors.length === 0) return input;
  const copy: Record<string, unknown> = { ...input };
  for (const error of errors) delete copy[error.path.split('.')[0]!];
  return copy as CreateCustomerBody;
}

function invalid(error: FieldError): AppError {
  return new AppError('validation_failed', `${error.path}: ${error.message}`, { errors: [error] });
}

export type CustomerImportsService = ReturnType<typeof createCustomerImports>;
