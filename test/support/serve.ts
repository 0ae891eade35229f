import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runProcess, type StartedProcess, startProcess } from './processes.ts';

/** The built `regulars` binary, run as a user would. */
export const CLI = join(import.meta.dirname, '..', '..', 'dist', 'cli.js');
/** Generous: a fresh embedded database starts in seconds, but far slower on a loaded machine. */
const START_TIMEOUT_MS = 120_000;

const dirs: string[] = [];

/** A fresh temporary directory, removed by removeTempDirs (call it in afterAll). */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'regulars-'));
  dirs.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Database settings of the suite: the same PostgreSQL server as the other tests, or a fresh embedded one. */
export function databaseEnv(): Record<string, string> {
  const url = process.env.TEST_DATABASE_URL;
  return url ? { DATABASE_URL: url } : { DATA_DIR: join(tempDir(), 'data') };
}

export function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const { DATABASE_URL, DATA_DIR, REGULARS_MASTER_KEY, TEST_DATABASE_URL, ...rest } = process.env;
  return { ...rest, LOG_LEVEL: 'info', ...extra };
}

/** `regulars <args>` run to its end. */
export const cli = (args: string[], env: Record<string, string>) =>
  runProcess(process.execPath, [CLI, ...args], cleanEnv(env));

export type ServeProcess = StartedProcess & { url: string };

/**
 * `regulars serve`, once it says where it listens; killed if it does not within START_TIMEOUT_MS.
 * Started with startProcess: killStartedProcesses (afterEach) ends it whatever the test did.
 */
export async function startServe(env: Record<string, string>, args: string[] = []): Promise<ServeProcess> {
  const server = startProcess(
    process.execPath,
    [CLI, 'serve', ...args],
    cleanEnv({ PORT: '0', HOST: '127.0.0.1', ...env }),
  );
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      server.child.kill('SIGKILL');
      reject(new Error(`serve did not listen within ${START_TIMEOUT_MS} ms: ${server.stderr()}`));
    }, START_TIMEOUT_MS);
    server.child.stdout?.on('data', () => {
      const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(server.stdout());
      if (match) {
        clearTimeout(timer);
        resolve(match[1] as string);
      }
    });
    server.exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}: ${server.stderr()}`));
    });
  });
  return { ...server, url };
}
