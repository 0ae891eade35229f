import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { sqlState, UNIQUE_VIOLATION } from '../db/transaction.ts';
import { AppError, type FieldError } from '../errors.ts';

/** RFC 9457 problem details, the body of every error response of the native API. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail: string;
  instance?: string;
  errors?: FieldError[];
}

const PROBLEM_TYPE_BASE = 'https://regulars.dev/problems/';

export function problemOf(error: AppError, instance?: string): Problem {
  return {
    type: PROBLEM_TYPE_BASE + error.code,
    title: error.code.replaceAll('_', ' '),
    status: error.status,
    code: error.code,
    detail: error.message,
    ...(instance ? { instance } : {}),
    ...(error.errors ? { errors: error.errors } : {}),
  };
}

interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

const CONTEXT_PREFIX: Record<string, string> = {
  querystring: 'query',
  body: 'body',
  params: 'params',
  headers: 'headers',
};

/** Ajv's error list → field paths a client can act on (`body.address.city`, `query.limit`). */
export function fieldErrors(validation: AjvError[], context: string | undefined): FieldError[] {
  const prefix = CONTEXT_PREFIX[context ?? 'body'] ?? context ?? 'body';
  return validation.map((issue) => {
    const segments = issue.instancePath.split('/').filter(Boolean);
    const missing = issue.params.missingProperty ?? issue.params.additionalProperty;
    if (typeof missing === 'string') segments.push(missing);
    const path = [prefix, ...segments].join('.');
    const message =
      issue.keyword === 'additionalProperties' ? 'is not a known field' : (issue.message ?? 'is invalid');
    return { path, message };
  });
}

const CODE_BY_STATUS: Record<number, string> = {
  400: 'bad_request',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
};

/** Turns anything thrown by a route into an AppError; unknown errors become a logged, generic 500. */
export function toAppError(error: unknown, request: FastifyRequest): AppError {
  if (error instanceof AppError) return error;
  const fastifyError = error as FastifyError;
  if (fastifyError.validation) {
    const errors = fieldErrors(fastifyError.validation as AjvError[], fastifyError.validationContext);
    const summary = errors.map((e) => `${e.path} ${e.message}`).join('; ');
    return new AppError('validation_failed', summary, { errors });
  }
  if (fastifyError.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error instanceof SyntaxError) {
    return new AppError('invalid_json', 'the request body is not valid JSON');
  }
  const status = fastifyError.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new AppError(CODE_BY_STATUS[status] ?? 'bad_request', fastifyError.message, { status });
  }
  if (sqlState(error) === UNIQUE_VIOLATION) {
    return new AppError('conflict', 'a resource with the same unique value already exists');
  }
  request.log.error({ err: error }, 'unhandled error');
  return new AppError('internal_error', 'an unexpected error occurred; it has been logged');
}

export function sendProblem(reply: FastifyReply, error: AppError): FastifyReply {
  if (error.status === 401) reply.header('www-authenticate', 'Bearer');
  return reply.code(error.status).type('application/problem+json').send(problemOf(error, reply.request.url));
}
