import dns from 'node:dns/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { standInDns } from '../../test/support/dns.ts';
import {
  checkDestination,
  createOutboundClient,
  isPublicAddress,
  OutboundError,
  vetDestination,
  vettingLookup,
} from './outbound.ts';

let server: Server;
let base: string;
let redirectedHits = 0;
let hits = 0;

beforeAll(async () => {
  server = createServer((request, response) => {
    hits++;
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
    ['::127.0.0.1', false],
    ['0:0:0:0:0:0:7F00:0001', false],
    ['::ffff:0:7f00:1', false],
    ['64:ff9b::7f00:1', false],
    ['64:ff9b::a9fe:a9fe', false],
    ['64:ff9b::808:808', true],
    ['2002:7f00:1::1', false],
    ['2002:c0a8:101::1', false],
    ['2002:808:808::1', true],
    ['2001:0:4136:e378:8000:63bf:80ff:fffe', false],
    ['2001:0:4136:e378:8000:63bf:f7f7:f7f7', true],
    ['::', false],
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

  it('refuses loopback wrapped in IPv6 or spelled with a trailing dot, and nothing reaches the server', async () => {
    const client = createOutboundClient({ allowPrivate: false, resolve: standInDns() });
    const port = (server.address() as AddressInfo).port;
    const before = hits;
    try {
      for (const url of [
        `http://[::127.0.0.1]:${port}/`,
        `http://[64:ff9b::7f00:1]:${port}/`,
        `http://[2002:7f00:1::1]:${port}/`,
        `http://localhost.:${port}/`,
        `http://LOCALHOST..:${port}/`,
      ]) {
        const error = await failure(client.send({ method: 'POST', url, headers: {}, body: '{}' }));
        expect(error.kind, url).toBe('blocked_address');
      }
    } finally {
      await client.close();
    }
    expect(hits).toBe(before);
  });

  it('connects only to the address its lookup vetted: a name answering loopback is refused, even after a public answer', async () => {
    const port = (server.address() as AddressInfo).port;
    let answers = 0;
    // Rebinding: public for the check at registration, loopback when the delivery connects.
    const rebinding = async (hostname: string) =>
      answers++ === 0
        ? standInDns({ [hostname]: ['93.184.215.14'] })(hostname)
        : [{ address: '127.0.0.1', family: 4 }];
    const url = `http://rebound.example.test:${port}/`;
    expect((await vetDestination(url, { allowPrivate: false, resolve: rebinding })).hostname).toBe(
      'rebound.example.test',
    );
    const before = hits;
    const guarded = createOutboundClient({ allowPrivate: false, resolve: rebinding });
    try {
      const error = await failure(guarded.send({ method: 'POST', url, headers: {}, body: '{}' }));
      expect(error.kind).toBe('blocked_address');
      expect(error.message).toMatch(
        /rebound\.example\.test resolves to a non-public address \(127\.0\.0\.1\)/,
      );
    } finally {
      await guarded.close();
    }
    expect(hits).toBe(before);
    // The same stand-in DNS with private destinations allowed does reach the server: the lookup is the connection's.
    const allowed = createOutboundClient({
      allowPrivate: true,
      resolve: standInDns({ 'rebound.example.test': ['127.0.0.1'] }),
    });
    try {
      expect((await allowed.send({ method: 'POST', url, headers: {}, body: '{}' })).status).toBe(201);
    } finally {
      await allowed.close();
    }
  });

  it('checks at registration every address a name resolves to, and lets a name that does not resolve (yet) pass', async () => {
    const dns = standInDns({
      'mixed.example.test': ['93.184.215.14', '10.0.0.7'],
      'public.example.test': ['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'],
      'nat64.example.test': ['64:ff9b::a9fe:a9fe'],
    });
    const vet = (url: string, allowPrivate = false) => vetDestination(url, { allowPrivate, resolve: dns });
    await expect(vet('https://mixed.example.test/')).rejects.toThrow(/non-public address \(10\.0\.0\.7\)/);
    await expect(vet('https://nat64.example.test/')).rejects.toThrow(/non-public address/);
    await expect(vet('https://public.example.test/')).resolves.toBeInstanceOf(URL);
    await expect(vet('https://nowhere.example.test/')).resolves.toBeInstanceOf(URL);
    await expect(vet('https://mixed.example.test/', true)).resolves.toBeInstanceOf(URL);
    const silent = () => new Promise<never>(() => {});
    await expect(
      vetDestination('https://slow.example.test/', { allowPrivate: false, resolve: silent, timeoutMs: 50 }),
    ).resolves.toBeInstanceOf(URL);
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
