import { AppError } from '../errors.ts';
import type { App } from './types.ts';

/** How deep a JSON body may nest its arrays and objects. Real requests stay under ten, metadata too. */
export const MAX_NESTING_DEPTH = 32;

/**
 * JSON bodies, parsed by Fastify's own parser (prototype poisoning refused) once a linear scan
 * has found them no deeper than MAX_NESTING_DEPTH. The scan must come first: V8's JSON.parse takes
 * over a second for a 1 MB body of nested `[`, and every recursive walk after it can overflow the
 * stack (5,000 levels answered a 500).
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
    if (nestsDeeperThan(body as string, MAX_NESTING_DEPTH)) {
      done(
        new AppError(
          'bad_request',
          `the body nests arrays and objects more than ${MAX_NESTING_DEPTH} levels deep`,
          {
            errors: [{ path: 'body', message: `must not nest more than ${MAX_NESTING_DEPTH} levels` }],
          },
        ),
        undefined,
      );
      return;
    }
    parseJson(request, body as string, done);
  });
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const OPEN_OBJECT = 0x7b;
const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;

/** Whether JSON text opens more than `limit` arrays or objects inside one another (strings skipped). */
export function nestsDeeperThan(text: string, limit: number): boolean {
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
      if (depth > limit) return true;
    } else if (char === CLOSE_ARRAY || char === CLOSE_OBJECT) depth--;
  }
  return false;
}
