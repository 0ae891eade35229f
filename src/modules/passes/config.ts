import { readFileSync } from 'node:fs';

/**
 * Wallet pass configuration from the environment. Each wallet is all or nothing: a wallet with
 * some of its variables set is refused at start (src/config.ts) with the list of what is missing,
 * and `regulars passes check` prints the same list plus what is wrong with the material itself.
 */

export interface ApnsSettings {
  /** The `.p8` token-signing key (PEM, PKCS#8 EC P-256). */
  key: string;
  keyId: string;
  /** https://api.push.apple.com in production; any http(s) URL of an HTTP/2 server in tests. */
  host: string;
}

export interface AppleSettings {
  passTypeId: string;
  teamId: string;
  /** The Pass Type ID certificate and its private key (PEM). */
  certificate: string;
  key: string;
  keyPassphrase: string | undefined;
  /** Apple's WWDR intermediate certificate (PEM, G4). */
  wwdr: string;
  /** Without it passes are issued but never pushed to devices. */
  apns: ApnsSettings | undefined;
}

export interface ServiceAccount {
  clientEmail: string;
  privateKey: string;
  /** Where the OAuth token is exchanged (the key file's `token_uri`). */
  tokenUri: string;
}

export interface GoogleSettings {
  issuerId: string;
  serviceAccount: ServiceAccount;
  /** https://walletobjects.googleapis.com in production. */
  apiUrl: string;
}

export interface PassesConfig {
  apple: AppleSettings | undefined;
  google: GoogleSettings | undefined;
}

export const DEFAULT_APNS_HOST = 'https://api.push.apple.com';
export const DEFAULT_GOOGLE_WALLET_API_URL = 'https://walletobjects.googleapis.com';
const GOOGLE_TOKEN_URI = 'https://oauth2.googleapis.com/token';

const APPLE_VARIABLES = [
  'APPLE_PASS_TYPE_ID',
  'APPLE_TEAM_ID',
  'APPLE_PASS_CERTIFICATE',
  'APPLE_PASS_KEY',
  'APPLE_WWDR_CERTIFICATE',
] as const;
const APNS_VARIABLES = ['APPLE_APNS_KEY', 'APPLE_APNS_KEY_ID'] as const;
const GOOGLE_VARIABLES = ['GOOGLE_WALLET_ISSUER_ID', 'GOOGLE_WALLET_SERVICE_ACCOUNT'] as const;

export interface PassesReading {
  config: PassesConfig;
  /** Variables missing from a partly configured wallet, unreadable files, bad values. */
  problems: string[];
}

type Env = NodeJS.ProcessEnv;

const value = (env: Env, name: string) =>
  env[name] === undefined || env[name] === '' ? undefined : env[name];

/** A PEM given inline, or the path of a file holding it. */
function pem(env: Env, name: string, problems: string[]): string | undefined {
  const raw = value(env, name);
  if (raw === undefined) return undefined;
  const text = raw.trimStart().startsWith('-----BEGIN') ? raw : readable(name, raw, problems);
  if (text !== undefined && !text.includes('-----BEGIN')) {
    problems.push(`${name} is not PEM (a "-----BEGIN …" block, or the path of a file holding one)`);
    return undefined;
  }
  return text;
}

function readable(name: string, path: string, problems: string[]): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    problems.push(`${name}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    return undefined;
  }
}

function url(env: Env, name: string, fallback: string, problems: string[]): string {
  const raw = value(env, name) ?? fallback;
  try {
    const parsed = new URL(raw);
    if (parsed.protocol === 'https:' || parsed.protocol === 'http:') return raw.replace(/\/+$/, '');
  } catch {
    // explained below
  }
  problems.push(`${name} must be an http(s) URL, got "${raw}"`);
  return fallback;
}

/** Which of `names` are set: none (wallet off), all (on) or some (a problem naming the rest). */
function group(env: Env, names: readonly string[], wallet: string, problems: string[]): boolean {
  const missing = names.filter((name) => value(env, name) === undefined);
  if (missing.length === names.length) return false;
  if (missing.length > 0) {
    problems.push(
      `${wallet} is partly configured: ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} missing`,
    );
    return false;
  }
  return true;
}

function readApple(env: Env, problems: string[]): AppleSettings | undefined {
  const on = group(env, APPLE_VARIABLES, 'Apple Wallet', problems);
  const apnsOn = group(env, APNS_VARIABLES, 'Apple Wallet updates (APNs)', problems);
  if (!on) {
    if (apnsOn)
      problems.push('APPLE_APNS_KEY is set but Apple Wallet is not configured (APPLE_PASS_TYPE_ID…)');
    return undefined;
  }
  const before = problems.length;
  const certificate = pem(env, 'APPLE_PASS_CERTIFICATE', problems);
  const key = pem(env, 'APPLE_PASS_KEY', problems);
  const wwdr = pem(env, 'APPLE_WWDR_CERTIFICATE', problems);
  const apnsKey = apnsOn ? pem(env, 'APPLE_APNS_KEY', problems) : undefined;
  const host = url(env, 'APPLE_APNS_HOST', DEFAULT_APNS_HOST, problems);
  if (problems.length > before || !certificate || !key || !wwdr) return undefined;
  return {
    passTypeId: value(env, 'APPLE_PASS_TYPE_ID') as string,
    teamId: value(env, 'APPLE_TEAM_ID') as string,
    certificate,
    key,
    keyPassphrase: value(env, 'APPLE_PASS_KEY_PASSPHRASE'),
    wwdr,
    apns: apnsKey ? { key: apnsKey, keyId: value(env, 'APPLE_APNS_KEY_ID') as string, host } : undefined,
  };
}

/** The service-account key file Google Cloud hands out (JSON), inline or by path. */
function serviceAccount(env: Env, problems: string[]): ServiceAccount | undefined {
  const name = 'GOOGLE_WALLET_SERVICE_ACCOUNT';
  const raw = value(env, name) as string;
  const text = raw.trimStart().startsWith('{') ? raw : readable(name, raw, problems);
  if (text === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    problems.push(`${name} is not JSON (the service account's key file, or its path)`);
    return undefined;
  }
  const fields = (parsed ?? {}) as Record<string, unknown>;
  const email = fields.client_email;
  const privateKey = fields.private_key;
  if (typeof email !== 'string' || typeof privateKey !== 'string') {
    problems.push(`${name} lacks client_email or private_key: is it a service account key file?`);
    return undefined;
  }
  const tokenUri = typeof fields.token_uri === 'string' ? fields.token_uri : GOOGLE_TOKEN_URI;
  return { clientEmail: email, privateKey, tokenUri };
}

function readGoogle(env: Env, problems: string[]): GoogleSettings | undefined {
  if (!group(env, GOOGLE_VARIABLES, 'Google Wallet', problems)) return undefined;
  const before = problems.length;
  const account = serviceAccount(env, problems);
  const apiUrl = url(env, 'GOOGLE_WALLET_API_URL', DEFAULT_GOOGLE_WALLET_API_URL, problems);
  const issuerId = value(env, 'GOOGLE_WALLET_ISSUER_ID') as string;
  if (!/^\d+$/.test(issuerId)) problems.push(`GOOGLE_WALLET_ISSUER_ID must be digits, got "${issuerId}"`);
  if (problems.length > before || !account) return undefined;
  return { issuerId, serviceAccount: account, apiUrl };
}

export function readPassesConfig(env: Env): PassesReading {
  const problems: string[] = [];
  const apple = readApple(env, problems);
  const google = readGoogle(env, problems);
  return { config: { apple, google }, problems };
}

export const PASSES_VARIABLES = {
  apple: [...APPLE_VARIABLES, 'APPLE_PASS_KEY_PASSPHRASE (if the key has one)'],
  apns: [...APNS_VARIABLES, `APPLE_APNS_HOST (default ${DEFAULT_APNS_HOST})`],
  google: [...GOOGLE_VARIABLES, `GOOGLE_WALLET_API_URL (default ${DEFAULT_GOOGLE_WALLET_API_URL})`],
};
