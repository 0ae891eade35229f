import type { LedgerService, ProcessResult } from './service.ts';

export interface PointsScheduler {
  /** Stops the timer and waits for a run in progress to finish. */
  stop(): Promise<void>;
}

/**
 * Runs `ledger.processDue` every `intervalMs` inside `regulars serve`: pending points become
 * spendable and expired points leave balances without anyone calling the API. Runs never overlap
 * in one process; across processes the per-balance row locks keep them apart.
 */
export function startPointsScheduler(
  ledger: Pick<LedgerService, 'processDue'>,
  options: {
    intervalMs: number;
    onError: (error: unknown) => void;
    onRun?: (result: ProcessResult) => void;
  },
): PointsScheduler {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;

  const tick = () => {
    running = ledger
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
