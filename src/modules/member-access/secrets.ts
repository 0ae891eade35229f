import { createHmac, randomBytes, randomInt } from 'node:crypto';
import { sameHash } from '../api-keys/secrets.ts';

/**
 * The secrets of member sign-in: one-time codes (six digits, typed by a person) and session
 * tokens (random, held by a browser cookie or a mobile app). Both are stored only as hashes.
 */

/** Session tokens start with this, so that they are told apart from API keys (`rgl_`) at a glance. */
export const MEMBER_TOKEN_PREFIX = 'rgme_';

export const SIGN_IN_CODE_LENGTH = 6;

export function generateSignInCode(random: (max: number) => number = randomInt): string {
  return String(random(10 ** SIGN_IN_CODE_LENGTH)).padStart(SIGN_IN_CODE_LENGTH, '0');
}

/**
 * A code's stored form: HMAC-SHA256 keyed with a random per-row salt. A million codes are quick
 * to try against a bare hash, so each row gets its own key (and the tries allowed online are few).
 */
export function hashSignInCode(code: string, salt: string = randomBytes(16).toString('hex')) {
  return { salt, hash: createHmac('sha256', Buffer.from(salt, 'hex')).update(code).digest('hex') };
}

export function signInCodeMatches(code: string, salt: string, storedHash: string): boolean {
  return sameHash(hashSignInCode(code, salt).hash, storedHash);
}
