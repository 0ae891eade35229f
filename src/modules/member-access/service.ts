import type { Db } from '../../db/connection.ts';
import { transaction } from '../../db/transaction.ts';
import { emailKey, normalizePhone } from '../../domain/customers.ts';
import { AppError, nullIfNotFound, validationFailed } from '../../errors.ts';
import { hashSecret, randomToken } from '../api-keys/secrets.ts';
import { createAttemptLimits } from '../attempt-limits/service.ts';
import type { CreateCustomerBody } from '../customers/contract.ts';
import { normalizeCustomerInput } from '../customers/input.ts';
import { type Customer, type CustomersService, invalidInput } from '../customers/service.ts';
import type { MessageChannel, Messenger } from '../messaging/types.ts';
import type { Organization, OrganizationsService } from '../organizations/service.ts';
import { effectiveSettings, languageOf } from '../organizations/settings.ts';
import { generateSignInCode, hashSignInCode, MEMBER_TOKEN_PREFIX, signInCodeMatches } from './secrets.ts';
import * as store from './store.ts';

/** How often and for how long: every window is sliding, counted from the stored attempts. */
export interface AccessLimits {
  windowMs: number;
  /** Codes asked for one email or phone per window (joins included), known or not. */
  codesPerAddress: number;
  /** Codes asked for from one IP per window. */
  codesPerIp: number;
  /** Joins from one IP per window. */
  joinsPerIp: number;
  /** Wrong or stale codes tried from one IP per window. */
  failedVerifiesPerIp: number;
  codeTtlMs: number;
  /** Wrong tries a code takes; the last one burns it. */
  codeAttempts: number;
  sessionTtlMs: number;
}

const MINUTE = 60_000;

export const DEFAULT_ACCESS_LIMITS: AccessLimits = {
  windowMs: 15 * MINUTE,
  codesPerAddress: 5,
  codesPerIp: 30,
  joinsPerIp: 20,
  failedVerifiesPerIp: 30,
  codeTtlMs: 15 * MINUTE,
  codeAttempts: 5,
  sessionTtlMs: 30 * 24 * 60 * MINUTE,
};

export interface MemberAccessDependencies {
  customers: Pick<CustomersService, 'get' | 'list' | 'lookup' | 'create' | 'anonymize'>;
  organizations: Pick<OrganizationsService, 'get'>;
  messenger: Messenger;
  /** A code that could not be sent (it is sent after the answer, so that answers take the same time). */
  onBackgroundError?: ((error: unknown) => void) | undefined;
  limits?: Partial<AccessLimits> | undefined;
  now?: () => Date;
}

/** Where a request came from: stored with sessions and consents, counted by the limits. */
export interface Origin {
  ip: string;
  userAgent: string | null;
}

/** How a member names themself when signing in: exactly one of the two. */
export interface AddressInput {
  email?: string | undefined;
  phone?: string | undefined;
}

export interface JoinInput extends AddressInput {
  firstName?: string | null | undefined;
  lastName?: string | null | undefined;
  birthDate?: string | null | undefined;
  language?: string | null | undefined;
  marketingConsents?: CreateCustomerBody['marketingConsents'];
  consent: { termsVersion: string; accepted: true };
}

export interface MemberSession {
  token: string;
  /** What a cookie session sends back in `X-CSRF-Token` on unsafe requests. */
  csrfToken: string;
  customerId: string;
  expiresAt: Date;
}

type Address = { kind: 'email'; value: string } | { kind: 'phone'; value: string };

const SIGN_IN_FAILED =
  'the code is wrong, expired or already used, or no active member has this address: ask for a new code';

/**
 * Members' own way in: one-time codes sent by email or SMS, the sessions they open, and the
 * public join. Every answer about an address is the same whether or not a member has it: codes
 * are sent after the answer, and limits count known and unknown addresses alike.
 */
export function createMemberAccessService(db: Db, deps: MemberAccessDependencies) {
  const { customers, organizations, messenger } = deps;
  const limits: AccessLimits = { ...DEFAULT_ACCESS_LIMITS, ...deps.limits };
  const now = deps.now ?? (() => new Date());
  const attempts = createAttemptLimits(db, now);

  function addressOf(input: AddressInput, organization: Organization): Address {
    const email = input.email?.trim();
    const phone = input.phone?.trim();
    if (email && phone) throw validationFailed('body.phone', 'give an email or a phone number, not both');
    if (email) return { kind: 'email', value: emailKey(email) };
    if (phone) {
      const normalized = normalizePhone(phone, organization.country);
      if (!normalized) {
        throw validationFailed(
          'body.phone',
          `is not a valid phone number (local numbers are read as ${organization.country} numbers)`,
        );
      }
      return { kind: 'phone', value: normalized };
    }
    throw validationFailed('body.email', 'give an email or a phone number');
  }

  /** The member behind an address, whatever their status; undefined when nobody has it. */
  async function memberAt(organizationId: string, address: Address): Promise<Customer | undefined> {
    const filter = address.kind === 'email' ? { email: address.value } : { phone: address.value };
    const [member] = await customers.list(organizationId, filter, { limit: 1, afterId: undefined });
    return member;
  }

  const canSignIn = (member: Customer | undefined): member is Customer =>
    member !== undefined && member.status === 'active' && member.anonymizedAt === null;

  /** A code asked for an address: counted, and refused past the limits per address and per IP. */
  function admitCodeRequest(organizationId: string, addressHash: string, origin: Origin): Promise<void> {
    return attempts.admit({ organizationId, kind: 'code_request', addressHash, ip: origin.ip }, [
      {
        per: 'address',
        max: limits.codesPerAddress,
        windowMs: limits.windowMs,
        what: 'sign-in codes for this address',
      },
      {
        per: 'ip',
        max: limits.codesPerIp,
        windowMs: limits.windowMs,
        what: 'sign-in codes from this address',
      },
    ]);
  }

  /** The channel a code goes by: SMS when the member named their phone and SMS is set up, else email. */
  function deliveryOf(member: Customer, asked: Address): { channel: MessageChannel; to: string } | undefined {
    if (asked.kind === 'phone' && messenger.channels.sms && member.phone)
      return { channel: 'sms', to: member.phone };
    if (member.email) return { channel: 'email', to: member.email };
    if (member.phone) return { channel: 'sms', to: member.phone };
    return undefined;
  }

  /**
   * A new code for the member (their older ones retired), sent after the caller has answered:
   * a delivery's time would otherwise tell a member's address from a stranger's.
   */
  async function issueCode(organization: Organization, member: Customer, asked: Address) {
    const delivery = deliveryOf(member, asked);
    if (!delivery) return;
    const code = generateSignInCode();
    const { salt, hash } = hashSignInCode(code);
    const issuedAt = now();
    await transaction(db, async (tx) => {
      await store.retireCodes(tx, organization.id, member.id, issuedAt);
      await store.insertCode(tx, {
        organizationId: organization.id,
        customerId: member.id,
        channel: delivery.channel,
        codeHash: hash,
        salt,
        createdAt: issuedAt,
        expiresAt: new Date(issuedAt.getTime() + limits.codeTtlMs),
      });
    });
    messenger
      .send({
        organizationId: organization.id,
        template: 'member-sign-in-code',
        channel: delivery.channel,
        to: delivery.to,
        language: languageOf(organization, member.language),
        values: {
          organizationName: organization.name,
          code,
          expiresInMinutes: String(Math.round(limits.codeTtlMs / MINUTE)),
        },
      })
      .catch((error: unknown) => deps.onBackgroundError?.(error));
  }

  /** Counts a code request for the address and, when a member who may sign in has it, sends them a code. */
  async function requestFor(organization: Organization, address: Address, origin: Origin) {
    const addressHash = hashSecret(address.value);
    await admitCodeRequest(organization.id, addressHash, origin);
    const member = await memberAt(organization.id, address);
    if (canSignIn(member)) await issueCode(organization, member, address);
  }

  async function failVerify(organizationId: string, addressHash: string, origin: Origin): Promise<never> {
    await attempts.record({ organizationId, kind: 'failed_verify', addressHash, ip: origin.ip });
    throw new AppError('sign_in_failed', SIGN_IN_FAILED, {
      errors: [{ path: 'body.code', message: SIGN_IN_FAILED }],
    });
  }

  return {
    limits,

    /**
     * Where a sign-in code goes for a member named by any identifier (email, phone, loyalty card
     * number: what OL's customer login takes as `_username`): an email as given, else the named
     * member's phone, else their email; undefined when nobody has it.
     */
    async addressFor(organizationId: string, identifier: string): Promise<AddressInput | undefined> {
      if (identifier.includes('@')) return { email: identifier };
      const member = await nullIfNotFound(customers.lookup(organizationId, identifier));
      if (!member) return undefined;
      if (member.phone) return { phone: member.phone };
      return member.email ? { email: member.email } : undefined;
    },

    /**
     * Sends a sign-in code to the member with this email or phone, if there is one who may sign
     * in; answers the same either way (the caller says "check your email").
     */
    async requestCode(organizationId: string, input: AddressInput, origin: Origin): Promise<void> {
      const organization = await organizations.get(organizationId);
      await requestFor(organization, addressOf(input, organization), origin);
    },

    /** Trades a code for a session. Wrong, stale and unknown all fail alike (401 sign_in_failed). */
    async verify(
      organizationId: string,
      input: AddressInput & { code: string },
      origin: Origin,
    ): Promise<MemberSession> {
      const organization = await organizations.get(organizationId);
      const address = addressOf(input, organization);
      const addressHash = hashSecret(address.value);
      await attempts.refuseOver(
        { organizationId: organization.id, kind: 'failed_verify', addressHash, ip: origin.ip },
        {
          per: 'ip',
          max: limits.failedVerifiesPerIp,
          windowMs: limits.windowMs,
          what: 'failed sign-ins from this address',
        },
      );
      const member = await memberAt(organization.id, address);
      if (!canSignIn(member)) return failVerify(organization.id, addressHash, origin);
      const at = now();
      const session = await transaction(db, async (tx) => {
        const open = await store.openCodeForUpdate(tx, organization.id, member.id, at);
        if (!open) return undefined;
        if (!signInCodeMatches(input.code.trim(), open.salt, open.codeHash)) {
          const failedAttempts = open.failedAttempts + 1;
          // The last wrong try burns the code: six digits must not be guessed at leisure.
          const burnt = failedAttempts >= limits.codeAttempts ? { consumedAt: at } : {};
          await store.updateCode(tx, open, { failedAttempts, ...burnt });
          return undefined;
        }
        await store.updateCode(tx, open, { consumedAt: at });
        const token = randomToken(MEMBER_TOKEN_PREFIX);
        const csrfToken = randomToken('');
        const row = await store.insertSession(tx, {
          organizationId: organization.id,
          customerId: member.id,
          tokenHash: hashSecret(token),
          csrfTokenHash: hashSecret(csrfToken),
          ip: origin.ip,
          userAgent: origin.userAgent,
          createdAt: at,
          expiresAt: new Date(at.getTime() + limits.sessionTtlMs),
        });
        return { token, csrfToken, customerId: member.id, expiresAt: row.expiresAt };
      });
      return session ?? failVerify(organization.id, addressHash, origin);
    },

    /**
     * The live session a token opens and its member, who must still be active; undefined when the
     * token opens none (unknown, expired, signed out) or the member may no longer sign in.
     */
    async session(token: string): Promise<{ session: store.SessionRow; member: Customer } | undefined> {
      const session = await store.liveSession(db, hashSecret(token), now());
      if (!session) return undefined;
      const member = await nullIfNotFound(customers.get(session.organizationId, session.customerId));
      return member && canSignIn(member) ? { session, member } : undefined;
    },

    async signOut(token: string): Promise<void> {
      await store.revokeSession(db, hashSecret(token), now());
    },

    /**
     * The public join: creates the member (source `self-registration`) with their acceptance of
     * the terms, then sends a sign-in code. When the email or phone is a member's already, nothing
     * is created or changed and that member gets a code instead: the answer is the same, so the
     * join page tells nobody who is a member.
     */
    async join(organizationId: string, input: JoinInput, origin: Origin): Promise<void> {
      const organization = await organizations.get(organizationId);
      if (!input.email?.trim() && !input.phone?.trim())
        throw validationFailed('body.email', 'give an email or a phone number (or both)');
      const values: CreateCustomerBody = {
        firstName: input.firstName,
        lastName: input.lastName,
        email: input.email,
        phone: input.phone,
        birthDate: input.birthDate,
        language: input.language,
        marketingConsents: input.marketingConsents,
        agreements: { terms: true },
        source: 'self-registration',
      };
      // Every field is checked before anyone is looked up: a refusal must not depend on who exists.
      const { errors } = normalizeCustomerInput(values, { country: organization.country, now: now() });
      if (errors.length > 0) throw invalidInput(errors, 'body');
      await attempts.admit(
        { organizationId: organization.id, kind: 'join', addressHash: null, ip: origin.ip },
        [{ per: 'ip', max: limits.joinsPerIp, windowMs: limits.windowMs, what: 'joins from this address' }],
      );
      const addresses = [
        input.email?.trim() ? addressOf({ email: input.email }, organization) : undefined,
        input.phone?.trim() ? addressOf({ phone: input.phone }, organization) : undefined,
      ].filter((address): address is Address => address !== undefined);
      const signInAddress = addresses[0]!;
      await admitCodeRequest(organization.id, hashSecret(signInAddress.value), origin);

      let member = await existingMember(organization.id, addresses);
      if (!member) {
        try {
          member = await customers.create(organization.id, values);
          const accepted = member.agreements.terms?.at;
          await store.insertConsent(db, {
            organizationId: organization.id,
            customerId: member.id,
            kind: 'terms',
            version: input.consent.termsVersion,
            acceptedAt: accepted ? new Date(accepted) : now(),
            ip: origin.ip,
            userAgent: origin.userAgent,
          });
        } catch (error) {
          // Someone joined with this email or phone a moment ago: they are the existing member.
          const clash =
            error instanceof AppError && (error.code === 'email_taken' || error.code === 'phone_taken');
          if (!clash) throw error;
          member = await existingMember(organization.id, addresses);
        }
      }
      // The code goes to the member who holds the address, through their own email or phone.
      const holder = member && addresses.find((address) => matches(member!, address));
      if (canSignIn(member) && holder) await issueCode(organization, member, holder);
    },

    /** What the member pages show before sign-in: the organization's name, look and wording. */
    async memberPage(organizationId: string) {
      const organization = await organizations.get(organizationId);
      const settings = effectiveSettings(organization.settings);
      return {
        organizationId: organization.id,
        name: organization.name,
        logoUrl: settings.brandLogoUrl,
        color: settings.brandColor,
        language: languageOf(organization),
        currency: organization.currency,
        country: organization.country,
        terms: {
          version: settings.memberTermsVersion,
          text: settings.memberTermsText,
          url: settings.memberTermsUrl,
        },
        marketingText: settings.memberMarketingText,
      };
    },

    /**
     * A member erasing their own account: anonymized as staff would (personal fields gone, the
     * ledger kept), and every session of theirs ended at once.
     */
    async anonymizeSelf(organizationId: string, customerId: string): Promise<void> {
      await customers.anonymize(organizationId, customerId);
      await store.revokeSessionsOf(db, organizationId, customerId, now());
    },

    /** The terms acceptances recorded for a member, newest first. */
    consents(organizationId: string, customerId: string) {
      return store.consentsOf(db, organizationId, customerId);
    },
  };

  async function existingMember(organizationId: string, addresses: Address[]): Promise<Customer | undefined> {
    for (const address of addresses) {
      const member = await memberAt(organizationId, address);
      if (member) return member;
    }
    return undefined;
  }
}

function matches(member: Customer, address: Address): boolean {
  return address.kind === 'email'
    ? member.email !== null && emailKey(member.email) === address.value
    : member.phone === address.value;
}

export type MemberAccessService = ReturnType<typeof createMemberAccessService>;
