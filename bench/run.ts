import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { benchOrder, pick, type Seeded, seed } from './seed.ts';
import {
  cpuSpentSince,
  machine,
  type Percentiles,
  percentiles,
  postgresProcesses,
  processTree,
  readCpu,
  type ScratchDatabase,
  scratchDatabase,
  writeResult,
} from './support.ts';

/**
 * `npm run bench [-- --quick]`: the cashier's hot paths against this machine's own ceilings.
 * Seeds a database, starts the server (bench/server.ts = `regulars serve` + ceiling routes) in its
 * own process, and drives it with autocannon from this one. Embedded PGlite by default; set
 * DATABASE_URL to a PostgreSQL server to bench there (a fresh database is created and dropped),
 * where 1 and 2 API processes are compared. Each scenario also reports the CPU one request cost
 * the API processes and, when PostgreSQL runs on this machine, PostgreSQL (Linux /proc): on a
 * shared box, which of the two fills the cores.
 * `--only <text>` runs the ceilings and the scenarios whose name contains text; `--cpu-prof` writes
 * a CPU profile of each API process under load to bench/results/profiles/ (open it in Chrome
 * DevTools or speedscope).
 */

const args = process.argv.slice(2);
const QUICK = args.includes('--quick');
const ONLY = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
const PROFILE_DIR = args.includes('--cpu-prof')
  ? join(import.meta.dirname, 'results', 'profiles')
  : undefined;
const SERVER_URL = process.env.DATABASE_URL;
const MEMBERS = QUICK ? 5_000 : 100_000;
/** Members who bought before the run (Seeded.regulars), for the scenario of a regular's ticket. */
const REGULARS = QUICK ? 100 : 1_000;
/** Members given plenty of points, for spend and redemption (Seeded.richMembers). */
const RICH_MEMBERS = QUICK ? 250 : 1_000;
const DURATION_S = QUICK ? 2 : 15;
/** How long each scenario runs before it is measured (see measure). */
// Long enough, too, for the previous scenario's requests still in flight to be answered.
const WARMUP_S = QUICK ? 1 : 3;
const CONNECTIONS = 32;
const PACED_TICKETS_PER_SECOND = 50;
const WORKERS = SERVER_URL ? [1, 2] : [1];
const MASTER_KEY = `rgm_bench_${randomBytes(12).toString('hex')}`;
const SERVER_SCRIPT = join(import.meta.dirname, 'server.ts');

async function startServer(
  target: ScratchDatabase,
  workers: number,
): Promise<{ url: string; pid: number; child: ChildProcess }> {
  const port = 21_000 + Math.floor(Math.random() * 20_000);
  const profile = PROFILE_DIR ? ['--cpu-prof', '--cpu-prof-dir', PROFILE_DIR] : [];
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', SERVER_SCRIPT], {
    env: {
      ...process.env,
      ...target.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      REGULARS_MASTER_KEY: MASTER_KEY,
      RATE_LIMIT_MAX: '0',
      LOG_LEVEL: 'warn',
      BENCH_WORKERS: String(workers),
      DATABASE_POOL_SIZE:
        process.env.BENCH_POOL_SIZE ?? String(Math.max(4, Math.floor(CONNECTIONS / workers))),
      WEBHOOKS_WORKER: 'false',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let attempt = 0; attempt < 300; attempt++) {
    try {
      if ((await fetch(`${url}/readyz`)).ok) return { url, pid: child.pid!, child };
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGKILL');
  throw new Error('the bench server did not become ready');
}

async function stopServer(child: ChildProcess) {
  const exited = new Promise((resolve) => child.on('exit', resolve));
  child.kill('SIGTERM');
  // A graceful stop waits for background jobs; the benchmark does not need to.
  const timer = setTimeout(() => {
    console.warn('the bench server did not stop within 30 s of SIGTERM: killing it');
    child.kill('SIGKILL');
  }, 30_000);
  await exited;
  clearTimeout(timer);
}

/** One request of a flow; `path` may depend on the previous answer (e.g. the redemption to commit). */
type Request = {
  method: string;
  path: string | ((previous: Record<string, unknown>) => string);
  body?: unknown;
};

function pathOf(step: Request, previous: Record<string, unknown>): string {
  return typeof step.path === 'function' ? step.path(previous) : step.path;
}

interface FlowContext {
  flow?: Request[];
  previous?: Record<string, unknown>;
}

interface Scenario {
  name: string;
  /** How many requests one flow makes (every flow of a scenario makes the same number). */
  steps: number;
  /**
   * Which ceiling this scenario is compared with (null: it is a ceiling). A paced scenario is
   * not compared (its rate is set, not found); its ceiling only says which kind it is for --only.
   */
  ceiling: 'noop' | 'read' | 'write' | null;
  /** Flows started per second whatever the answers, for latency at a set load rather than at most. */
  flowsPerSecond?: number;
  /** The requests one user makes, in order (a till flow is several). */
  next(): Request[];
}

interface Measured extends Percentiles {
  scenario: string;
  workers: number;
  requestsPerSecond: number;
  errors: number;
  non2xx: number;
  statusCodes: Record<number, number>;
  requests: number;
  /** CPU per request of the API processes, and of PostgreSQL; null where this machine cannot say. */
  apiCpuMsPerRequest: number | null;
  postgresCpuMsPerRequest: number | null;
  /**
   * The same percentiles as the server timed its requests (Server-Timing), without the load's
   * own client and the loopback; paced scenarios only (autocannon does not hand over headers).
   */
  serverTimed: Percentiles | null;
}

/** Where a load reports each answer (its latency and status) and each request that got none. */
interface Recorder {
  answered(latencyMs: number, status: number, serverMs?: number): void;
  failed(): void;
}

/** As many requests as the server takes: each connection sends its next when answered. */
async function closedLoop(
  url: string,
  headers: Record<string, string>,
  scenario: Scenario,
  seconds: number,
  record: Recorder,
): Promise<void> {
  let finish: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const instance = autocannon(
    {
      url,
      connections: CONNECTIONS,
      duration: seconds,
      headers: { ...headers, 'content-type': 'application/json' },
      // One autocannon request per step of the flow: autocannon resets a connection's context
      // when its request sequence starts over, so the first step draws a new flow.
      requests: Array.from({ length: scenario.steps }, (_, index) => ({
        onResponse: (_status: number, body: string, context: FlowContext) => {
          try {
            context.previous = JSON.parse(body);
          } catch {
            context.previous = {};
          }
        },
        setupRequest: (request: autocannon.Request, context: FlowContext) => {
          if (index === 0) context.flow = scenario.next();
          const step = context.flow![index]!;
          return {
            ...request,
            method: step.method as 'GET',
            path: pathOf(step, context.previous ?? {}),
            ...(step.body === undefined ? { body: undefined } : { body: JSON.stringify(step.body) }),
          };
        },
      })),
    },
    () => finish(),
  );
  instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) =>
    record.answered(responseTime, statusCode),
  );
  // Errors and timeouts alike.
  instance.on('reqError', () => record.failed());
  await done;
}

/** The server's own time for a request, from bench/server.ts's `Server-Timing: app;dur=<ms>`. */
function serverTiming(response: Response): number | undefined {
  const duration = /app;dur=([\d.]+)/.exec(response.headers.get('server-timing') ?? '')?.[1];
  return duration === undefined ? undefined : Number(duration);
}

/**
 * A flow starts every 1/perSecond s, whether or not the earlier ones were answered (autocannon's
 * own rate sends each connection's share in a burst at the top of every second, which measures
 * the burst). A flow's first request is timed from when it was due, so a driver that fell behind
 * shows as latency rather than hiding it; an answer later than autocannon's 10 s is an error.
 */
async function openLoop(
  url: string,
  headers: Record<string, string>,
  scenario: Scenario,
  seconds: number,
  perSecond: number,
  record: Recorder,
): Promise<void> {
  async function runFlow(due: number) {
    let previous: Record<string, unknown> = {};
    let sent = due;
    for (const step of scenario.next()) {
      try {
        const response = await fetch(`${url}${pathOf(step, previous)}`, {
          method: step.method,
          headers: { ...headers, 'content-type': 'application/json' },
          ...(step.body === undefined ? {} : { body: JSON.stringify(step.body) }),
          signal: AbortSignal.timeout(10_000),
        });
        previous = (await response.json().catch(() => ({}))) as Record<string, unknown>;
        record.answered(performance.now() - sent, response.status, serverTiming(response));
        sent = performance.now();
      } catch {
        record.failed();
        return;
      }
    }
  }
  const flows: Promise<void>[] = [];
  const start = performance.now();
  const total = Math.round(seconds * perSecond);
  for (let index = 0; index < total; index++) {
    const due = start + (index * 1000) / perSecond;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    flows.push(runFlow(due));
  }
  await Promise.all(flows);
}

/**
 * One load of WARMUP_S + DURATION_S, measured over its last DURATION_S: the JIT has compiled the
 * scenario's paths and the pool is open by then, and the load never pauses at the window's edge,
 * so requests in flight there belong to a steady state rather than to a tail that would spill
 * into the window. Answers, errors and CPU count from the window's start to the load's end.
 */
async function measure(
  server: { url: string; pid: number },
  headers: Record<string, string>,
  scenario: Scenario,
  workers: number,
): Promise<Measured> {
  const latencies: number[] = [];
  const serverLatencies: number[] = [];
  const statusCodes: Record<number, number> = {};
  let errors = 0;
  let measuring = false;
  const record: Recorder = {
    answered(latencyMs, status, serverMs) {
      if (!measuring) return;
      latencies.push(latencyMs);
      if (serverMs !== undefined) serverLatencies.push(serverMs);
      statusCodes[status] = (statusCodes[status] ?? 0) + 1;
    },
    failed() {
      if (measuring) errors++;
    },
  };
  const api = processTree(server.pid);
  let apiCpuBefore: number | null = null;
  let postgresCpuBefore: number | null = null;
  let windowStart = Number.NaN;
  const windowStarts = setTimeout(() => {
    windowStart = performance.now();
    apiCpuBefore = readCpu(api);
    postgresCpuBefore = SERVER_URL ? readCpu(postgresProcesses) : null;
    measuring = true;
  }, WARMUP_S * 1000);
  const seconds = WARMUP_S + DURATION_S;
  if (scenario.flowsPerSecond === undefined) {
    await closedLoop(server.url, headers, scenario, seconds, record);
  } else {
    await openLoop(server.url, headers, scenario, seconds, scenario.flowsPerSecond, record);
  }
  clearTimeout(windowStarts);
  // Measured, not assumed: autocannon rounds a duration up to whole seconds.
  const windowSeconds = (performance.now() - windowStart) / 1000;
  const perRequest = (cpuMs: number | null) =>
    cpuMs === null ? null : Math.round((100 * cpuMs) / Math.max(1, latencies.length)) / 100;
  const apiCpuMsPerRequest = perRequest(cpuSpentSince(apiCpuBefore, api));
  const postgresCpuMsPerRequest = perRequest(cpuSpentSince(postgresCpuBefore, postgresProcesses));
  latencies.sort((a, b) => a - b);
  serverLatencies.sort((a, b) => a - b);
  const non2xx = Object.entries(statusCodes)
    .filter(([status]) => Number(status) < 200 || Number(status) >= 300)
    .reduce((sum, [, count]) => sum + count, 0);
  return {
    scenario: scenario.name,
    workers,
    requestsPerSecond: Math.round(latencies.length / windowSeconds),
    ...percentiles(latencies),
    errors,
    non2xx,
    statusCodes,
    requests: latencies.length,
    apiCpuMsPerRequest,
    postgresCpuMsPerRequest,
    serverTimed: serverLatencies.length === 0 ? null : percentiles(serverLatencies),
  };
}

/**
 * The members of a list one after another: a write locks its member, and members drawn at random
 * from a few hundred by 32 tills would often have two requests of one member waiting on each
 * other, which honest tills do not send.
 */
function inTurn(members: string[]): () => string {
  if (members.length === 0) throw new Error('inTurn needs at least one member');
  let turn = 0;
  return () => members[turn++ % members.length]!;
}

function scenarios(seeded: Seeded): Scenario[] {
  let ticketNumber = 0;
  const nextRegular = inTurn(seeded.regulars);
  const nextRichMember = inTurn(seeded.richMembers);
  // Regulars have bought before: the ticket of "any member" is drawn from the others.
  const regularIds = new Set(seeded.regulars);
  const newcomers = seeded.members.filter((member) => !regularIds.has(member.id));
  const ticket = (customerId = pick(newcomers).id): Request => ({
    method: 'POST',
    path: '/v1/transactions',
    body: {
      ...benchOrder(seeded, `B-${process.pid}-${Date.now()}-${ticketNumber++}`),
      customer: { customerId },
    },
  });
  const order = (documentNumber: string) => benchOrder(seeded, documentNumber);
  const redeem = (customerId: string, documentNumber: string, mode: 'reserve' | 'commit'): Request => ({
    method: 'POST',
    path: '/v1/redemptions',
    body: { customerId, order: order(documentNumber), rewards: [{ rewardId: pick(seeded.rewardIds) }], mode },
  });
  const lookup = (): Request => ({
    method: 'GET',
    path: `/v1/customers/lookup?identifier=${encodeURIComponent(pick(seeded.members).phoneAsTyped)}`,
  });
  const all: Scenario[] = [
    {
      name: 'ceiling: no-op route',
      ceiling: null,
      steps: 1,
      next: () => [{ method: 'GET', path: '/bench/noop' }],
    },
    {
      name: 'ceiling: indexed read',
      ceiling: null,
      steps: 1,
      next: () => [
        { method: 'GET', path: `/bench/read?org=${seeded.organizationId}&id=${pick(seeded.members).id}` },
      ],
    },
    {
      name: 'ceiling: 6-statement locked write',
      ceiling: null,
      steps: 1,
      next: () => [
        {
          method: 'POST',
          path: `/bench/write?org=${seeded.organizationId}&counter=${Math.floor(Math.random() * 64)}`,
          body: {},
        },
      ],
    },
    { name: 'member lookup by phone', ceiling: 'read', steps: 1, next: () => [lookup()] },
    // Any member of the sample: in a run, most of these are a member's first few tickets, each
    // climbing a tier or joining segments (writes and events of their own).
    { name: 'POST /v1/transactions (10 lines, 5 rules)', ceiling: 'write', steps: 1, next: () => [ticket()] },
    {
      // A regular's ticket moves neither tier nor segments: an established program's usual ticket.
      name: 'POST /v1/transactions, a regular',
      ceiling: 'write',
      steps: 1,
      next: () => [ticket(nextRegular())],
    },
    {
      // Far above a restaurant group's Saturday night (a 1,000-restaurant chain at 200 tickets a
      // restaurant over four hours is 14/s) and below the embedded engine's most: what a cashier
      // waits when the server is busy but not saturated.
      name: `POST /v1/transactions paced at ${PACED_TICKETS_PER_SECOND}/s`,
      ceiling: 'write',
      flowsPerSecond: PACED_TICKETS_PER_SECOND,
      steps: 1,
      next: () => [ticket()],
    },
    {
      name: 'points spend',
      ceiling: 'write',
      steps: 1,
      next: () => [
        {
          method: 'POST',
          path: `/v1/customers/${nextRichMember()}/points/spend`,
          body: { points: 0.01, reason: 'bench' },
        },
      ],
    },
    {
      name: 'GET /v1/customers/{id}/rewards',
      ceiling: 'read',
      steps: 1,
      next: () => [{ method: 'GET', path: `/v1/customers/${nextRichMember()}/rewards` }],
    },
    {
      name: 'redemption (reserve + commit)',
      ceiling: 'write',
      steps: 2,
      next: () => [
        redeem(nextRichMember(), `R-${process.pid}-${ticketNumber++}`, 'reserve'),
        { method: 'POST', path: (previous) => `/v1/redemptions/${String(previous.id)}/commit`, body: {} },
      ],
    },
    {
      name: 'till: lookup → rewards → redeem → ticket',
      ceiling: 'write',
      steps: 4,
      next: () => {
        const member = nextRichMember();
        const documentNumber = `M-${process.pid}-${ticketNumber++}`;
        return [
          lookup(),
          { method: 'GET', path: `/v1/customers/${member}/rewards?channel=pos` },
          redeem(member, documentNumber, 'commit'),
          {
            method: 'POST',
            path: '/v1/transactions',
            body: { ...order(documentNumber), customer: { customerId: member } },
          },
        ];
      },
    },
  ];
  return all.filter((scenario) => !ONLY || scenario.ceiling === null || scenario.name.includes(ONLY));
}

const CEILING_NAMES = {
  noop: 'ceiling: no-op route',
  read: 'ceiling: indexed read',
  write: 'ceiling: 6-statement locked write',
};

function table(results: Measured[], ceilingOf: Map<string, string | null>): string {
  const lines = [
    '| scenario | workers | req/s | p50 ms | p95 ms | p99 ms | errors | ratio to ceiling | CPU ms/req: API | PostgreSQL |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of results) {
    const ceilingName = ceilingOf.get(r.scenario);
    const ceiling = ceilingName
      ? results.find((c) => c.scenario === ceilingName && c.workers === r.workers)
      : undefined;
    const ratio = ceiling
      ? `${Math.round((100 * r.requestsPerSecond) / ceiling.requestsPerSecond)} % of ${ceilingName!.replace('ceiling: ', '')}`
      : '';
    lines.push(
      `| ${r.scenario} | ${r.workers} | ${r.requestsPerSecond} | ${r.p50Ms.toFixed(1)} | ${r.p95Ms.toFixed(1)} | ${r.p99Ms.toFixed(1)} | ${r.errors + r.non2xx} | ${ratio} | ${r.apiCpuMsPerRequest ?? 'n/a'} | ${SERVER_URL ? (r.postgresCpuMsPerRequest ?? 'n/a') : 'in the API'} |`,
    );
  }
  const timedByServer = results.flatMap(({ scenario, workers, serverTimed }) =>
    serverTimed
      ? [
          `${scenario}, ${workers} worker${workers > 1 ? 's' : ''}, as the server timed it: p50 ${serverTimed.p50Ms.toFixed(1)} ms, p95 ${serverTimed.p95Ms.toFixed(1)}, p99 ${serverTimed.p99Ms.toFixed(1)}`,
        ]
      : [],
  );
  if (timedByServer.length > 0) lines.push('', ...timedByServer);
  return lines.join('\n');
}

async function main() {
  const target = await scratchDatabase(SERVER_URL);
  try {
    const started = Date.now();
    const seeded = await seed(target, {
      members: MEMBERS,
      richMembers: RICH_MEMBERS,
      regulars: REGULARS,
      masterKey: MASTER_KEY,
    });
    console.log(
      `seeded ${MEMBERS} members, ${seeded.ruleCount} earning rules in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    const results: Measured[] = [];
    const list = scenarios(seeded);
    for (const workers of WORKERS) {
      const server = await startServer(target, workers);
      try {
        const headers = { authorization: `Bearer ${seeded.apiKey}` };
        for (const scenario of list) {
          const measured = await measure(server, headers, scenario, workers);
          results.push(measured);
          console.log(
            `${scenario.name} (${workers} worker${workers > 1 ? 's' : ''}): ${measured.requestsPerSecond} req/s, p99 ${measured.p99Ms} ms, ${measured.errors + measured.non2xx} errors`,
          );
        }
      } finally {
        await stopServer(server.child);
      }
    }
    const ceilingOf = new Map(
      list.map((s) => [
        s.name,
        s.ceiling && s.flowsPerSecond === undefined ? CEILING_NAMES[s.ceiling] : null,
      ]),
    );
    const database = SERVER_URL ? 'postgres' : 'embedded';
    // A partial or profiled run is not a result to compare with.
    const partial = ONLY !== undefined || PROFILE_DIR !== undefined;
    const file = partial
      ? undefined
      : writeResult(`bench-${database}${QUICK ? '-quick' : ''}`, {
          mode: QUICK ? 'quick' : 'full',
          database,
          members: MEMBERS,
          durationSeconds: DURATION_S,
          connections: CONNECTIONS,
          results,
        });
    console.log(
      `\n${machine().cores} cores, Node ${machine().node}, ${database} database, ${MEMBERS} members, ${CONNECTIONS} connections, ${DURATION_S} s per scenario\n`,
    );
    console.log(table(results, ceilingOf));
    if (file) console.log(`\nwritten to ${file}`);
  } finally {
    await target.cleanup();
  }
}

await main();
