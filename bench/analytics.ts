/**
 * Analytics benchmark: 100,000 members and 1,000,000 tickets over two years, every report over a
 * one-year range, and what keeping the rollups costs a ticket.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npx tsx bench/analytics.ts
 *   npx tsx bench/analytics.ts --members 20000 --tickets 200000      # embedded, smaller
 *
 * With DATABASE_URL a scratch database is made next to it and dropped; without, an embedded
 * database in a temporary directory. Members, tickets and their ledger entries are seeded
 * set-based (seeding is not what is measured), then `analytics rebuild` computes the rollups
 * (timed). Targets (issue #29): each report ≤ 100 ms p95 for a one-year range; rollup upkeep adds
 * ≤ 10 % CPU to a ticket. Latencies are also given as ratios to a no-op route in the same run.
 *
 * The upkeep's cost has two parts, both measured here on the same database:
 *  - the worker (marking days, recomputing today's rollups): tickets with the worker catching up
 *    every 100 tickets against the same tickets with it off;
 *  - the rollup queue row each event writes in the ticket's own transaction: the events statement
 *    with and without that second queue, alone, in a loop.
 */
import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { buildApp } from '../src/app.ts';
import { openDatabase, rawRows } from '../src/db/connection.ts';
import { runMigrations } from '../src/db/migrate.ts';
import { createServices } from '../src/services.ts';
import {
  cpuSpentSince,
  percentile,
  postgresProcesses,
  readCpu,
  scratchDatabase,
  writeResult,
} from './support.ts';

const args = process.argv.slice(2);
const arg = (name: string, fallback: number) => {
  const at = args.indexOf(`--${name}`);
  return at === -1 ? fallback : Number(args[at + 1]);
};
const MEMBERS = arg('members', 100_000);
const TICKETS = arg('tickets', 1_000_000);
const RUNS = arg('runs', 40);
const CPU_TICKETS = arg('cpu-tickets', 1_000);
const MASTER = 'rgm_bench_master_key_0123456789abcdef';
/** Keep the scratch database (to look at plans, or to reuse); its URL is printed. */
const KEEP = args.includes('--keep');
/**
 * `--reuse <url>`: a database a `--keep` run left (seeding takes minutes), migrated to the current
 * schema, its rollups rebuilt if a migration asks for it (or with `--rebuild`), then measured as
 * usual. It is kept.
 */
const REUSE = args.includes('--reuse') ? args[args.indexOf('--reuse') + 1] : undefined;
/** Only the reports whose query contains this text. */
const ONLY = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

async function timed<T>(fn: () => Promise<T>) {
  const start = process.hrtime.bigint();
  const result = await fn();
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, result };
}

async function latencies(runs: number, fn: () => Promise<unknown>) {
  for (let i = 0; i < Math.ceil(runs / 10); i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) samples.push((await timed(fn)).ms);
  samples.sort((a, b) => a - b);
  return { p50Ms: round(percentile(samples, 50)), p95Ms: round(percentile(samples, 95)) };
}

/** CPU ms of this process and, on a local PostgreSQL server, of its processes. */
function cpuNow() {
  const usage = process.cpuUsage();
  return { node: (usage.user + usage.system) / 1000, postgres: readCpu(postgresProcesses) };
}
function cpuSince(before: ReturnType<typeof cpuNow>) {
  const usage = process.cpuUsage();
  const node = (usage.user + usage.system) / 1000 - before.node;
  return node + (cpuSpentSince(before.postgres, postgresProcesses) ?? 0);
}

async function main() {
  const scratch = REUSE
    ? { databaseUrl: REUSE, dataDir: undefined, cleanup: async () => {} }
    : await scratchDatabase(process.env.DATABASE_URL);
  const database = await openDatabase(
    scratch.databaseUrl ? { url: scratch.databaseUrl, poolSize: 10 } : { dataDir: scratch.dataDir },
  );
  try {
    await runMigrations(database);
    const services = createServices(database, { masterKey: MASTER });
    const app = await buildApp(services);
    await app.ready();
    const db = database.db;
    const { org, locations, seed } = REUSE ? await seeded(db) : await seedBench(services, db);
    if (!REUSE) {
      console.log(`seeded ${MEMBERS} members and ${TICKETS} tickets in ${round(seed.ms / 1000, 1)} s`);
    }

    // A reused database is rebuilt when a migration left days to recompute, or when asked to.
    const stale = (await services.analytics.lag()).dirtyDays > 0 || args.includes('--rebuild');
    const rebuild = !REUSE || stale ? await timed(() => services.analytics.rebuild(org)) : undefined;
    if (rebuild) {
      console.log(`rebuilt ${rebuild.result.days} days of rollups in ${round(rebuild.ms / 1000, 1)} s`);
    }

    // --- every report over the last full year -----------------------------------------------
    const key = await services.apiKeys.create(org, { name: 'bench' });
    const headers = { authorization: `Bearer ${key.key}` };
    const get = async (url: string) => {
      const response = await app.inject({ method: 'GET', url, headers });
      if (response.statusCode !== 200) throw new Error(`${url}: ${response.statusCode} ${response.body}`);
    };
    const to = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Madrid' }).format(new Date());
    const from = new Date(Date.parse(`${to}T00:00:00Z`) - 364 * 86_400_000).toISOString().slice(0, 10);
    const range = `from=${from}&to=${to}`;
    const tier = REUSE
      ? await firstTier(db, org)
      : await services.tiers.create(org, { name: 'Everyone', conditionValue: 0 });
    await services.tiers.recompute(org);
    // As autovacuum would after 100,000 new rows: the tier filter's plan depends on it.
    await db.execute(sql`analyze customer_tiers`);
    const noop = await latencies(RUNS, () => app.inject({ method: 'GET', url: '/healthz' }));
    const reports: Record<string, { p50Ms: number; p95Ms: number; p95VsNoop: number }> = {};
    const urls = [
      `members?${range}&granularity=month`,
      `members?${range}&granularity=week`,
      `points?${range}&granularity=day`,
      `sales?${range}&granularity=month`,
      `sales?${range}&granularity=week&locationId=${locations[0]}`,
      `rewards?${range}&granularity=month`,
      `cohorts?${range}`,
      `rules?${range}`,
      `sales?${range}&granularity=month&tierId=${tier.id}`,
      `members?${range}&granularity=month&tierId=${tier.id}`,
    ].filter((url) => !ONLY || url.includes(ONLY));
    for (const url of urls) {
      const timing = await latencies(RUNS, () => get(`/v1/analytics/${url}`));
      reports[url] = { ...timing, p95VsNoop: round(timing.p95Ms / Math.max(noop.p95Ms, 0.001), 0) };
      console.log(`${url.padEnd(90)} p50 ${timing.p50Ms} ms  p95 ${timing.p95Ms} ms`);
    }

    // --- what the upkeep costs a ticket -------------------------------------------------------
    const sampleMembers = (await db.execute(
      sql`select id from bench_members order by n limit 500`,
    )) as unknown as {
      rows: { id: string }[];
    };
    let document = 0;
    const ticket = () =>
      app.inject({
        method: 'POST',
        url: '/v1/transactions',
        headers,
        payload: {
          documentNumber: `CPU-${randomBytes(4).toString('hex')}-${document++}`,
          totals: { total: 2500 },
          lines: [{ sku: 'MENU', total: 2500 }],
          locationId: locations[document % 10],
          customer: { customerId: sampleMembers.rows[document % sampleMembers.rows.length]!.id },
        },
      });
    await services.analytics.catchUp();
    for (let i = 0; i < 100; i++) await ticket(); // warm-up
    await services.analytics.catchUp();
    const phase = async (withUpkeep: boolean) => {
      const before = cpuNow();
      for (let i = 1; i <= CPU_TICKETS; i++) {
        await ticket();
        // The worker runs every 5 s: at a busy 20 tickets a second, once per 100 tickets.
        if (withUpkeep && i % 100 === 0) await services.analytics.catchUp();
      }
      const cpuMs = cpuSince(before);
      // The queue rows the phase without upkeep left are drained outside the measurement.
      if (!withUpkeep) await services.analytics.catchUp();
      return cpuMs / CPU_TICKETS;
    };
    const cpuPerTicket = { without: [] as number[], with: [] as number[] };
    for (let round_ = 0; round_ < 2; round_++) {
      cpuPerTicket.without.push(await phase(false));
      cpuPerTicket.with.push(await phase(true));
    }
    const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
    const workerShare = mean(cpuPerTicket.with) / mean(cpuPerTicket.without) - 1;

    // The rollup queue row of each event: the events statement with and without it, alone.
    const queueCost = await measureQueueRow(db, org);
    const ticketMs = mean(cpuPerTicket.without);
    const queueShare = (queueCost.extraMsPerEvent * 4) / ticketMs;

    const result = {
      members: MEMBERS,
      tickets: TICKETS,
      database: scratch.databaseUrl ? 'postgresql' : 'embedded',
      seedSeconds: REUSE ? null : round(seed.ms / 1000, 1),
      rebuild: rebuild ? { days: rebuild.result.days, seconds: round(rebuild.ms / 1000, 1) } : null,
      noopRoute: noop,
      reports,
      upkeep: {
        cpuMsPerTicketWithout: round(ticketMs, 3),
        cpuMsPerTicketWithWorker: round(mean(cpuPerTicket.with), 3),
        workerShare: round(workerShare * 100, 1),
        queueRowMsPerEvent: round(queueCost.extraMsPerEvent, 4),
        queueShareAtFourEventsPerTicket: round(queueShare * 100, 1),
        totalSharePercent: round((workerShare + queueShare) * 100, 1),
      },
    };
    console.log(JSON.stringify(result.upkeep, null, 2));
    console.log(`results: ${writeResult(`analytics-${result.database}`, result)}`);
    await app.close();
  } finally {
    await database.close();
    if (KEEP) console.log(`kept ${scratch.databaseUrl ?? scratch.dataDir}`);
    else await scratch.cleanup();
  }
}

type Services = ReturnType<typeof createServices>;
type BenchDb = Services['database']['db'];

/** Members, tickets and their ledger entries, set-based (seeding is not what is measured). */
async function seedBench(services: Services, db: BenchDb) {
  const organization = await services.organizations.create({ name: 'Bench', timeZone: 'Europe/Madrid' });
  const org = organization.id;
  const locations: string[] = [];
  for (let i = 0; i < 10; i++) locations.push((await services.locations.create(org, { name: `L${i}` })).id);
  const pointType = await services.pointTypes.getDefault(org);
  const rule = await services.earningRules.create(org, {
    name: 'A point per euro',
    type: 'spend',
    config: { pointsPerUnit: 1 },
  });
  const locationArray = sql.raw(`array['${locations.join("','")}']::uuid[]`);

  // --- seed: members over two years, tickets (70 % by members), their earn entries ----------
  const seed = await timed(async () => {
    await db.execute(sql`create table bench_members (n int primary key, id uuid not null)`);
    await db.execute(
      sql`insert into bench_members select n, gen_random_uuid() from generate_series(0, ${MEMBERS - 1}) n`,
    );
    await db.execute(sql`
      insert into customers (organization_id, id, first_name, source, marketing_consents, created_at, updated_at)
      select ${org}::uuid, m.id, 'Member ' || m.n, (array['POS','web','import'])[1 + m.n % 3],
        case when m.n % 3 = 0 then '{"email":{"granted":true,"at":"2025-01-01T00:00:00Z"}}'::jsonb else '{}'::jsonb end,
        now() - (m.n % 730) * interval '1 day', now()
      from bench_members m`);
    await db.execute(sql`
      insert into point_balances (organization_id, customer_id, point_type_id, active, earned)
      select ${org}::uuid, m.id, ${pointType.id}::uuid, 0, 0 from bench_members m`);
    await db.execute(sql`
      create table bench_tickets as
      select i, gen_random_uuid() as id,
        now() - ((i * 7919) % 730) * interval '1 day' - ((i * 13) % 86400) * interval '1 second' as at,
        case when i % 10 < 7 then (select id from bench_members where n = (i * 48271) % ${MEMBERS}) end as customer_id,
        (${locationArray})[1 + i % 10] as location_id,
        (500 + (i * 31) % 6000)::bigint as total
      from generate_series(0::bigint, ${TICKETS - 1}) i`);
    await db.execute(sql`
      insert into transactions (organization_id, id, source, document_number, type, status, location_id,
        purchased_at, currency, total, customer_id, content, content_hash, points_earned, breakdown)
      select ${org}::uuid, t.id, 'api', 'B-' || t.i, 'sale', 'completed', t.location_id, t.at, 'EUR', t.total,
        t.customer_id, '{}'::jsonb, 'bench', case when t.customer_id is null then 0 else t.total end,
        case when t.customer_id is null then '[]'::jsonb else jsonb_build_array(jsonb_build_object(
          'ruleId', ${rule.id}::text, 'ruleName', 'A point per euro', 'ruleType', 'spend', 'lineId', null,
          'points', t.total, 'beneficiary', 'member')) end
      from bench_tickets t`);
    // Earn entries with time-ordered ids of their own moment, as the ledger writes them.
    await db.execute(sql`
      insert into ledger_entries (organization_id, id, customer_id, point_type_id, kind, points, delta,
        actor_type, source_type, source_id, location_id, created_at)
      select ${org}::uuid,
        (lpad(to_hex(floor(extract(epoch from t.at) * 1000)::bigint), 12, '0') || '7'
          || substr(md5(t.id::text), 1, 3) || '8' || substr(md5(t.id::text), 4, 15))::uuid,
        t.customer_id, ${pointType.id}::uuid, 'earn', t.total, t.total, 'system', 'transaction', t.id::text,
        t.location_id, t.at
      from bench_tickets t where t.customer_id is not null`);
    await db.execute(sql`
      update point_balances b set active = s.points, earned = s.points
      from (select customer_id, sum(total) as points from bench_tickets where customer_id is not null
            group by customer_id) s
      where b.organization_id = ${org} and b.customer_id = s.customer_id`);
    await db.execute(sql`
      insert into customer_stats (organization_id, customer_id, transactions_count, total_spent,
        first_purchase_at, last_purchase_at)
      select ${org}::uuid, customer_id, count(*), sum(total), min(at), max(at)
      from bench_tickets where customer_id is not null group by customer_id`);
    await db.execute(sql`drop table bench_tickets`);
    await db.execute(sql`analyze`);
  });
  return { org, locations, seed };
}

/** The organization and locations of a kept bench database. */
async function seeded(db: BenchDb) {
  const [organization] = await rawRows<{ id: string }>(
    db,
    sql`select id::text as id from organizations where name = 'Bench' order by id limit 1`,
  );
  if (!organization) throw new Error('--reuse: no Bench organization in that database');
  const rows = await rawRows<{ id: string }>(
    db,
    sql`select id::text as id from locations where organization_id = ${organization.id} order by name`,
  );
  return { org: organization.id, locations: rows.map((row) => row.id), seed: { ms: 0 } };
}

async function firstTier(db: BenchDb, org: string) {
  const [tier] = await rawRows<{ id: string }>(
    db,
    sql`select id::text as id from tiers where organization_id = ${org} order by id limit 1`,
  );
  if (!tier) throw new Error('--reuse: no tier in the bench organization');
  return tier;
}

/**
 * CPU per event of the second queue insert: the outbox statement as it is (events + both
 * queues) against the same without the rollup queue, 2,000 single-event transactions each, twice.
 */
async function measureQueueRow(db: BenchDb, org: string) {
  const statement = (withRollupQueue: boolean) => sql`
    with inserted as (
      insert into events (organization_id, id, type, subject_type, subject_id, payload, created_at)
      values (${org}::uuid, gen_random_uuid(), 'bench.event', 'bench', 'x', '{"a":1}'::jsonb, now())
      returning organization_id, id
    ), dispatch as (
      insert into event_dispatch_queue (organization_id, event_id) select organization_id, id from inserted
    )
    ${withRollupQueue ? sql`insert into event_rollup_queue (organization_id, event_id) select organization_id, id from inserted` : sql`select 1`}`;
  const run = async (withRollupQueue: boolean) => {
    const before = cpuNow();
    for (let i = 0; i < 2_000; i++) await db.execute(statement(withRollupQueue));
    return cpuSince(before) / 2_000;
  };
  const without: number[] = [];
  const withQueue: number[] = [];
  for (let i = 0; i < 2; i++) {
    without.push(await run(false));
    withQueue.push(await run(true));
  }
  await db.execute(sql`delete from event_rollup_queue where organization_id = ${org}`);
  await db.execute(sql`delete from event_dispatch_queue where organization_id = ${org}`);
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  return { extraMsPerEvent: Math.max(0, mean(withQueue) - mean(without)) };
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
