/**
 * When a failed delivery is tried again. The schedule lists the waits after the first,
 * second, … failure; a delivery that fails once more after the last wait is dead-lettered.
 */

/** ≈ 23.7 h of retries, roughly doubling to quadrupling: 11 attempts in all. */
export const DEFAULT_RETRY_SCHEDULE_MS = [
  5_000,
  30_000,
  2 * 60_000,
  10 * 60_000,
  30 * 60_000,
  60 * 60_000,
  2 * 3_600_000,
  4 * 3_600_000,
  8 * 3_600_000,
  8 * 3_600_000,
];

/** ± this share of each wait is random, so endpoints that failed together do not retry in lockstep. */
const JITTER = 0.2;

/**
 * The wait before the next attempt, given how many retries the delivery had left before this
 * failure (`retriesLeft` counts down from `schedule.length`). `random` is in [0, 1).
 */
export function retryDelayMs(schedule: readonly number[], retriesLeft: number, random: number): number {
  const index = Math.min(Math.max(schedule.length - retriesLeft, 0), schedule.length - 1);
  const base = schedule[index] ?? 0;
  return Math.round(base * (1 - JITTER + 2 * JITTER * random));
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `5s,30s,2m,1h` → milliseconds; undefined when a part is not a duration. */
export function parseSchedule(text: string): number[] | undefined {
  const parts = text.split(',').map((part) => part.trim());
  const delays: number[] = [];
  for (const part of parts) {
    const match = /^(\d+)(ms|s|m|h|d)$/.exec(part);
    if (!match) return undefined;
    delays.push(Number(match[1]) * UNIT_MS[match[2]!]!);
  }
  return delays;
}
