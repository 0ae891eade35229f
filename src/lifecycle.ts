/**
 * A server's way out, in the order a load balancer needs (README "Shutdown"): `/readyz` turns 503
 * first, requests keep being served for SHUTDOWN_DELAY_MS while the balancer notices, then the
 * listener closes, in-flight requests finish and background work stops, all within
 * SHUTDOWN_GRACE_MS. `regulars serve`, each `--workers` process and `regulars worker` share it.
 */
export interface Lifecycle {
  /** Set once shutdown has begun: readiness answers 503 from then on. */
  readonly draining: boolean;
  beginDraining(): void;
}

export function createLifecycle(): Lifecycle {
  let draining = false;
  return {
    get draining() {
      return draining;
    },
    beginDraining() {
      draining = true;
    },
  };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Waits for work, but no longer than ms: answers whether it settled in time (its errors are its own). */
export async function withinGrace(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([work.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
