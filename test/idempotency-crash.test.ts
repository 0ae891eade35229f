import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { killStartedProcesses, PROCESS_TEST_TIMEOUT_MS } from './support/processes.ts';
import { databaseEnv, removeTempDirs, startServe } from './support/serve.ts';

afterEach(killStartedProcesses);
afterAll(removeTempDirs);

const MASTER_KEY = 'rgm_crash_test_master_key_0000000';
const OPERATIONS = 100;
const REQUEST_TIMEOUT_MS = 20_000;

interface Member {
  headers: Record<string, string>;
  customerId: string;
}

async function post(url: string, headers: Record<string, string>, body: object): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
}

async function json<T>(response: Promise<Response>): Promise<T> {
  return (await response).json() as Promise<T>;
}

async function aMember(base: string): Promise<Member> {
  const master = { authorization: `Bearer ${MASTER_KEY}` };
  const organization = await json<{ id: string }>(
    post(`${base}/v1/organizations`, master, { name: 'Crash' }),
  );
  const apiKey = await json<{ key: string }>(
    post(`${base}/v1/organizations/${organization.id}/api-keys`, master, {}),
  );
  const headers = { authorization: `Bearer ${apiKey.key}` };
  const customer = await json<{ id: string }>(
    post(`${base}/v1/customers`, headers, { email: 'crash@test.example' }),
  );
  return { headers, customerId: customer.id };
}

/** points/add has no natural key: only the Idempotency-Key keeps a retry from adding twice. */
function addPoints(base: string, member: Member, operation: number): Promise<Response> {
  return post(
    `${base}/v1/customers/${member.customerId}/points/add`,
    { ...member.headers, 'idempotency-key': `crash-${operation}` },
    { points: 1, reason: `crash-${operation}` },
  );
}

/** How many ledger entries each operation wrote, by its reason. */
async function entriesByReason(base: string, member: Member): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  let cursor = '';
  do {
    const page = await json<{ data: { reason: string }[]; nextCursor: string | null }>(
      fetch(`${base}/v1/customers/${member.customerId}/points/history?limit=100${cursor}`, {
        headers: member.headers,
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      }),
    );
    for (const entry of page.data) counts.set(entry.reason, (counts.get(entry.reason) ?? 0) + 1);
    cursor = page.nextCursor ? `&cursor=${encodeURIComponent(page.nextCursor)}` : '';
  } while (cursor);
  return counts;
}

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not reached within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('Idempotency-Key across a crash', () => {
  it(
    'completes every operation in flight at a kill -9 exactly once when retried, none stuck in progress',
    async () => {
      const env = { ...databaseEnv(), REGULARS_MASTER_KEY: MASTER_KEY };
      const first = await startServe(env);
      const member = await aMember(first.url);

      let answered = 0;
      const firstTries = Array.from({ length: OPERATIONS }, (_, operation) =>
        addPoints(first.url, member, operation).then(
          (response) => {
            answered++;
            return response.status;
          },
          () => 'cut off' as const,
        ),
      );
      await waitUntil(() => answered >= OPERATIONS / 5, REQUEST_TIMEOUT_MS);
      first.child.kill('SIGKILL');
      const outcomes = await Promise.all(firstTries);
      await first.exited;
      const cutOff = outcomes.filter((outcome) => outcome === 'cut off').length;
      expect(cutOff).toBeGreaterThan(0);

      const second = await startServe(env);
      const retries = await Promise.all(
        Array.from({ length: OPERATIONS }, async (_, operation) => {
          const response = await addPoints(second.url, member, operation);
          const body = await response.json();
          return { status: response.status, replayed: response.headers.get('idempotent-replayed'), body };
        }),
      );
      const statuses = retries.map((retry) => retry.status);
      // 201: run now or replayed; 410: it had committed, its answer was lost in the crash.
      expect(statuses.filter((status) => status !== 201 && status !== 410)).toEqual([]);

      const entries = await entriesByReason(second.url, member);
      const counts = Array.from(
        { length: OPERATIONS },
        (_, operation) => entries.get(`crash-${operation}`) ?? 0,
      );
      expect(counts).toEqual(Array(OPERATIONS).fill(1));
      console.info(
        `kill -9: ${OPERATIONS} operations, ${cutOff} cut off; retries: ` +
          `${retries.filter((r) => r.status === 201 && r.replayed).length} replayed, ` +
          `${retries.filter((r) => r.status === 201 && !r.replayed).length} run, ` +
          `${statuses.filter((status) => status === 410).length} answer lost; each completed exactly once`,
      );
    },
    PROCESS_TEST_TIMEOUT_MS,
  );
});
