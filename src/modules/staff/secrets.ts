import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { hashSecret, randomToken, sameHash } from '../api-keys/secrets.ts';

export { hashSecret, sameHash };

/**
 * The secrets staff sign-in mints. Each kind has a prefix, so one found in a log, a paste or a
 * browser's storage says what it is (and the tests' log check recognizes it); the rest is 256
 * random bits, so a SHA-256 of it is safe to store (argon2 would only slow every request).
 */
export const TOKEN_PREFIXES = {
  /** A web app's session cookie. */
  session: 'rgs_',
  /** An API client's refresh token. */
  refresh: 'rgr_',
  /** An emailed invite or password-reset token. */
  oneTime: 'rgt_',
} as const;

export function generateToken(kind: keyof typeof TOKEN_PREFIXES): string {
  return randomToken(TOKEN_PREFIXES[kind]);
}

/** Keys for separate uses, derived from the one session secret so that none can stand in for another. */
export interface StaffKeys {
  /** HS256 key of the access tokens (JWT). */
  jwt: Uint8Array;
  /** HMAC key of the CSRF tokens. */
  csrf: Buffer;
  /** AES-256-GCM key of the stored TOTP secrets. */
  totp: Buffer;
}

function derive(secret: string, use: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, 'regulars-staff', use, 32));
}

export function deriveKeys(secret: string): StaffKeys {
  return {
    jwt: new Uint8Array(derive(secret, 'jwt')),
    csrf: derive(secret, 'csrf'),
    totp: derive(secret, 'totp'),
  };
}

/** A new session secret, for a platform started without REGULARS_SESSION_SECRET. */
export function generateSessionSecret(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * The CSRF token of a cookie session: an HMAC of its id, so the server can check it without
 * storing it and give it again to a reloaded page (`GET /v1/auth/me`).
 */
export function csrfTokenFor(keys: StaffKeys, sessionId: string): string {
  return createHmac('sha256', keys.csrf).update(`csrf:${sessionId}`).digest('base64url');
}

export function sameText(a: string, b: string): boolean {
  return sameHash(hashSecret(a), hashSecret(b));
}

const CIPHER = 'aes-256-gcm';
const VERSION = 'v1';

/** `v1.<iv>.<tag>.<ciphertext>`, base64url: what is stored of a TOTP secret. */
export function encrypt(key: Buffer, plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv(CIPHER, key, iv);
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [VERSION, iv, cipher.getAuthTag(), body]
    .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
    .join('.');
}

/** The plaintext, or undefined when the value was sealed under another key (the session secret changed). */
export function decrypt(key: Buffer, sealed: string): string | undefined {
  const [version, iv, tag, body] = sealed.split('.');
  if (version !== VERSION || !iv || !tag || body === undefined) return undefined;
  try {
    const decipher = createDecipheriv(CIPHER, key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString(
      'utf8',
    );
  } catch {
    return undefined;
  }
}
