import { createConfigCache } from './db/config-cache.ts';
import type { Database } from './db/connection.ts';
import { createAnalyticsService } from './modules/analytics/service.ts';
import { createTillPairings } from './modules/api-keys/pairings.ts';
import { createApiKeysService } from './modules/api-keys/service.ts';
import { createAttemptLimits } from './modules/attempt-limits/service.ts';
import { createAuditService } from './modules/audit/service.ts';
import { createCustomersService } from './modules/customers/service.ts';
import { createEarningRulesService } from './modules/earning-rules/service.ts';
import { createSystemEvents } from './modules/earning-rules/system-events.ts';
import { createTriggerService } from './modules/earning-rules/trigger-service.ts';
import { createEventsService } from './modules/events/service.ts';
import { createIdempotencyService } from './modules/idempotency/service.ts';
import { createLedgerService } from './modules/ledger/service.ts';
import { createLocationsService } from './modules/locations/service.ts';
import { type AccessLimits, createMemberAccessService } from './modules/member-access/service.ts';
import { createMessenger, type MessengerOptions } from './modules/messaging/messenger.ts';
import {
  createOrganizationsService,
  type OrganizationSetupStep,
  type SettingsCheck,
} from './modules/organizations/service.ts';
import { createPassesService, type PassesOptions } from './modules/passes/service.ts';
import { createPointTypesService } from './modules/point-types/service.ts';
import { rewardAudience } from './modules/rewards/audience.ts';
import { createRewardsService } from './modules/rewards/service.ts';
import { createAudience } from './modules/segments/audience.ts';
import { createSegmentsService } from './modules/segments/service.ts';
import { cashierDailyCap } from './modules/staff/cashier-cap.ts';
import { createStaffService } from './modules/staff/service.ts';
import { createTiersService } from './modules/tiers/service.ts';
import { createTransactionsService } from './modules/transactions/service.ts';
import {
  createWebhooksService,
  DEFAULT_WEBHOOK_SETTINGS,
  type WebhookSettings,
} from './modules/webhooks/service.ts';

export interface ServicesOptions {
  masterKey?: string | undefined;
  onBackgroundError?: (error: unknown) => void;
  webhooks?: Partial<WebhookSettings>;
  /** Staff sign-in: PUBLIC_URL (emailed links) and REGULARS_SESSION_SECRET. */
  staff?: { publicUrl?: string | undefined; sessionSecret?: string | undefined };
  /** SMTP and SMS provider; without them messages are refused (or logged, in development). */
  messaging?: MessengerOptions;
  /** Members' sign-in limits (codes per address and IP, tries per code, session length). */
  memberAccess?: Partial<AccessLimits>;
  /** Wallet passes (PASSES config, PUBLIC_URL); without it both wallets are off. */
  passes?: Partial<PassesOptions>;
}

/** Where emailed links point when PUBLIC_URL is not given (the server's default port). */
const DEFAULT_PUBLIC_URL = 'http://localhost:8080';

/** Wires every module's service to the database: the doors the HTTP layer, dialects and CLI go through. */
export function createServices(database: Database, options: ServicesOptions = {}) {
  const { db } = database;
  const configCache = createConfigCache(database);
  const pointTypes = createPointTypesService(db, configCache);
  const organizationSetup: OrganizationSetupStep[] = [pointTypes.createDefault];
  const settingsChecks: SettingsCheck[] = [];
  const organizations = createOrganizationsService(db, configCache, organizationSetup, settingsChecks);
  const customers = createCustomersService(db, organizations);
  const locations = createLocationsService(db, configCache);
  // Tiers and segments: every member's audience, kept current after tickets, profile and points
  // changes. Made before earning rules, which check that the tiers and segments they name exist.
  const tiers = createTiersService(db, { configCache, organizations, pointTypes, customers });
  const segments = createSegmentsService(db, {
    configCache,
    organizations,
    pointTypes,
    customers,
    locations,
    tiers,
  });
  const apiKeys = createApiKeysService(db, { ownLocationIds: locations.ownIds }, options);
  const services = {
    database,
    configCache,
    analytics: createAnalyticsService(db, { organizations }),
    apiKeys,
    tillPairings: createTillPairings(db, {
      apiKeys,
      attempts: createAttemptLimits(db),
      ownLocationIds: locations.ownIds,
    }),
    audit: createAuditService(db),
    customers,
    earningRules: createEarningRulesService(db, configCache, {
      pointTypes,
      locations,
      tiers,
      segments,
      organizations,
    }),
    events: createEventsService(db),
    idempotency: createIdempotencyService(db),
    locations,
    messaging: createMessenger(options.messaging),
    organizations,
    webhooks: createWebhooksService(db, { ...DEFAULT_WEBHOOK_SETTINGS, ...options.webhooks }),
  };
  // Switching a program back to Regulars' semantics must not leave multipliers below 1 meaning ×1.
  settingsChecks.push(services.earningRules.checkSemantics);
  const ledger = createLedgerService(db, {
    customers: services.customers,
    pointTypes,
    organizations: services.organizations,
    beforeManualAdd: cashierDailyCap,
  });
  const staff = createStaffService(
    db,
    { organizations, locations, messenger: services.messaging },
    {
      publicUrl: options.staff?.publicUrl ?? DEFAULT_PUBLIC_URL,
      sessionSecret: options.staff?.sessionSecret,
      onBackgroundError: options.onBackgroundError,
    },
  );
  const audience = createAudience(db, { ...services, tiers, segments, onError: options.onBackgroundError });
  const rewards = createRewardsService(db, {
    ...services,
    ledger,
    pointTypes,
    tiers,
    segments,
    audience: rewardAudience(audience, tiers),
  });
  const triggers = audience.watchTriggers(createTriggerService(db, { ...services, ledger, audience }));
  // Registration, marketing opt-in and completed-profile points, right after the member's change.
  const systemEvents = createSystemEvents({
    triggers,
    customers: services.customers,
    organizations: services.organizations,
    onError: options.onBackgroundError,
  });
  // What every caller gets: member changes followed by tier, segment and earning updates.
  const watchedCustomers = systemEvents.watchCustomers(audience.watchCustomers(services.customers));
  return {
    ...services,
    customers: watchedCustomers,
    memberAccess: createMemberAccessService(db, {
      customers: watchedCustomers,
      organizations: services.organizations,
      messenger: services.messaging,
      onBackgroundError: options.onBackgroundError,
      limits: options.memberAccess,
    }),
    systemEvents,
    staff,
    pointTypes,
    ledger: audience.watchLedger(ledger),
    tiers,
    segments,
    audience,
    rewards,
    transactions: createTransactionsService(db, {
      ...services,
      ledger,
      audience,
      afterPurchase: [audience.afterPurchase],
      redemptions: rewards.redemptions,
    }),
    triggers,
    passes: createPassesService(
      db,
      { customers: watchedCustomers, organizations: services.organizations, ledger, tiers },
      {
        config: options.passes?.config ?? { apple: undefined, google: undefined },
        publicUrl: options.passes?.publicUrl ?? options.staff?.publicUrl ?? DEFAULT_PUBLIC_URL,
        retrySchedule: options.passes?.retrySchedule ?? options.webhooks?.retrySchedule,
      },
    ),
  };
}

export type Services = ReturnType<typeof createServices>;
