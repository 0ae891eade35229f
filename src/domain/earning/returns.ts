import { type Hundredths, type PointsPrecision, roundAward } from '../points.ts';

/**
 * Points to take back for a return, in proportion to the money returned. Returns add up: the
 * cumulative reversal after each return is earned × returned so far / sold, rounded down to the
 * program's precision (a whole-points program keeps whole balances), so partial returns never
 * reverse more than the ticket earned, and returning everything reverses it all.
 * Pure. Amounts in minor units; `sold` > 0.
 */
export function pointsToReverse(input: {
  earned: Hundredths;
  alreadyReversed: Hundredths;
  sold: number;
  returnedBefore: number;
  returnedNow: number;
  precision: PointsPrecision;
}): Hundredths {
  const { earned, alreadyReversed, sold, returnedBefore, returnedNow, precision } = input;
  if (sold <= 0 || earned <= 0 || returnedNow <= 0) return 0;
  const returnedTotal = Math.min(returnedBefore + returnedNow, sold);
  const target =
    returnedTotal === sold
      ? earned
      : roundAward(BigInt(earned) * BigInt(returnedTotal), BigInt(sold), { precision, rounding: 'down' });
  return Math.max(0, Math.min(target, earned) - alreadyReversed);
}
