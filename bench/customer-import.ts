/**
 * Customer CSV import benchmark on the embedded database (PGlite).
 *
 *   npx tsx bench/customer-import.ts            # 100,000 rows, PGlite persisted in a temp dir
 *   npx tsx bench/customer-import.ts --memory   # PGlite in memory
 *   npx tsx bench/customer-import.ts --rows 20000
 *
 * Streams a generated CSV through `POST /v1/customers/import` (in-process, app.inject), then
 * re-imports it with mode=upsert, then times till lookups on the full table. As DESIGN.md asks,
 * figures are also given as ratios to a raw database round-trip and a no-op route measured in
 * the same run, so they mean the same on a noisy machine. Target: 100,000 rows in under 60 s.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { sql } from 'drizzle-orm';
import { buildApp } from '../src/app.ts';
import { openDatabase } from '../src/db/connection.ts';
import { runMigrations } from '../src/db/migrate.ts';
import { createServices } from '../src/services.ts';

const args = process.argv.slice(2);
const rowsArg = args.indexOf('--rows');
const ROWS = rowsArg === -1 ? 100_000 : Number(args[rowsArg + 1]);
const IN_MEMORY = args.includes('--memory');
const TARGET_SECONDS = 60;

const HEADER =
  'firstName,lastName,email,phone,birthDate,gender,externalId,marketingConsents.email,labels,address.city,address.country\n';

function row(i: number): string {
  const phone = `+34 6${String(i).padStart(8, '0')}`;
  const gender = ['female', 'male', 'other', 'not_disclosed'][i % 4];
  return `Name${i},Surname ${i},member${i}@bench.example,${phone},19${String(50 + (i % 50))}-0${1 + (i % 9)}-1${i % 10},${gender},pos-${i},${i % 3 === 0},tier:${i % 5},Barcelona,ES\n`;
}

/** The CSV in ~64 KiB pieces, generated as it is read: the upload is never held whole. */
function upload(rows: number): Readable {
  return Readable.from(
    (function* () {
      let piece = HEADER;
      for (let i = 0; i < rows; i++) {
        piece += row(i);
        if (piece.length > 64 * 1024) {
          yield piece;
          piece = '';
        }
      }
      if (piece) yield piece;
    })(),
  );
}

async function timeEach(count: number, fn: (i: number) => Promise<unknown>): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = process.hrtime.bigint();
    await fn(i);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return times.sort((a, b) => a - b);
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
const ms = (value: number) => `${value.toFixed(3)} ms`;

async function main() {
  const dataDir = IN_MEMORY ? undefined : mkdtempSync(join(tmpdir(), 'regulars-bench-'));
  const database = await openDatabase({ dataDir });
  try {
    await runMigrations(database);
    const services = createServices(database, { masterKey: 'rgm_bench_master_key_0123456789abcdef' });
    const app = await buildApp(services);
    await app.ready();
    const organization = await services.organizations.create({
      name: 'Bench',
      country: 'ES',
      timeZone: 'Europe/Madrid',
    });
    const { key } = await services.apiKeys.create(organization.id, { name: 'bench' });
    const headers = { authorization: `Bearer ${key}` };

    // Baselines of this run.
    const roundTrips = await timeEach(2000, () => database.db.execute(sql`select 1`));
    const noop = await timeEach(2000, () => app.inject({ method: 'GET', url: '/healthz' }));
    const roundTrip = mean(roundTrips);

    const importRun = async (mode: string) => {
      const start = process.hrtime.bigint();
      const response = await app.inject({
        method: 'POST',
        url: `/v1/customers/import?mode=${mode}`,
        headers: { ...headers, 'content-type': 'text/csv' },
        payload: upload(ROWS),
      });
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      const job = response.json();
      if (response.statusCode !== 201 || job.status !== 'completed' || job.failed !== 0) {
        throw new Error(`import failed: ${response.statusCode} ${response.body.slice(0, 500)}`);
      }
      return { seconds, job };
    };

    const created = await importRun('create');
    if (created.job.created !== ROWS) throw new Error(`expected ${ROWS} created, got ${created.job.created}`);
    const upserted = await importRun('upsert');
    if (upserted.job.created !== 0) throw new Error('the upsert re-import created members');

    const identifiers = (i: number) => {
      const n = (i * 7919) % ROWS;
      return [
        `pos-${n}`,
        `MEMBER${n}@bench.example`,
        `6${String(n).padStart(8, '0')}`,
        `+34 6${String(n).padStart(8, '0')}`,
      ][i % 4]!;
    };
    const lookups = await timeEach(2000, async (i) => {
      const response = await app.inject({
        method: 'GET',
        url: `/v1/customers/lookup?identifier=${encodeURIComponent(identifiers(i))}`,
        headers,
      });
      if (response.statusCode !== 200) throw new Error(`lookup ${identifiers(i)}: ${response.statusCode}`);
    });

    const perRow = (created.seconds * 1000) / ROWS;
    const report = {
      database: IN_MEMORY ? 'PGlite (in memory)' : 'PGlite (files in a temp dir)',
      node: process.version,
      rows: ROWS,
      baseline: { dbRoundTripMean: ms(roundTrip), noopRouteMean: ms(mean(noop)) },
      importCreate: {
        seconds: Number(created.seconds.toFixed(2)),
        rowsPerSecond: Math.round(ROWS / created.seconds),
        perRow: ms(perRow),
        perRowInDbRoundTrips: Number((perRow / roundTrip).toFixed(2)),
        target: `< ${TARGET_SECONDS} s for 100,000 rows: ${ROWS === 100_000 ? (created.seconds < TARGET_SECONDS ? 'met' : 'MISSED') : 'n/a (not 100,000 rows)'}`,
      },
      importUpsertUnchanged: {
        seconds: Number(upserted.seconds.toFixed(2)),
        rowsPerSecond: Math.round(ROWS / upserted.seconds),
        unchanged: upserted.job.unchanged,
      },
      lookupOnFullTable: {
        p50: ms(percentile(lookups, 0.5)),
        p99: ms(percentile(lookups, 0.99)),
        p50InNoopRoutes: Number((percentile(lookups, 0.5) / percentile(noop, 0.5)).toFixed(2)),
        p50InDbRoundTrips: Number((percentile(lookups, 0.5) / percentile(roundTrips, 0.5)).toFixed(2)),
      },
    };
    console.log(JSON.stringify(report, null, 2));
    await app.close();
  } finally {
    await database.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
