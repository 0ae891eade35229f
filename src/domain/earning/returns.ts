import type { Hundredths } from '../points.ts';

/**
 * Points to take back for a return, in proportion to the money returned. Returns add up: the
 * cumulative reversal after each return is floor(earned × returned so far / sold), so partial
 * returns never reverse more than the ticket earned, and returning everything reverses it all.
 * Pure. Amounts in minor units; `sold` > 0.
 */
export function pointsToReverse(input: {
  earned: Hundredths;
  alreadyReversed: Hundredths;
  sold: number;
  returnedBefore: number;
  returnedNow: number;
}): Hundredths {
  const { earned, alreadyReversed, sold, returnedBefore, returnedNow } = input;
  if (sold <= 0 || earned <= 0 || returnedNow <= 0) return 0;
  const returnedTotal = Math.min(returnedBefore + returnedNow, sold);
  const target = Number((BigInt(earned) * BigInt(returnedTotal)) / BigInt(sold));
  return Math.max(0, Math.min(target, earned) - alreadyReversed);
}
