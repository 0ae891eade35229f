import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { and, count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestContext,
  expectStatus,
  masterHeaders,
  type TestContext,
} from '../../test/support/context.ts';
import { transaction } from '../db/transaction.ts';
import { customerImports } from '../modules/customers/schema.ts';
import { idempotencyKeys } from '../modules/idempotency/schema.ts';
import { PLATFORM_SCOPE } from '../modules/idempotency/service.ts';
import { locations } from '../modules/locations/schema.ts';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

async function locationCount(organizationId: string) {
  const [row] = await ctx.database.db
    .select({ n: count() })
    .from(locations)
    .where(eq(locations.organizationId, organizationId));
  return row!.n;
}

describe('Idempotency-Key', () => {
  it('replays the first response to a retry and writes one row', async () => {
    const org = await ctx.createOrganization();
    const request = {
      method: 'POST' as const,
      url: '/v1/locations',
      headers: { ...org.headers, 'idempotency-key': 'till-7-order-1234' },
      payload: { name: 'Gràcia' },
    };
    const first = await ctx.app.inject(request);
    const retry = await ctx.app.inject(request);
    expectStatus(first, 201);
    expect(retry.statusCode).toBe(201);
    expect(retry.body).toBe(first.body);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(await locationCount(org.id)).toBe(1);
  });

  it('answers 422 when the same key comes back with a different body', async () => {
    const org = await ctx.createOrganization();
    const headers = { ...org.headers, 'idempotency-key': 'k-1' };
    expectStatus(
      await ctx.app.inject({ method: 'POST', url: '/v1/locations', headers, payload: { name: 'A' } }),
      201,
    );
    const reused = await ctx.app.inject({
      method: 'POST',
      url: '/v1/locations',
      headers,
      payload: { name: 'B' },
    });
    expect(reused.statusCode).toBe(422);
    expect(reused.json().code).toBe('idempotency_conflict');
    expect(await locationCount(org.id)).toBe(1);
  });

  it('keeps keys apart per organization', async () => {
    const a = await ctx.createOrganization();
    const b = await ctx.createOrganization();
    for (const org of [a, b]) {
      const response = await ctx.app.inject({
        method: 'POST',
        url: '/v1/locations',
        headers: { ...org.headers, 'idempotency-key': 'shared-key' },
        payload: { name: 'Same' },
      });
      expectStatus(response, 201);
      expect(response.headers['idempotent-replayed']).toBeUndefined();
    }
    expect(await locationCount(a.id)).toBe(1);
    expect(await locationCount(b.id)).toBe(1);
  });

  it('replays a client error too, so a retry cannot turn a refusal into a success later', async () => {
    const org = await ctx.createOrganization();
    const headers = { ...org.headers, 'idempotency-key': 'k-404' };
    const url = '/v1/locations/01936f4e-8b1a-7c3d-9e2f-1a2b3c4d5e6f/brands';
    const first = await ctx.app.inject({ method: 'POST', url, headers, payload: { name: 'x' } });
    const retry = await ctx.app.inject({ method: 'POST', url, headers, payload: { name: 'x' } });
    expect(first.statusCode).toBe(404);
    expect(retry.statusCode).toBe(404);
    expect(retry.headers['idempotent-replayed']).toBe('true');
  });

  it('rejects an oversized key with 422 naming the header', async () => {
    const org = await ctx.createOrganization();
    const response = await ctx.app.inject({
      method: 'POST',
      url: '/v1/locations',
      headers: { ...org.headers, 'idempotency-key': 'x'.repeat(300) },
      payload: { name: 'A' },
    });
    expect(response.statusCode).toBe(422);
    expect(response.json().errors[0].path).toBe('headers.idempotency-key');
  });
});

describe('Idempotency-Key: retries while the first request runs', () => {
  it('answers 20 concurrent identical requests with the first answer: one run, 19 replays', async () => {
    const org = await ctx.createOrganization();
    const request = {
      method: 'POST' as const,
      url: '/v1/locations',
      headers: { ...org.headers, 'idempotency-key': 'burst' },
      payload: { name: 'Burst' },
    };
    const responses = await Promise.all(Array.from({ length: 20 }, () => ctx.app.inject(request)));
    expect(responses.map((r) => r.statusCode)).toEqual(Array(20).fill(201));
    expect(responses.filter((r) => !r.headers['idempotent-replayed'])).toHaveLength(1);
    expect(new Set(responses.map((r) => r.body)).size).toBe(1);
    expect(await locationCount(org.id)).toBe(1);
  });

  it('makes a retry wait for a first request that is still uploading, then replays its answer', async () => {
    const org = await ctx.createOrganization();
    const headers = { ...org.headers, 'content-type': 'text/csv', 'idempotency-key': 'slow-upload' };
    const csv = 'email\nslow-1@retry.test\nslow-2@retry.test\n';
    const first = ctx.app.inject({
      method: 'POST',
      url: '/v1/customers/import',
      headers,
      payload: slowly(csv),
    });
    await sleep(100); // the first has claimed the key and is reading its upload
    const retries = await Promise.all(
      Array.from({ length: 5 }, () =>
        ctx.app.inject({ method: 'POST', url: '/v1/customers/import', headers, payload: csv }),
      ),
    );
    const answered = await first;
    expectStatus(answered, 201);
    for (const retry of retries) {
      expect(retry.statusCode).toBe(201);
      expect(retry.headers['idempotent-replayed']).toBe('true');
      expect(retry.body).toBe(answered.body);
    }
    expect(await importCount(org.id)).toBe(1);
  });
});

describe('Idempotency-Key on a streamed upload', () => {
  it('covers the bytes sent: another file with the same key is refused, the same file replayed', async () => {
    const org = await ctx.createOrganization();
    const headers = { ...org.headers, 'content-type': 'text/csv', 'idempotency-key': 'upload-1' };
    const upload = (csv: string) =>
      ctx.app.inject({ method: 'POST', url: '/v1/customers/import', headers, payload: csv });
    const first = await upload('email\nfirst@upload.test\n');
    expectStatus(first, 201);
    const other = await upload('email\nsecond@upload.test\n');
    expect(other.statusCode).toBe(422);
    expect(other.json().code).toBe('idempotency_conflict');
    const again = await upload('email\nfirst@upload.test\n');
    expect(again.statusCode).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toBe(first.body);
    expect(await importCount(org.id)).toBe(1);
  });
});

describe('Idempotency-Key after a crash', () => {
  it('lets a retry take over a key whose request died before its operation committed, and run it once', async () => {
    const org = await ctx.createOrganization();
    // What a process killed mid-request leaves: a claim nobody renews any more.
    await ctx.database.db.insert(idempotencyKeys).values({
      organizationId: org.id,
      key: 'orphan',
      requestHash: null,
      owner: randomUUID(),
      leaseExpiresAt: new Date(Date.now() - 1_000),
      expiresAt: new Date(Date.now() + 86_400_000),
    });
    const request = {
      method: 'POST' as const,
      url: '/v1/locations',
      headers: { ...org.headers, 'idempotency-key': 'orphan' },
      payload: { name: 'After the crash' },
    };
    expectStatus(await ctx.app.inject(request), 201);
    const retry = await ctx.app.inject(request);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(await locationCount(org.id)).toBe(1);
  });

  it('never runs again an operation that committed before the process died: 410 response lost', async () => {
    const org = await ctx.createOrganization();
    const request = {
      method: 'POST' as const,
      url: '/v1/locations',
      headers: { ...org.headers, 'idempotency-key': 'lost-answer' },
      payload: { name: 'Committed' },
    };
    expectStatus(await ctx.app.inject(request), 201);
    // The process died after the commit and before storing the answer.
    await ctx.database.db
      .update(idempotencyKeys)
      .set({ statusCode: null, responseBody: null, leaseExpiresAt: new Date(Date.now() - 1_000) })
      .where(and(eq(idempotencyKeys.organizationId, org.id), eq(idempotencyKeys.key, 'lost-answer')));
    const retry = await ctx.app.inject(request);
    expect(retry.statusCode).toBe(410);
    expect(retry.json().code).toBe('idempotency_response_lost');
    expect(await locationCount(org.id)).toBe(1);
  });

  it('rolls back the operation of a request whose lease a retry took over', async () => {
    const org = await ctx.createOrganization();
    const { idempotency } = ctx.services;
    const slow = await idempotency.begin(org.id, 'taken-over', 'hash');
    if (slow.kind !== 'claimed') throw new Error('the first request claims the key');
    await ctx.database.db
      .update(idempotencyKeys)
      .set({ leaseExpiresAt: new Date(Date.now() - 1_000) })
      .where(and(eq(idempotencyKeys.organizationId, org.id), eq(idempotencyKeys.key, 'taken-over')));
    expect((await idempotency.begin(org.id, 'taken-over', 'hash')).kind).toBe('claimed');
    await expect(
      transaction(ctx.database.db, (tx) => idempotency.markCommitted(tx, slow.claim)),
    ).rejects.toMatchObject({ code: 'idempotency_in_progress' });
  });
});

describe('Idempotency-Key on routes that mint a secret', () => {
  it('stores and replays a new API key with the key withheld', async () => {
    const org = await ctx.createOrganization();
    const request = {
      method: 'POST' as const,
      url: `/v1/organizations/${org.id}/api-keys`,
      headers: { ...masterHeaders, 'idempotency-key': 'new-till-key' },
      payload: { name: 'Till 7' },
    };
    const first = await ctx.app.inject(request);
    expectStatus(first, 201);
    const secret: string = first.json().key;
    expect(secret).toMatch(/^rg/);
    const replay = await ctx.app.inject(request);
    expect(replay.statusCode).toBe(201);
    expect(replay.headers['idempotent-secret-withheld']).toBe('key');
    expect(replay.json()).toEqual({ ...first.json(), key: null });
    expect(await storedResponse(PLATFORM_SCOPE, 'new-till-key')).not.toContain(secret);
  });

  it('stores no webhook signing secret, on creation or rotation', async () => {
    const org = await ctx.createOrganization();
    const post = (url: string, key: string, payload: object) =>
      ctx.app.inject({ method: 'POST', url, headers: { ...org.headers, 'idempotency-key': key }, payload });
    const created = await post('/v1/webhook-endpoints', 'hook', { url: 'https://crm.example.com/hooks' });
    expectStatus(created, 201);
    const rotated = await post(`/v1/webhook-endpoints/${created.json().id}/rotate-secret`, 'rotate', {});
    expectStatus(rotated, 200);
    for (const [key, answer] of [
      ['hook', created],
      ['rotate', rotated],
    ] as const) {
      expect(answer.json().secret).toMatch(/^whsec_/);
      const stored = await storedResponse(org.id, key);
      expect(stored).not.toContain('whsec_');
      expect(JSON.parse(stored).secret).toBeNull();
    }
  });
});

async function importCount(organizationId: string) {
  const [row] = await ctx.database.db
    .select({ n: count() })
    .from(customerImports)
    .where(eq(customerImports.organizationId, organizationId));
  return row!.n;
}

async function storedResponse(scope: string, key: string): Promise<string> {
  const [row] = await ctx.database.db
    .select({ body: idempotencyKeys.responseBody })
    .from(idempotencyKeys)
    .where(and(eq(idempotencyKeys.organizationId, scope), eq(idempotencyKeys.key, key)));
  return row?.body ?? '';
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** An upload that arrives over about half a second. */
function slowly(text: string): Readable {
  return Readable.from(
    (async function* () {
      for (const line of text.split(/(?<=\n)/)) {
        await sleep(150);
        yield line;
      }
    })(),
  );
}
