import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { buildApp } from '../src/app.ts';
import { openDatabase } from '../src/db/connection.ts';
import { createServices } from '../src/services.ts';
import { benchOrder, pick, seed } from './seed.ts';
import {
  cpuSpentSince,
  percentile,
  postgresProcesses,
  readCpu,
  scratchDatabase,
  writeResult,
} from './support.ts';

/**
 * `npx tsx bench/statements.ts [--sql]`: how many SQL statements each hot path sends, and how long
 * it takes alone (one request at a time, in-process, no HTTP socket). Statement counts do not
 * depend on how noisy the machine is, so they are the before/after figure for round-trip work.
 * On PostgreSQL when DATABASE_URL is set (a fresh database is created and dropped; statements are
 * counted by wrapping the pg client), else on the embedded engine in a temporary directory
 * (counted from the protocol messages PGlite runs; its CPU is this process's).
 * `--sql` prints the statements of one request of each path; `--only <text>` runs the paths whose
 * name contains text; `--cpu-prof` writes a CPU profile of the measured requests of each path to
 * bench/results/<path>.cpuprofile (open it in Chrome DevTools or speedscope); `--unprepared` sends
 * every statement unnamed, as DATABASE_PREPARED_STATEMENTS=false does (the before of src/db/prepared.ts).
 */

const SERVER_URL = process.env.DATABASE_URL;
const PRINT_SQL = process.argv.includes('--sql');
const PROFILE = process.argv.includes('--cpu-prof');
const ONLY = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
const UNPREPARED = process.argv.includes('--unprepared');
const RUNS = 200;

let counting = false;
let statements: string[] = [];
/** Wall time spent waiting on the database, so the rest is this process's own work. */
let databaseNs = 0n;
/** Wall time per statement text (its first 90 characters), for --sql. */
const byStatement = new Map<string, bigint>();

/** Sends a statement, timing it from the call (PGlite does its work before it returns) to its answer. */
function timed<T>(text: string, send: () => Promise<T>): Promise<T> {
  const start = process.hrtime.bigint();
  return send().finally(() => {
    const spent = process.hrtime.bigint() - start;
    databaseNs += spent;
    const key = text.replace(/\s+/g, ' ').trim().slice(0, 90);
    byStatement.set(key, (byStatement.get(key) ?? 0n) + spent);
  });
}

const originalQuery = pg.Client.prototype.query;
pg.Client.prototype.query = function countedQuery(this: pg.Client, ...args: unknown[]) {
  const send = () => (originalQuery as (...a: unknown[]) => unknown).apply(this, args);
  if (!counting) return send();
  const first = args[0];
  const text = typeof first === 'string' ? first : ((first as { text?: string } | undefined)?.text ?? '?');
  statements.push(text);
  // A submittable (src/db/pipeline.ts) answers through its own callback: counted, not timed.
  let result: unknown;
  const answer = timed(text, () => {
    result = send();
    return result instanceof Promise ? result : Promise.resolve();
  });
  return result instanceof Promise ? answer : result;
} as typeof pg.Client.prototype.query;

/**
 * PGlite runs a statement as several protocol messages. A simple Query ('Q': text) or an unnamed
 * Parse ('P': name, then text) starts one, and the messages after it are its own; a named Parse
 * prepares a text (src/db/embedded-prepared.ts) and a Bind ('B': portal, then statement name) of
 * that name runs it again.
 */
const PARSE = 0x50;
const SIMPLE_QUERY = 0x51;
const BIND = 0x42;
let embeddedStatement = '?';
const preparedTexts = new Map<string, string>();
/** The zero-terminated string at offset in message, and where the next one starts. */
function cString(message: Uint8Array, offset: number): [string, number] {
  const end = message.indexOf(0, offset);
  return [Buffer.from(message.subarray(offset, end)).toString(), end + 1];
}
/** The statement a message starts, and whether it is a new one to count (a Parse that prepares is not). */
function statementOf(message: Uint8Array): { text: string; counted: boolean } | undefined {
  if (message[0] === SIMPLE_QUERY) return { text: cString(message, 5)[0], counted: true };
  if (message[0] === PARSE) {
    const [name, textStart] = cString(message, 5);
    const text = cString(message, textStart)[0];
    if (name !== '') preparedTexts.set(name, text);
    return { text, counted: name === '' };
  }
  if (message[0] === BIND) {
    const name = cString(message, cString(message, 5)[1])[0];
    if (name !== '') return { text: preparedTexts.get(name) ?? name, counted: true };
  }
  return undefined;
}
const originalExecute = PGlite.prototype.execProtocolStream;
PGlite.prototype.execProtocolStream = function countedExecute(this: PGlite, message, options) {
  const started = statementOf(message);
  if (!counting) return originalExecute.call(this, message, options);
  if (started) {
    embeddedStatement = started.text;
    if (started.counted) statements.push(embeddedStatement);
  }
  return timed(embeddedStatement, () => originalExecute.call(this, message, options));
};

const target = await scratchDatabase(SERVER_URL);
const masterKey = `rgm_bench_${randomBytes(12).toString('hex')}`;

try {
  const seeded = await seed(target, { members: 2_000, richMembers: 1_000, regulars: 0, masterKey });
  const database = await openDatabase({
    url: target.databaseUrl,
    dataDir: target.dataDir,
    poolSize: 4,
    preparedStatements: !UNPREPARED,
  });
  const app = await buildApp(createServices(database, { masterKey }));
  await app.ready();
  const headers = { authorization: `Bearer ${seeded.apiKey}` };
  let serial = 0;
  const order = (documentNumber: string) => benchOrder(seeded, documentNumber);

  type Step = { method: 'GET' | 'POST'; url: string; payload?: object };
  // A member who has earned on 300 tickets and spent nothing holds 300 open lots.
  const loyal = seeded.members[5]!.id;
  const earlierEarnings = Array.from({ length: 300 }, () => ({
    method: 'POST' as const,
    url: `/v1/customers/${loyal}/points/add`,
    payload: { points: 1, reason: 'an earlier ticket' },
  }));
  // A member who came back for 300 tickets: segment criteria on purchases read their history.
  // Each of theirs between four of other members, as on a real day: their tickets lie on as many
  // table pages as they would in production, not packed together.
  const habitue = seeded.members[6]!.id;
  const ticketOf = (documentNumber: string, customerId: string) => ({
    method: 'POST' as const,
    url: '/v1/transactions',
    payload: { ...order(documentNumber), customer: { customerId } },
  });
  const earlierTickets = Array.from({ length: 300 }, (_, i) => [
    ticketOf(`H-${i}`, habitue),
    ...[1, 2, 3, 4].map((k) => ticketOf(`H-${i}-${k}`, seeded.members[100 + ((i * 4 + k) % 1_800)]!.id)),
  ]).flat();
  const paths: Array<{ name: string; setup?: Step[]; steps: () => Promise<Step[]> | Step[] }> = [
    {
      name: 'member lookup by phone',
      steps: () => [
        {
          method: 'GET',
          url: `/v1/customers/lookup?identifier=${encodeURIComponent(pick(seeded.members).phoneAsTyped)}`,
        },
      ],
    },
    {
      name: 'POST /v1/transactions',
      steps: () => [
        {
          method: 'POST',
          url: '/v1/transactions',
          payload: { ...order(`S-${serial++}`), customer: { customerId: pick(seeded.members).id } },
        },
      ],
    },
    {
      // The same few members again and again: their tier row and segments exist, as for a regular.
      name: 'POST /v1/transactions, a regular',
      steps: () => [
        {
          method: 'POST',
          url: '/v1/transactions',
          payload: {
            ...order(`S-${serial++}`),
            customer: { customerId: pick(seeded.members.slice(0, 5)).id },
          },
        },
      ],
    },
    {
      name: 'POST /v1/transactions, a regular with 300 open lots',
      setup: earlierEarnings,
      steps: () => [
        {
          method: 'POST',
          url: '/v1/transactions',
          payload: { ...order(`S-${serial++}`), customer: { customerId: loyal } },
        },
      ],
    },
    {
      name: 'POST /v1/transactions, a regular with 300 past tickets',
      setup: earlierTickets,
      steps: () => [
        {
          method: 'POST',
          url: '/v1/transactions',
          payload: { ...order(`S-${serial++}`), customer: { customerId: habitue } },
        },
      ],
    },
    {
      name: 'points spend',
      steps: () => [
        {
          method: 'POST',
          url: `/v1/customers/${pick(seeded.richMembers)}/points/spend`,
          payload: { points: 0.01, reason: 'bench' },
        },
      ],
    },
    {
      name: 'GET /v1/customers/{id}/rewards',
      steps: () => [{ method: 'GET', url: `/v1/customers/${pick(seeded.richMembers)}/rewards` }],
    },
    {
      name: 'redemption commit (one step)',
      steps: () => [
        {
          method: 'POST',
          url: '/v1/redemptions',
          payload: {
            customerId: pick(seeded.richMembers),
            order: order(`R-${serial++}`),
            rewards: [{ rewardId: pick(seeded.rewardIds) }],
            mode: 'commit',
          },
        },
      ],
    },
  ];

  const results = [];
  const profiler = new Session();
  profiler.connect();
  await profiler.post('Profiler.enable');
  for (const path of paths) {
    if (ONLY && !path.name.includes(ONLY)) continue;
    const samples: number[] = [];
    let total = 0;
    let cpuMicros = 0;
    let postgresBefore: number | null = null;
    if (path.setup) {
      for (const step of path.setup) await app.inject({ ...step, headers });
      // Measured right after a vacuum, as autovacuum (or the embedded engine's maintenance) leaves
      // the history at best: counted for the planner, its pages marked all-visible.
      await database.db.execute(sql`vacuum (analyze)`);
    }
    databaseNs = 0n;
    byStatement.clear();
    for (let run = 0; run < RUNS + 20; run++) {
      const steps = await path.steps();
      statements = [];
      counting = run >= 20;
      if (PROFILE && run === 20) await profiler.post('Profiler.start');
      // Once per path: reading /proc costs this process CPU that would land in the next requests.
      if (run === 20 && SERVER_URL) postgresBefore = readCpu(postgresProcesses);
      const start = process.hrtime.bigint();
      const cpuStart = process.cpuUsage();
      for (const step of steps) {
        const response = await app.inject({ ...step, headers });
        if (response.statusCode >= 300)
          throw new Error(`${step.method} ${step.url} → ${response.statusCode}: ${response.body}`);
      }
      counting = false;
      const cpu = process.cpuUsage(cpuStart);
      if (run < 20) continue;
      cpuMicros += cpu.user + cpu.system;
      samples.push(Number(process.hrtime.bigint() - start) / 1e6);
      total += statements.length;
      if (PRINT_SQL && run === 20) {
        console.log(`\n## ${path.name}: ${statements.length} statements`);
        for (const text of statements) console.log(`  ${text.replace(/\s+/g, ' ').slice(0, 220)}`);
      }
    }
    const postgresMs = SERVER_URL
      ? (cpuSpentSince(postgresBefore, postgresProcesses) ?? undefined)
      : undefined;
    if (PRINT_SQL) {
      const slowest = [...byStatement].sort((a, b) => Number(b[1] - a[1])).slice(0, 8);
      console.log('  slowest statements, ms per request:');
      for (const [text, ns] of slowest) console.log(`  ${(Number(ns) / 1e6 / RUNS).toFixed(2)}  ${text}`);
    }
    if (PROFILE) {
      const { profile } = await profiler.post('Profiler.stop');
      const file = `${import.meta.dirname}/results/${path.name.replace(/[^a-z0-9]+/gi, '-')}.cpuprofile`;
      writeFileSync(file, JSON.stringify(profile));
      console.log(`CPU profile: ${file}`);
    }
    samples.sort((a, b) => a - b);
    const result = {
      path: path.name,
      statementsPerRequest: Math.round((10 * total) / RUNS) / 10,
      medianMs: Math.round(percentile(samples, 50) * 100) / 100,
      databaseMsPerRequest: Math.round(Number(databaseNs / BigInt(RUNS)) / 1e4) / 100,
      /** CPU this process spent per request: what bounds throughput when it is the busy one. */
      cpuMsPerRequest: Math.round(cpuMicros / RUNS / 10) / 100,
      /** CPU of PostgreSQL's processes per request (same machine): the other share of the cores. */
      /** null on the embedded engine, whose CPU is this process's. */
      postgresCpuMsPerRequest: postgresMs === undefined ? null : Math.round((postgresMs / RUNS) * 100) / 100,
      p99Ms: Math.round(percentile(samples, 99) * 100) / 100,
    };
    results.push(result);
    console.log(
      `${result.path}: ${result.statementsPerRequest} statements, median ${result.medianMs} ms (${result.databaseMsPerRequest} ms waiting on the database, ${result.cpuMsPerRequest} ms of CPU here${postgresMs === undefined ? '' : `, ${result.postgresCpuMsPerRequest} ms in PostgreSQL`}), p99 ${result.p99Ms} ms`,
    );
  }
  profiler.disconnect();
  if (!ONLY)
    writeResult(SERVER_URL ? 'statements' : 'statements-embedded', {
      database: SERVER_URL ? 'postgres' : 'embedded',
      runs: RUNS,
      results,
    });
  await app.close();
  await database.close();
} finally {
  await target.cleanup();
}
