import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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

export function cleanEnv(extra: Record<string, string>): Record<string, string | undefined> {
  const { DATABASE_URL, DATA_DIR, REGULARS_MASTER_KEY, TEST_DATABASE_URL, ...rest } = process.env;
  return { ...rest, LOG_LEVEL: 'info', ...extra };
}

export interface ServeProcess {
  child: ChildProcess;
  url: string;
  stdout: () => string;
  stderr: () => string;
}

/** Starts `regulars serve` and waits until it listens (killed if it does not within START_TIMEOUT_MS). */
export async function startServe(env: Record<string, string>, args: string[] = []): Promise<ServeProcess> {
  const child = spawn(process.execPath, [CLI, 'serve', ...args], {
    env: cleanEnv({ PORT: '0', HOST: '127.0.0.1', ...env }),
  });
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (chunk) => {
    stderr += chunk;
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`serve did not listen within ${START_TIMEOUT_MS} ms: ${stderr}`));
    }, START_TIMEOUT_MS);
    child.stdout!.on('data', (chunk) => {
      stdout += chunk;
      const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}: ${stderr}`));
    });
  });
  return { child, url, stdout: () => stdout, stderr: () => stderr };
}

/** Resolves once the process has exited (at once if it already has). */
export function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', resolve));
}
