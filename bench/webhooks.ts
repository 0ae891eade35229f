/**
 * Webhook benchmark: what the dispatch queue costs on the write path, and how fast one worker
 * delivers to a local receiver.
 *
 *   npx tsx bench/webhooks.ts                                   # embedded PGlite, in memory
 *   npx tsx bench/webhooks.ts --postgres postgres://postgres@127.0.0.1:5432/postgres
 *   npx tsx bench/webhooks.ts --events 2000 --subjects 50 --concurrency 8
 *
 * As DESIGN.md asks, the write-path figures come with a raw database round-trip and a bare
 * event insert measured in the same run, so the ratios mean the same on a noisy machine.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { type Database, openDatabase } from '../src/db/connection.ts';
import { newId } from '../src/db/ids.ts';
import { runMigrations } from '../src/db/migrate.ts';
import { transaction } from '../src/db/transaction.ts';
import { events } from '../src/modules/events/schema.ts';
import { emit } from '../src/modules/events/service.ts';
import { createWebhookWorker } from '../src/modules/webhooks/worker.ts';
import { createServices } from '../src/services.ts';
import { machine, percentile } from './support.ts';

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const index = args.indexOf(`--${name}`);
  return index === -1 ? fallback : args[index + 1]!;
};
const EVENTS = Number(option('events', '2000'));
const SUBJECTS = Number(option('subjects', '50'));
const CONCURRENCY = Number(option('concurrency', '8'));
const POSTGRES = option('postgres', '');
const SAMPLES = 500;

async function timeAsync(fn: () => Promise<unknown>, runs: number) {
  for (let i = 0; i < Math.ceil(runs / 10); i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    await fn();
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  samples.sort((a, b) => a - b);
  return { medianMs: percentile(samples, 50), p99Ms: percentile(samples, 99) };
}

async function openBenchDatabase(): Promise<{ database: Database; drop(): Promise<void> }> {
  if (!POSTGRES) {
    const database = await openDatabase({});
    await runMigrations(database);
    return { database, drop: () => database.close() };
  }
  const name = `regulars_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: POSTGRES });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = new URL(POSTGRES);
  url.pathname = `/${name}`;
  const database = await openDatabase({ url: url.toString(), poolSize: CONCURRENCY + 4 });
  await runMigrations(database);
  return {
    database,
    async drop() {
      await database.close();
      await admin.query(`drop database ${name} with (force)`);
      await admin.end();
    },
  };
}

const { database, drop } = await openBenchDatabase();
const services = createServices(database, { webhooks: { allowPrivate: true } });
let received = 0;
const receiver = createServer((request, response) => {
  request.resume().on('end', () => {
    received++;
    response.writeHead(204).end();
  });
});
await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;

try {
  const organization = await services.organizations.create({ name: 'Bench' });
  await services.webhooks.create(organization.id, { url, eventTypes: ['bench.*'] });
  const worker = createWebhookWorker(database, { allowPrivate: true, concurrency: CONCURRENCY });
  await worker.drain(); // the organization's own events

  // Write path: what the dispatch-queue row adds to a use case's transaction.
  const subject = { type: 'bench', id: 'subject' };
  const roundTrip = await timeAsync(() => database.db.execute(sql`select 1`), SAMPLES);
  const bareInsert = await timeAsync(
    () =>
      transaction(database.db, (tx) =>
        tx.insert(events).values({
          organizationId: organization.id,
          id: newId(),
          type: 'bench.bare',
          subjectType: subject.type,
          subjectId: subject.id,
          payload: { n: 1 },
        }),
      ),
    SAMPLES,
  );
  const withQueue = await timeAsync(
    () =>
      transaction(database.db, (tx) =>
        emit(tx, { organizationId: organization.id, type: 'bench.queued', subject, payload: { n: 1 } }),
      ),
    SAMPLES,
  );
  await database.db.execute(sql`delete from event_dispatch_queue`);

  // Delivery: EVENTS events over SUBJECTS subjects, fanned out and delivered by one worker.
  for (let i = 0; i < EVENTS; i++) {
    await transaction(database.db, (tx) =>
      emit(tx, {
        organizationId: organization.id,
        type: 'bench.changed',
        subject: { type: 'bench', id: `s${i % SUBJECTS}` },
        payload: { i },
      }),
    );
  }
  received = 0;
  const started = process.hrtime.bigint();
  const result = await worker.drain(10_000);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await worker.stop();

  const report = {
    machine: machine(),
    database: database.kind,
    writePath: {
      roundTripMedianMs: roundTrip.medianMs,
      bareEventTransactionMedianMs: bareInsert.medianMs,
      emitWithQueueMedianMs: withQueue.medianMs,
      emitWithQueueP99Ms: withQueue.p99Ms,
      queueOverheadInRoundTrips: (withQueue.medianMs - bareInsert.medianMs) / roundTrip.medianMs,
    },
    delivery: {
      events: EVENTS,
      subjects: SUBJECTS,
      concurrency: CONCURRENCY,
      dispatched: result.dispatched,
      delivered: received,
      seconds,
      deliveriesPerSecond: received / seconds,
      msPerDeliveryInRoundTrips: (seconds * 1000) / received / roundTrip.medianMs,
    },
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
} finally {
  receiver.close();
  await drop();
}
