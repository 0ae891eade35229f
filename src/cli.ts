#!/usr/bin/env node
import { parseArgs } from 'node:util';
import pino from 'pino';
import { openMigratedDatabase, startServer } from './app.ts';
import { isClusterWorker, runPrimary } from './cluster.ts';
import { ConfigError, loadConfig } from './config.ts';
import { DatabaseConnectionError } from './db/connection.ts';
import { DataDirectoryLockedError } from './db/data-dir-lock.ts';
import { dialectWebhookFormats } from './dialects/webhook-formats.ts';
import { AppError } from './errors.ts';
import { MASTER_CALLER, runWithContext } from './http/request-context.ts';
import { loggerOptions } from './logging.ts';
import { API_KEY_SCOPES, type ApiKeyScope, isApiKeyScope } from './modules/api-keys/scopes.ts';
import { createMetrics } from './modules/metrics/registry.ts';
import { listenForMetrics } from './modules/metrics/routes.ts';
import { checkPasses } from './modules/passes/check.ts';
import { isStaffRole, STAFF_ROLES } from './modules/staff/roles.ts';
import { createWebhookWorker } from './modules/webhooks/worker.ts';
import { createServices } from './services.ts';

const USAGE = `regulars — loyalty engine for restaurants and shops

Usage:
  regulars serve [--workers N]           start the HTTP API (migrates first); N processes on PostgreSQL
  regulars migrate                       apply pending database migrations
  regulars worker                        deliver webhooks only, no HTTP API (PostgreSQL: run as many as you like)
  regulars org create --name <name> [--currency EUR] [--timezone Europe/Madrid] [--country ES] [--json]
                                         create an organization and its first API key
  regulars key create --org <id> [--name <name>] [--scopes till,integration,read,admin]
                      [--locations <locationId>,<locationId>] [--json]
                                         scopes default to admin (everything), locations to every location;
                                         see the README's table of roles and scopes
  regulars key revoke --org <id> --key <keyId>
  regulars staff invite --organization <id> --email <email> --role owner|manager|analyst|cashier [--name <name>] [--json]
                                         invite a staff user (an organization's first owner); prints the
                                         invite link when no email channel (SMTP_URL) is configured
  regulars points process [--now <ISO time>] [--org <id>] [--json]
                                         activate and expire the points that are due (serve does it every minute)
  regulars ledger verify [--org <id>] [--json]
                                         recompute balances and lots from the ledger entries; exit 1 on a mismatch
  regulars analytics rebuild [--org <id>] [--json]
                                         recompute the analytics rollups from history, with a progress bar
                                         (resumable: run it again after an interruption)
  regulars tiers recompute [--org <id>] [--now <ISO time>] [--json]
                                         re-evaluate every member's tier (every organization without --org)
  regulars segments recompute [--org <id>] [--segment <id>] [--now <ISO time>] [--json]
                                         recompute segment membership (every segment without --segment)
  regulars passes check [--json]         check the wallet pass configuration (APPLE_*, GOOGLE_WALLET_*): what is
                                         missing, expired or mismatched; exit 1 on a problem

Configuration comes from the environment (see README): DATABASE_URL, DATA_DIR, PORT, REGULARS_MASTER_KEY…
`;

type Flags = Record<string, string | boolean | undefined>;

function required(flags: Flags, name: string): string {
  const value = flags[name];
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${name} is required`);
  return value;
}

function optional(flags: Flags, name: string): string | undefined {
  const value = flags[name];
  return typeof value === 'string' ? value : undefined;
}

class UsageError extends Error {}

/** What to do instead of a data command while a server holds the embedded database. */
const WHILE_SERVING: Record<string, string> = {
  'org create':
    'or use the HTTP API: POST /v1/organizations with the master key, then POST /v1/organizations/<id>/api-keys for its first key',
  'key create': 'or use the HTTP API: POST /v1/organizations/<id>/api-keys with the master key',
  'key revoke': 'or use the HTTP API: DELETE /v1/organizations/<id>/api-keys/<keyId> with the master key',
  'staff invite': 'or use the HTTP API: POST /v1/organizations/<id>/staff with the master key',
  'points process': 'or leave it to the server: it activates and expires due points every minute',
  'analytics rebuild':
    'then run it again: the server only keeps the rollups current from the changes it sees',
  'tiers recompute': "or use the HTTP API: POST /v1/tiers/recompute with the organization's API key",
  'segments recompute':
    "or use the HTTP API: POST /v1/segments/<id>/recompute with the organization's API key",
};

/** A server holds the embedded database: the message says what to do instead. */
class DatabaseInUseError extends Error {}

async function withServices<T>(
  command: string,
  fn: (services: ReturnType<typeof createServices>) => Promise<T>,
): Promise<T> {
  const config = loadConfig();
  const database = await openMigratedDatabase(config).catch((error: unknown) => {
    if (!(error instanceof DataDirectoryLockedError)) throw error;
    const instead = WHILE_SERVING[command];
    throw new DatabaseInUseError(`${error.message}\nStop the server${instead ? `, ${instead}` : ' first'}.`);
  });
  // Commands that email someone (an invite) send like the server; a development log goes to stderr.
  const logger = pino(loggerOptions(config.logLevel), pino.destination(2));
  const services = createServices(database, {
    staff: { publicUrl: config.publicUrl, sessionSecret: config.sessionSecret },
    messaging: { ...config.messaging, logger },
    passes: { config: config.passes, publicUrl: config.publicUrl },
  });
  try {
    // What the command changes, the audit log records as the platform operator's, run from the CLI.
    const context = {
      requestId: null,
      ip: null,
      userAgent: `regulars ${command}`,
      caller: () => MASTER_CALLER,
      auditMode: () => 'changes' as const,
    };
    return await runWithContext(context, () => fn(services));
  } finally {
    await services.messaging.close();
    await database.close();
  }
}

/**
 * A progress bar on stderr: redrawn in place on a terminal, a line per tenth of the way otherwise
 * (a log file should not fill with carriage returns).
 */
function progressBar(unit: string) {
  const width = 30;
  let lastTenth = -1;
  return (done: number, total: number) => {
    const share = total === 0 ? 1 : done / total;
    const filled = Math.round(share * width);
    const text = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${unit}`;
    if (process.stderr.isTTY) {
      process.stderr.write(`\r${text}${done >= total ? '\n' : ''}`);
      return;
    }
    const tenth = Math.floor(share * 10);
    if (tenth !== lastTenth) process.stderr.write(`${text}\n`);
    lastTenth = tenth;
  };
}

function print(flags: Flags, value: object, human: string) {
  process.stdout.write(flags.json ? `${JSON.stringify(value, null, 2)}\n` : `${human}\n`);
}

async function serve(flags: Flags) {
  const config = loadConfig();
  const workers = Number(optional(flags, 'workers') ?? '1');
  if (!Number.isInteger(workers) || workers < 1 || workers > 64)
    throw new UsageError('--workers must be 1–64');
  if (workers > 1 && !isClusterWorker()) {
    if (!config.databaseUrl)
      throw new UsageError('--workers needs DATABASE_URL: the embedded database lives in one process');
    return runPrimary(workers, config);
  }
  const server = await startServer(config);
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    server.app.log.info(
      { signal, delayMs: config.shutdownDelayMs, graceMs: config.shutdownGraceMs },
      'shutting down: /readyz answers 503, then in-flight requests and jobs finish',
    );
    await server.stop();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

/** The webhook worker alone (serve runs one too unless WEBHOOKS_WORKER=false). */
async function worker() {
  const config = loadConfig();
  const logger = pino(loggerOptions(config.logLevel));
  const database = await openMigratedDatabase(config);
  // The dialects' formats (Comeback's) read members, points and rewards through the services.
  const services = createServices(database, { webhooks: config.webhooks });
  // No API port here: /metrics only on a listener of its own (METRICS_PORT).
  const metrics = config.metrics.port !== undefined ? createMetrics(database) : undefined;
  const webhookWorker = createWebhookWorker(database, {
    ...config.webhooks,
    logger,
    formats: dialectWebhookFormats(services),
    shutdownGraceMs: config.shutdownGraceMs,
    ...(metrics ? { onAttempt: metrics.webhookAttempt } : {}),
  });
  webhookWorker.start();
  const metricsListener =
    metrics && config.metrics.port !== undefined
      ? await listenForMetrics(metrics, { ...config.metrics, port: config.metrics.port })
      : undefined;
  logger.info(
    {
      concurrency: config.webhooks.concurrency,
      metrics: metricsListener && `${metricsListener.url}/metrics`,
    },
    'webhook worker started',
  );
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing or releasing in-flight deliveries');
    await webhookWorker.stop();
    await metricsListener?.close();
    await database.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

/** `--scopes till,read`: each one known, none twice; left out, the service's default (admin). */
function scopesFlag(flags: Flags): ApiKeyScope[] | undefined {
  const raw = optional(flags, 'scopes');
  if (raw === undefined) return undefined;
  const named = raw.split(',').map((scope) => scope.trim());
  const scopes = named.filter(isApiKeyScope);
  if (scopes.length < named.length)
    throw new UsageError(
      `--scopes takes a comma-separated list of ${API_KEY_SCOPES.join(', ')}; got "${raw}"`,
    );
  return [...new Set(scopes)];
}

/** `--locations a,b`: the location ids a key is restricted to; left out, every location. */
function locationsFlag(flags: Flags): string[] | undefined {
  const raw = optional(flags, 'locations');
  if (raw === undefined) return undefined;
  const ids = [...new Set(raw.split(',').map((id) => id.trim()))];
  if (ids.some((id) => id === ''))
    throw new UsageError(`--locations takes comma-separated location ids; got "${raw}"`);
  return ids;
}

/** The service names `body.locationIds.N`: the CLI says which of --locations it was. */
function locationsRefused(error: unknown, ids: readonly string[] | undefined): unknown {
  const path = error instanceof AppError ? error.errors?.[0]?.path : undefined;
  const index = path?.startsWith('body.locationIds.') ? Number(path.split('.')[2]) : Number.NaN;
  if (!ids || Number.isNaN(index)) return error;
  return new AppError(
    'validation_failed',
    `--locations: ${ids[index]} is not a location of this organization`,
  );
}

async function main(argv: string[]) {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      workers: { type: 'string' },
      currency: { type: 'string' },
      timezone: { type: 'string' },
      country: { type: 'string' },
      org: { type: 'string' },
      organization: { type: 'string' },
      email: { type: 'string' },
      role: { type: 'string' },
      key: { type: 'string' },
      scopes: { type: 'string' },
      locations: { type: 'string' },
      segment: { type: 'string' },
      now: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const flags: Flags = values;
  const [command, action] = positionals;

  if (values.help || command === undefined || command === 'help') {
    process.stdout.write(USAGE);
    return;
  }
  if (command === 'serve') return serve(flags);
  if (command === 'worker') return worker();
  if (command === 'passes' && action === 'check') {
    // Reads the environment leniently: a partial configuration is what this command explains.
    const result = checkPasses(process.env);
    print(flags, result, result.lines.join('\n'));
    if (!result.ok) process.exitCode = 1;
    return;
  }
  if (command === 'migrate') {
    const database = await openMigratedDatabase(loadConfig());
    await database.close();
    process.stdout.write('migrations applied\n');
    return;
  }
  if (command === 'org' && action === 'create') {
    const name = required(flags, 'name');
    return withServices(`${command} ${action}`, async (services) => {
      const organization = await services.organizations.create({
        name,
        currency: optional(flags, 'currency'),
        timeZone: optional(flags, 'timezone'),
        country: optional(flags, 'country'),
      });
      const key = await services.apiKeys.create(organization.id, { name: 'created by regulars org create' });
      print(
        flags,
        { organization, apiKey: { id: key.id, prefix: key.prefix, key: key.key, createdAt: key.createdAt } },
        `organization ${organization.id} (${organization.name})\nAPI key (shown once): ${key.key}`,
      );
    });
  }
  if (command === 'key' && action === 'create') {
    const organizationId = required(flags, 'org');
    const scopes = scopesFlag(flags);
    const locationIds = locationsFlag(flags);
    return withServices(`${command} ${action}`, async (services) => {
      await services.organizations.get(organizationId);
      const key = await services.apiKeys
        .create(organizationId, { name: optional(flags, 'name'), scopes, locationIds })
        .catch((error: unknown) => {
          throw locationsRefused(error, locationIds);
        });
      const where = key.locationIds ? `, locations ${key.locationIds.join(',')}` : '';
      print(
        flags,
        {
          id: key.id,
          prefix: key.prefix,
          key: key.key,
          scopes: key.scopes,
          locationIds: key.locationIds,
          createdAt: key.createdAt,
        },
        `API key (shown once, scopes ${key.scopes.join(',')}${where}): ${key.key}`,
      );
    });
  }
  if (command === 'key' && action === 'revoke') {
    const organizationId = required(flags, 'org');
    const keyId = required(flags, 'key');
    return withServices(`${command} ${action}`, async (services) => {
      const key = await services.apiKeys.revoke(organizationId, keyId);
      print(flags, key, `revoked ${key.prefix}`);
    });
  }
  if (command === 'staff' && action === 'invite') {
    const organizationId = optional(flags, 'organization') ?? required(flags, 'org');
    const email = required(flags, 'email');
    const role = required(flags, 'role');
    if (!isStaffRole(role))
      throw new UsageError(`--role must be one of ${STAFF_ROLES.join(', ')}, got "${role}"`);
    return withServices(`${command} ${action}`, async (services) => {
      const invitation = await services.staff.accounts.invite(organizationId, {
        email,
        role,
        name: optional(flags, 'name'),
      });
      const { user, expiresAt, emailed, link } = invitation;
      // Without an email channel the link is the only way in: printed to the operator, once.
      const shownLink = emailed ? null : link;
      print(
        flags,
        {
          id: user.id,
          email: user.email,
          role: user.role,
          status: user.status,
          expiresAt,
          emailed,
          inviteLink: shownLink,
        },
        emailed
          ? `invited ${user.email} as ${user.role}: the invite email is on its way (the link works until ${expiresAt.toISOString()})`
          : `invited ${user.email} as ${user.role}; no email was sent (SMTP_URL is not set), so pass on this link ` +
              `(it works until ${expiresAt.toISOString()}):\n${link}`,
      );
    });
  }
  if (command === 'points' && action === 'process') {
    const raw = optional(flags, 'now');
    const now = raw === undefined ? new Date() : new Date(raw);
    if (Number.isNaN(now.getTime())) throw new UsageError(`--now must be an ISO 8601 time, got "${raw}"`);
    return withServices(`${command} ${action}`, async (services) => {
      const result = await services.ledger.processDue({ now, organizationId: optional(flags, 'org') });
      print(
        flags,
        result,
        `${result.balances} balances settled at ${now.toISOString()}: ${result.lotsActivated} lots activated, ${result.lotsExpired} lots expired` +
          (result.skipped > 0 ? ` (${result.skipped} busy, left for the next run)` : ''),
      );
    });
  }
  if (command === 'ledger' && action === 'verify') {
    return withServices(`${command} ${action}`, async (services) => {
      const report = await services.ledger.verify({ organizationId: optional(flags, 'org') });
      const lines = report.mismatches.map(
        (m) =>
          `${m.subject} ${m.id} (organization ${m.organizationId}): ${m.field} is ${m.stored}, entries say ${m.expected}`,
      );
      lines.push(
        `checked ${report.balances} balances, ${report.lots} lots, ${report.entries} entries: ${report.mismatches.length} mismatches`,
      );
      print(flags, report, lines.join('\n'));
      if (report.mismatches.length > 0) process.exitCode = 1;
    });
  }
  if (command === 'analytics' && action === 'rebuild') {
    return withServices(`${command} ${action}`, async (services) => {
      const started = Date.now();
      const result = await services.analytics.rebuild(optional(flags, 'org'), progressBar('days'));
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      print(flags, result, `${result.days} days of rollups recomputed in ${seconds} s`);
    });
  }
  if ((command === 'tiers' || command === 'segments') && action === 'recompute') {
    const raw = optional(flags, 'now');
    const now = raw === undefined ? new Date() : new Date(raw);
    if (Number.isNaN(now.getTime())) throw new UsageError(`--now must be an ISO 8601 time, got "${raw}"`);
    return withServices(`${command} ${action}`, async (services) => {
      const org = optional(flags, 'org');
      const segment = optional(flags, 'segment');
      if (segment !== undefined && org === undefined) throw new UsageError('--segment needs --org');
      const organizationIds: string[] = [];
      if (org !== undefined) organizationIds.push((await services.organizations.get(org)).id);
      else {
        for (let afterId: string | undefined; ; ) {
          const page = await services.organizations.list({ limit: 100, afterId });
          organizationIds.push(...page.slice(0, 100).map((o) => o.id));
          if (page.length <= 100) break;
          afterId = page[99]!.id;
        }
      }
      const results = [];
      const lines: string[] = [];
      for (const organizationId of organizationIds) {
        if (command === 'tiers') {
          const { evaluated, changed } = await services.audience.recomputeTiers(organizationId, now);
          results.push({ organizationId, evaluated, changed });
          lines.push(`${organizationId}: ${evaluated} members evaluated, ${changed} changed tier`);
        } else {
          const segments =
            segment === undefined
              ? await services.segments.recomputeAll(organizationId, { now })
              : [await services.segments.recompute(organizationId, segment, { now })];
          results.push({ organizationId, segments });
          for (const s of segments)
            lines.push(`${organizationId} segment ${s.segmentId}: +${s.added} −${s.removed}`);
        }
      }
      print(flags, results, lines.length > 0 ? lines.join('\n') : 'nothing to recompute');
    });
  }
  throw new UsageError(`unknown command: ${positionals.join(' ')}`);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof UsageError) {
    process.stderr.write(`${error.message}\n\n${USAGE}`);
  } else if (
    error instanceof ConfigError ||
    error instanceof DatabaseConnectionError ||
    error instanceof DataDirectoryLockedError ||
    error instanceof DatabaseInUseError ||
    error instanceof AppError
  ) {
    process.stderr.write(`regulars: ${error.message}\n`);
  } else if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
    const { address, port } = error as { address?: string; port?: number };
    process.stderr.write(
      `regulars: ${address}:${port} is already in use, by another server perhaps: stop it, or set PORT (or HOST)\n`,
    );
  } else {
    process.stderr.write(
      `regulars: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
  }
  process.exit(1);
});
