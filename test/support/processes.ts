import { type ChildProcess, spawn } from 'node:child_process';

/**
 * Tests that run real processes: how long to give one test. Starting a server migrates a database
 * and, on the embedded engine, loads PostgreSQL compiled to WebAssembly: seconds on an idle machine,
 * over a minute on a busy two-core one.
 */
export const PROCESS_TEST_TIMEOUT_MS = 240_000;

export interface StartedProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** The exit code (null when a signal ended it). */
  exited: Promise<number | null>;
}

const running = new Set<StartedProcess>();

/**
 * Starts a process in a process group of its own, so that `killStartedProcesses` ends it together
 * with whatever it forked (`serve --workers` forks its API processes).
 */
export function startProcess(command: string, args: string[], env: NodeJS.ProcessEnv): StartedProcess {
  const child = spawn(command, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    // 'close', not 'exit': by then stdout and stderr have been read to their end.
    child.on('close', (code) => resolve(code));
  });
  const started: StartedProcess = { child, stdout: () => stdout, stderr: () => stderr, exited };
  running.add(started);
  void exited.finally(() => running.delete(started)).catch(() => {});
  return started;
}

/** Runs a process to its end: its exit code and everything it printed. */
export async function runProcess(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const started = startProcess(command, args, env);
  const code = await started.exited;
  return { code, stdout: started.stdout(), stderr: started.stderr() };
}

/**
 * Kills every process a test started that is still running, with its process group, and waits
 * for them to exit. For afterEach and afterAll: it runs when a test fails or times out too, so no
 * server outlives its test.
 */
export async function killStartedProcesses(): Promise<void> {
  const leftovers = [...running];
  for (const { child } of leftovers) {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // The group is gone already.
    }
  }
  await Promise.all(leftovers.map(({ exited }) => exited.catch(() => null)));
}
