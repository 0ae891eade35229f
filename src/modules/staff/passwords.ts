import { hash, verify } from '@node-rs/argon2';
import { validationFailed } from '../../errors.ts';

/**
 * Passwords: argon2id with the library's defaults (19 MiB, 2 passes, 1 lane: OWASP's baseline),
 * which the PHC string records, so stronger settings later still verify older hashes.
 */
export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 256;

export function hashPassword(password: string): Promise<string> {
  return hash(password);
}

let dummyHash: Promise<string> | undefined;

/**
 * Checks a password against a stored hash; with none (an unknown email, an invite not accepted
 * yet) it checks against a hash of nothing anyone knows, so that the answer takes as long.
 */
export async function passwordMatches(stored: string | null | undefined, password: string): Promise<boolean> {
  if (stored) return verify(stored, password).catch(() => false);
  dummyHash ??= hash(`no account has this password ${Math.random()}`);
  await verify(await dummyHash, password).catch(() => false);
  return false;
}

/** 12–256 characters, and not the account's email: 422 naming `path` otherwise. */
export function checkPasswordPolicy(password: string, email: string, path = 'body.password'): void {
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH)
    throw validationFailed(path, `must be at least ${PASSWORD_MIN_LENGTH} characters long`);
  if (length > PASSWORD_MAX_LENGTH)
    throw validationFailed(path, `must be at most ${PASSWORD_MAX_LENGTH} characters long`);
  if (password.trim().toLowerCase() === email.trim().toLowerCase())
    throw validationFailed(path, 'must not be the account’s email address');
}
