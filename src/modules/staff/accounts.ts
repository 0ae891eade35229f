import type { Tx } from '../../db/connection.ts';
import { newId } from '../../db/ids.ts';
import type { PageRequest } from '../../db/pagination.ts';
import { requireOwnIds } from '../../db/references.ts';
import { afterCommit, onUniqueViolation, transaction } from '../../db/transaction.ts';
import { isUuid } from '../../domain/customers.ts';
import { AppError, conflict, notFound, validationFailed } from '../../errors.ts';
import { recordAudit } from '../audit/service.ts';
import type { StaffContext } from './context.ts';
import { checkPasswordPolicy, hashPassword } from './passwords.ts';
import type { StaffRole } from './roles.ts';
import type { StaffStatus, TokenPurpose } from './schema.ts';
import { generateToken, hashSecret } from './secrets.ts';
import {
  consumeToken,
  getUser,
  insertToken,
  insertUser,
  listUsers,
  lockUser,
  otherActiveOwners,
  retireTokens,
  revokeUserSessions,
  type StaffUserRow,
  updateUser,
  usersByEmail,
} from './store.ts';

/** An invite link works for a week: long enough for someone away for a few days. */
export const INVITE_TTL_MS = 7 * 24 * 3_600_000;
/** A password-reset link works for 15 minutes: it is asked for by someone waiting for it. */
export const PASSWORD_RESET_TTL_MS = 15 * 60_000;

export interface StaffInput {
  email: string;
  name?: string | null | undefined;
  role: StaffRole;
  /** Omitted or null = every location. */
  locationIds?: string[] | null | undefined;
  language?: string | null | undefined;
}

export interface StaffPatch {
  name?: string | null | undefined;
  role?: StaffRole | undefined;
  locationIds?: string[] | null | undefined;
  language?: string | null | undefined;
  status?: Exclude<StaffStatus, 'invited'> | undefined;
  /** false turns their second factor off (a lost phone); they may enrol again. */
  totpEnabled?: false | undefined;
}

/** A staff user with the invite just sent to them. */
export interface Invitation {
  user: StaffUserRow;
  expiresAt: Date;
  /** The link the email carries: for whoever must pass it on when no email channel is configured. */
  link: string;
  /** Whether an email channel took the message (false without SMTP: the link went to the development log). */
  emailed: boolean;
}

const emailTaken = () =>
  conflict('email_taken', 'this organization already has a staff user with this email', 'body.email');

const badToken = () =>
  validationFailed('body.token', 'is not a valid link: it may have expired or been used already');

/**
 * `forget(user)`: drop what this process remembers of the user's sessions, so that a change to the
 * account (disabled, new role, new password) applies to its next request here; other processes
 * see it when their cached copy expires (seconds).
 */
export function createStaffAccounts(context: StaffContext, forget: (user: StaffUserRow) => void) {
  const { db, organizations, locations } = context;

  async function find(organizationId: string, id: string): Promise<StaffUserRow> {
    const user = isUuid(id) ? await getUser(db, organizationId, id) : undefined;
    if (!user) throw notFound('staff user');
    return user;
  }

  function checkLocations(organizationId: string, ids: readonly string[] | null | undefined) {
    return requireOwnIds(locations.ownIds, organizationId, ids, {
      path: 'body.locationIds',
      noun: 'a location',
    });
  }

  /** A new one-time token for the user; earlier unused ones of its purpose stop working. */
  async function issueToken(user: StaffUserRow, purpose: TokenPurpose, ttlMs: number, now: Date) {
    const token = generateToken('oneTime');
    const expiresAt = new Date(now.getTime() + ttlMs);
    await transaction(db, async (tx) => {
      await retireTokens(tx, user, [purpose], now);
      await insertToken(tx, {
        organizationId: user.organizationId,
        id: newId(),
        staffUserId: user.id,
        purpose,
        tokenHash: hashSecret(token),
        expiresAt,
      });
    });
    return { token, expiresAt };
  }

  async function sendInvite(user: StaffUserRow, now = new Date()): Promise<Invitation> {
    const organization = await organizations.get(user.organizationId);
    const { token, expiresAt } = await issueToken(user, 'invite', INVITE_TTL_MS, now);
    const link = `${context.publicUrl}/console/accept-invite?token=${token}`;
    const emailed = await context.sendEmail(user, organization, 'staff-invite', {
      organizationName: organization.name,
      link,
    });
    return { user, expiresAt, link, emailed };
  }

  /** A change to a staff user, in the audit log with the change's transaction. */
  function auditStaff(tx: Tx, user: StaffUserRow, what: string, changes: Record<string, unknown>) {
    return recordAudit(tx, {
      organizationId: user.organizationId,
      action: `staff_user.${what}`,
      subject: { type: 'staff_user', id: user.id },
      changes,
    });
  }

  /** Ends a user's sessions (disabled, new password) once the transaction commits. */
  async function endSessions(tx: Tx, user: StaffUserRow) {
    await revokeUserSessions(tx, user, new Date());
    afterCommit(tx, () => forget(user));
  }

  return {
    get: find,

    list: (organizationId: string, page: PageRequest) => listUsers(db, organizationId, page),

    /** Creates a staff user (status `invited`) and emails them the link to choose a password. */
    async invite(organizationId: string, input: StaffInput): Promise<Invitation> {
      await organizations.get(organizationId);
      await checkLocations(organizationId, input.locationIds);
      const user = await onUniqueViolation(
        () =>
          transaction(db, async (tx) => {
            const invited = await insertUser(tx, {
              organizationId,
              id: newId(),
              email: input.email.trim(),
              name: input.name ?? null,
              role: input.role,
              locationIds: input.locationIds ?? null,
              language: input.language ?? null,
              status: 'invited',
            });
            await auditStaff(tx, invited, 'invited', {
              email: invited.email,
              role: invited.role,
              locationIds: invited.locationIds,
            });
            return invited;
          }),
        { staff_users_email_unique: emailTaken },
      );
      return sendInvite(user);
    },

    /** Sends the invite again, with a new link (the previous one stops working). */
    async resendInvite(organizationId: string, id: string): Promise<Invitation> {
      const user = await find(organizationId, id);
      if (user.status !== 'invited') {
        throw new AppError(
          'invalid_status_change',
          `this staff user is ${user.status}: only invited users get an invite (use a password reset instead)`,
        );
      }
      return sendInvite(user);
    },

    async update(organizationId: string, id: string, patch: StaffPatch): Promise<StaffUserRow> {
      if (!isUuid(id)) throw notFound('staff user');
      await checkLocations(organizationId, patch.locationIds);
      return transaction(db, async (tx) => {
        const current = await lockUser(tx, organizationId, id);
        if (!current) throw notFound('staff user');
        let status: StaffStatus | undefined = patch.status;
        if (status === 'active' && current.status !== 'active') {
          // Enabling again someone who never chose a password leaves them invited.
          status = current.passwordHash ? 'active' : 'invited';
        }
        const losesOwner =
          current.role === 'owner' &&
          current.status === 'active' &&
          ((patch.role !== undefined && patch.role !== 'owner') || status === 'disabled');
        if (losesOwner && (await otherActiveOwners(tx, organizationId, id)) === 0) {
          throw new AppError(
            'invalid_status_change',
            'this is the organization’s last active owner: make someone else owner first',
          );
        }
        const updated = await updateUser(tx, organizationId, id, {
          ...(patch.name !== undefined ? { name: patch.name } : {}),
          ...(patch.role !== undefined ? { role: patch.role } : {}),
          ...(patch.locationIds !== undefined ? { locationIds: patch.locationIds } : {}),
          ...(patch.language !== undefined ? { language: patch.language } : {}),
          ...(status !== undefined ? { status } : {}),
          ...(patch.totpEnabled === false
            ? { totpSecret: null, totpEnabledAt: null, totpLastStep: null }
            : {}),
        });
        if (status === 'disabled' && current.status !== 'disabled') await endSessions(tx, current);
        await auditStaff(tx, current, 'updated', changedFields(current, updated!));
        afterCommit(tx, () => forget(current));
        return updated!;
      });
    },

    /** Sets the password chosen from an invite link: the account becomes active. */
    async acceptInvite(input: { token: string; password: string; name?: string | undefined }) {
      const now = new Date();
      return transaction(db, async (tx) => {
        const owner = await consumeToken(tx, hashSecret(input.token), 'invite', now);
        const user = owner && (await lockUser(tx, owner.organizationId, owner.staffUserId));
        if (user?.status !== 'invited') throw badToken();
        // A refusal rolls back the transaction: the link still works for a better password.
        checkPasswordPolicy(input.password, user.email);
        const updated = await updateUser(tx, user.organizationId, user.id, {
          passwordHash: await hashPassword(input.password),
          status: 'active',
          ...(input.name !== undefined ? { name: input.name } : {}),
        });
        await auditStaff(tx, user, 'activated', { status: { before: user.status, after: 'active' } });
        return updated!;
      });
    },

    /**
     * Emails a reset link to each active account with this email (in the organization, if given).
     * Runs after the caller has answered, so that the answer and its timing are the same whether
     * the email has an account or not.
     */
    requestPasswordReset(input: { email: string; organizationId?: string | undefined }): void {
      const work = async () => {
        const now = new Date();
        const accounts = await usersByEmail(db, input.email, input.organizationId);
        for (const user of accounts) {
          if (user.status !== 'active') continue;
          const organization = await organizations.get(user.organizationId);
          const { token } = await issueToken(user, 'password_reset', PASSWORD_RESET_TTL_MS, now);
          await context.sendEmail(user, organization, 'password-reset', {
            organizationName: organization.name,
            link: `${context.publicUrl}/console/reset-password?token=${token}`,
          });
        }
      };
      work().catch(context.reportBackgroundError);
    },

    /** Sets a new password from a reset link: every session of the account ends, the lock is lifted. */
    async completePasswordReset(input: { token: string; password: string }) {
      const now = new Date();
      return transaction(db, async (tx) => {
        const owner = await consumeToken(tx, hashSecret(input.token), 'password_reset', now);
        const user = owner && (await lockUser(tx, owner.organizationId, owner.staffUserId));
        if (user?.status !== 'active') throw badToken();
        checkPasswordPolicy(input.password, user.email);
        const updated = await updateUser(tx, user.organizationId, user.id, {
          passwordHash: await hashPassword(input.password),
          failedAttempts: 0,
          lockedUntil: null,
        });
        await retireTokens(tx, user, ['password_reset'], now);
        await endSessions(tx, user);
        await auditStaff(tx, user, 'password_reset', {});
        return updated!;
      });
    },
  };
}

export type StaffAccounts = ReturnType<typeof createStaffAccounts>;

const AUDITED_FIELDS = ['name', 'role', 'locationIds', 'language', 'status', 'totpEnabledAt'] as const;

/** The before and after of each audited field a change touched (never the password or TOTP secret). */
function changedFields(before: StaffUserRow, after: StaffUserRow) {
  const changes: Record<string, { before: unknown; after: unknown }> = {};
  for (const field of AUDITED_FIELDS) {
    if (JSON.stringify(before[field]) !== JSON.stringify(after[field]))
      changes[field] = { before: before[field], after: after[field] };
  }
  return changes;
}
