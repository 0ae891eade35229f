import { describe, expect, it } from 'vitest';
import { generateSecret, sign, signatureHeader, verify } from './signing.ts';

// The test vector published with the Standard Webhooks reference implementations: matching it
// is what says receivers' off-the-shelf libraries will accept our signatures.
const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};

const headersOf = (signature: string, id = VECTOR.id, timestamp = VECTOR.timestamp) => ({
  'webhook-id': id,
  'webhook-timestamp': String(timestamp),
  'webhook-signature': signature,
});

describe('Standard Webhooks signatures', () => {
  it('reproduce the published test vector exactly', () => {
    expect(sign(VECTOR.secret, VECTOR.id, VECTOR.timestamp, VECTOR.body)).toBe(VECTOR.signature);
  });

  it('verify with the right secret within the tolerance, and with nothing else', () => {
    const headers = headersOf(VECTOR.signature);
    expect(verify(VECTOR.secret, headers, VECTOR.body, VECTOR.timestamp + 10)).toBe(true);
    expect(verify(generateSecret(), headers, VECTOR.body, VECTOR.timestamp)).toBe(false);
    expect(verify(VECTOR.secret, headers, `${VECTOR.body} `, VECTOR.timestamp)).toBe(false);
    expect(
      verify(VECTOR.secret, headersOf(VECTOR.signature, 'msg_other'), VECTOR.body, VECTOR.timestamp),
    ).toBe(false);
    expect(verify(VECTOR.secret, headers, VECTOR.body, VECTOR.timestamp + 301)).toBe(false);
  });

  it('carry one signature per secret during a rotation, so either secret verifies', () => {
    const [before, after] = [generateSecret(), generateSecret()];
    const header = signatureHeader([after, before], 'evt_1', 1_700_000_000, '{}');
    expect(header.split(' ')).toHaveLength(2);
    for (const secret of [before, after]) {
      expect(verify(secret, headersOf(header, 'evt_1', 1_700_000_000), '{}', 1_700_000_000)).toBe(true);
    }
  });

  it('use fresh 256-bit secrets in the whsec_ form', () => {
    const secret = generateSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(32);
    expect(generateSecret()).not.toBe(secret);
  });
});
