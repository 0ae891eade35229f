import { monitorEventLoopDelay } from 'node:perf_hooks';
import { buildApp } from '../src/app.ts';
import { openDatabase } from '../src/db/connection.ts';
import { runMigrations } from '../src/db/migrate.ts';
import { createServices } from '../src/services.ts';
import { writeResult } from './support.ts';

/**
 * How long one hostile request of up to 1 MB holds the event loop (issue #26: never more than
 * ~50 ms), against an honest request measured in the same run. The server runs in this process
 * on the embedded database and is called over real HTTP; the event loop's longest stall during
 * each request (perf_hooks, 1 ms resolution) is what every other request waits behind.
 *
 *   npx tsx bench/hostile-input.ts          (ROUNDS=5 by default; each case is sent ROUNDS times)
 */

const ROUNDS = Number(process.env.ROUNDS ?? 5);
const MASTER_KEY = 'rgm_bench_hostile_input_master_key_0';

const nested = (opener: string, closer: string, bytes: number) => {
  const levels = Math.floor(bytes / (opener.length + closer.length));
  return `{"firstName":${opener.repeat(levels)}1${closer.repeat(levels)}}`;
};

const CASES: Record<string, { url: string; body: string }> = {
  'honest: a new member': {
    url: '/v1/customers',
    body: JSON.stringify({ firstName: 'Ana', email: 'ana@example.com' }),
  },
  'honest: a ticket of 500 lines': {
    url: '/v1/transactions/simulate',
    body: JSON.stringify({
      documentNumber: 'T-1',
      totals: { total: 50_000 },
      lines: Array.from({ length: 500 }, (_, index) => ({ name: `Item ${index}`, sku: 'X', total: 100 })),
    }),
  },
  '100,000 wrong array items': {
    url: '/v1/earning-rules',
    body: JSON.stringify({
      name: 'x',
      type: 'product_purchase',
      config: { skus: Array.from({ length: 100_000 }, (_, index) => index), points: 5, per: 'unit' },
    }),
  },
  '500 wrong union items (listed in full)': {
    url: '/v1/segments',
    body: JSON.stringify({
      name: 'x',
      parts: Array.from({ length: 10 }, () => ({
        criteria: Array.from({ length: 50 }, () => ({ type: 'x' })),
      })),
    }),
  },
  '1 MB of nested arrays': { url: '/v1/customers', body: nested('[', ']', 1_000_000) },
  '1 MB of nested objects': { url: '/v1/customers', body: nested('{"a":', '}', 1_000_000) },
  '1 MB string ending in a lone surrogate': {
    url: '/v1/customers',
    body: `{"firstName":"${'x'.repeat(1_000_000)}\\ud800"}`,
  },
  '50,000 keys in metadata': {
    url: '/v1/customers',
    body: JSON.stringify({
      firstName: 'Ana',
      metadata: Object.fromEntries(Array.from({ length: 50_000 }, (_, index) => [`k${index}`, index])),
    }),
  },
};

async function main() {
  const database = await openDatabase({});
  await runMigrations(database);
  const services = createServices(database, { masterKey: MASTER_KEY });
  const app = await buildApp(services);
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  const organization = await app.inject({
    method: 'POST',
    url: '/v1/organizations',
    headers: { authorization: `Bearer ${MASTER_KEY}` },
    payload: { name: 'Bench' },
  });
  const key = await app.inject({
    method: 'POST',
    url: `/v1/organizations/${organization.json().id}/api-keys`,
    headers: { authorization: `Bearer ${MASTER_KEY}` },
  });
  const headers = { authorization: `Bearer ${key.json().key}`, 'content-type': 'application/json' };

  const stalls = monitorEventLoopDelay({ resolution: 1 });
  stalls.enable();
  const results = [];
  for (const [name, { url, body }] of Object.entries(CASES)) {
    const samples: { stallMs: number; elapsedMs: number; status: number; bytes: number }[] = [];
    for (let round = 0; round <= ROUNDS; round++) {
      stalls.reset();
      const started = performance.now();
      const response = await fetch(base + url, { method: 'POST', headers, body });
      const answer = await response.text();
      const sample = {
        stallMs: stalls.max / 1e6,
        elapsedMs: performance.now() - started,
        status: response.status,
        bytes: answer.length,
      };
      // The first round compiles the route's validators: measured, but not counted.
      if (round > 0) samples.push(sample);
    }
    const worst = samples.reduce((a, b) => (b.stallMs > a.stallMs ? b : a));
    const median = samples.map((s) => s.stallMs).sort((a, b) => a - b)[Math.floor(samples.length / 2)]!;
    results.push({
      name,
      bodyBytes: body.length,
      status: worst.status,
      answerBytes: worst.bytes,
      medianStallMs: Number(median.toFixed(1)),
      worstStallMs: Number(worst.stallMs.toFixed(1)),
      worstElapsedMs: Number(worst.elapsedMs.toFixed(1)),
    });
  }
  stalls.disable();
  await app.close();
  await database.close();

  const honest = Math.max(...results.filter((r) => r.name.startsWith('honest')).map((r) => r.worstStallMs));
  console.table(results.map((r) => ({ ...r, 'worst / honest': (r.worstStallMs / honest).toFixed(2) })));
  console.log(
    `written to ${writeResult('hostile-input', { rounds: ROUNDS, honestWorstStallMs: honest, results })}`,
  );
}

await main();
