import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { sqlState, UNIQUE_VIOLATION } from '../db/transaction.ts';
import { AppError, type FieldError } from '../errors.ts';
import { type AjvError, fieldErrors, summary } from './validation-errors.ts';

/** RFC 9457 problem details, the body of every error response of the native API. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail: string;
  instance?: string;
  errors?: FieldError[];
  /** Failing fields beyond the ones listed in `errors`. */
  errorsNotListed?: number;
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
    ...(error.errorsNotListed ? { errorsNotListed: error.errorsNotListed } : {}),
  };
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
    const listed = fieldErrors(fastifyError.validation as AjvError[], fastifyError.validationContext);
    return new AppError('validation_failed', summary(listed), {
      errors: listed.errors,
      errorsNotListed: listed.notListed,
    });
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
