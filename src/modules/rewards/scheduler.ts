import type { RewardsService } from './service.ts';

export interface RewardsScheduler {
  /** Stops the timer and waits for a run in progress to finish. */
  stop(): Promise<void>;
}

/**
 * Runs `rewards.processDue` every `intervalMs` inside `regulars serve`: expired reservations give
 * their points, limits and coupons back, and coupons past their date become `expired`, without
 * anyone calling the API. Correctness never waits for it: every read and write that depends on
 * a reservation or a coupon releases or ignores what is due first.
 */
export function startRewardsScheduler(
  rewards: Pick<RewardsService, 'processDue'>,
  options: {
    intervalMs: number;
    onError: (error: unknown) => void;
    onRun?: (result: { reservationsReleased: number; couponsExpired: number }) => void;
  },
): RewardsScheduler {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;

  const tick = () => {
    running = rewards
      .processDue()
      .then((result) => options.onRun?.(result))
      .catch(options.onError)
      .finally(() => {
        running = undefined;
        if (!stopped) schedule();
      });
  };
  const schedule = () => {
    timer = setTimeout(tick, options.intervalMs);
    timer.unref();
  };
  schedule();

  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
