import { resolve } from 'node:path';
import { DEFAULT_MAIL_FROM } from './modules/messaging/messenger.ts';
import { type PassesConfig, readPassesConfig } from './modules/passes/config.ts';
import { DEFAULT_RETRY_SCHEDULE_MS, parseSchedule } from './modules/webhooks/retry-schedule.ts';

/** Everything the process reads from its environment, validated once at start. */
export interface Config {
  port: number;
  host: string;
  /** PostgreSQL connection string; absent = embedded PGlite under dataDir. */
  databaseUrl: string | undefined;
  dataDir: string;
  databasePoolSize: number;
  /** Prepare the statements a process repeats (src/db/prepared.ts); off behind a pooler that cannot keep them. */
  databasePreparedStatements: boolean;
  /** Platform master key from the environment; absent = generated on first start. */
  masterKey: string | undefined;
  redisUrl: string | undefined;
  /** Requests per key per window; 0 turns rate limiting off. */
  rateLimitMax: number;
  rateLimitWindowMs: number;
  /** How often `regulars serve` activates and expires due points; 0 = never (use `regulars points process`). */
  pointsProcessIntervalMs: number;
  /** How often manual tier expiries and the daily tier/segment refresh are checked; 0 = never. */
  audienceRefreshIntervalMs: number;
  /** How often expired reservations are released and coupons expired; 0 = never (reads do it anyway). */
  rewardsProcessIntervalMs: number;
  /** How often `regulars serve` folds new changes into the analytics rollups; 0 = never (`regulars analytics catch-up`). */
  analyticsIntervalMs: number;
  /** Embedded database only: how often tables past autovacuum's thresholds are vacuumed and analyzed; 0 = never. */
  embeddedMaintenanceIntervalMs: number;
  logLevel: string;
  webhooks: WebhooksConfig;
  /** Where people open the web apps (emailed links start with it); default http://localhost:PORT. */
  publicUrl: string;
  /** Signs staff access and CSRF tokens, encrypts TOTP secrets; absent = generated on first start and stored. */
  sessionSecret: string | undefined;
  /** The proxies whose X-Forwarded-For/-Proto are believed: false, true (any), or addresses/CIDRs. */
  trustProxy: boolean | string;
  messaging: MessagingConfig;
  /** How long audit log rows are kept; 0 = for ever. */
  auditRetentionDays: number;
  /** On SIGTERM, how long /readyz answers 503 while requests are still served (for a load balancer to notice). */
  shutdownDelayMs: number;
  /** Then how long in-flight requests, webhook deliveries and job runs get to finish before the process exits. */
  shutdownGraceMs: number;
  metrics: MetricsConfig;
  /** Apple and Google Wallet passes (src/modules/passes); each wallet off unless fully configured. */
  passes: PassesConfig;
}

/** /metrics (src/modules/metrics): off unless a token or a port of its own is given. */
export interface MetricsConfig {
  /** /metrics on the API port, for `Authorization: Bearer <token>`; absent = not there (404). */
  token: string | undefined;
  /** A listener of its own serving only /metrics; absent = none. */
  port: number | undefined;
  host: string;
}

/** Email and SMS delivery (src/modules/messaging). */
export interface MessagingConfig {
  /** smtp:// or smtps:// with credentials; absent = no email. */
  smtpUrl: string | undefined;
  mailFrom: string;
  /** An HTTP(S) endpoint taking POST {to, text}; absent = no SMS. */
  smsProviderUrl: string | undefined;
  smsProviderToken: string | undefined;
  /** NODE_ENV is not production: messages for an unconfigured channel go to the log instead of failing. */
  developmentLog: boolean;
}

export interface WebhooksConfig {
  /** Run the delivery worker inside `regulars serve` (`regulars worker` runs it alone). */
  worker: boolean;
  /** Let endpoints point at private, loopback and link-local addresses. */
  allowPrivate: boolean;
  /** Deliveries in flight at once per process. */
  concurrency: number;
  pollIntervalMs: number;
  /** Waits between attempts; one more failure after the last wait dead-letters the delivery. */
  retrySchedule: number[];
  /** An endpoint failing without a success for this long is disabled. */
  disableAfterMs: number;
  /** Finished deliveries and their attempt logs are kept this long. */
  retentionMs: number;
}

export class ConfigError extends Error {}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer between ${min} and ${max}, got "${raw}"`);
  }
  return value;
}

/**
 * A URL that may carry credentials (a password, a token in its query): a bad one is explained by
 * its expected form and its scheme only, never echoed whole.
 */
function credentialedUrl(
  env: NodeJS.ProcessEnv,
  name: string,
  protocols: string[],
  example: string,
): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${name} is not a valid URL (expected ${example})`);
  }
  if (!protocols.includes(url.protocol)) {
    const expected = protocols.map((protocol) => `${protocol}//`).join(' or ');
    throw new ConfigError(`${name} must start with ${expected}, got "${url.protocol}"`);
  }
  return raw;
}

function optionalUrl(env: NodeJS.ProcessEnv, name: string, protocols: string[]): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  try {
    const url = new URL(raw);
    if (protocols.includes(url.protocol)) return raw;
  } catch {
    // fall through to the error below
  }
  throw new ConfigError(`${name} must be a URL starting with ${protocols.join(' or ')}//, got "${raw}"`);
}

/** TRUST_PROXY: `true`/`false`, or comma-separated addresses and CIDR ranges of the proxies. */
function trustProxy(env: NodeJS.ProcessEnv): boolean | string {
  const raw = env.TRUST_PROXY?.trim();
  if (raw === undefined || raw === '' || raw === 'false') return false;
  if (raw === 'true') return true;
  if (raw.split(',').every((entry) => /^[0-9a-fA-F:.]+(\/\d{1,3})?$/.test(entry.trim()))) return raw;
  throw new ConfigError(
    `TRUST_PROXY must be true, false, or comma-separated addresses or CIDR ranges of the proxies, got "${raw}"`,
  );
}

function flag(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}

function schedule(env: NodeJS.ProcessEnv, name: string, fallback: number[]): number[] {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const delays = parseSchedule(raw);
  if (!delays || delays.length === 0 || delays.length > 50) {
    throw new ConfigError(`${name} must be 1–50 comma-separated durations such as 5s,1m,2h, got "${raw}"`);
  }
  return delays;
}

/** `Name <address>` or a bare address: what a From header holds. */
function mailbox(env: NodeJS.ProcessEnv, name: string, fallback: string): string {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^(?:[^<>\r\n]*<[^\s<>@]+@[^\s<>@]+>|[^\s<>@]+@[^\s<>@]+)$/.test(raw.trim())) {
    throw new ConfigError(
      `${name} must be an email address, optionally with a name: Name <address>, got "${raw}"`,
    );
  }
  return raw.trim();
}

const DAY_MS = 86_400_000;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const masterKey = env.REGULARS_MASTER_KEY || undefined;
  if (masterKey !== undefined && masterKey.length < 24) {
    throw new ConfigError('REGULARS_MASTER_KEY must be at least 24 characters long');
  }
  const sessionSecret = env.REGULARS_SESSION_SECRET || undefined;
  if (sessionSecret !== undefined && sessionSecret.length < 32) {
    throw new ConfigError('REGULARS_SESSION_SECRET must be at least 32 characters long');
  }
  const logLevel = env.LOG_LEVEL || 'info';
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
  }
  const port = integer(env, 'PORT', 8080, 0, 65535);
  const passes = readPassesConfig(env);
  if (passes.problems.length > 0) {
    throw new ConfigError(
      `wallet passes are misconfigured (run "regulars passes check"):\n  ${passes.problems.join('\n  ')}`,
    );
  }
  return {
    port,
    host: env.HOST || '0.0.0.0',
    databaseUrl: credentialedUrl(
      env,
      'DATABASE_URL',
      ['postgres:', 'postgresql:'],
      'postgres://user:password@host:5432/database',
    ),
    dataDir: resolve(env.DATA_DIR || './data'),
    databasePoolSize: integer(env, 'DATABASE_POOL_SIZE', 20, 1, 1000),
    databasePreparedStatements: flag(env, 'DATABASE_PREPARED_STATEMENTS', true),
    masterKey,
    redisUrl: optionalUrl(env, 'REDIS_URL', ['redis:', 'rediss:']),
    rateLimitMax: integer(env, 'RATE_LIMIT_MAX', 60_000, 0, 100_000_000),
    rateLimitWindowMs: integer(env, 'RATE_LIMIT_WINDOW_MS', 60_000, 1000, 86_400_000),
    pointsProcessIntervalMs: integer(env, 'POINTS_PROCESS_INTERVAL_MS', 60_000, 0, 86_400_000),
    audienceRefreshIntervalMs: integer(env, 'AUDIENCE_REFRESH_INTERVAL_MS', 60_000, 0, 86_400_000),
    rewardsProcessIntervalMs: integer(env, 'REWARDS_PROCESS_INTERVAL_MS', 30_000, 0, 86_400_000),
    analyticsIntervalMs: integer(env, 'ANALYTICS_INTERVAL_MS', 60_000, 0, 86_400_000),
    embeddedMaintenanceIntervalMs: integer(env, 'EMBEDDED_MAINTENANCE_INTERVAL_MS', 60_000, 0, 86_400_000),
    logLevel,
    webhooks: {
      worker: flag(env, 'WEBHOOKS_WORKER', true),
      allowPrivate: flag(env, 'WEBHOOKS_ALLOW_PRIVATE', false),
      concurrency: integer(env, 'WEBHOOKS_CONCURRENCY', 8, 1, 1000),
      pollIntervalMs: integer(env, 'WEBHOOKS_POLL_INTERVAL_MS', 1000, 10, 600_000),
      retrySchedule: schedule(env, 'WEBHOOKS_RETRY_SCHEDULE', DEFAULT_RETRY_SCHEDULE_MS),
      disableAfterMs: integer(env, 'WEBHOOKS_DISABLE_AFTER_DAYS', 5, 1, 365) * DAY_MS,
      retentionMs: integer(env, 'WEBHOOKS_RETENTION_DAYS', 30, 1, 3650) * DAY_MS,
    },
    publicUrl: optionalUrl(env, 'PUBLIC_URL', ['http:', 'https:']) ?? `http://localhost:${port}`,
    sessionSecret,
    trustProxy: trustProxy(env),
    messaging: {
      smtpUrl: credentialedUrl(env, 'SMTP_URL', ['smtp:', 'smtps:'], 'smtp://user:password@host:587'),
      mailFrom: mailbox(env, 'MAIL_FROM', DEFAULT_MAIL_FROM),
      smsProviderUrl: credentialedUrl(
        env,
        'SMS_PROVIDER_URL',
        ['https:', 'http:'],
        'https://sms.example.com/send',
      ),
      smsProviderToken: env.SMS_PROVIDER_TOKEN || undefined,
      developmentLog: env.NODE_ENV !== 'production',
    },
    auditRetentionDays: integer(env, 'AUDIT_RETENTION_DAYS', 400, 0, 36_500),
    shutdownDelayMs: integer(env, 'SHUTDOWN_DELAY_MS', 0, 0, 600_000),
    shutdownGraceMs: shutdownGrace(env),
    metrics: metricsConfig(env, port),
    passes: passes.config,
  };
}

/** SHUTDOWN_GRACE_MS; WEBHOOKS_SHUTDOWN_GRACE_MS, its older name from when only webhooks drained, still read. */
function shutdownGrace(env: NodeJS.ProcessEnv): number {
  if (env.SHUTDOWN_GRACE_MS === undefined || env.SHUTDOWN_GRACE_MS === '') {
    return integer(env, 'WEBHOOKS_SHUTDOWN_GRACE_MS', 10_000, 0, 600_000);
  }
  return integer(env, 'SHUTDOWN_GRACE_MS', 10_000, 0, 600_000);
}

const METRICS_TOKEN_MIN_LENGTH = 16;

function metricsConfig(env: NodeJS.ProcessEnv, apiPort: number): MetricsConfig {
  const token = env.METRICS_TOKEN || undefined;
  if (token !== undefined && (token.length < METRICS_TOKEN_MIN_LENGTH || /\s/.test(token))) {
    throw new ConfigError(
      `METRICS_TOKEN must be at least ${METRICS_TOKEN_MIN_LENGTH} characters without spaces (e.g. openssl rand -hex 24)`,
    );
  }
  const port = env.METRICS_PORT ? integer(env, 'METRICS_PORT', 0, 1, 65535) : undefined;
  if (port !== undefined && port === apiPort) {
    throw new ConfigError(`METRICS_PORT must differ from PORT (${apiPort}): it is a listener of its own`);
  }
  const host = env.METRICS_HOST || '127.0.0.1';
  if (env.METRICS_HOST && port === undefined) {
    throw new ConfigError(
      'METRICS_HOST is set but METRICS_PORT is not: give the port /metrics should listen on',
    );
  }
  if (!/^[A-Za-z0-9.:-]+$/.test(host)) {
    throw new ConfigError(`METRICS_HOST must be an address or host name such as 127.0.0.1, got "${host}"`);
  }
  return { token, port, host };
}
