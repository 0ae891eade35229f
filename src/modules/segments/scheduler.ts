import type { Audience } from './audience.ts';

export interface AudienceScheduler {
  /** Stops the timer and waits for a run in progress to finish. */
  stop(): Promise<void>;
}

/**
 * Runs `audience.runScheduled` every `intervalMs` inside `regulars serve`: manual tier assignments
 * end when they expire, and each organization's daily refresh (every tier, every segment: rolling
 * windows, anniversaries, "last purchase N days ago", downgrade grace periods) runs once its local
 * day turns. Runs never overlap in one process; across processes the daily run is claimed per
 * organization and day, and member re-evaluations take row locks.
 */
export function startAudienceScheduler(
  audience: Pick<Audience, 'runScheduled'>,
  options: {
    intervalMs: number;
    onError: (error: unknown) => void;
    onRun?: (result: { expired: number; refreshed: number }) => void;
  },
): AudienceScheduler {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;

  const tick = () => {
    running = audience
      .runScheduled()
      .then((result) => options.onRun?.(result))
      .catch(options.onError)
      .finally(() => {
        running = undefined;
        if (!stopped) schedule();
      });
  };
  const schedule = () => {
    timer = setTimeout(tick, options.intervalMs);
    // A pending run must not keep a process alive that has nothing else to do.
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
