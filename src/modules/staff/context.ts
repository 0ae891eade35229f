import type { Db } from '../../db/connection.ts';
import type { OwnIds } from '../../db/references.ts';
import type { MessageTemplate, Messenger } from '../messaging/types.ts';
import type { Organization } from '../organizations/service.ts';
import { languageOf } from '../organizations/settings.ts';
import { deriveKeys, generateSessionSecret, type StaffKeys } from './secrets.ts';
import { platformKey, type StaffUserRow } from './store.ts';

/** What the staff module needs from the others. */
export interface StaffDependencies {
  organizations: { get(organizationId: string): Promise<Organization> };
  locations: { ownIds: OwnIds };
  messenger: Messenger;
}

export interface StaffOptions {
  /** Where people open the web apps: the start of every emailed link (PUBLIC_URL). */
  publicUrl: string;
  /** REGULARS_SESSION_SECRET; absent = one generated on first start and kept in platform_keys. */
  sessionSecret?: string | undefined;
  onBackgroundError?: ((error: unknown) => void) | undefined;
}

/** What the staff module's parts (accounts, sessions) share. */
export interface StaffContext extends StaffDependencies {
  db: Db;
  publicUrl: string;
  keys(): Promise<StaffKeys>;
  /** Sends a message to a staff user; false when it could not be handed over (the error is reported). */
  sendEmail(
    user: StaffUserRow,
    organization: Organization,
    template: MessageTemplate,
    values: Record<string, string>,
  ): Promise<boolean>;
  reportBackgroundError(error: unknown): void;
}

const SESSION_SECRET_KEY = 'staff_session_secret';

export function createStaffContext(db: Db, deps: StaffDependencies, options: StaffOptions): StaffContext {
  let keys: Promise<StaffKeys> | undefined;
  const reportBackgroundError = (error: unknown) => options.onBackgroundError?.(error);
  return {
    ...deps,
    db,
    publicUrl: options.publicUrl.replace(/\/+$/, ''),
    keys() {
      keys ??= (
        options.sessionSecret
          ? Promise.resolve(options.sessionSecret)
          : platformKey(db, SESSION_SECRET_KEY, generateSessionSecret())
      ).then(deriveKeys);
      // A failed read is not kept: the next request tries again.
      keys.catch(() => {
        keys = undefined;
      });
      return keys;
    },
    async sendEmail(user, organization, template, values) {
      try {
        await deps.messenger.send({
          organizationId: organization.id,
          template,
          channel: 'email',
          to: user.email,
          language: user.language ?? languageOf(organization),
          values,
        });
        return deps.messenger.channels.email;
      } catch (error) {
        reportBackgroundError(error);
        return false;
      }
    },
    reportBackgroundError,
  };
}
