import type { LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import type { Resolver } from '../../src/http/outbound.ts';

/**
 * A stand-in DNS for tests, which must not reach the network: the names given answer their
 * addresses, every other name does not exist (ENOTFOUND, as a real resolver says it).
 */
export function standInDns(records: Record<string, string[]> = {}): Resolver {
  return async (hostname) => {
    const addresses = records[hostname];
    if (addresses === undefined) {
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', hostname });
    }
    return addresses.map((address): LookupAddress => ({ address, family: isIP(address) }));
  };
}
