import { validationFailed } from '../errors.ts';
import { addLocalDays, endOfLocalDay, endOfLocalMonth } from './zoned-time.ts';

/**
 * Points arithmetic. A point amount is an integer number of hundredths (12.34 points = 1234):
 * exact, and stored as BIGINT. JavaScript numbers hold integers exactly up to 2^53 − 1, so that is
 * the bound of any amount, balance or counter: 90,071,992,547,409.91 points. Pure: no IO.
 */
export type Hundredths = number;

export const MAX_HUNDREDTHS: Hundredths = Number.MAX_SAFE_INTEGER;

const DECIMAL = /^(-?)(\d+)(?:\.(\d{1,2}))?$/;

export interface ParseOptions {
  /** Accept negative amounts (a signed adjustment). Zero is never accepted. */
  signed?: boolean;
}

/**
 * Reads an amount of points from an API value: a JSON number with at most two decimals (12.34)
 * or the same as a string ("12.34"). Throws a 422 naming `path` otherwise.
 */
export function parsePoints(value: unknown, path: string, options: ParseOptions = {}): Hundredths {
  let text: string;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw validationFailed(path, 'must be a finite number');
    // The shortest text that reads back as this double: 12.34 prints "12.34", 0.1 + 0.2 does not.
    text = String(value);
    if (/e/i.test(text)) {
      throw validationFailed(
        path,
        Math.abs(value) < 1 ? 'must have at most 2 decimals' : 'is too large for a points amount',
      );
    }
  } else if (typeof value === 'string') {
    text = value;
  } else {
    throw validationFailed(path, 'must be a number or a decimal string such as "12.34"');
  }
  const match = DECIMAL.exec(text);
  if (!match) {
    const tooPrecise = /^-?\d+\.\d{3,}$/.test(text);
    throw validationFailed(
      path,
      tooPrecise ? 'must have at most 2 decimals' : 'must be a number or a decimal string such as "12.34"',
    );
  }
  const [, sign, whole, fraction = ''] = match;
  const magnitude = BigInt(whole!) * 100n + BigInt(fraction.padEnd(2, '0'));
  if (magnitude > BigInt(MAX_HUNDREDTHS)) throw validationFailed(path, 'is too large for a points amount');
  const hundredths = Number(magnitude) * (sign === '-' ? -1 : 1);
  if (hundredths === 0) throw validationFailed(path, 'must not be zero');
  if (hundredths < 0 && !options.signed) throw validationFailed(path, 'must be greater than 0');
  return hundredths;
}

/**
 * Hundredths as the JSON number API clients see (1234 → 12.34). Exact: the division is correctly
 * rounded, so it yields the double closest to the decimal, whose shortest printed form is the decimal.
 */
export function toPoints(hundredths: Hundredths): number {
  return hundredths / 100;
}

/** Hundredths as a decimal string with two places: 1234 → "12.34", −5 → "-0.05". */
export function formatPoints(hundredths: Hundredths): string {
  const sign = hundredths < 0 ? '-' : '';
  const magnitude = Math.abs(hundredths);
  return `${sign}${Math.trunc(magnitude / 100)}.${String(magnitude % 100).padStart(2, '0')}`;
}

/**
 * Whole points of an amount for a reader that only takes integers, the fraction dropped (toward
 * zero: 45.5 → 45, −3.5 → −3) or, with `up`, counted as one more point (9.5 → 10): exact integer
 * arithmetic on hundredths.
 */
export function toWholePoints(hundredths: Hundredths, rounding: 'down' | 'up' = 'down'): number {
  const fraction = hundredths % 100;
  const truncated = (hundredths - fraction) / 100;
  if (rounding === 'down' || fraction === 0) return truncated;
  return truncated + Math.sign(fraction);
}

/**
 * The inverse of toPoints, exact (12.34 → 1234): for amounts Regulars printed itself, such as event
 * payloads. API input goes through parsePoints, which validates.
 */
export function fromPoints(points: number): Hundredths {
  const match = DECIMAL.exec(String(points));
  if (!match) throw new Error(`not an amount of points: ${points}`);
  const [, sign, whole, fraction = ''] = match;
  return Number(BigInt(whole!) * 100n + BigInt(fraction.padEnd(2, '0'))) * (sign === '-' ? -1 : 1);
}

// ---------------------------------------------------------------------------------------------
// Rounding what rules award

export const POINTS_ROUNDINGS = ['down', 'half_up', 'up'] as const;
export type PointsRounding = (typeof POINTS_ROUNDINGS)[number];

/** The smallest amount a rule awards: a hundredth of a point, or a whole point. */
export const POINTS_PRECISIONS = ['hundredths', 'whole'] as const;
export type PointsPrecision = (typeof POINTS_PRECISIONS)[number];

/** How a program rounds what its rules award. */
export interface AwardRounding {
  rounding: PointsRounding;
  precision: PointsPrecision;
}

const HUNDREDTHS_PER_STEP: Record<PointsPrecision, bigint> = { hundredths: 1n, whole: 100n };

/**
 * The one place an award becomes an amount of points: an exact award of `units` / `unitsPerHundredth`
 * hundredths (a bigint fraction, so no binary floating point) rounded once, to the program's
 * precision, with its mode. At 1 point per euro, €45.50 is 45.5 points: 45 whole points rounding
 * down, 46 rounding half up. `units` ≥ 0.
 */
export function roundAward(units: bigint, unitsPerHundredth: bigint, policy: AwardRounding): Hundredths {
  const step = HUNDREDTHS_PER_STEP[policy.precision];
  const divisor = unitsPerHundredth * step;
  const steps = units / divisor;
  const remainder = units % divisor;
  let rounded = steps;
  if (remainder !== 0n && policy.rounding === 'up') rounded = steps + 1n;
  if (remainder !== 0n && policy.rounding === 'half_up' && remainder * 2n >= divisor) rounded = steps + 1n;
  return Number(rounded * step);
}

// ---------------------------------------------------------------------------------------------
// Lots and FIFO

/** What FIFO needs to know about a lot of credited points. */
export interface LotView {
  id: string;
  /** Unspent, unblocked points in the lot. */
  remaining: Hundredths;
  expiresAt: Date | null;
}

export interface Allocation {
  lotId: string;
  points: Hundredths;
}

/**
 * The order in which lots are consumed: earliest expiry first, never-expiring last, then oldest
 * first (ids are time-ordered UUIDv7, so they sort by creation).
 */
export function compareForConsumption(a: LotView, b: LotView): number {
  const aExpiry = a.expiresAt?.getTime() ?? Number.POSITIVE_INFINITY;
  const bExpiry = b.expiresAt?.getTime() ?? Number.POSITIVE_INFINITY;
  if (aExpiry !== bExpiry) return aExpiry < bExpiry ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * Takes `points` from `lots` (which must all be spendable now) in consumption order. Returns the
 * allocations and the part that could not be covered (0 when the lots were enough).
 */
export function allocateFifo(
  lots: readonly LotView[],
  points: Hundredths,
): { allocations: Allocation[]; shortfall: Hundredths } {
  const allocations: Allocation[] = [];
  let left = points;
  for (const lot of [...lots].sort(compareForConsumption)) {
    if (left === 0) break;
    if (lot.remaining <= 0) continue;
    const take = Math.min(lot.remaining, left);
    allocations.push({ lotId: lot.id, points: take });
    left -= take;
  }
  return { allocations, shortfall: left };
}

// ---------------------------------------------------------------------------------------------
// Entries and the balance counters they move

export const ENTRY_KINDS = [
  'earn',
  'add',
  'spend',
  'block',
  'unblock',
  'cancel',
  'expire',
  'transfer_out',
  'transfer_in',
  'reverse',
  'adjust',
] as const;

export type EntryKind = (typeof ENTRY_KINDS)[number];

/** The lifetime counters of a balance; active/pending/blocked come from the lots. */
export interface Counters {
  earned: Hundredths;
  spent: Hundredths;
  expired: Hundredths;
}

/**
 * How one entry moves the lifetime counters, from its kind and its signed `delta` (its change to
 * the points a customer holds: active + pending + blocked). `earned` counts credits (transfers in
 * included) net of cancelled and reversed ones; `spent` counts debits (transfers out included) net
 * of cancelled spends; so that active + pending + blocked = earned − spent − expired, always.
 */
export function counterDeltas(kind: EntryKind, delta: Hundredths): Counters {
  switch (kind) {
    case 'earn':
    case 'add':
    case 'transfer_in':
    case 'reverse':
      return { earned: delta, spent: 0, expired: 0 };
    case 'spend':
    case 'transfer_out':
      return { earned: 0, spent: -delta, expired: 0 };
    case 'expire':
      return { earned: 0, spent: 0, expired: -delta };
    // A signed adjustment is an add or a spend; a cancel undoes a credit (delta < 0) or a spend (delta > 0).
    case 'adjust':
      return delta >= 0 ? { earned: delta, spent: 0, expired: 0 } : { earned: 0, spent: -delta, expired: 0 };
    case 'cancel':
      return delta <= 0 ? { earned: delta, spent: 0, expired: 0 } : { earned: 0, spent: -delta, expired: 0 };
    case 'block':
    case 'unblock':
      return { earned: 0, spent: 0, expired: 0 };
  }
}

/** Entry kinds that create lots of new points for the customer they are written for. */
export function isCredit(kind: EntryKind, delta: Hundredths): boolean {
  return kind === 'earn' || kind === 'add' || kind === 'transfer_in' || (kind === 'adjust' && delta > 0);
}

/** Entry kinds that took points out of the customer's lots and that a cancel gives back. */
export function isSpend(kind: EntryKind, delta: Hundredths): boolean {
  return kind === 'spend' || (kind === 'adjust' && delta < 0);
}

// ---------------------------------------------------------------------------------------------
// Pending and expiry policy

export type ExpiryRounding = 'none' | 'end_of_day' | 'end_of_month';

export interface PointTypePolicy {
  /** null = points of this type never expire. */
  expiresAfterDays: number | null;
  expiryRounding: ExpiryRounding;
  /** Days that points earned on tickets stay pending before they can be spent. */
  pendingDays: number;
}

/** When points earned at `createdAt` become spendable: N local days later, same wall-clock time. */
export function activeFromFor(policy: PointTypePolicy, createdAt: Date, timeZone: string): Date {
  return policy.pendingDays > 0 ? addLocalDays(createdAt, policy.pendingDays, timeZone) : createdAt;
}

/**
 * When a lot that becomes active at `activeFrom` expires: `expiresAfterDays` local days later,
 * then rounded up to the end of that local day or month (the end is the next local midnight, the
 * first instant at which the points are gone). null when the type never expires.
 */
export function expiresAtFor(policy: PointTypePolicy, activeFrom: Date, timeZone: string): Date | null {
  if (policy.expiresAfterDays === null) return null;
  const moment = addLocalDays(activeFrom, policy.expiresAfterDays, timeZone);
  switch (policy.expiryRounding) {
    case 'none':
      return moment;
    case 'end_of_day':
      return endOfLocalDay(moment, timeZone);
    case 'end_of_month':
      return endOfLocalMonth(moment, timeZone);
  }
}
