import { AppError } from '../errors.ts';
import type { App } from './types.ts';

/** How deep a JSON body may nest its arrays and objects. Real requests stay under ten, metadata too. */
export const MAX_NESTING_DEPTH = 32;

/**
 * How many fields one JSON object may have. Schemas name a few dozen; open maps (metadata, custom
 * headers, labels) hold far fewer than this. V8 parses an object of 50,000 distinct keys four
 * times slower than a 1 MB array (a dictionary, each key interned): over 80 ms of a busy loop.
 */
export const MAX_OBJECT_FIELDS = 1000;

/**
 * JSON bodies, parsed by Fastify's own parser (prototype poisoning refused) once a linear scan
 * has found them no deeper than MAX_NESTING_DEPTH and no object wider than MAX_OBJECT_FIELDS. The
 * scan must come first: V8's JSON.parse takes over a second for a 1 MB body of nested `[`, and
 * every recursive walk after it can overflow the stack (5,000 levels answered a 500).
 *
 * An empty or whitespace-only body is no body, whatever its content type says: clients that set
 * `Content-Type: application/json` on every call (curl with a shared header list, HTTP libraries
 * configured once) send it on action routes such as `POST /v1/redemptions/{id}/commit` too, and
 * Fastify's parser refuses that with a 400. The server's preValidation hook then reads a missing
 * POST or PATCH body as `{}`.
 */
export function registerJsonBodyParser(app: App): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if ((body as string).trim() === '') {
      done(null, undefined);
      return;
    }
    const shape = shapeProblem(body as string);
    if (shape) {
      done(shapeRefused(shape), undefined);
      return;
    }
    parseJson(request, body as string, done);
  });
}

function shapeRefused(problem: ShapeProblem): AppError {
  if (problem === 'too_deep') {
    return new AppError(
      'bad_request',
      `the body nests arrays and objects more than ${MAX_NESTING_DEPTH} levels deep`,
      {
        errors: [{ path: 'body', message: `must not nest more than ${MAX_NESTING_DEPTH} levels` }],
      },
    );
  }
  return new AppError('bad_request', `an object of the body has more than ${MAX_OBJECT_FIELDS} fields`, {
    errors: [{ path: 'body', message: `must not have an object of more than ${MAX_OBJECT_FIELDS} fields` }],
  });
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const OPEN_OBJECT = 0x7b;
const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;
const COLON = 0x3a;

type ShapeProblem = 'too_deep' | 'too_wide';

/**
 * One pass over JSON text, strings skipped: whether it opens more than MAX_NESTING_DEPTH arrays or
 * objects inside one another, or gives one object more than MAX_OBJECT_FIELDS fields (a colon
 * outside a string ends an object's key). Malformed text is left to the parser.
 */
export function shapeProblem(text: string): ShapeProblem | undefined {
  const fields = new Int32Array(MAX_NESTING_DEPTH + 2);
  let depth = 0;
  let inString = false;
  for (let index = 0; index < text.length; index++) {
    const char = text.charCodeAt(index);
    if (inString) {
      if (char === BACKSLASH) index++;
      else if (char === QUOTE) inString = false;
    } else if (char === QUOTE) inString = true;
    else if (char === OPEN_ARRAY || char === OPEN_OBJECT) {
      depth++;
      if (depth > MAX_NESTING_DEPTH) return 'too_deep';
      fields[depth] = 0;
    } else if (char === CLOSE_ARRAY || char === CLOSE_OBJECT) depth = Math.max(0, depth - 1);
    else if (char === COLON && ++fields[depth]! > MAX_OBJECT_FIELDS) return 'too_wide';
  }
  return undefined;
}
