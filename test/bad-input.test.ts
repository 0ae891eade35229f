import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Json,
  PLACEHOLDERS,
  type Placeholder,
  type Upload,
  VALID_BODIES,
  VALID_UPLOADS,
} from './fixtures/valid-bodies.ts';
import {
  createTestContext,
  expectStatus,
  masterHeaders,
  type TestContext,
  type TestOrganization,
} from './support/context.ts';
import { dinner, rewardsApi } from './support/rewards.ts';

/**
 * No 5xx from anything a client can send. Every documented operation is called with requests
 * built from its own OpenAPI schema: plausible values (required fields, enums, formats, patterns,
 * per-type settings), half of the time with one of them — at any depth — replaced by a hostile one
 * (strings where numbers go, huge numbers, dates that do not exist, deep nesting, NUL); path and
 * query values that are ids of real things (so that requests get past "not found" into the
 * handlers), ids of nothing, or garbage; and bodies that are not JSON at all. Whatever comes back
 * must be a 2xx, a 3xx or a 4xx, never a 5xx.
 *
 * A body built from the schema alone seldom passes validation and the business checks together,
 * so for the operations of test/fixtures/valid-bodies.ts most runs start from one of its valid
 * bodies (the module tests' and the vendors' own examples, with real ids) and change one field
 * of it: to a hostile value, to another value its schema allows, or away. The CSV import starts
 * likewise from valid uploads, with a cell, a row or the way the file is written changed.
 *
 * Most runs put in the path the ids of the things it names, together (a location and one of its
 * brands, an endpoint and one of its deliveries), the others each value on its own. An operation
 * that uses up what its path names (a delete, a coupon's use, a reservation's commit: `FRESH`)
 * gets a new one for each run, made through the API: otherwise only its first run would get past
 * "not found" or "already used".
 *
 * The seed is fixed so that a run is repeatable; `FUZZ_SEED` and `FUZZ_RUNS` explore further
 * (`FUZZ_RUNS=500 FUZZ_SEED=$RANDOM npx vitest run test/bad-input.test.ts`).
 */

const RUNS = Number(process.env.FUZZ_RUNS ?? 40);
const SEED = Number(process.env.FUZZ_SEED ?? 20261205);
/**
 * A refusal lists at most 20 fields, so its body stays small whatever was sent (a 400 KB body once
 * answered 79.5 MB). And no refusal takes long: one of 20,000 wrong items took 8.6 s. The bound is
 * loose because the machine may be busy; bench/hostile-input.ts measures the event loop's stalls.
 */
const MAX_PROBLEM_BYTES = 16 * 1024;
const MAX_REFUSAL_MS = 2_000;
/** `FUZZ_REPORT=1` prints, per operation, the share of runs that got a 2xx (that reached the end). */
const REPORT = process.env.FUZZ_REPORT === '1';

interface Schema {
  type?: string | string[];
  properties?: Record<string, Schema>;
  items?: Schema;
  enum?: unknown[];
  const?: unknown;
  format?: string;
  pattern?: string;
  minimum?: number;
  exclusiveMinimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  required?: string[];
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  if?: Schema;
  then?: Schema;
  $ref?: string;
}

interface Parameter {
  in: 'path' | 'query' | 'header';
  name: string;
  schema?: Schema;
}

interface Operation {
  parameters?: Parameter[];
  requestBody?: { content?: Record<string, { schema?: Schema }> };
}

interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, Schema> };
}

/** Values that have broken parsers, casts and arithmetic somewhere, whatever the field. */
const hostileValue = fc.constantFrom<unknown>(
  null,
  '',
  ' ',
  'x'.repeat(5000),
  '\u0000',
  'ñ😀',
  "'; drop table customers; --",
  -1,
  0,
  1.5,
  2 ** 53 + 1,
  -(2 ** 63),
  1e308,
  'NaN',
  '2026-13-45T25:61:00Z',
  '0000-00-00',
  '+99999-01-01T00:00:00Z',
  true,
  [],
  {},
  [[[[[[[[[[]]]]]]]]]],
  { $gt: '' },
  '00000000-0000-0000-0000-000000000000',
  // Half of a UTF-16 surrogate pair: PostgreSQL refuses it, the embedded engine stores U+FFFD.
  '\ud800',
  'a\udc00b',
  nested(40),
  // Thousands of items that each fail a union's every branch: Ajv's allErrors listed them all.
  Array.from({ length: 20_000 }, (_, index) => index),
);

/** Arrays inside arrays, `levels` deep (built without recursion). */
function nested(levels: number): unknown[] {
  let value: unknown[] = [];
  for (let level = 1; level < levels; level++) value = [value];
  return value;
}

/** Ids of things that exist, made afresh for each operation: path and body values that reach handlers. */
const realIds: string[] = [];
const realId = fc.constant(null).chain(() => fc.constantFrom(...realIds));
/** What every operation gets; the other things only the operations whose path or bodies name them. */
const BASIC_THINGS = ['organization', 'member', 'location', 'ticket', 'reward', 'pointType'] as const;
type RealThing =
  | (typeof BASIC_THINGS)[number]
  | Placeholder
  | 'earningRule'
  | 'rewardCategory'
  | 'coupon'
  | 'redemption'
  | 'entry'
  | 'webhookEndpoint'
  | 'apiKey'
  | 'unassignedTicket'
  | 'cardToken'
  | 'delivery'
  | 'customerImport';
const realThings = new Map<RealThing, string>();
/** The real thing a field names (`customerId` → the member), now and then any other real id. */
const real = (thing: RealThing) =>
  fc.oneof({ arbitrary: fc.constant(null).map(() => realThings.get(thing)!), weight: 3 }, realId);

/** Path segments and query values: nothing's id, not an id, or garbage. */
const hostileText = fc.oneof(
  fc.constantFrom(
    '00000000-0000-0000-0000-000000000000',
    '0190b1a4-2c7e-7d4e-9b1a-3f6c2d8e9a10',
    'not-an-id',
    '%00',
    '%E0%A4%A',
    '..%2F..%2Fetc',
    '-1',
    '1e400',
    'true',
    '9'.repeat(40),
    'x'.repeat(3000),
  ),
  fc.string({ maxLength: 40 }).map(encodeURIComponent),
);

function resolve(document: OpenApiDocument, schema: Schema): Schema {
  if (!schema.$ref) return schema;
  const name = schema.$ref.replace('#/components/schemas/', '');
  return document.components?.schemas?.[name] ?? {};
}

/** Fields whose valid values a schema cannot say (a real code, a real phone number). */
const KNOWN_FIELDS: Record<string, fc.Arbitrary<unknown>> = {
  currency: fc.constantFrom('EUR', 'EUR', 'USD'),
  customerId: real('member'),
  locationId: real('location'),
  pointTypeId: real('pointType'),
  rewardId: real('reward'),
  transactionId: real('ticket'),
  language: fc.constantFrom('es', 'en', 'ca'),
  phone: fc.integer({ min: 0, max: 999_999 }).map((n) => `+34600${String(n).padStart(6, '0')}`),
  country: fc.constantFrom('ES', 'MX', 'FR'),
};

/** Query parameters whose valid values a schema cannot say: the fields', and a member's identifier. */
const QUERY_FIELDS: Record<string, fc.Arbitrary<unknown>> = {
  ...KNOWN_FIELDS,
  identifier: fc.oneof(real('member'), fc.constant('786GHJKL323')),
};

/**
 * An object schema whose allOf holds `if: {properties: {type: …}}, then: {…}` rules (settings that
 * depend on a type) as one plain schema per rule: the `if`'s conditions and the `then`'s properties.
 */
function branchesOf(schema: Schema): Schema[] {
  const { allOf = [], ...base } = schema;
  const branches = allOf
    .filter((rule) => rule.if?.properties && rule.then)
    .map((rule) => ({
      ...base,
      properties: { ...base.properties, ...rule.if!.properties, ...rule.then!.properties },
      required: [...(base.required ?? []), ...(rule.then!.required ?? [])],
    }));
  return branches.length > 0 ? branches : [base];
}

/** A value that fits the schema, most of the time: past validation is where handlers break. */
function plausible(document: OpenApiDocument, raw: Schema, depth = 0): fc.Arbitrary<unknown> {
  const schema = resolve(document, raw);
  if (depth > 16) return fc.constant(null);
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives)
    return fc.oneof(...alternatives.map((alternative) => plausible(document, alternative, depth + 1)));
  if (schema.allOf && schema.properties)
    return fc.oneof(...branchesOf(schema).map((branch) => plausible(document, branch, depth + 1)));
  if (schema.allOf) return plausible(document, Object.assign({}, ...schema.allOf), depth + 1);
  if (schema.properties) {
    const fields = Object.fromEntries(
      Object.entries(schema.properties).map(([name, field]) => [
        name,
        KNOWN_FIELDS[name] ?? plausible(document, field, depth + 1),
      ]),
    );
    return fc.record(fields, { requiredKeys: (schema.required ?? []).filter((name) => name in fields) });
  }
  if (schema.items) {
    const minLength = schema.minItems ?? 0;
    return fc.array(plausible(document, schema.items, depth + 1), { minLength, maxLength: minLength + 3 });
  }
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  const low = schema.minimum ?? (schema.exclusiveMinimum === undefined ? -1000 : schema.exclusiveMinimum + 1);
  const high = schema.maximum ?? Math.max(low, 0) + 1_000_000;
  switch (type) {
    case 'integer':
    case 'number':
      return fc.integer({ min: Math.ceil(low), max: Math.floor(high) });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'string':
      return plausibleString(schema);
    case 'object':
      return fc.dictionary(fc.string({ maxLength: 10 }), fc.oneof(fc.string(), fc.integer()), { maxKeys: 3 });
    default:
      // Fields a custom check validates (points as a number or a decimal string): either kind.
      return fc.oneof(
        fc.integer({ min: -10, max: 100_000 }),
        fc.constantFrom('12.34', '0.5', '7'),
        fc.string(),
      );
  }
}

function plausibleString(schema: Schema): fc.Arbitrary<string> {
  switch (schema.format) {
    case 'uuid':
      return fc.oneof(realId, fc.uuid());
    case 'date-time':
      return fc
        .date({ min: new Date('1900-01-01'), max: new Date('2200-01-01'), noInvalidDate: true })
        .map((date) => date.toISOString());
    case 'date':
      return fc.constantFrom('2026-02-28', '2024-02-29', '1999-12-31');
    case 'email':
      return fc.emailAddress();
    case 'uri':
      return fc.webUrl();
  }
  if (schema.pattern)
    return fc.stringMatching(new RegExp(schema.pattern)).filter((text) => text.length < 200);
  const minLength = schema.minLength ?? 0;
  return fc.string({ minLength, maxLength: Math.max(minLength, Math.min(schema.maxLength ?? 30, 30)) });
}

/** As a replacement: the node taken out (a field gone, an item fewer). */
const GONE = Symbol('gone');

/** The value with the node at `index` (counted depth first, modulo their number) replaced. */
function replaceNode(value: unknown, index: number, replacement: unknown): unknown {
  const nodes: Array<{ parent: Record<string, unknown> | unknown[]; key: string | number }> = [];
  const visit = (node: unknown) => {
    if (node === null || typeof node !== 'object') return;
    for (const [key, child] of Object.entries(node)) {
      nodes.push({ parent: node as Record<string, unknown>, key: Array.isArray(node) ? Number(key) : key });
      visit(child);
    }
  };
  const copy = structuredClone(value);
  visit(copy);
  if (nodes.length === 0) return replacement;
  const { parent, key } = nodes[index % nodes.length]!;
  if (replacement !== GONE) (parent as Record<string | number, unknown>)[key] = replacement;
  else if (Array.isArray(parent)) parent.splice(key as number, 1);
  else delete parent[key];
  return copy;
}

/** A plausible request body, half of the time with one field (at any depth) holding a hostile value. */
function bodyFor(document: OpenApiDocument, schema: Schema): fc.Arbitrary<unknown> {
  return plausible(document, schema).chain((value) =>
    fc.oneof(
      fc.constant(value),
      fc.tuple(fc.nat(), hostileValue).map(([index, hostile]) => replaceNode(value, index, hostile)),
    ),
  );
}

let unique = 0;

/** Six digits no other run had: for names, codes and document numbers that must not repeat. */
function uniqueDigits(): string {
  return String(unique++ % 1_000_000).padStart(6, '0');
}

/** A text with its placeholders filled: the real things' ids, and `digits` for `<unique>`. */
function fillText(value: string, digits: string): string {
  return value.replace(/<(\w+)>/g, (placeholder, name: string) => {
    if (name === 'unique') return digits;
    return (PLACEHOLDERS as readonly string[]).includes(name)
      ? realThings.get(name as Placeholder)!
      : placeholder;
  });
}

/** A valid body with its placeholders filled: the real things' ids, and six digits of its own. */
function fill(base: Json): Json {
  const digits = uniqueDigits();
  const walk = (value: Json): Json => {
    if (typeof value === 'string') return fillText(value, digits);
    if (Array.isArray(value)) return value.map(walk);
    if (value !== null && typeof value === 'object')
      return Object.fromEntries(Object.entries(value).map(([key, child]) => [key, walk(child)]));
    return value;
  };
  return walk(base);
}

/** The schema's properties at the top, those of its per-type rules included. */
function topProperties(document: OpenApiDocument, schema: Schema | undefined): Record<string, Schema> {
  if (!schema) return {};
  const resolved = resolve(document, schema);
  return Object.assign({}, ...branchesOf(resolved).map((branch) => branch.properties ?? {}));
}

/**
 * A valid body as it is, or with one change: a field (at any depth) hostile or gone, or a field at
 * the top (one the body has or not) set to another value its schema allows.
 */
function oneChange(
  document: OpenApiDocument,
  schema: Schema | undefined,
  valid: Json,
): fc.Arbitrary<unknown> {
  const properties = Object.entries(topProperties(document, schema));
  const changes: Array<fc.WeightedArbitrary<unknown>> = [
    { arbitrary: fc.constant(valid), weight: 2 },
    {
      arbitrary: fc
        .tuple(fc.nat(), hostileValue)
        .map(([index, hostile]) => replaceNode(valid, index, hostile)),
      weight: 3,
    },
    { arbitrary: fc.nat().map((index) => replaceNode(valid, index, GONE)), weight: 1 },
  ];
  if (properties.length > 0 && valid !== null && typeof valid === 'object' && !Array.isArray(valid))
    changes.push({
      arbitrary: fc
        .constantFrom(...properties)
        .chain(([name, field]) =>
          (KNOWN_FIELDS[name] ?? plausible(document, field)).map((other) => ({ ...valid, [name]: other })),
        ),
      weight: 2,
    });
  return fc.oneof(...changes);
}

/** An upload with its placeholders filled, with six digits of its own for all its `<unique>`s. */
function fillUpload(upload: Upload): Upload {
  const digits = uniqueDigits();
  return {
    query: Object.fromEntries(
      Object.entries(upload.query).map(([name, value]) => [name, fillText(value, digits)]),
    ),
    rows: upload.rows.map((row) => row.map((cell) => fillText(cell, digits))),
  };
}

/** Cell texts that have broken CSV readers, besides the hostile values: quotes, separators, line ends. */
const hostileCell = fc.oneof(
  hostileValue.map((value) => (typeof value === 'string' ? value : JSON.stringify(value))),
  fc.constantFrom(
    '"',
    'a"b',
    '"unclosed',
    'two\nlines',
    '\r\n',
    ',',
    ';',
    '\t',
    '\uFEFF',
    '=1+1',
    ' padded ',
  ),
);

/**
 * A valid upload's rows as they are, or with one change: a cell (of the header too) hostile, a
 * cell fewer or more in a row, a row repeated or gone.
 */
function rowsChange(rows: string[][]): fc.Arbitrary<string[][]> {
  const changed = (index: number, change: (cells: string[]) => string[]) =>
    rows.map((cells, i) => (i === index % rows.length ? change(cells) : cells));
  return fc.oneof(
    { arbitrary: fc.constant(rows), weight: 2 },
    {
      arbitrary: fc
        .tuple(fc.nat(), fc.nat(), hostileCell)
        .map(([row, column, text]) => changed(row, (cells) => cells.with(column % cells.length, text))),
      weight: 3,
    },
    {
      arbitrary: fc
        .tuple(fc.nat(), fc.nat())
        .map(([row, column]) => changed(row, (cells) => cells.toSpliced(column % cells.length, 1))),
      weight: 1,
    },
    {
      arbitrary: fc
        .tuple(fc.nat(), hostileCell)
        .map(([row, text]) => changed(row, (cells) => [...cells, text])),
      weight: 1,
    },
    {
      arbitrary: fc.nat().map((row) => rows.toSpliced(row % rows.length, 0, rows[row % rows.length]!)),
      weight: 1,
    },
    { arbitrary: fc.nat().map((row) => rows.toSpliced(row % rows.length, 1)), weight: 1 },
  );
}

/** The rows as CSV: cells quoted where they must be or (a malformed file) never; with a BOM, with CRLF. */
function csvOf(rows: string[][], delimiter: string, style: { quoted: boolean; crlf: boolean; bom: boolean }) {
  const cell = (text: string) =>
    style.quoted && /["\r\n,;\t]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  const lineEnd = style.crlf ? '\r\n' : '\n';
  const lines = rows.map((cells) => cells.map(cell).join(delimiter));
  return `${style.bom ? '\uFEFF' : ''}${lines.join(lineEnd)}${lineEnd}`;
}

/** The cell delimiter an upload's query names (`tab` for a tab), or the comma. */
const delimiterOf = (query: Record<string, string>) =>
  query.delimiter === 'tab' ? '\t' : (query.delimiter ?? ',');

const queryText = (values: Record<string, string>) =>
  Object.entries(values)
    .map(([name, value]) => `${name}=${encodeURIComponent(value)}`)
    .join('&');

/**
 * A CSV upload made from a valid one: its rows with one change, written one way or another, with
 * its own query most of the time (a mapping names the file's headers) or with one from the schema.
 */
function uploadFor(
  uploads: Upload[],
  schemaQuery: fc.Arbitrary<string>,
): fc.Arbitrary<{ payload: string; contentType: string; query: string }> {
  return fc
    .constantFrom(...uploads)
    .chain((base) => {
      const upload = fillUpload(base);
      const delimiter = delimiterOf(upload.query);
      return fc.record({
        rows: rowsChange(upload.rows),
        delimiter: fc.constant(delimiter),
        style: fc.record({
          quoted: fc.oneof({ arbitrary: fc.constant(true), weight: 4 }, fc.constant(false)),
          crlf: fc.boolean(),
          bom: fc.oneof({ arbitrary: fc.constant(false), weight: 4 }, fc.constant(true)),
        }),
        query: fc.oneof({ arbitrary: fc.constant(queryText(upload.query)), weight: 3 }, schemaQuery),
        contentType: fc.oneof(
          { arbitrary: fc.constant('text/csv'), weight: 4 },
          fc.constantFrom('text/csv; charset=utf-8', 'application/csv', 'application/json'),
        ),
      });
    })
    .map(({ rows, delimiter, style, query, contentType }) => ({
      payload: csvOf(rows, delimiter, style),
      contentType,
      query,
    }));
}

interface Call {
  method: string;
  /** The path's values as made here: each on its own (a real thing's id, nothing's, garbage). */
  pathValues: Record<string, string>;
  /**
   * Whether the things the path names go in instead, that belong together: taken when the call is
   * sent, when those of FRESH operations are made.
   */
  together: boolean;
  query: string;
  payload?: string;
  contentType?: string;
}

const THING_OF_COLLECTION: Record<string, RealThing> = {
  customers: 'member',
  locations: 'location',
  transactions: 'ticket',
  rewards: 'reward',
  'point-types': 'pointType',
  organizations: 'organization',
  'earning-rules': 'earningRule',
  tiers: 'tier',
  segments: 'segment',
  'reward-categories': 'rewardCategory',
  coupons: 'coupon',
  redemptions: 'redemption',
  'webhook-endpoints': 'webhookEndpoint',
  'customer-imports': 'customerImport',
};

const THING_OF_PARAMETER: Record<string, RealThing> = {
  customerId: 'member',
  locationId: 'location',
  rewardId: 'reward',
  organizationId: 'organization',
  entryId: 'entry',
  brandId: 'brand',
  keyId: 'apiKey',
  token: 'cardToken',
  // Comeback's scan takes a member's id, phone or email.
  identifier: 'member',
  deliveryId: 'delivery',
};

/** Paths whose `{id}` is a thing of its kind in a particular state. */
const THING_OF_PATH: Record<string, RealThing> = {
  '/v1/transactions/{id}/assign': 'unassignedTicket',
};

/** What a path parameter names: `{customerId}`, or `{id}` right after `/customers/`. */
function thingNamed(path: string, name: string): RealThing | undefined {
  if (name === 'id' && THING_OF_PATH[path]) return THING_OF_PATH[path];
  if (name !== 'id') return THING_OF_PARAMETER[name];
  const collection = /\/([a-z-]+)\/\{id\}/.exec(path)?.[1];
  return collection ? THING_OF_COLLECTION[collection] : undefined;
}

/** A query value: mostly one the schema allows, sometimes garbage; a cursor only rarely (any is refused). */
function queryValue(document: OpenApiDocument, parameter: Parameter): fc.Arbitrary<string | undefined> {
  const text = (value: unknown) =>
    encodeURIComponent(typeof value === 'string' ? value : JSON.stringify(value));
  // A list is the parameter repeated (`kind=earn&kind=spend`).
  const allowed = (QUERY_FIELDS[parameter.name] ?? plausible(document, parameter.schema ?? {})).map(
    (value) => (Array.isArray(value) ? value.map(text).join(`&${parameter.name}=`) : text(value)),
  );
  if (parameter.name === 'cursor')
    return fc.oneof({ arbitrary: fc.constant(undefined), weight: 4 }, { arbitrary: hostileText, weight: 1 });
  return fc.oneof({ arbitrary: allowed, weight: 4 }, { arbitrary: hostileText, weight: 1 });
}

function callsFor(
  document: OpenApiDocument,
  method: string,
  path: string,
  operation: Operation,
): fc.Arbitrary<Call> {
  const parameters = operation.parameters ?? [];
  const inPath = parameters.filter((p) => p.in === 'path');
  const pathValues = fc.record(
    Object.fromEntries(
      inPath.map((p) => {
        // Of another kind, or of a thing that does not go with the path's others.
        const allowed = p.schema?.enum ? fc.constantFrom(...p.schema.enum.map(String)) : realId;
        return [p.name, fc.oneof({ arbitrary: allowed, weight: 3 }, hostileText)];
      }),
    ),
  );
  const together = inPath.some((p) => thingNamed(path, p.name) !== undefined)
    ? fc.oneof({ arbitrary: fc.constant(true), weight: 3 }, fc.constant(false))
    : fc.constant(false);
  const query = fc
    .record(
      Object.fromEntries(
        parameters.filter((p) => p.in === 'query').map((p) => [p.name, queryValue(document, p)]),
      ),
      { requiredKeys: [] },
    )
    .map((values) =>
      Object.entries(values as Record<string, string | undefined>)
        .filter(([, value]) => value !== undefined)
        .map(([name, value]) => `${name}=${value}`)
        .join('&'),
    );
  const key = `${method.toUpperCase()} ${path}`;
  const bodySchema = operation.requestBody?.content?.['application/json']?.schema;
  const bases = VALID_BODIES[key];
  const uploads = VALID_UPLOADS[key];
  const fromSchema = bodySchema ? bodyFor(document, bodySchema) : fc.constant(undefined);
  const value = bases
    ? fc.oneof(
        {
          arbitrary: fc.constantFrom(...bases).chain((base) => oneChange(document, bodySchema, fill(base))),
          weight: 3,
        },
        { arbitrary: fromSchema, weight: 1 },
      )
    : fromSchema;
  let body: fc.Arbitrary<{ payload?: string; contentType?: string; query?: string }> = fc.constant({});
  if (uploads) body = uploadFor(uploads, query);
  else if (bodySchema)
    body = fc.oneof(
      {
        arbitrary: value.map((value) => ({ payload: JSON.stringify(value) })),
        weight: 8,
      },
      {
        arbitrary: fc
          .constantFrom(
            '{"a":',
            'null',
            '[]',
            '"text"',
            '{"a":1}{',
            // Nesting a parser takes over a second to read, and a recursive walk overflows on.
            '['.repeat(200_000),
            `{"a":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_001)}`,
          )
          .map((payload) => ({ payload })),
        weight: 1,
      },
      { arbitrary: fc.constant({ payload: 'a=1', contentType: 'text/plain' }), weight: 1 },
    );
  return fc.record({ pathValues, together, query, body }).map(({ pathValues, together, query, body }) => ({
    method: method.toUpperCase(),
    pathValues: pathValues as Record<string, string>,
    together,
    query: body.query ?? query,
    ...(body.payload === undefined
      ? {}
      : { payload: body.payload, contentType: body.contentType ?? 'application/json' }),
  }));
}

/** The path with its values in, and the query. */
function urlOf(path: string, values: Record<string, string>, query: string): string {
  const filled = path.replace(/\{(\w+)\}/g, (_, name: string) => values[name]!);
  return query ? `${filled}?${query}` : filled;
}

/** Each API's own way of presenting the organization's key; the master key for the organizations API. */
function authorizationFor(path: string, organization: TestOrganization): string {
  if (path.startsWith('/compat/cheerfy')) return `Token ${organization.apiKey}`;
  if (path.startsWith('/compat/comeback')) return organization.apiKey;
  if (path.startsWith('/v1/organizations')) return masterHeaders.authorization;
  return organization.headers.authorization;
}

let realThingsMade = 0;

type Api = ReturnType<typeof rewardsApi>;

/** How to make a thing, given the others (`things`). */
type MakeThing = (
  api: Api,
  things: Map<RealThing, string>,
  organization: TestOrganization,
) => Promise<string>;

/** How to make each thing besides the basic ones, given those; again and again for FRESH (unique names). */
const MAKE_THING: Record<Exclude<RealThing, (typeof BASIC_THINGS)[number]>, MakeThing> = {
  otherMember: (api) => api.member(0),
  brand: async (api, things) =>
    (await api.ok(api.post(`/v1/locations/${things.get('location')}/brands`, { name: 'Burgers' }), 201)).id,
  tier: async (api) =>
    (await api.ok(api.post('/v1/tiers', { name: `Gold ${uniqueDigits()}`, conditionValue: 1000 }), 201)).id,
  segment: async (api) =>
    (
      await api.ok(
        api.post('/v1/segments', {
          name: `Regulars ${uniqueDigits()}`,
          parts: [{ criteria: [{ type: 'transaction_count', min: 1 }] }],
        }),
        201,
      )
    ).id,
  event: async (api) => (await api.ok(api.get('/v1/events?limit=1'), 200)).data[0].id,
  earningRule: async (api) =>
    (
      await api.ok(
        api.post('/v1/earning-rules', { name: '1 per euro', type: 'spend', config: { pointsPerUnit: 1 } }),
        201,
      )
    ).id,
  rewardCategory: async (api) =>
    (await api.ok(api.post('/v1/reward-categories', { name: 'Drinks' }), 201)).id,
  // A gift's: the one kind of coupon that has a delivery status besides being used. Free, so that
  // one made for each run never leaves the member short of points.
  coupon: async (api, things) => {
    const gift = await api.reward({ type: 'gift', name: 'Tote bag', costPoints: 0 });
    const claimed = await api.ok(
      api.post(`/v1/customers/${things.get('member')}/rewards/${gift.id}/claim`, {}),
      201,
    );
    return claimed.coupons[0].id;
  },
  redemption: async (api, things) =>
    (
      await api.ok(
        api.redeem({
          customerId: things.get('member'),
          order: dinner(`FUZZ-RESERVED-${uniqueDigits()}`),
          rewards: [{ rewardId: things.get('reward') }],
          mode: 'reserve',
        }),
        201,
      )
    ).id,
  entry: async (api, things) =>
    (await api.ok(api.get(`/v1/customers/${things.get('member')}/points/history`), 200)).data[0].id,
  webhookEndpoint: async (api) =>
    (await api.ok(api.post('/v1/webhook-endpoints', { url: 'https://crm.example.com/hooks/regulars' }), 201))
      .id,
  // No worker runs here: a replay of the endpoint's own creation leaves a delivery pending.
  delivery: async (api, things) => {
    const endpoint = things.get('webhookEndpoint');
    const [created] = (await api.ok(api.get(`/v1/events?subjectId=${endpoint}&limit=1`), 200)).data;
    await api.ok(api.post(`/v1/webhook-endpoints/${endpoint}/replay`, { sinceEventId: created.id }), 202);
    return (await api.ok(api.get(`/v1/webhook-endpoints/${endpoint}/deliveries?limit=1`), 200)).data[0].id;
  },
  apiKey: async (_, __, organization) => {
    const created = await ctx.app.inject({
      method: 'POST',
      url: `/v1/organizations/${organization.id}/api-keys`,
      headers: masterHeaders,
      payload: { name: 'spare' },
    });
    return created.json().id;
  },
  unassignedTicket: async (api) =>
    (await api.ok(api.post('/v1/transactions', dinner(`FUZZ-NOBODY-${uniqueDigits()}`)), 201)).transaction.id,
  cardToken: (_, things, organization) =>
    ctx.services.customers.cardToken(organization.id, things.get('member')!),
  // A row imported and a row refused: errors.csv has something to say.
  customerImport: async (_, __, organization) => {
    const uploaded = await ctx.app.inject({
      method: 'POST',
      url: '/v1/customers/import',
      headers: { ...organization.headers, 'content-type': 'text/csv' },
      payload: `firstName,email\nAna,ana.${uniqueDigits()}@example.com\nBea,not-an-email\n`,
    });
    expectStatus(uploaded, 201);
    return uploaded.json().id;
  },
};

/** A coupon used by hand: what `unuse` gives back. */
const usedCoupon: MakeThing = async (api, things, organization) => {
  const id = await MAKE_THING.coupon(api, things, organization);
  await api.ok(api.post(`/v1/coupons/${id}/use`, {}), 200);
  return id;
};

let entriesMade = 0;

/**
 * An add, a spend and a block in turn (each is cancelled its own way), of a member of its own:
 * runs that cancel the member's adds would leave too few points to spend or block.
 */
const newEntry: MakeThing = async (api) => {
  const member = await api.member(5);
  const kind = ['add', 'spend', 'block'][entriesMade++ % 3];
  const made = await api.ok(
    api.post(`/v1/customers/${member}/points/${kind}`, { points: 5, reason: 'fuzz' }),
    201,
  );
  return made.entry.id;
};

/**
 * Operations that use up what their path names (delete it, use it, commit it, assign it): after
 * one run, every later one would only get the 404 or 409 of a thing gone or used. Each run that
 * names it gets one of its own, made here; the path's other things stay the operation's.
 */
const FRESH: Record<string, Partial<Record<RealThing, MakeThing>>> = {
  'DELETE /v1/customers/{id}': { member: (api) => api.member() },
  'DELETE /compat/comeback/v1/customers/{customerId}': { member: (api) => api.member() },
  'POST /v1/customers/{id}/anonymize': { member: (api) => api.member(10) },
  'DELETE /v1/locations/{id}': { location: (api) => api.location() },
  'DELETE /v1/locations/{id}/brands/{brandId}': { brand: MAKE_THING.brand },
  'DELETE /v1/earning-rules/{id}': { earningRule: MAKE_THING.earningRule },
  'DELETE /v1/tiers/{id}': { tier: MAKE_THING.tier },
  'DELETE /v1/segments/{id}': { segment: MAKE_THING.segment },
  'DELETE /v1/rewards/{id}': {
    reward: async (api) => (await api.reward({ type: 'amount_discount', value: 500, costPoints: 1 })).id,
  },
  'DELETE /v1/reward-categories/{id}': { rewardCategory: MAKE_THING.rewardCategory },
  'DELETE /v1/webhook-endpoints/{id}': { webhookEndpoint: MAKE_THING.webhookEndpoint },
  'DELETE /v1/organizations/{id}/api-keys/{keyId}': { apiKey: MAKE_THING.apiKey },
  'POST /v1/coupons/{id}/use': { coupon: MAKE_THING.coupon },
  'POST /v1/coupons/{id}/unuse': { coupon: usedCoupon },
  'POST /v1/transactions/{id}/assign': { unassignedTicket: MAKE_THING.unassignedTicket },
  'POST /v1/redemptions/{id}/commit': { redemption: MAKE_THING.redemption },
  'POST /v1/redemptions/{id}/release': { redemption: MAKE_THING.redemption },
  'POST /v1/points/entries/{entryId}/cancel': { entry: newEntry },
};

/** The ids of the things the path names, that belong together; new ones where the operation is FRESH. */
async function thingsInPath(
  operation: string,
  path: string,
  organization: TestOrganization,
): Promise<Record<string, string>> {
  const things = new Map(realThings);
  const fresh = FRESH[operation] ?? {};
  for (const thing of Object.keys(fresh) as RealThing[])
    things.set(thing, await fresh[thing]!(rewardsApi(ctx, organization), things, organization));
  return Object.fromEntries(
    [...path.matchAll(/\{(\w+)\}/g)].flatMap(([, name]) => {
      const thing = thingNamed(path, name!);
      return thing ? [[name!, things.get(thing)!]] : [];
    }),
  );
}

/** Paths that list things of a kind the basic ones do not include: one real one in the list. */
const THING_LISTED: Record<string, RealThing> = {
  '/v1/customer-imports': 'customerImport',
  '/v1/webhook-endpoints/{id}/deliveries': 'delivery',
};

/** The things an operation's path or valid bodies name, besides the basic ones. */
function thingsNeeded(path: string, bases: unknown[] = []): Set<RealThing> {
  const named = [...path.matchAll(/\{(\w+)\}/g)].map(([, name]) => thingNamed(path, name!));
  const placed = [...JSON.stringify(bases).matchAll(/<(\w+)>/g)].map(([, name]) => name as RealThing);
  return new Set(
    [...named, ...placed, THING_LISTED[path]].filter(
      (thing): thing is RealThing => thing !== undefined && thing in MAKE_THING,
    ),
  );
}

/**
 * A member with points (and the loyalty card number of Cheerfy's example), a location (external
 * id `6`, the one Cheerfy's example names), one of the member's tickets, a reward, the point type;
 * and the other things `needed`.
 */
async function makeRealThings(organization: TestOrganization, needed: Set<RealThing>): Promise<void> {
  const api = rewardsApi(ctx, organization);
  const member = await api.member(500, {
    phone: `+34600${String(realThingsMade++).padStart(6, '0')}`,
    loyaltyCardNumber: '786GHJKL323',
  });
  const location = (await api.ok(api.post('/v1/locations', { name: 'Charles rue', externalId: '6' }), 201))
    .id;
  const { transaction } = await api.ok(
    api.post('/v1/transactions', {
      ...dinner(`FUZZ-${member}`),
      locationId: location,
      customer: { customerId: member },
    }),
    201,
  );
  const reward = await api.reward({ type: 'amount_discount', value: 500, costPoints: 1 });
  const [pointType] = (await api.ok(api.get('/v1/point-types'), 200)).data;
  realThings.clear();
  realThings
    .set('organization', organization.id)
    .set('member', member)
    .set('location', location)
    .set('ticket', transaction.id)
    .set('reward', reward.id)
    .set('pointType', pointType.id);
  for (const thing of Object.keys(MAKE_THING) as Array<keyof typeof MAKE_THING>)
    if (needed.has(thing)) realThings.set(thing, await MAKE_THING[thing](api, realThings, organization));
  realIds.splice(0, realIds.length, ...realThings.values());
}

/** A request from the shared tenant, authenticated as the path's own API expects. */
function send(method: 'GET' | 'POST', url: string, payload?: object) {
  return ctx.app.inject({
    method,
    url,
    headers: { authorization: authorizationFor(url, tenant) },
    ...(payload ? { payload } : {}),
  });
}

let ctx: TestContext;
let tenant: TestOrganization;
let document: OpenApiDocument;

beforeAll(async () => {
  ctx = await createTestContext();
  tenant = await ctx.createOrganization();
  document = (await ctx.app.inject({ method: 'GET', url: '/openapi.json' })).json() as OpenApiDocument;
});
afterAll(() => ctx.close());

describe('requests a client can get wrong', () => {
  it('a number too large to be finite is refused naming its parameter, not taken as Infinity', async () => {
    for (const url of [
      '/v1/customers?limit=1e400',
      '/v1/events?limit=Infinity',
      '/v1/locations?limit=-1e400',
    ]) {
      const response = await send('GET', url);
      expect(response.statusCode, url).toBe(422);
      expect(response.json().errors).toEqual([{ path: 'query.limit', message: 'must be a finite number' }]);
    }
    const comeback = await send('GET', '/compat/comeback/v1/customers?page=1e400');
    expect(comeback.statusCode).toBeGreaterThanOrEqual(400);
    expect(comeback.statusCode).toBeLessThan(500);
  });

  it('an amount or a time too large to store is refused naming its field', async () => {
    const reward = await send('POST', '/v1/rewards', { name: 'Huge', type: 'custom', value: 1e308 });
    expect(reward.statusCode).toBe(422);
    expect(reward.json().errors[0].path).toBe('body.value');
    const promotion = await send('POST', '/compat/comeback/v1/promotions', {
      name: 'Huge',
      discountType: 'products',
      discountAmount: 1e308,
    });
    expect(promotion.statusCode).toBe(400);
    expect(promotion.body).toContain('discountAmount');
    const ticket = await send('POST', '/compat/cheerfy/ticket', {
      id: 1,
      created_at: 2 ** 53,
      summary: { total: 100 },
      items: [],
    });
    // Cheerfy's own error body names no field: its status is what a Cheerfy client reads.
    expect(ticket.statusCode).toBe(400);
    const limited = await send('POST', '/v1/rewards', { name: 'Limited', type: 'bogo', totalLimit: 1e308 });
    expect(limited.statusCode).toBe(422);
    expect(limited.json().errors[0].path).toBe('body.totalLimit');
    const sale = await send('POST', '/v1/transactions', {
      documentNumber: 'HUGE-1',
      totals: { total: 1e300 },
      lines: [{ name: 'Menu', total: 1e300 }],
    });
    expect(sale.statusCode).toBe(422);
    expect(sale.json().errors).toEqual([
      { path: 'body.totals.total', message: 'must be at most 9007199254740991 in size' },
    ]);
  });

  it('a NUL character anywhere is refused naming where it is, and nothing is written', async () => {
    const email = `nul-${Date.now()}@example.com`;
    const created = await send('POST', '/v1/customers', {
      email,
      firstName: 'Ana',
      address: { city: 'Bar\u0000celona' },
    });
    expect(created.statusCode).toBe(422);
    expect(created.json().errors).toEqual([
      { path: 'body.address.city', message: 'must not contain the NUL character (\\u0000)' },
    ]);
    const found = await send('GET', `/v1/customers?email=${encodeURIComponent(email)}`);
    expect(found.json().data).toEqual([]);
    const comeback = await send('GET', '/compat/comeback/v1/customers/%00');
    expect(comeback.statusCode).toBeGreaterThanOrEqual(400);
    expect(comeback.statusCode).toBeLessThan(500);
  });

  it('a body of thousands of wrong items is refused at once, listing at most 20 fields', async () => {
    const body = {
      name: 'Hostile',
      type: 'product_purchase',
      config: { skus: Array.from({ length: 100_000 }, (_, index) => index), points: 5, per: 'unit' },
    };
    const refused = await send('POST', '/v1/earning-rules', body);
    expect(refused.statusCode).toBe(422);
    expect(refused.body.length).toBeLessThan(MAX_PROBLEM_BYTES);
    const problem = refused.json();
    expect(problem.errors.length).toBeLessThanOrEqual(20);
    const segment = await send('POST', '/v1/segments', {
      name: 'Hostile',
      parts: [{ criteria: Array.from({ length: 50 }, (_, index) => index) }],
    });
    expect(segment.statusCode).toBe(422);
    expect(segment.json().errors).toHaveLength(20);
    expect(segment.json().errorsNotListed).toBe(30);
    expect(segment.json().errors[0]).toEqual({
      path: 'body.parts.0.criteria.0',
      message: 'must be an object',
    });
  });

  it('every failing field is named once, in words', async () => {
    const refused = await send('POST', '/v1/customers', {
      firstName: 5,
      email: 'not an email',
      birthDate: '12/31/1990',
      gender: 'q',
      address: { city: 'x'.repeat(1000) },
    });
    expect(refused.statusCode).toBe(422);
    expect(refused.json().errors).toEqual([
      { path: 'body.firstName', message: 'must be a string or null' },
      { path: 'body.email', message: 'must be an email address' },
      { path: 'body.birthDate', message: 'must be a date (YYYY-MM-DD)' },
      { path: 'body.gender', message: 'must be one of: "male", "female", "other", "not_disclosed"' },
      { path: 'body.address.city', message: 'must be at most 100 characters long' },
    ]);
  });

  it('a body nested deeper than 32 levels is refused with a 400 naming the limit, however deep', async () => {
    for (const payload of [
      '['.repeat(5_000) + ']'.repeat(5_000),
      `{"firstName":${'['.repeat(400_000)}${']'.repeat(400_000)}}`,
      `{"metadata":${'{"a":'.repeat(33)}1${'}'.repeat(34)}`,
    ]) {
      const response = await ctx.app.inject({
        method: 'POST',
        url: '/v1/customers',
        headers: { authorization: tenant.headers.authorization, 'content-type': 'application/json' },
        payload,
      });
      expect(response.statusCode).toBe(400);
      expect(response.json().detail).toContain('more than 32 levels deep');
    }
    const comeback = await ctx.app.inject({
      method: 'POST',
      url: '/compat/comeback/v1/customers',
      headers: {
        authorization: authorizationFor('/compat/comeback/v1/customers', tenant),
        'content-type': 'application/json',
      },
      payload: '['.repeat(5_000),
    });
    expect(comeback.statusCode).toBe(400);
  });

  it('half of a UTF-16 surrogate pair is refused naming its field, and nothing is written', async () => {
    const email = `surrogate-${Date.now()}@example.com`;
    const created = await send('POST', '/v1/customers', { email, address: { city: 'Bar\ud800celona' } });
    expect(created.statusCode).toBe(422);
    expect(created.json().errors).toEqual([
      {
        path: 'body.address.city',
        message: 'must not contain a lone UTF-16 surrogate (\\ud800–\\udfff unpaired)',
      },
    ]);
    expect((await send('GET', `/v1/customers?email=${encodeURIComponent(email)}`)).json().data).toEqual([]);
    const ticket = await send('POST', '/v1/transactions', {
      documentNumber: 'T-\udc00',
      totals: { total: 1000 },
      lines: [{ name: 'Menu', total: 1000 }],
    });
    expect(ticket.statusCode).toBe(422);
    expect(ticket.json().errors[0].path).toBe('body.documentNumber');
    const endpoint = await send('POST', '/v1/webhook-endpoints', {
      url: 'https://example.com/hooks',
      headers: { 'x-token\ud83d': 'secret' },
    });
    expect(endpoint.statusCode).toBe(422);
    expect(endpoint.json().errors[0].path).toBe('body.headers.x-token\ud83d');
    // A whole pair is a character like any other.
    const paired = await send('POST', '/v1/customers', { email, firstName: 'Ana \ud83d\ude00' });
    expect(paired.statusCode).toBe(201);
    expect(paired.json().firstName).toBe('Ana 😀');
  });

  it('never make any operation answer with a 5xx', { timeout: 600_000 }, async () => {
    const operations = Object.entries(document.paths).flatMap(([path, byMethod]) =>
      Object.entries(byMethod).map(([method, operation]) => ({ path, method, operation })),
    );
    const failures: string[] = [];
    /** Valid bodies that are not (any more): the fuzz would start from a 4xx. */
    const refused: string[] = [];
    const reached: Array<{ operation: string; runs: number; ok: number }> = [];
    for (const { path, method, operation } of operations) {
      const tally = { operation: `${method.toUpperCase()} ${path}`, runs: 0, ok: 0 };
      reached.push(tally);
      // A fresh organization for each operation: the one before may have deleted, blocked or
      // reconfigured anything (its point type, its settings).
      const organization = await ctx.createOrganization();
      const bases = VALID_BODIES[tally.operation] ?? [];
      const uploads = VALID_UPLOADS[tally.operation] ?? [];
      await makeRealThings(organization, thingsNeeded(path, [...bases, ...uploads]));
      // Each valid body and upload as it is, first: one that is refused would leave the fuzz of its
      // operation as shallow as the schema alone (the API changed; valid-bodies.ts must follow).
      const valid = [
        ...bases.map((base) => ({
          payload: JSON.stringify(fill(base)),
          contentType: 'application/json',
          query: '',
        })),
        ...uploads.map((base) => {
          const upload = fillUpload(base);
          return {
            payload: csvOf(upload.rows, delimiterOf(upload.query), {
              quoted: true,
              crlf: false,
              bom: false,
            }),
            contentType: 'text/csv',
            query: queryText(upload.query),
          };
        }),
      ];
      for (const { payload, contentType, query } of valid) {
        const response = await ctx.app.inject({
          method: method.toUpperCase() as 'POST',
          url: urlOf(path, await thingsInPath(tally.operation, path, organization), query),
          headers: { authorization: authorizationFor(path, organization), 'content-type': contentType },
          payload,
        });
        if (response.statusCode >= 300)
          refused.push(`${tally.operation} ${response.statusCode} ${response.body}`);
      }
      const outcome = await fc.check(
        fc.asyncProperty(callsFor(document, method, path, operation), async (call) => {
          const values = call.together
            ? { ...call.pathValues, ...(await thingsInPath(tally.operation, path, organization)) }
            : call.pathValues;
          const url = urlOf(path, values, call.query);
          const started = performance.now();
          const response = await ctx.app.inject({
            method: call.method as 'GET',
            url,
            headers: {
              authorization: authorizationFor(path, organization),
              ...(call.contentType ? { 'content-type': call.contentType } : {}),
            },
            ...(call.payload === undefined ? {} : { payload: call.payload }),
          });
          const took = performance.now() - started;
          tally.runs += 1;
          if (response.statusCode < 300) tally.ok += 1;
          const request = `${call.method} ${url} ${(call.payload ?? '').slice(0, 300)}`;
          if (response.statusCode >= 500) {
            throw new Error(`${request} answered ${response.statusCode}: ${response.body}`);
          }
          if (response.statusCode >= 400 && response.body.length > MAX_PROBLEM_BYTES) {
            throw new Error(`${request} answered a ${response.body.length}-byte ${response.statusCode}`);
          }
          if (response.statusCode >= 400 && took > MAX_REFUSAL_MS) {
            throw new Error(`${request} took ${Math.round(took)} ms to be refused`);
          }
        }),
        { numRuns: RUNS, seed: SEED },
      );
      if (outcome.failed) failures.push(String(outcome.errorInstance));
    }
    if (REPORT) printReport(reached);
    expect(failures).toEqual([]);
    expect(refused, 'test/fixtures/valid-bodies.ts holds bodies that are refused').toEqual([]);
  });
});

/** The share of runs that reached a 2xx, per operation (worst first) and over all of them. */
function printReport(reached: Array<{ operation: string; runs: number; ok: number }>): void {
  const share = (ok: number, runs: number) => `${((100 * ok) / Math.max(runs, 1)).toFixed(0).padStart(3)}%`;
  const lines = [...reached]
    .sort((a, b) => a.ok / Math.max(a.runs, 1) - b.ok / Math.max(b.runs, 1))
    .map(({ operation, runs, ok }) => `${share(ok, runs)} ${String(ok).padStart(4)}/${runs} ${operation}`);
  const ok = reached.reduce((sum, tally) => sum + tally.ok, 0);
  const runs = reached.reduce((sum, tally) => sum + tally.runs, 0);
  console.log(
    `2xx share per operation (seed ${SEED}, ${RUNS} runs):\n${lines.join('\n')}\n${share(ok, runs)} ${ok}/${runs} overall`,
  );
}
