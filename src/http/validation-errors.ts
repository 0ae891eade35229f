import type { FieldError } from '../errors.ts';

/** What Ajv reports for one failed check. */
export interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/** A problem lists at most this many fields; `errorsNotListed` counts the rest. */
export const MAX_LISTED_FIELD_ERRORS = 20;

export interface FieldErrorList {
  errors: FieldError[];
  /** Failing fields beyond the listed ones. */
  notListed: number;
}

const CONTEXT_PREFIX: Record<string, string> = {
  querystring: 'query',
  body: 'body',
  params: 'params',
  headers: 'headers',
};

/**
 * Ajv's error list → one message per failing field, in words, with paths a client can act on
 * (`body.address.city`, `query.limit`), at most MAX_LISTED_FIELD_ERRORS of them. Ajv reports a
 * nullable field's failure three times (its type, "must be null", "must match a schema in
 * anyOf") and a union's once per branch; a client needs one sentence per field.
 */
export function fieldErrors(validation: AjvError[], context: string | undefined): FieldErrorList {
  const prefix = CONTEXT_PREFIX[context ?? 'body'] ?? context ?? 'body';
  const byPath = new Map<string, AjvError[]>();
  for (const issue of validation) {
    const path = fieldPath(prefix, issue);
    const issues = byPath.get(path);
    if (issues) issues.push(issue);
    else byPath.set(path, [issue]);
  }
  const parents = new Set([...byPath.keys()].flatMap(ancestors));
  const failing = [...byPath].filter(([path, issues]) => !(parents.has(path) && onlyMismatches(issues)));
  const errors = failing
    .slice(0, MAX_LISTED_FIELD_ERRORS)
    .map(([path, issues]): FieldError => ({ path, message: sentence(issues) }));
  return { errors, notListed: failing.length - errors.length };
}

/** `body.lines.0.name must be a string; …`, with how many more fields failed. */
export function summary({ errors, notListed }: FieldErrorList): string {
  const listed = errors.map((error) => `${error.path} ${error.message}`).join('; ');
  return notListed > 0 ? `${listed}; and ${notListed} more fields` : listed;
}

function fieldPath(prefix: string, issue: AjvError): string {
  const segments = issue.instancePath
    .split('/')
    .filter(Boolean)
    .map((segment) => segment.replaceAll('~1', '/').replaceAll('~0', '~'));
  const missing = issue.params.missingProperty ?? issue.params.additionalProperty;
  if (typeof missing === 'string') segments.push(missing);
  return [prefix, ...segments].join('.');
}

/** `body.a.b.c` → `body.a.b`, `body.a`, `body`. */
function ancestors(path: string): string[] {
  const found: string[] = [];
  for (let end = path.lastIndexOf('.'); end > 0; end = path.lastIndexOf('.', end - 1)) {
    found.push(path.slice(0, end));
  }
  return found;
}

/**
 * Whether a path's errors only say that no branch's type matched. Where some field inside it has
 * errors too, the value was of the right type and failed deeper down (a nullable object whose
 * city is too long): its "must be null" only repeats that, so the field inside speaks alone.
 */
function onlyMismatches(issues: AjvError[]): boolean {
  return issues.every(
    (issue) => BRANCH_KEYWORDS.has(issue.keyword) || issue.keyword === 'type' || issue.keyword === 'const',
  );
}

/** Keywords that only say "a branch failed"; the branches' own errors say why. */
const BRANCH_KEYWORDS = new Set(['anyOf', 'oneOf', 'if']);

/** One message for all that failed at one path. */
function sentence(issues: AjvError[]): string {
  const specific = issues.filter((issue) => !BRANCH_KEYWORDS.has(issue.keyword));
  if (specific.length === 0) return 'does not match any of the accepted forms';
  const types = unique(
    specific.filter((issue) => issue.keyword === 'type').map((issue) => issue.params.type),
  );
  const allowed = unique(
    specific.filter((issue) => issue.keyword === 'const').map((issue) => issue.params.allowedValue),
  );
  // A union failed on every branch: say what would have been accepted.
  const typeOrConst = specific.filter((issue) => issue.keyword === 'type' || issue.keyword === 'const');
  if (typeOrConst.length === specific.length || allowed.length > 1) {
    const accepted = [...allowed.map((value) => JSON.stringify(value)), ...types.map(typeInWords)];
    return allowed.length > 0 ? `must be one of: ${accepted.join(', ')}` : `must be ${orList(accepted)}`;
  }
  // A value of the right type that broke a rule of one branch (a nullable string too long): that rule.
  const rule = specific.find((issue) => issue.keyword !== 'type' && issue.keyword !== 'const') ?? specific[0];
  return words(rule as AjvError);
}

function words(issue: AjvError): string {
  const { keyword, params } = issue;
  switch (keyword) {
    case 'required':
      return 'is required';
    case 'additionalProperties':
      return 'is not a known field';
    case 'type':
      return `must be ${typeInWords(params.type)}`;
    case 'const':
      return `must be ${JSON.stringify(params.allowedValue)}`;
    case 'enum':
      return `must be one of: ${(params.allowedValues as unknown[]).map((value) => JSON.stringify(value)).join(', ')}`;
    case 'minLength':
      return params.limit === 1 ? 'must not be empty' : `must be at least ${params.limit} characters long`;
    case 'maxLength':
      return `must be at most ${params.limit} characters long`;
    case 'minItems':
      return `must have at least ${params.limit} ${params.limit === 1 ? 'item' : 'items'}`;
    case 'maxItems':
      return `must have at most ${params.limit} items`;
    case 'minProperties':
      return `must have at least ${params.limit} ${params.limit === 1 ? 'field' : 'fields'}`;
    case 'maxProperties':
      return `must have at most ${params.limit} fields`;
    case 'minimum':
      return `must be at least ${params.limit}`;
    case 'maximum':
      return `must be at most ${params.limit}`;
    case 'exclusiveMinimum':
      return `must be greater than ${params.limit}`;
    case 'exclusiveMaximum':
      return `must be less than ${params.limit}`;
    case 'format':
      return `must be ${FORMATS[String(params.format)] ?? `a valid ${String(params.format)}`}`;
    case 'uniqueItems':
      return `must not repeat an item (items ${params.j} and ${params.i} are the same)`;
    default:
      return issue.message ?? 'is invalid';
  }
}

const FORMATS: Record<string, string> = {
  uuid: 'a UUID (e.g. 01936f4e-8b1a-7c3d-9e2f-1a2b3c4d5e6f)',
  'date-time': 'a date and time with its offset (e.g. 2026-12-07T19:30:00Z)',
  date: 'a date (YYYY-MM-DD)',
  time: 'a time (HH:MM:SS)',
  email: 'an email address',
  uri: 'an absolute URL',
};

const TYPES: Record<string, string> = {
  integer: 'an integer',
  number: 'a number',
  string: 'a string',
  boolean: 'true or false',
  object: 'an object',
  array: 'an array',
  null: 'null',
};

function typeInWords(type: unknown): string {
  const names = Array.isArray(type) ? type : String(type).split(',');
  return orList(names.map((name) => TYPES[String(name)] ?? String(name)));
}

function orList(items: string[]): string {
  const distinct = unique(items);
  if (distinct.length <= 1) return String(distinct[0] ?? '');
  return `${distinct.slice(0, -1).join(', ')} or ${distinct.at(-1)}`;
}

function unique<T>(items: T[]): T[] {
  return [...new Set(items)];
}
