import type { LoggerOptions } from 'pino';

/**
 * What Regulars writes to its logs, decided in one place: every logger the app creates (the
 * API server's, the standalone webhook worker's) is made from `loggerOptions`.
 *
 * Errors are the dangerous part. A failed statement comes wrapped by Drizzle in an error whose
 * message and fields carry the SQL and its parameters (a webhook's `whsec_…` secret, a member's
 * email and phone), and the driver's error adds a `detail` such as "Failing row contains (…)".
 * pino's standard serializer copies every field of an error, so it would print them all. Here
 * an error is logged by an allow-list instead: its type, a message with the values taken out,
 * the SQLSTATE, the constraint, table and column it names, and the statement's shape.
 */

/** Paths pino blanks out wherever a log call passes them (`*.x` is one level down). */
export const LOG_REDACTIONS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  // Credentials.
  ...everywhere('key', 'apiKey', 'masterKey', 'secret', 'previousSecret', 'password', 'token'),
  // A webhook endpoint's static headers often carry the receiver's token.
  ...everywhere('headers'),
  // Personal data of members and staff.
  ...everywhere('email', 'phone', 'firstName', 'lastName', 'birthDate', 'address'),
  // A statement's parameters, should anything log them outside an error.
  ...everywhere('params'),
];

function everywhere(...fields: string[]): string[] {
  return fields.flatMap((field) => [field, `*.${field}`]);
}

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: LOG_REDACTIONS,
    serializers: { err: loggableError, req: loggableRequest },
  };
}

/** The parts of a request Fastify's request lines show. */
interface RequestLike {
  method: string;
  url: string;
  host?: string;
  ip?: string;
  socket?: { remotePort?: number | undefined } | null;
}

/**
 * Fastify's own request serializer, with the query string's values blanked: a till looks a
 * member up by `?identifier=<email or phone>`, and a dialect may pass its token the same way.
 */
export function loggableRequest(request: RequestLike) {
  return {
    method: request.method,
    url: request.url.replace(/([?&][^=&#]*)=[^&#]*/g, '$1=…'),
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  };
}

/** An error as a log line may show it. */
export interface LoggedError {
  type: string;
  message: string;
  stack?: string;
  /** SQLSTATE of a database error, or the errno-style code of a system error. */
  code?: string;
  constraint?: string;
  table?: string;
  column?: string;
  /** The start of the SQL text, without literals: which statement failed, never with what. */
  statement?: string;
  /** The `cause` chain, outermost first, flattened. */
  causes?: LoggedError[];
}

/** Enough links to get from Drizzle's wrapper past a transaction helper to the driver's error. */
const MAX_CAUSES = 8;
const STATEMENT_CHARS = 160;

/** Any thrown value → a LoggedError; causes are walked in a loop, cycles and depth bounded. */
export function loggableError(error: unknown): LoggedError {
  const seen = new Set<unknown>([error]);
  const causes: LoggedError[] = [];
  let cause = causeOf(error);
  while (cause !== undefined && !seen.has(cause) && causes.length < MAX_CAUSES) {
    seen.add(cause);
    causes.push(oneError(cause));
    cause = causeOf(cause);
  }
  const logged = oneError(error);
  return causes.length > 0 ? { ...logged, causes } : logged;
}

function causeOf(error: unknown): unknown {
  return error instanceof Error && error.cause !== null ? error.cause : undefined;
}

interface ErrorFields {
  code?: unknown;
  severity?: unknown;
  constraint?: unknown;
  table?: unknown;
  column?: unknown;
  schema?: unknown;
  dataType?: unknown;
  query?: unknown;
  params?: unknown;
}

function oneError(error: unknown): LoggedError {
  if (!(error instanceof Error))
    return { type: typeof error, message: '(a thrown value that is not an Error)' };
  const fields = error as Error & ErrorFields;
  // Drizzle's wrapper keeps the name `Error`; its class says what it is.
  const type = error.name !== 'Error' ? error.name : error.constructor.name || 'Error';
  const statement = typeof fields.query === 'string' ? statementShape(fields.query) : undefined;
  let message: string;
  if (isDatabaseError(fields)) message = withoutValues(error.message, fields);
  else if (statement !== undefined || 'params' in fields) message = 'statement failed';
  else message = error.message;
  return {
    type,
    message,
    ...(error.stack ? { stack: `${type}: ${message}\n${frames(error.stack)}` } : {}),
    ...text('code', fields.code),
    ...text('constraint', fields.constraint),
    ...text('table', fields.table),
    ...text('column', fields.column),
    ...(statement !== undefined ? { statement } : {}),
  };
}

function text<K extends string>(key: K, value: unknown): { [P in K]?: string } {
  return (typeof value === 'string' && value !== '' ? { [key]: value } : {}) as { [P in K]?: string };
}

/** The server's own error report (pg and PGlite alike carry a severity and a SQLSTATE). */
function isDatabaseError(fields: ErrorFields): boolean {
  return (
    typeof fields.code === 'string' && /^[0-9A-Z]{5}$/.test(fields.code) && fields.severity !== undefined
  );
}

/**
 * PostgreSQL quotes both names and values in its messages (`invalid input syntax for type uuid:
 * "abc"`, `violates check constraint "x"`). A quoted word stays only when it is a name: one the
 * error reports as its constraint, table, column or type, or one the statement's SQL quotes as
 * an identifier (values travel as parameters, never inside the SQL text).
 */
function withoutValues(message: string, fields: ErrorFields): string {
  const names = new Set<string>();
  for (const name of [fields.constraint, fields.table, fields.column, fields.schema, fields.dataType]) {
    if (typeof name === 'string') names.add(name);
  }
  if (typeof fields.query === 'string') {
    for (const [, identifier] of fields.query.matchAll(/"([^"]+)"/g)) names.add(identifier!);
  }
  return message.replace(/"([^"]*)"/g, (quoted, inner: string) => (names.has(inner) ? quoted : '"…"'));
}

/** `insert into "customers" ("id", …` — literals blanked, whitespace folded, cut short. */
function statementShape(query: string): string {
  const folded = query
    .replace(/'(?:[^']|'')*'/g, "'…'")
    .replace(/\s+/g, ' ')
    .trim();
  return folded.length > STATEMENT_CHARS ? `${folded.slice(0, STATEMENT_CHARS)}…` : folded;
}

/** The stack's `at …` lines: the first lines repeat the message, which is what must not be logged. */
function frames(stack: string): string {
  return stack
    .split('\n')
    .filter((line) => /^\s+at /.test(line))
    .join('\n');
}
