import cluster from 'node:cluster';
import { openMigratedDatabase } from './app.ts';
import type { Config } from './config.ts';
import { createApiKeysService } from './modules/api-keys/service.ts';

/**
 * `regulars serve --workers N` on PostgreSQL: the primary migrates and settles the master key
 * once, then forks N API processes that share the port (node:cluster). Every worker runs the same
 * background jobs; row claiming (SKIP LOCKED, row locks) keeps them from doing anything twice.
 * The embedded database lives inside one process, so it cannot be shared this way.
 */
export async function runPrimary(workers: number, config: Config): Promise<void> {
  const database = await openMigratedDatabase(config);
  try {
    // Only the master key is settled here: no key is created, so no location is ever checked.
    const noLocations = async () => new Set<string>();
    const generated = await createApiKeysService(
      database.db,
      { ownLocationIds: noLocations },
      { masterKey: config.masterKey },
    ).ensureMasterKey();
    if (generated) {
      process.stderr.write(
        `\nNo REGULARS_MASTER_KEY was set, so one was generated. It is shown only this once:\n\n  ${generated}\n\n`,
      );
    }
  } finally {
    await database.close();
  }

  let stopping = false;
  const fork = () => cluster.fork();
  for (let i = 0; i < workers; i++) fork();
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
      return;
    }
    process.stderr.write(`worker ${worker.process.pid} exited (${signal ?? code}); starting another\n`);
    fork();
  });
  const shutdown = () => {
    if (stopping) return;
    stopping = true;
    // Each worker finishes its in-flight requests and jobs on SIGTERM, then exits.
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

export const isClusterWorker = () => cluster.isWorker;
