import type { LookupAddress } from 'node:dns';
import { lookup as dnsLookup } from 'node:dns/promises';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { Agent, fetch } from 'undici';

/**
 * The one door for HTTP requests Regulars makes to addresses its users choose (webhooks now,
 * connectors later). It refuses destinations on private, loopback, link-local and other
 * non-public networks (SSRF), never follows redirects, bounds time and the bytes it reads.
 *
 * The address check happens inside the connection's own DNS lookup: the socket connects to
 * exactly the address that was vetted, so a hostname that resolves to a public address for
 * the check and to 127.0.0.1 for the connection (DNS rebinding) gets nowhere.
 */

const NON_PUBLIC = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], // "this" network
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local (cloud metadata lives at 169.254.169.254)
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.88.99.0', 24], // 6to4 relay anycast
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation
  ['203.0.113.0', 24], // documentation
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, and broadcast
] as const) {
  NON_PUBLIC.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128], // unspecified
  ['::1', 128], // loopback
  ['64:ff9b:1::', 48], // local-use IPv4/IPv6 translation
  ['100::', 64], // discard
  ['2001:db8::', 32], // documentation
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated, still routed by some stacks)
  ['ff00::', 8], // multicast
] as const) {
  NON_PUBLIC.addSubnet(network, prefix, 'ipv6');
}

/**
 * An IPv6 address as its eight 16-bit groups. WHATWG URL parsing serializes every spelling of an
 * address (`::127.0.0.1`, `0:0::7F00:0001`, a trailing dotted quad) to one compressed hex form,
 * so only that form needs reading here.
 */
function ipv6Groups(address: string): number[] | undefined {
  let canonical: string;
  try {
    canonical = new URL(`http://[${address}]/`).hostname.slice(1, -1);
  } catch {
    return undefined;
  }
  const [head = '', tail] = canonical.split('::');
  const read = (part: string) =>
    part === '' ? [] : part.split(':').map((group) => Number.parseInt(group, 16));
  const start = read(head);
  const end = tail === undefined ? [] : read(tail);
  return [...start, ...new Array<number>(8 - start.length - end.length).fill(0), ...end];
}

function ipv4Of(high: number, low: number): string {
  return [high >> 8, high & 255, low >> 8, low & 255].join('.');
}

const zeros = (groups: number[], from: number, to: number) =>
  groups.slice(from, to).every((group) => group === 0);

/**
 * The IPv4 addresses an IPv6 address carries and that a stack or a gateway may end up
 * connecting to: IPv4-mapped (`::ffff:a.b.c.d`), IPv4-compatible (`::a.b.c.d`, deprecated but
 * still parsed), IPv4-translated (`::ffff:0:a.b.c.d`), NAT64 (`64:ff9b::/96`), 6to4
 * (`2002:AABB:CCDD::/48`) and Teredo (`2001:0::/32`: server, and client with its bits flipped).
 */
function embeddedIpv4(groups: number[]): string[] {
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = groups;
  if (zeros(groups, 0, 5) && (g5 === 0xffff || g5 === 0)) return [ipv4Of(g6, g7)];
  if (zeros(groups, 0, 4) && g4 === 0xffff && g5 === 0) return [ipv4Of(g6, g7)];
  if (g0 === 0x64 && g1 === 0xff9b && zeros(groups, 2, 6)) return [ipv4Of(g6, g7)];
  if (g0 === 0x2002) return [ipv4Of(g1, g2)];
  if (g0 === 0x2001 && g1 === 0) return [ipv4Of(g2, g3), ipv4Of(g6 ^ 0xffff, g7 ^ 0xffff)];
  return [];
}

/** Whether an IP address is on the public internet (false for private, loopback, link-local, …). */
export function isPublicAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const version = isIP(bare);
  if (version === 4) return !NON_PUBLIC.check(bare, 'ipv4');
  if (version !== 6) return false;
  const groups = ipv6Groups(bare);
  if (groups === undefined || NON_PUBLIC.check(bare, 'ipv6')) return false;
  return embeddedIpv4(groups).every((ipv4) => !NON_PUBLIC.check(ipv4, 'ipv4'));
}

export type OutboundErrorKind =
  | 'blocked_address'
  | 'invalid_url'
  | 'dns_failed'
  | 'connection_failed'
  | 'timeout'
  | 'aborted';

/** Why a request got no HTTP response. Its message is safe to show to the user who configured the URL. */
export class OutboundError extends Error {
  constructor(
    readonly kind: OutboundErrorKind,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, options);
  }
}

export interface OutboundOptions {
  /** Let requests reach private/loopback addresses (WEBHOOKS_ALLOW_PRIVATE; tests and on-premises setups). */
  allowPrivate: boolean;
  /** Whole-request deadline: connect, send, headers and the bytes read of the body. */
  timeoutMs?: number;
  /** At most this many bytes of the response body are read; the rest is discarded unread. */
  maxResponseBytes?: number;
  /** Where host names are resolved: the system resolver, or a stand-in DNS in tests. */
  resolve?: Resolver;
}

export interface OutboundRequest {
  method: 'POST' | 'GET' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  headers: Record<string, string>;
  body?: string;
  /** Aborts the request early (e.g. the process is shutting down). */
  signal?: AbortSignal;
}

export interface OutboundResponse {
  status: number;
  headers: Headers;
  /** The first bytes of the body, decoded as UTF-8. */
  body: string;
  /** True when the body was longer than what was read. */
  truncated: boolean;
  durationMs: number;
}

export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_RESPONSE_BYTES = 4096;

class BlockedAddressError extends Error {
  readonly code = 'EREGULARSBLOCKED';
}

/** Every address a host name resolves to. */
export type Resolver = (hostname: string) => Promise<LookupAddress[]>;

/** The system's resolver (hosts file, then DNS), in the order the system prefers. */
export const systemResolver: Resolver = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

/** The first address of `addresses` that is not public, unless private ones are allowed. */
function refusedAddress(addresses: LookupAddress[], allowPrivate: boolean): LookupAddress | undefined {
  return allowPrivate ? undefined : addresses.find((entry) => !isPublicAddress(entry.address));
}

/**
 * A lookup for net.connect that resolves every address of the host and refuses the connection
 * when any of them is not public (refusing on "any" rather than "all" means a mixed answer
 * cannot be used to pick the private address by retrying). The socket connects only to the
 * addresses this lookup answers, so what was checked is what is used.
 */
export function vettingLookup(allowPrivate: boolean, resolve: Resolver = systemResolver): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname).then(
      (answer) => {
        const addresses = answer.filter((entry) => !options.family || entry.family === options.family);
        const refused = refusedAddress(addresses, allowPrivate);
        if (refused !== undefined || addresses.length === 0) {
          const blocked = new BlockedAddressError(
            refused === undefined
              ? `${hostname} has no address`
              : `${hostname} resolves to a non-public address (${refused.address})`,
          );
          return callback(blocked as NodeJS.ErrnoException, '', 0);
        }
        if (options.all) return (callback as (e: null, a: LookupAddress[]) => void)(null, addresses);
        const first = addresses[0]!;
        callback(null, first.address, first.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, '', 0),
    );
  };
}

/** `localhost`, `LOCALHOST.`, `api.localhost`: names that mean this machine without asking DNS. */
function isLocalName(host: string): boolean {
  const name = host.replace(/\.+$/, '').toLowerCase();
  return name === 'localhost' || name.endsWith('.localhost');
}

/**
 * Checks a URL before anything is sent: its form, and an address or a name that is private
 * whatever DNS says. Host names are checked again, for real, at connect time (vettingLookup).
 */
export function checkDestination(rawUrl: string, allowPrivate: boolean): URL {
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    throw new OutboundError('invalid_url', 'not a valid URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new OutboundError('invalid_url', 'only http and https URLs are allowed');
  }
  if (url.username || url.password) {
    throw new OutboundError('invalid_url', 'credentials in the URL are not allowed; use a header');
  }
  if (!allowPrivate) {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const literal = isIP(host) !== 0;
    if ((literal && !isPublicAddress(host)) || (!literal && isLocalName(host))) {
      throw new OutboundError('blocked_address', `${host} is not a public address`);
    }
  }
  return url;
}

export interface VetOptions {
  allowPrivate: boolean;
  resolve?: Resolver;
  /** How long to wait for DNS; a host that does not answer in time passes (delivery checks again). */
  timeoutMs?: number;
}

const VET_DNS_TIMEOUT_MS = 3000;

/**
 * The check at registration: checkDestination, then every address the host resolves to now.
 * A host that does not resolve (yet) passes; a delivery to it is checked again at connect time.
 */
export async function vetDestination(rawUrl: string, options: VetOptions): Promise<URL> {
  const url = checkDestination(rawUrl, options.allowPrivate);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (options.allowPrivate || isIP(host) !== 0) return url;
  const resolve = options.resolve ?? systemResolver;
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<LookupAddress[]>((settle) => {
    timer = setTimeout(() => settle([]), options.timeoutMs ?? VET_DNS_TIMEOUT_MS);
  });
  const addresses = await Promise.race([resolve(host).catch(() => []), gaveUp]).finally(() =>
    clearTimeout(timer),
  );
  const refused = refusedAddress(addresses, false);
  if (refused !== undefined) {
    throw new OutboundError(
      'blocked_address',
      `${host} resolves to a non-public address (${refused.address})`,
    );
  }
  return url;
}

function causeChain(error: unknown): unknown[] {
  const chain: unknown[] = [];
  let current = error;
  for (let depth = 0; depth < 6 && current !== undefined && current !== null; depth++) {
    chain.push(current);
    current = current instanceof Error ? current.cause : undefined;
  }
  return chain;
}

function classify(error: unknown, signals: { timeout: AbortSignal; caller?: AbortSignal }): OutboundError {
  if (signals.caller?.aborted) return new OutboundError('aborted', 'request aborted', { cause: error });
  if (signals.timeout.aborted)
    return new OutboundError('timeout', 'no complete response in time', { cause: error });
  for (const link of causeChain(error)) {
    if (link instanceof BlockedAddressError) {
      return new OutboundError('blocked_address', link.message, { cause: error });
    }
    const code = (link as { code?: unknown }).code;
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
      return new OutboundError('dns_failed', 'the host name does not resolve', { cause: error });
    }
    if (typeof code === 'string' && code.startsWith('UND_ERR_') && code.includes('TIMEOUT')) {
      return new OutboundError('timeout', 'no complete response in time', { cause: error });
    }
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) {
      return new OutboundError('connection_failed', `connection failed (${code})`, { cause: error });
    }
  }
  return new OutboundError('connection_failed', 'connection failed', { cause: error });
}

async function readLimited(
  body: ReadableStream<Uint8Array> | null,
  limit: number,
): Promise<{ text: string; truncated: boolean }> {
  if (!body) return { text: '', truncated: false };
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let truncated = false;
  try {
    while (size < limit) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
    // Stop there: a huge or endless body costs the receiver, not us.
    truncated = size >= limit;
  } catch {
    // The status already arrived; a body cut short (timeout, reset) keeps what was read.
    truncated = true;
  } finally {
    reader.cancel().catch(() => {});
  }
  const bytes = Buffer.concat(chunks).subarray(0, limit);
  return { text: new TextDecoder('utf-8', { fatal: false }).decode(bytes), truncated };
}

export interface OutboundClient {
  send(request: OutboundRequest): Promise<OutboundResponse>;
  close(): Promise<void>;
}

export function createOutboundClient(options: OutboundOptions): OutboundClient {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const agent = new Agent({
    connect: { lookup: vettingLookup(options.allowPrivate, options.resolve), timeout: timeoutMs },
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });

  return {
    async send(request) {
      checkDestination(request.url, options.allowPrivate);
      const timeout = AbortSignal.timeout(timeoutMs);
      const signals = { timeout, ...(request.signal ? { caller: request.signal } : {}) };
      const signal = request.signal ? AbortSignal.any([timeout, request.signal]) : timeout;
      const started = performance.now();
      try {
        const response = await fetch(request.url, {
          method: request.method,
          headers: request.headers,
          ...(request.body !== undefined ? { body: request.body } : {}),
          redirect: 'manual',
          signal,
          dispatcher: agent,
        });
        const { text, truncated } = await readLimited(response.body, maxResponseBytes);
        return {
          status: response.status,
          headers: response.headers as unknown as Headers,
          body: text,
          truncated,
          durationMs: Math.round(performance.now() - started),
        };
      } catch (error) {
        if (error instanceof OutboundError) throw error;
        throw classify(error, signals);
      }
    },
    close: () => agent.close(),
  };
}
