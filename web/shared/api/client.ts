import createClient, { type Middleware } from 'openapi-fetch';
import type { paths } from './schema.ts';

/** One failing field of a problem+json answer: `body.points`, `query.limit`… */
export interface FieldError {
  path: string;
  message: string;
}

/** The server's problem+json (RFC 9457) answer, thrown by every hook so screens can show it. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly errors: FieldError[];

  constructor(status: number, body: unknown) {
    const problem = (typeof body === 'object' && body !== null ? body : {}) as {
      code?: string;
      detail?: string;
      errors?: FieldError[];
    };
    super(problem.detail ?? `HTTP ${status}`);
    this.status = status;
    this.code = problem.code ?? 'http_error';
    this.errors = Array.isArray(problem.errors) ? problem.errors : [];
  }

  /** Field errors keyed by form field: `body.address.city` → `address.city` (Mantine form paths). */
  fieldErrors(): Record<string, string> {
    const byField: Record<string, string> = {};
    for (const { path, message } of this.errors) {
      const field = path.replace(/^(body|query|params)\.?/, '');
      if (field && !(field in byField)) byField[field] = message;
    }
    return byField;
  }
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const CSRF_COOKIE = 'regulars_csrf';

/** The cookie session's CSRF token, which the sign-in also set as a cookie readable by this page. */
export function csrfToken(): string | undefined {
  for (const part of document.cookie.split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === CSRF_COOKIE) return decodeURIComponent(value.join('='));
  }
  return undefined;
}

const csrf: Middleware = {
  onRequest({ request }) {
    const token = csrfToken();
    if (UNSAFE.has(request.method) && token) request.headers.set('x-csrf-token', token);
    return request;
  },
};

const DEVICE_KEY = 'regulars.till.deviceKey';

/**
 * A tablet paired as a till keeps its own `till`-scoped key here (it has no staff account to sign
 * in with): sent as a bearer token, so never in a URL, and gone with "Unpair this device".
 */
export const deviceKey = {
  get: (): string | null => localStorage.getItem(DEVICE_KEY),
  set: (key: string) => localStorage.setItem(DEVICE_KEY, key),
  forget: () => localStorage.removeItem(DEVICE_KEY),
};

const device: Middleware = {
  onRequest({ request }) {
    const key = deviceKey.get();
    if (key && !request.headers.has('authorization')) request.headers.set('authorization', `Bearer ${key}`);
    return request;
  },
};

/** The typed client over the server's own OpenAPI document (web/shared/api/schema.ts). */
export const api = createClient<paths>({ baseUrl: window.location.origin, credentials: 'same-origin' });
api.use(csrf);
api.use(device);

/** The data of an openapi-fetch answer, or its problem thrown as an ApiError. */
export function unwrap<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (!result.response.ok || result.data === undefined) {
    if (result.response.ok && result.response.status === 204) return undefined as T;
    throw new ApiError(result.response.status, result.error);
  }
  return result.data;
}
