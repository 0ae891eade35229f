import { asc, eq } from 'drizzle-orm';
import type { ConfigCache } from '../../db/config-cache.ts';
import type { Db, Executor, Tx } from '../../db/connection.ts';
import { newId } from '../../db/ids.ts';
import { afterCursor, fetchSize, type PageRequest } from '../../db/pagination.ts';
import { transaction } from '../../db/transaction.ts';
import { isUuid } from '../../domain/customers.ts';
import { isCountry, isCurrency, isTimeZone } from '../../domain/locale.ts';
import { notFound, validationFailed } from '../../errors.ts';
import { changesBetween } from '../audit/service.ts';
import { emit } from '../events/service.ts';
import { organizations } from './schema.ts';
import type { ProgramSettings } from './settings.ts';

export type Organization = typeof organizations.$inferSelect;

export interface OrganizationInput {
  name: string;
  currency?: string | undefined;
  timeZone?: string | undefined;
  country?: string | undefined;
  settings?: ProgramSettings | undefined;
}

export type OrganizationPatch = Partial<OrganizationInput>;

/** Something another module must create for every new organization (e.g. the default point type). */
export type OrganizationSetupStep = (tx: Tx, organization: Organization) => Promise<void>;

/**
 * Another module's veto on a settings change, run under the organization's row lock with the
 * settings as they would be (e.g. earning rules refusing semantics their multipliers need).
 */
export type SettingsCheck = (tx: Tx, organizationId: string, settings: ProgramSettings) => Promise<void>;

function checkLocale(input: OrganizationPatch) {
  if (input.currency !== undefined && !isCurrency(input.currency)) {
    throw validationFailed('body.currency', 'must be an ISO 4217 currency code such as EUR');
  }
  if (input.timeZone !== undefined && !isTimeZone(input.timeZone)) {
    throw validationFailed('body.timeZone', 'must be an IANA time zone such as Europe/Madrid');
  }
  if (input.country !== undefined && !isCountry(input.country)) {
    throw validationFailed('body.country', 'must be an ISO 3166-1 alpha-2 country code such as ES');
  }
}

export function createOrganizationsService(
  db: Db,
  configCache: ConfigCache,
  setupSteps: OrganizationSetupStep[] = [],
  settingsChecks: SettingsCheck[] = [],
) {
  async function read(
    organizationId: string,
    executor: Executor,
    options: { forUpdate?: boolean } = {},
  ): Promise<Organization> {
    // The HTTP routes check an id's form; the CLI's --org arrives as typed, and PostgreSQL would refuse it.
    if (!isUuid(organizationId)) throw notFound('organization');
    const query = executor.select().from(organizations).where(eq(organizations.id, organizationId));
    const [row] = options.forUpdate ? await query.for('update') : await query;
    if (!row) throw notFound('organization');
    return row;
  }

  /** The organization, from this process's configuration cache when it holds it. */
  function get(organizationId: string, executor: Executor = db): Promise<Organization> {
    return configCache.read(organizationId, 'organization', () => read(organizationId, executor));
  }

  return {
    get,

    async create(input: OrganizationInput): Promise<Organization> {
      checkLocale(input);
      return transaction(db, async (tx) => {
        const [organization] = await tx
          .insert(organizations)
          .values({
            id: newId(),
            name: input.name,
            currency: input.currency ?? 'EUR',
            timeZone: input.timeZone ?? 'UTC',
            country: input.country ?? 'ES',
            settings: input.settings ?? {},
          })
          .returning();
        for (const step of setupSteps) await step(tx, organization!);
        await emit(tx, {
          organizationId: organization!.id,
          type: 'organization.created',
          subject: { type: 'organization', id: organization!.id },
          payload: { name: organization!.name },
        });
        return organization!;
      });
    },

    async update(organizationId: string, patch: OrganizationPatch): Promise<Organization> {
      checkLocale(patch);
      return transaction(db, async (tx) => {
        // Locked: settings merge into the row as it is now, so two changes of different settings
        // at once both stay (without the lock, the later write puts back the other's old value).
        const current = await read(organizationId, tx, { forUpdate: true });
        const settings = patch.settings ? { ...current.settings, ...patch.settings } : current.settings;
        if (patch.settings) for (const check of settingsChecks) await check(tx, organizationId, settings);
        const [updated] = await tx
          .update(organizations)
          .set({ ...patch, settings, updatedAt: new Date() })
          .where(eq(organizations.id, organizationId))
          .returning();
        await configCache.changed(tx, organizationId);
        await emit(tx, {
          organizationId,
          type: 'organization.updated',
          subject: { type: 'organization', id: organizationId },
          payload: { changed: Object.keys(patch) },
          changes: changesBetween(current, updated!, Object.keys(patch) as (keyof Organization)[]),
        });
        return updated!;
      });
    },

    list(page: PageRequest): Promise<Organization[]> {
      return db
        .select()
        .from(organizations)
        .where(afterCursor(organizations.id, page))
        .orderBy(asc(organizations.id))
        .limit(fetchSize(page));
    },
  };
}

export type OrganizationsService = ReturnType<typeof createOrganizationsService>;
