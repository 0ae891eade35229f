import dns from 'node:dns/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkDestination,
  createOutboundClient,
  isPublicAddress,
  OutboundError,
  vettingLookup,
} from './outbound.ts';

let server: Server;
let base: string;
let redirectedHits = 0;

beforeAll(async () => {
  server = createServer((request, response) => {
    if (request.url === '/redirect') {
      response.writeHead(302, { location: `${base}/target` }).end();
    } else if (request.url === '/target') {
      redirectedHits++;
      response.writeHead(200).end('you followed');
    } else if (request.url === '/huge') {
      response.writeHead(200, { 'content-type': 'text/plain' });
      const chunk = 'x'.repeat(64 * 1024);
      // 16 MB unless the client hangs up first.
      let sent = 0;
      const pump = () => {
        while (sent < 256 && response.write(chunk)) sent++;
        if (sent < 256) response.once('drain', pump);
        else response.end();
      };
      pump();
    } else if (request.url === '/silent') {
      // Never answers.
    } else {
      response.writeHead(201, { 'content-type': 'application/json' }).end('{"ok":true}');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

async function failure(promise: Promise<unknown>): Promise<OutboundError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof OutboundError) return error;
    throw error;
  }
  throw new Error('expected the request to fail');
}

describe('the outbound HTTP wrapper', () => {
  it.each([
    ['127.0.0.1', false],
    ['10.1.2.3', false],
    ['172.20.0.1', false],
    ['192.168.1.10', false],
    ['169.254.169.254', false],
    ['100.64.0.1', false],
    ['0.0.0.0', false],
    ['::1', false],
    ['fe80::1', false],
    ['fd12:3456::1', false],
    ['::ffff:127.0.0.1', false],
    ['::ffff:7f00:1', false],
    ['::ffff:a00:1', false],
    ['8.8.8.8', true],
    ['1.1.1.1', true],
    ['2606:4700:4700::1111', true],
    ['::ffff:8.8.8.8', true],
    ['not an address', false],
  ])('judges %s public: %s', (address, expected) => {
    expect(isPublicAddress(address)).toBe(expected);
  });

  it('refuses private, loopback and mapped addresses before connecting, and names the reason', async () => {
    const client = createOutboundClient({ allowPrivate: false });
    try {
      for (const url of [
        `${base}/`,
        'http://[::1]:9/',
        'http://[::ffff:127.0.0.1]:9/',
        'http://169.254.169.254/latest/meta-data',
        'http://localhost:9/',
      ]) {
        const error = await failure(client.send({ method: 'POST', url, headers: {}, body: '{}' }));
        expect(error.kind).toBe('blocked_address');
      }
    } finally {
      await client.close();
    }
  });

  it('refuses a host name whose DNS answer is private, in the lookup the connection itself uses', async () => {
    const lookup = vettingLookup(false);
    const answer = (allowPrivate: boolean, all: boolean) =>
      new Promise<{ error: Error | null; address: unknown }>((resolve) =>
        (allowPrivate ? vettingLookup(true) : lookup)('localhost', { all }, (error, address) =>
          resolve({ error, address }),
        ),
      );
    expect((await answer(false, true)).error?.message).toMatch(/localhost resolves to a non-public address/);
    expect((await answer(false, false)).error?.message).toMatch(/non-public address/);
    expect((await answer(true, false)).address).toBe('127.0.0.1');

    // End to end through a name the URL check cannot judge: this machine's own host name,
    // which resolves to a loopback or private address.
    const [resolved] = await dns.lookup(hostname(), { all: true });
    expect(resolved && isPublicAddress(resolved.address)).toBe(false);
    const client = createOutboundClient({ allowPrivate: false });
    try {
      const error = await failure(
        client.send({ method: 'GET', url: `http://${hostname()}:${new URL(base).port}/`, headers: {} }),
      );
      expect(error.kind).toBe('blocked_address');
    } finally {
      await client.close();
    }
  });

  it('rejects URLs that are not http(s) or that carry credentials', () => {
    expect(() => checkDestination('ftp://example.com/', true)).toThrow(/only http and https/);
    expect(() => checkDestination('https://user:pw@example.com/', true)).toThrow(/credentials/);
    expect(() => checkDestination('nonsense', true)).toThrow(/not a valid URL/);
    expect(checkDestination('https://example.com/hook', false).hostname).toBe('example.com');
  });

  it('reaches a private address when allowed, and reports status, body and latency', async () => {
    const client = createOutboundClient({ allowPrivate: true });
    try {
      const response = await client.send({ method: 'POST', url: `${base}/`, headers: {}, body: '{}' });
      expect(response).toMatchObject({ status: 201, body: '{"ok":true}', truncated: false });
      expect(response.durationMs).toBeGreaterThanOrEqual(0);
    } finally {
      await client.close();
    }
  });

  it('does not follow redirects', async () => {
    const client = createOutboundClient({ allowPrivate: true });
    try {
      const response = await client.send({
        method: 'POST',
        url: `${base}/redirect`,
        headers: {},
        body: '{}',
      });
      expect(response.status).toBe(302);
      expect(redirectedHits).toBe(0);
    } finally {
      await client.close();
    }
  });

  it('reads only the first bytes of a huge body', async () => {
    const client = createOutboundClient({ allowPrivate: true, maxResponseBytes: 1000 });
    try {
      const response = await client.send({ method: 'GET', url: `${base}/huge`, headers: {} });
      expect(response.status).toBe(200);
      expect(response.body).toHaveLength(1000);
      expect(response.truncated).toBe(true);
    } finally {
      await client.close();
    }
  });

  it('gives up on a receiver that never answers, and on one that is not there', async () => {
    const client = createOutboundClient({ allowPrivate: true, timeoutMs: 300 });
    try {
      const started = Date.now();
      expect((await failure(client.send({ method: 'GET', url: `${base}/silent`, headers: {} }))).kind).toBe(
        'timeout',
      );
      expect(Date.now() - started).toBeLessThan(5000);
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const { port } = closed.address() as AddressInfo;
      await new Promise((resolve) => closed.close(resolve));
      const refused = await failure(
        client.send({ method: 'GET', url: `http://127.0.0.1:${port}/`, headers: {} }),
      );
      expect(refused.kind).toBe('connection_failed');
      expect(refused.message).toMatch(/ECONNREFUSED/);
    } finally {
      await client.close();
    }
  });

  it('stops at once when the caller aborts', async () => {
    const client = createOutboundClient({ allowPrivate: true });
    try {
      const controller = new AbortController();
      const pending = client.send({
        method: 'GET',
        url: `${base}/silent`,
        headers: {},
        signal: controller.signal,
      });
      setTimeout(() => controller.abort(), 50);
      expect((await failure(pending)).kind).toBe('aborted');
    } finally {
      await client.close();
    }
  });
});
