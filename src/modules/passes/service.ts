import { randomBytes } from 'node:crypto';
import type { Db } from '../../db/connection.ts';
import { transaction } from '../../db/transaction.ts';
import { isUuid } from '../../domain/customers.ts';
import { AppError, notFound, nullIfNotFound } from '../../errors.ts';
import { hashSecret } from '../api-keys/secrets.ts';
import type { CustomersService } from '../customers/service.ts';
import { claimQueued, markHandled } from '../events/service.ts';
import type { LedgerService } from '../ledger/service.ts';
import type { OrganizationsService } from '../organizations/service.ts';
import { languageOf } from '../organizations/settings.ts';
import type { TiersService } from '../tiers/service.ts';
import { DEFAULT_RETRY_SCHEDULE_MS, retryDelayMs } from '../webhooks/retry-schedule.ts';
import { type ApnsClient, createApnsClient } from './apns.ts';
import { buildApplePass } from './apple-pass.ts';
import type { AppleSettings, GoogleSettings, PassesConfig } from './config.ts';
import { fingerprint, type PassContent } from './content.ts';
import {
  createGoogleWalletClient,
  erasedObject,
  type GoogleWalletClient,
  loyaltyObject,
  saveLink,
} from './google.ts';
import { solidPng } from './images.ts';
import * as store from './store.ts';

export interface PassesOptions {
  config: PassesConfig;
  /** Where Wallet reaches the web service and Google fetches the logo (PUBLIC_URL). */
  publicUrl: string;
  retrySchedule?: number[];
}

export interface PassesDependencies {
  customers: Pick<CustomersService, 'get' | 'openCard'>;
  organizations: Pick<OrganizationsService, 'get'>;
  ledger: Pick<LedgerService, 'balances'>;
  tiers: Pick<TiersService, 'memberTier'>;
}

const LEASE_MS = 60_000;

/** The fingerprint of an erased member's card: its Google object is cleared once. */
const ERASED = 'erased';

/**
 * Members' wallet cards: Apple `.pkpass` files with their PassKit web service, Google Wallet save
 * links, and the updates that follow a member's changes (APNs pushes, Google object updates),
 * driven by the outbox's pass queue and retried on the webhooks' schedule.
 */
export function createPassesService(db: Db, deps: PassesDependencies, options: PassesOptions) {
  const { apple, google } = options.config;
  const schedule = options.retrySchedule ?? DEFAULT_RETRY_SCHEDULE_MS;
  const apns: ApnsClient | undefined =
    apple?.apns && createApnsClient({ ...apple.apns, teamId: apple.teamId, topic: apple.passTypeId });
  const googleClient: GoogleWalletClient | undefined = google && createGoogleWalletClient(google);

  const webServiceUrl = (organizationId: string) => `${options.publicUrl}/passkit/${organizationId}`;
  const logoUrl = (organizationId: string) => `${options.publicUrl}/passes/${organizationId}/logo.png`;

  function requireApple(): AppleSettings {
    if (!apple)
      throw new AppError('wallet_not_configured', 'Apple Wallet passes are not configured on this server');
    return apple;
  }
  function requireGoogle(): GoogleSettings {
    if (!google)
      throw new AppError('wallet_not_configured', 'Google Wallet passes are not configured on this server');
    return google;
  }

  async function content(organizationId: string, customerId: string, now = new Date()): Promise<PassContent> {
    const customer = await deps.customers.get(organizationId, customerId);
    if (!customer.loyaltyCardNumber) throw notFound('loyalty card');
    const [organization, balances, tier] = await Promise.all([
      deps.organizations.get(organizationId),
      deps.ledger.balances(organizationId, customer.id, now),
      deps.tiers.memberTier(organizationId, customer.id, now),
    ]);
    let nearestExpiry: PassContent['nearestExpiry'] = null;
    for (const balance of balances) {
      const first = balance.expiring[0];
      if (first && (nearestExpiry === null || first.date < nearestExpiry.date))
        nearestExpiry = { date: first.date, points: first.points, pointType: balance.pointType.name };
    }
    const name = [customer.firstName, customer.lastName].filter(Boolean).join(' ');
    return {
      organizationId: organization.id,
      organizationName: organization.name,
      customerId: customer.id,
      cardNumber: customer.loyaltyCardNumber,
      memberName: name || customer.loyaltyCardNumber,
      language: languageOf(organization, customer.language),
      balances: balances
        .filter((balance) => balance.pointType.active)
        .sort((a, b) => Number(b.pointType.isDefault) - Number(a.pointType.isDefault))
        .map((balance) => ({
          code: balance.pointType.code,
          name: balance.pointType.name,
          points: balance.active,
        })),
      tier: tier.tier?.name ?? null,
      nearestExpiry,
      branding: organization.settings.walletPass ?? {},
    };
  }

  /** The pass file for a member; each download gets a token of its own for the web service. */
  async function applePass(organizationId: string, customerId: string) {
    const settings = requireApple();
    const card = await content(organizationId, customerId);
    const token = randomBytes(24).toString('base64url');
    const key = { organizationId: card.organizationId, customerId: card.customerId };
    await transaction(db, (tx) => store.issueApplePass(tx, key, fingerprint(card), hashSecret(token)));
    return buildApplePass(settings, card, { url: webServiceUrl(organizationId), authenticationToken: token });
  }

  async function googleSaveLink(organizationId: string, customerId: string) {
    const settings = requireGoogle();
    const card = await content(organizationId, customerId);
    const key = { organizationId: card.organizationId, customerId: card.customerId };
    await transaction(db, (tx) => store.recordGoogleObject(tx, key, fingerprint(card)));
    return saveLink(settings, card, logoUrl(organizationId), options.publicUrl);
  }

  /** `Authorization: ApplePass <token>` of one of the tokens handed out with this pass, else 401. */
  async function authenticate(
    organizationId: string,
    serialNumber: string,
    authorization: string | undefined,
  ) {
    const token = /^ApplePass (\S+)$/.exec(authorization ?? '')?.[1];
    const key = { organizationId: organizationId.toLowerCase(), customerId: serialNumber.toLowerCase() };
    const known =
      token !== undefined &&
      isUuid(organizationId) &&
      isUuid(serialNumber) &&
      (await store.tokenKnown(db, key, hashSecret(token)));
    if (!known) throw new AppError('unauthorized', 'the pass’s authentication token is missing or wrong');
    return key;
  }

  function checkPassType(passTypeId: string) {
    if (passTypeId !== requireApple().passTypeId) throw notFound('pass type');
  }

  /** Looks at members whose events arrived and queues updates for the cards whose content changed. */
  async function processUpdates(batch = 200): Promise<number> {
    // Read without holding the claim: a card's update is decided by its fingerprint under its
    // row lock, so two workers reading the same events push once, and a crash re-reads them.
    const events = await claimQueued(db, 'passes', batch);
    if (events.length === 0) return 0;
    // Without a wallet there is no card to update: the queue is only drained, so it never grows.
    const members = new Map(
      apple || google ? events.map((event) => [`${event.organizationId}/${event.subjectId}`, event]) : [],
    );
    for (const event of members.values()) {
      if (isUuid(event.subjectId)) await refresh(event.organizationId, event.subjectId);
    }
    await markHandled(db, 'passes', events);
    return events.length;
  }

  async function refresh(organizationId: string, customerId: string) {
    const key = { organizationId, customerId };
    const [applePassRow, googleRow] = await Promise.all([
      apple ? store.findApplePass(db, key) : undefined,
      google ? store.findGoogleObject(db, key) : undefined,
    ]);
    if (!applePassRow && !googleRow) return;
    // No card: the member was erased. Any other failure is thrown, and the batch is read again.
    const card = await nullIfNotFound(content(organizationId, customerId));
    const print = card ? fingerprint(card) : ERASED;
    const now = new Date();
    await transaction(db, async (tx) => {
      if (!card && applePassRow) await store.forgetApplePass(tx, key);
      const current = card && applePassRow && (await store.findApplePass(tx, key, { forUpdate: true }));
      if (current && current.fingerprint !== print) await store.markAppleChanged(tx, key, print, now);
      const object = googleRow && (await store.findGoogleObject(tx, key, { forUpdate: true }));
      if (object && object.fingerprint !== print) await store.markGoogleChanged(tx, key, print, now);
    });
  }

  /** Sends the due pushes and object updates; a failure is retried on the webhooks' schedule. */
  async function deliverDue(limit = 50, now = new Date()): Promise<number> {
    const claimed = await transaction(db, (tx) => store.claimDue(tx, now, limit, LEASE_MS));
    await Promise.all(claimed.map(deliver));
    return claimed.length;
  }

  async function deliver(row: store.NotificationRow) {
    try {
      const answer = row.channel === 'apns' ? await pushToDevice(row) : await updateGoogleObject(row);
      if (answer === 'sent' || answer === 'gone') {
        await store.finishNotification(db, row, { status: answer === 'sent' ? 'sent' : 'dead' });
        return;
      }
      await retryLater(row, answer.error);
    } catch (error) {
      await retryLater(row, error instanceof Error ? error.message : String(error));
    }
  }

  async function pushToDevice(row: store.NotificationRow): Promise<'sent' | 'gone' | { error: string }> {
    if (!apns || !row.pushToken) return 'gone';
    const answer = await apns.push(row.pushToken);
    if (answer.status === 200) return 'sent';
    // The device left (or never was): forget it rather than retry for a day.
    if (answer.status === 410 || answer.reason === 'BadDeviceToken') {
      await store.forgetPushToken(db, row.organizationId, row.pushToken);
      return 'gone';
    }
    return { error: `APNs answered ${answer.status}${answer.reason ? ` ${answer.reason}` : ''}` };
  }

  async function updateGoogleObject(
    row: store.NotificationRow,
  ): Promise<'sent' | 'gone' | { error: string }> {
    if (!googleClient || !google) return 'gone';
    const card = await nullIfNotFound(content(row.organizationId, row.customerId));
    const { status } = await googleClient.updateObject(
      card ? loyaltyObject(google, card) : erasedObject(google, row.organizationId, row.customerId),
    );
    if (status >= 200 && status < 300) return 'sent';
    if (status === 404) return 'gone';
    return { error: `Google Wallet answered ${status}` };
  }

  async function retryLater(row: store.NotificationRow, error: string) {
    const retriesLeft = schedule.length - (row.attempts - 1);
    if (retriesLeft <= 0) {
      await store.finishNotification(db, row, { status: 'dead', error });
      return;
    }
    const wait = retryDelayMs(schedule, retriesLeft, Math.random());
    await store.finishNotification(db, row, {
      status: 'pending',
      nextAttemptAt: new Date(Date.now() + wait),
      error,
    });
  }

  return {
    enabled: { apple: apple !== undefined, google: google !== undefined },
    applePass,
    googleSaveLink,

    /** The pass behind a member's card link (what Comeback's download URLs hand out), recorded as taken. */
    async passByCardLink(organizationId: string, cardToken: string, wallet: 'apple' | 'android') {
      const customer = await deps.customers.openCard(organizationId, cardToken, wallet);
      return wallet === 'apple'
        ? { kind: 'apple' as const, file: await applePass(customer.organizationId, customer.id) }
        : { kind: 'google' as const, url: await googleSaveLink(customer.organizationId, customer.id) };
    },

    /** The organization's logo (or a plain square of its colour): Google shows it on the card. */
    async logo(organizationId: string): Promise<Buffer> {
      const organization = await deps.organizations.get(organizationId);
      const branding = organization.settings.walletPass ?? {};
      return branding.logoPng
        ? Buffer.from(branding.logoPng, 'base64')
        : solidPng(660, branding.backgroundColor ?? '#1f2937');
    },

    async registerDevice(input: {
      organizationId: string;
      deviceLibraryId: string;
      passTypeId: string;
      serialNumber: string;
      authorization: string | undefined;
      pushToken: string;
    }): Promise<boolean> {
      checkPassType(input.passTypeId);
      const key = await authenticate(input.organizationId, input.serialNumber, input.authorization);
      return store.register(db, key, input.deviceLibraryId, input.pushToken);
    },

    async unregisterDevice(input: {
      organizationId: string;
      deviceLibraryId: string;
      passTypeId: string;
      serialNumber: string;
      authorization: string | undefined;
    }): Promise<void> {
      checkPassType(input.passTypeId);
      const key = await authenticate(input.organizationId, input.serialNumber, input.authorization);
      await store.unregister(db, key, input.deviceLibraryId);
    },

    /** Serial numbers of the device's passes changed since the tag (ms since the epoch), or null: none. */
    async updatedSerials(organizationId: string, deviceLibraryId: string, passTypeId: string, tag?: string) {
      checkPassType(passTypeId);
      if (!isUuid(organizationId)) return null;
      const since = tag && /^\d{1,15}$/.test(tag) ? new Date(Number(tag)) : undefined;
      const rows = await store.updatedForDevice(db, organizationId.toLowerCase(), deviceLibraryId, since);
      if (rows.length === 0) return null;
      const last = Math.max(...rows.map((row) => row.updatedAt.getTime()));
      return { serialNumbers: rows.map((row) => row.serialNumber), lastUpdated: String(last) };
    },

    /** The pass as it is now, with the same token; `lastModified` drives If-Modified-Since. */
    async latestPass(
      organizationId: string,
      passTypeId: string,
      serialNumber: string,
      authorization?: string,
    ) {
      const settings = requireApple();
      checkPassType(passTypeId);
      const key = await authenticate(organizationId, serialNumber, authorization);
      const row = await store.findApplePass(db, key);
      if (!row) throw notFound('pass');
      const token = /^ApplePass (\S+)$/.exec(authorization ?? '')?.[1] ?? '';
      return {
        lastModified: row.updatedAt,
        build: async () =>
          buildApplePass(settings, await content(key.organizationId, key.customerId), {
            url: webServiceUrl(key.organizationId),
            authenticationToken: token,
          }),
      };
    },

    processUpdates,
    deliverDue,

    close() {
      apns?.close();
    },
  };
}

export type PassesService = ReturnType<typeof createPassesService>;
