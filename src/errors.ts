/**
 * The one error type of Regulars. Services throw it; the HTTP layer renders it as
 * RFC 9457 problem+json. The set of codes is closed: add a code here, with its status,
 * before using it anywhere.
 */
const STATUS_BY_CODE = {
  bad_request: 400,
  invalid_json: 400,
  unauthorized: 401,
  /** The API key is valid but lacks the scope the route needs. */
  forbidden: 403,
  not_found: 404,
  route_not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  email_taken: 409,
  phone_taken: 409,
  loyalty_card_number_taken: 409,
  external_id_taken: 409,
  customer_anonymized: 409,
  idempotency_in_progress: 409,
  /** The key's operation happened, but the server stopped before storing its answer: it never runs again. */
  idempotency_response_lost: 410,
  payload_too_large: 413,
  unsupported_media_type: 415,
  validation_failed: 422,
  idempotency_conflict: 422,
  // points ledger
  insufficient_points: 422,
  customer_inactive: 422,
  point_type_inactive: 422,
  points_blocked: 422,
  block_settled: 422,
  entry_not_cancellable: 422,
  source_already_used: 409,
  code_taken: 409,
  // rewards, coupons and redemptions
  pos_code_taken: 409,
  reward_not_available: 422,
  reward_limit_reached: 409,
  no_codes_left: 409,
  coupon_not_usable: 409,
  redemption_not_applicable: 422,
  redemption_released: 409,
  // transactions
  document_conflict: 409,
  invalid_status_change: 409,
  already_assigned: 409,
  not_assignable: 409,
  return_exceeds_sale: 422,
  // tiers and segments
  name_taken: 409,
  // staff sign-in
  /** The password was right; the account has a second factor and the code was not sent. */
  totp_required: 401,
  /** The email and password open accounts in several organizations: the request must name one. */
  organization_required: 409,
  // members' sign-in
  /** A wrong, expired, used or burnt code, or an address no active member has: one answer for all. */
  sign_in_failed: 401,
  /** Wallet passes need certificates and keys the server was not given (README, Wallet passes). */
  wallet_not_configured: 404,
  rate_limited: 429,
  internal_error: 500,
  service_unavailable: 503,
} as const;

export type ErrorCode = keyof typeof STATUS_BY_CODE;

export interface FieldError {
  /** Where the bad value is, e.g. `body.address.postalCode` or `query.limit`. */
  path: string;
  message: string;
}

export class AppError extends Error {
  readonly status: number;

  constructor(
    readonly code: ErrorCode | (string & {}),
    message: string,
    options: { status?: number; errors?: FieldError[]; errorsNotListed?: number; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.status = options.status ?? STATUS_BY_CODE[code as ErrorCode] ?? 400;
    this.errors = options.errors;
    this.errorsNotListed = options.errorsNotListed ?? 0;
  }

  readonly errors: FieldError[] | undefined;
  /** Failing fields a validation error counted but did not list. */
  readonly errorsNotListed: number;
}

export function notFound(what: string): AppError {
  return new AppError('not_found', `${what} not found`);
}

/**
 * What a lookup found, or null when it answered `not_found`. Any other failure (a lost connection,
 * a lock timeout, a deadlock) says nothing about the id: it propagates, to be retried or answered
 * 5xx, never turned into a 4xx that an Idempotency-Key would then keep for good.
 */
export async function nullIfNotFound<T>(lookup: Promise<T>): Promise<T | null> {
  try {
    return await lookup;
  } catch (error) {
    if (error instanceof AppError && error.code === 'not_found') return null;
    throw error;
  }
}

export function validationFailed(path: string, message: string): AppError {
  return new AppError('validation_failed', `${path}: ${message}`, { errors: [{ path, message }] });
}

/** A uniqueness clash; `code` names the field, e.g. `email_taken`. */
export function conflict(code: string, message: string, path?: string): AppError {
  return new AppError(code, message, { status: 409, ...(path ? { errors: [{ path, message }] } : {}) });
}
