import type { Config } from './config.ts';
import { type Database, openDatabase } from './db/connection.ts';
import { maintainTables } from './db/maintenance.ts';
import { runMigrations } from './db/migrate.ts';
import { cheerfyDialect } from './dialects/cheerfy/routes.ts';
import { comebackDialect } from './dialects/comeback/routes.ts';
import { openLoyaltyDialect } from './dialects/openloyalty/routes.ts';
import { posGatewayDialect } from './dialects/pos-gateway/routes.ts';
import { dialectWebhookFormats } from './dialects/webhook-formats.ts';
import { registerConsole } from './http/console.ts';
import { buildServer, type ServerOptions } from './http/server.ts';
import type { App } from './http/types.ts';
import { type PeriodicJobOptions, startPeriodicJob } from './jobs.ts';
import { createLifecycle, sleep, withinGrace } from './lifecycle.ts';
import { loggerOptions } from './logging.ts';
import { analyticsRoutes } from './modules/analytics/routes.ts';
import { tillPairingRoutes } from './modules/api-keys/pairing-routes.ts';
import { apiKeyRoutes } from './modules/api-keys/routes.ts';
import { auditRoutes } from './modules/audit/routes.ts';
import { customerRoutes } from './modules/customers/routes.ts';
import { earningRuleRoutes } from './modules/earning-rules/routes.ts';
import { triggerRoutes } from './modules/earning-rules/trigger-routes.ts';
import { eventRoutes } from './modules/events/routes.ts';
import { ledgerRoutes } from './modules/ledger/routes.ts';
import { locationRoutes } from './modules/locations/routes.ts';
import { memberAccessRoutes } from './modules/member-access/routes.ts';
import { createMetrics } from './modules/metrics/registry.ts';
import { listenForMetrics } from './modules/metrics/routes.ts';
import { organizationRoutes } from './modules/organizations/routes.ts';
import { passRoutes } from './modules/passes/routes.ts';
import { pointTypeRoutes } from './modules/point-types/routes.ts';
import { registerRewardRoutes } from './modules/rewards/routes.ts';
import { segmentRoutes } from './modules/segments/routes.ts';
import { authRoutes } from './modules/staff/auth-routes.ts';
import { staffRoutes } from './modules/staff/routes.ts';
import { tierRoutes } from './modules/tiers/routes.ts';
import { transactionRoutes } from './modules/transactions/routes.ts';
import { webhookRoutes } from './modules/webhooks/routes.ts';
import { createWebhookWorker, type WebhookWorker } from './modules/webhooks/worker.ts';
import { createServices, type Services } from './services.ts';

/** Opens the configured database (PostgreSQL or embedded) and brings its schema up to date. */
export async function openMigratedDatabase(config: Config): Promise<Database> {
  const database = await openDatabase({
    url: config.databaseUrl,
    dataDir: config.dataDir,
    poolSize: config.databasePoolSize,
    preparedStatements: config.databasePreparedStatements,
  });
  try {
    await runMigrations(database);
  } catch (error) {
    await database.close();
    throw error;
  }
  return database;
}

/** Every module's native routes and every dialect: the one list of what the API serves. */
export async function registerRoutes(app: App, services: Services): Promise<void> {
  organizationRoutes(app, services.organizations);
  apiKeyRoutes(app, services.apiKeys, services.organizations);
  tillPairingRoutes(app, services.tillPairings);
  locationRoutes(app, services.locations);
  customerRoutes(app, services.customers);
  earningRuleRoutes(app, services.earningRules);
  triggerRoutes(app, services.triggers);
  eventRoutes(app, services.events);
  pointTypeRoutes(app, services.pointTypes);
  ledgerRoutes(app, services.ledger);
  transactionRoutes(app, services.transactions);
  tierRoutes(app, services.tiers, services.audience);
  segmentRoutes(app, services.segments, services.customers);
  await app.register(cheerfyDialect, { prefix: '/compat/cheerfy', services });
  await app.register(comebackDialect, { prefix: '/compat/comeback', services });
  await app.register(posGatewayDialect, { prefix: '/compat/pos-gateway', services });
  await app.register(openLoyaltyDialect, { prefix: '/compat/openloyalty', services });
  registerRewardRoutes(app, services.rewards);
  webhookRoutes(app, services.webhooks);
  staffRoutes(app, services.staff);
  authRoutes(app, services.staff);
  auditRoutes(app, services.audit);
  memberAccessRoutes(app, services);
  analyticsRoutes(app, services.analytics);
  passRoutes(app, services.passes);
  // The web console (web/, built into dist/console) at /console/, served by this same server.
  await registerConsole(app);
}

/** The HTTP app over the services: shared hooks and plugins (src/http/server.ts), then every route. */
export function buildApp(services: Services, options: Omit<ServerOptions, 'routes'> = {}): Promise<App> {
  return buildServer(services, { ...options, routes: registerRoutes });
}

const MAINTENANCE_PAUSE_WORTH_LOGGING_MS = 100;
const DAY_MS = 86_400_000;

export interface RunningServer {
  app: App;
  services: Services;
  url: string;
  /** The webhook delivery worker, unless WEBHOOKS_WORKER=false. */
  webhookWorker: WebhookWorker | undefined;
  /**
   * /readyz turns 503, requests are still served for SHUTDOWN_DELAY_MS, then the listener closes
   * and in-flight requests, webhook deliveries and job runs get SHUTDOWN_GRACE_MS to finish.
   */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Routes to add before listening (the benchmark's ceiling routes); nothing in production. */
  configureApp?: (app: App, services: Services) => void | Promise<void>;
}

export async function startServer(config: Config, options: StartOptions = {}): Promise<RunningServer> {
  const database = await openMigratedDatabase(config);
  const logger = loggerOptions(config.logLevel);
  let app: App | undefined;
  const lifecycle = createLifecycle();
  // Off unless asked for: no instrument records anything when no one may read it.
  const metrics =
    config.metrics.token || config.metrics.port !== undefined ? createMetrics(database) : undefined;
  const services = createServices(database, {
    masterKey: config.masterKey,
    onBackgroundError: (error) => app?.log.warn({ err: error }, 'background task failed'),
    webhooks: config.webhooks,
    staff: { publicUrl: config.publicUrl, sessionSecret: config.sessionSecret },
    // Bound late: the app's logger exists once the app does, before any request can send a message.
    messaging: { ...config.messaging, logger: { info: (fields, message) => app?.log.info(fields, message) } },
    passes: {
      config: config.passes,
      publicUrl: config.publicUrl,
      retrySchedule: config.webhooks.retrySchedule,
    },
  });
  app = await buildApp(services, {
    logger,
    rateLimit: { max: config.rateLimitMax, windowMs: config.rateLimitWindowMs, redisUrl: config.redisUrl },
    trustProxy: config.trustProxy,
    lifecycle,
    ...(metrics ? { metrics: { metrics, token: config.metrics.token } } : {}),
  });
  await options.configureApp?.(app, services);
  const url = await app.listen({ port: config.port, host: config.host });
  const metricsListener =
    metrics && config.metrics.port !== undefined
      ? await listenForMetrics(metrics, { ...config.metrics, port: config.metrics.port })
      : undefined;
  if (metricsListener) app.log.info({ url: `${metricsListener.url}/metrics` }, 'metrics listening');
  // Only once listening: a start that fails (a port in use) must not show, and lose, a key that
  // would never be shown again. Until it is stored, the platform routes answer 401.
  const generatedMasterKey = await services.apiKeys.ensureMasterKey();
  if (generatedMasterKey) {
    // Printed once, to the terminal only (never to the log stream): only its hash is stored.
    process.stderr.write(
      `\nNo REGULARS_MASTER_KEY was set, so one was generated. It is shown only this once:\n\n  ${generatedMasterKey}\n\nUse it as "Authorization: Bearer <key>" on /v1/organizations.\n\n`,
    );
  }
  const running = app;
  // Every background job the same way, its runs counted under its name when metrics are on.
  const periodic = <T>(name: string, run: () => Promise<T>, jobOptions: PeriodicJobOptions<T>) =>
    startPeriodicJob(run, { ...jobOptions, ...(metrics ? { observe: metrics.job(name) } : {}) });
  if (config.messaging.developmentLog && !config.messaging.smtpUrl) {
    // Said once at start: an operator who forgot NODE_ENV=production learns it before a code is logged.
    running.log.warn(
      'SMTP_URL is not set: emails (sign-in codes and links included) are written to this log instead of sent. Development only: NODE_ENV=production refuses them',
    );
  }
  // Pending points become spendable and expired points leave balances without anyone calling the API.
  const pointsScheduler =
    config.pointsProcessIntervalMs > 0
      ? periodic('points_processing', () => services.ledger.processDue(), {
          intervalMs: config.pointsProcessIntervalMs,
          onError: (error) => running.log.error({ err: error }, 'points processing failed'),
          onRun: (result) => {
            if (result.balances > 0) running.log.info(result, 'due points activated and expired');
          },
        })
      : undefined;
  // Manual tier assignments end on time, and each organization's tiers and segments are refreshed daily.
  const audienceScheduler =
    config.audienceRefreshIntervalMs > 0
      ? periodic('audience_refresh', () => services.audience.runScheduled(), {
          intervalMs: config.audienceRefreshIntervalMs,
          onError: (error) => running.log.error({ err: error }, 'tier and segment refresh failed'),
          onRun: (result) => {
            if (result.expired + result.refreshed > 0)
              running.log.info(result, 'tiers and segments refreshed');
          },
        })
      : undefined;
  // Expired reservations give back their points, limits and coupons; coupons past their date read expired.
  const rewardsJob =
    config.rewardsProcessIntervalMs > 0
      ? periodic('rewards_processing', () => services.rewards.processDue(), {
          intervalMs: config.rewardsProcessIntervalMs,
          onError: (error) => running.log.error({ err: error }, 'rewards processing failed'),
          onRun: (result) => {
            if (result.reservationsReleased + result.couponsExpired > 0)
              running.log.info(result, 'expired reservations released, coupons expired');
          },
        })
      : undefined;
  // Analytics rollups follow the changes a few seconds behind (the outbox's rollup queue).
  const analyticsJob =
    config.analyticsIntervalMs > 0
      ? periodic('analytics_upkeep', () => services.analytics.catchUp(), {
          intervalMs: config.analyticsIntervalMs,
          onError: (error) => running.log.error({ err: error }, 'analytics upkeep failed'),
          onRun: (result) => {
            if (result.days > 0) running.log.debug(result, 'analytics rollups updated');
          },
        })
      : undefined;
  // Birthday points: hourly, so each organization's local day is caught soon after it starts.
  const birthdays = periodic('birthday_points', () => services.systemEvents.awardBirthdaysEverywhere(), {
    intervalMs: 3_600_000,
    onError: (error) => running.log.error({ err: error }, 'birthday points failed'),
  });
  // PostgreSQL's autovacuum keeps statistics current and pages all-visible; the embedded engine has none.
  const embeddedMaintenance =
    database.kind === 'embedded' && config.embeddedMaintenanceIntervalMs > 0
      ? periodic('embedded_maintenance', () => maintainTables(database.db), {
          intervalMs: config.embeddedMaintenanceIntervalMs,
          onError: (error) => running.log.error({ err: error }, 'table maintenance failed'),
          onRun: (result) => {
            if (result.failed.length > 0)
              running.log.error(result, 'table maintenance failed for some tables');
            // Requests wait for each statement: a pause a cashier could notice is worth a line.
            else if (result.longestMs >= MAINTENANCE_PAUSE_WORTH_LOGGING_MS)
              running.log.info(result, 'tables vacuumed and analyzed');
            else if (result.vacuumed.length + result.analyzed.length > 0)
              running.log.debug(result, 'tables vacuumed and analyzed');
          },
        })
      : undefined;
  // Audit rows past the retention (AUDIT_RETENTION_DAYS; 0 keeps them for ever) are deleted hourly.
  const auditPurge =
    config.auditRetentionDays > 0
      ? periodic(
          'audit_purge',
          () => services.audit.purgeBefore(new Date(Date.now() - config.auditRetentionDays * DAY_MS)),
          {
            intervalMs: 3_600_000,
            onError: (error) => running.log.error({ err: error }, 'audit log purge failed'),
            onRun: (deleted) => {
              if (deleted > 0) running.log.info({ deleted }, 'audit log rows past the retention purged');
            },
          },
        )
      : undefined;
  // Wallet cards follow their members' changes: APNs pushes and Google object updates, retried.
  // Runs without wallets too: it drains the outbox's pass queue.
  const walletUpdates = periodic(
    'wallet_updates',
    async () => {
      await services.passes.processUpdates();
      return services.passes.deliverDue();
    },
    {
      intervalMs: config.webhooks.pollIntervalMs,
      onError: (error) => running.log.error({ err: error }, 'wallet pass updates failed'),
    },
  );
  const webhookWorker = config.webhooks.worker
    ? createWebhookWorker(database, {
        ...config.webhooks,
        logger: app.log,
        formats: dialectWebhookFormats(services),
        shutdownGraceMs: config.shutdownGraceMs,
        ...(metrics ? { onAttempt: metrics.webhookAttempt } : {}),
      })
    : undefined;
  webhookWorker?.start();
  return {
    app: running,
    services,
    url,
    webhookWorker,
    async stop() {
      lifecycle.beginDraining();
      // While the load balancer notices the 503 it still sends a few requests: they are served.
      if (config.shutdownDelayMs > 0) await sleep(config.shutdownDelayMs);
      // In-flight webhook deliveries get the grace period too, then are released for the next
      // worker: the worker bounds its own stop, and records the releases before the database closes.
      const webhooksStopped = webhookWorker?.stop();
      // All at once: a job's timer left armed while another's run is awaited would start a new run.
      const finished = await withinGrace(
        Promise.all([
          running.close(),
          pointsScheduler?.stop(),
          audienceScheduler?.stop(),
          rewardsJob?.stop(),
          analyticsJob?.stop(),
          birthdays.stop(),
          embeddedMaintenance?.stop(),
          auditPurge?.stop(),
          walletUpdates.stop(),
        ]),
        config.shutdownGraceMs,
      );
      if (!finished) {
        running.log.warn(
          { graceMs: config.shutdownGraceMs },
          'shutdown grace period over: closing with requests or job runs unfinished',
        );
        running.server.closeAllConnections();
      }
      await webhooksStopped;
      await metricsListener?.close();
      metrics?.close();
      services.passes.close();
      await services.messaging.close();
      await database.close();
    },
  };
}
