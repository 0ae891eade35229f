import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const API_KEY_PREFIX = 'rgl_';

/**
 * API keys carry 160 random bits, so a fast SHA-256 is enough to keep them safe at rest;
 * a slow password hash (argon2) would only add latency to every request.
 */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && timingSafeEqual(left, right);
}

/** `rgl_1a2b3c4d_<40 hex>`: the first part (the prefix) is safe to show; the whole is the secret. */
export function generateApiKey(): { key: string; prefix: string } {
  const prefix = API_KEY_PREFIX + randomBytes(4).toString('hex');
  return { key: `${prefix}_${randomBytes(20).toString('hex')}`, prefix };
}

/**
 * A session, refresh or one-time token: 256 random bits after a prefix that says what it is, so a
 * SHA-256 of it (`hashSecret`) is safe to store, as for API keys.
 */
export function randomToken(prefix: string): string {
  return prefix + randomBytes(32).toString('base64url');
}

export function generateMasterKey(): string {
  return `rgm_${randomBytes(24).toString('hex')}`;
}
