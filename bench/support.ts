import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/** Shared by every benchmark: timing, percentiles, the machine, and where results go. */

export function percentile(sortedMs: number[], p: number): number {
  if (sortedMs.length === 0) return Number.NaN;
  const index = Math.min(sortedMs.length - 1, Math.ceil((p / 100) * sortedMs.length) - 1);
  return sortedMs[Math.max(0, index)]!;
}

export interface Percentiles {
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
}

/** The median, 95th and 99th percentiles of latencies sorted in ascending order. */
export function percentiles(sortedMs: number[]): Percentiles {
  return {
    p50Ms: percentile(sortedMs, 50),
    p95Ms: percentile(sortedMs, 95),
    p99Ms: percentile(sortedMs, 99),
  };
}

export interface Timing {
  runs: number;
  medianMs: number;
  p95Ms: number;
  p99Ms: number;
}

/** Runs fn `runs` times after `warmup` runs and reports latency percentiles in milliseconds. */
export function time(fn: () => unknown, runs: number, warmup = Math.ceil(runs / 10)): Timing {
  for (let i = 0; i < warmup; i++) fn();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    fn();
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  samples.sort((a, b) => a - b);
  return {
    runs,
    medianMs: percentile(samples, 50),
    p95Ms: percentile(samples, 95),
    p99Ms: percentile(samples, 99),
  };
}

export function machine() {
  return {
    cores: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    platform: process.platform,
  };
}

export function writeResult(name: string, result: object): string {
  const dir = join(import.meta.dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.json`);
  writeFileSync(
    file,
    `${JSON.stringify({ name, at: new Date().toISOString(), machine: machine(), ...result }, null, 2)}\n`,
  );
  return file;
}

export interface ProcessStat {
  pid: number;
  parentPid: number;
  command: string;
  /** user + system CPU so far, in ms, its children that exited and were reaped included. */
  cpuMs: number;
}

/** Every process of this machine as Linux's /proc sees it; none elsewhere. */
function processes(): ProcessStat[] {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((entry) => /^\d+$/.test(entry));
  } catch {
    return [];
  }
  const found: ProcessStat[] = [];
  for (const pid of pids) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // exited since the listing
    }
    // Fields after the command's closing parenthesis: state is 1st, ppid the 2nd, utime, stime,
    // cutime and cstime the 12th to 15th, in clock ticks of 10 ms (USER_HZ, 100 on Linux).
    // cutime/cstime hold the children it reaped: a backend that exits moves to its postmaster.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    found.push({
      pid: Number(pid),
      parentPid: Number(fields[1]),
      command: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')),
      cpuMs: (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) * 10,
    });
  }
  return found;
}

/** Which processes to watch: the machine's PostgreSQL, or a process and its children (workers). */
export type Watched = (entry: ProcessStat) => boolean;
export const postgresProcesses: Watched = (entry) => entry.command === 'postgres';
export const processTree =
  (rootPid: number): Watched =>
  (entry) =>
    entry.pid === rootPid || entry.parentPid === rootPid;

/**
 * CPU ms so far of the watched processes, with the children they reaped, so a connection closed
 * or an autovacuum worker finished between two readings still counts (its postmaster reaps it).
 * null when this machine cannot say: no Linux /proc, or none of them runs here (a PostgreSQL
 * server elsewhere).
 */
export function readCpu(watched: Watched): number | null {
  const found = processes().filter(watched);
  return found.length === 0 ? null : found.reduce((sum, entry) => sum + entry.cpuMs, 0);
}

/** CPU ms the watched processes spent since `before` (a readCpu), or null as readCpu. */
export function cpuSpentSince(before: number | null, watched: Watched): number | null {
  const now = readCpu(watched);
  return before === null || now === null ? null : now - before;
}

/**
 * A database of the benchmark's own: a fresh one on the PostgreSQL server at `serverUrl` (dropped
 * by `cleanup`), or without a server an embedded one in a temporary directory (removed). Pass
 * `databaseUrl`/`dataDir` to `seed` and `openDatabase`; `env` is the same for a server process.
 */
export interface ScratchDatabase {
  databaseUrl?: string;
  dataDir?: string;
  env: Record<string, string>;
  cleanup(): Promise<void>;
}

export async function scratchDatabase(serverUrl: string | undefined): Promise<ScratchDatabase> {
  if (!serverUrl) {
    const dataDir = mkdtempSync(join(tmpdir(), 'regulars-bench-'));
    return {
      dataDir,
      env: { DATA_DIR: dataDir },
      cleanup: async () => rmSync(dataDir, { recursive: true, force: true }),
    };
  }
  const name = `regulars_bench_${Date.now()}`;
  await onServer(serverUrl, `create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    databaseUrl: url.toString(),
    env: { DATABASE_URL: url.toString() },
    cleanup: () => onServer(serverUrl, `drop database if exists ${name} with (force)`),
  };
}

async function onServer(serverUrl: string, statement: string): Promise<void> {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(statement);
  } finally {
    await admin.end();
  }
}
