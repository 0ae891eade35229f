/**
 * Points ledger benchmark: the cashier's spend and balance read, in-process (app.inject).
 *
 *   npx tsx bench/ledger.ts                                   # embedded PGlite, in memory
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/x npx tsx bench/ledger.ts
 *
 * As DESIGN.md asks, every figure is also given as a ratio to a no-op route (GET /healthz) and a
 * raw database round trip (`select 1`) measured in the same run, so it means the same on a noisy
 * machine. A spend is ~10 statements in one transaction under the member's balance row lock.
 */
import { sql } from 'drizzle-orm';
import { buildApp } from '../src/app.ts';
import { openDatabase } from '../src/db/connection.ts';
import { runMigrations } from '../src/db/migrate.ts';
import { createServices } from '../src/services.ts';
import { percentile, writeResult } from './support.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 300);
const MASTER = 'rgm_bench_master_key_0123456789abcdef';

async function time(fn: () => Promise<unknown>, runs = RUNS) {
  for (let i = 0; i < Math.ceil(runs / 10); i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    await fn();
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  samples.sort((a, b) => a - b);
  const round = (ms: number) => Math.round(ms * 1000) / 1000;
  return {
    runs,
    medianMs: round(percentile(samples, 50)),
    p95Ms: round(percentile(samples, 95)),
    p99Ms: round(percentile(samples, 99)),
  };
}

async function main() {
  const url = process.env.DATABASE_URL;
  const database = await openDatabase({ url, poolSize: 10 });
  await runMigrations(database);
  const services = createServices(database, { masterKey: MASTER });
  const app = await buildApp(services);
  await app.ready();
  const master = { authorization: `Bearer ${MASTER}` };
  const organization = (
    await app.inject({
      method: 'POST',
      url: '/v1/organizations',
      headers: master,
      payload: { name: 'Bench' },
    })
  ).json();
  const key = (
    await app.inject({
      method: 'POST',
      url: `/v1/organizations/${organization.id}/api-keys`,
      headers: master,
    })
  ).json();
  const headers = { authorization: `Bearer ${key.key}` };
  const customer = await services.customers.create(organization.id, {
    firstName: 'Bench',
    email: `bench-${Date.now()}@example.com`,
  });
  const inject = async (method: 'GET' | 'POST', path: string, payload?: object) => {
    const response = await app.inject({ method, url: path, headers, ...(payload ? { payload } : {}) });
    if (response.statusCode >= 300)
      throw new Error(`${method} ${path}: ${response.statusCode} ${response.body}`);
  };
  // Many lots, as a long-standing member has: spends walk FIFO over them.
  for (let i = 0; i < 50; i++) {
    await inject('POST', `/v1/customers/${customer.id}/points/add`, { points: 100_000, reason: `lot ${i}` });
  }

  const noop = await time(() => app.inject({ method: 'GET', url: '/healthz' }));
  const roundTrip = await time(() => database.db.execute(sql`select 1`));
  const spend = await time(() =>
    inject('POST', `/v1/customers/${customer.id}/points/spend`, { points: 1, reason: 'bench' }),
  );
  const balance = await time(() => inject('GET', `/v1/customers/${customer.id}/points`));

  // 100 spends on one member at once: they queue on the row lock; how long until all are answered.
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: 100 }, () =>
      inject('POST', `/v1/customers/${customer.id}/points/spend`, { points: 1, reason: 'burst' }),
    ),
  );
  const burstMs = Number(process.hrtime.bigint() - start) / 1e6;
  const report = await services.ledger.verify({ organizationId: organization.id });

  const ratio = (value: number, base: number) => Math.round((value / base) * 10) / 10;
  const result = {
    database: database.kind,
    noopRoute: noop,
    dbRoundTrip: roundTrip,
    spend: {
      ...spend,
      xNoop: ratio(spend.medianMs, noop.medianMs),
      xRoundTrip: ratio(spend.medianMs, roundTrip.medianMs),
    },
    balance: {
      ...balance,
      xNoop: ratio(balance.medianMs, noop.medianMs),
      xRoundTrip: ratio(balance.medianMs, roundTrip.medianMs),
    },
    burst100SpendsOneMemberMs: Math.round(burstMs),
    verifyMismatches: report.mismatches.length,
  };
  const file = writeResult(`ledger-${database.kind}`, result);
  process.stdout.write(`${JSON.stringify(result, null, 2)}\nwritten to ${file}\n`);
  await app.close();
  await database.close();
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
