/**
 * The one way background work runs inside `regulars serve`: a job that runs every `intervalMs`.
 * Runs never overlap in one process (the next is scheduled when the last ends); across processes
 * each job keeps itself safe with row locks or SKIP LOCKED. `stop()` waits for a run in progress.
 */
export interface PeriodicJob {
  stop(): Promise<void>;
}

export interface PeriodicJobOptions<T> {
  intervalMs: number;
  onError: (error: unknown) => void;
  onRun?: (result: T) => void;
  /** Told how each run ended and how long it took (src/modules/metrics: runs and last success). */
  observe?: (outcome: 'success' | 'failure', durationMs: number) => void;
}

export function startPeriodicJob<T>(run: () => Promise<T>, options: PeriodicJobOptions<T>): PeriodicJob {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;

  const tick = () => {
    const started = performance.now();
    const took = () => performance.now() - started;
    running = run()
      .then(
        (result) => {
          options.observe?.('success', took());
          options.onRun?.(result);
        },
        (error: unknown) => {
          options.observe?.('failure', took());
          throw error;
        },
      )
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
