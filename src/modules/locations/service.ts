import { and, asc, eq, inArray } from 'drizzle-orm';
import type { ConfigCache } from '../../db/config-cache.ts';
import type { Db, Executor } from '../../db/connection.ts';
import { newId } from '../../db/ids.ts';
import { afterCursor, fetchSize, type PageRequest } from '../../db/pagination.ts';
import { ownRowIds } from '../../db/references.ts';
import { onUniqueViolation, transaction } from '../../db/transaction.ts';
import { isCountry, isTimeZone } from '../../domain/locale.ts';
import { conflict, notFound, validationFailed } from '../../errors.ts';
import { changesBetween } from '../audit/service.ts';
import { emit } from '../events/service.ts';
import { brands, locations } from './schema.ts';

type LocationRow = typeof locations.$inferSelect;
export type Brand = typeof brands.$inferSelect;
export type Location = LocationRow & { brands: Brand[] };

export interface BrandInput {
  name: string;
  externalId?: string | null | undefined;
}

export interface LocationInput {
  name: string;
  address?: string | null | undefined;
  postalCode?: string | null | undefined;
  city?: string | null | undefined;
  region?: string | null | undefined;
  country?: string | null | undefined;
  latitude?: number | null | undefined;
  longitude?: number | null | undefined;
  timeZone?: string | null | undefined;
  externalId?: string | null | undefined;
  brands?: BrandInput[] | undefined;
}

export type LocationPatch = Partial<Omit<LocationInput, 'brands'>> & { deleted?: boolean | undefined };

export interface LocationFilter {
  externalId?: string | undefined;
  includeDeleted?: boolean | undefined;
}

function checkLocation(input: LocationPatch) {
  if (input.timeZone != null && !isTimeZone(input.timeZone)) {
    throw validationFailed('body.timeZone', 'must be an IANA time zone such as Europe/Madrid');
  }
  if (input.country != null && !isCountry(input.country)) {
    throw validationFailed('body.country', 'must be an ISO 3166-1 alpha-2 country code such as ES');
  }
}

/** A clash on the external id is the client's to fix: answer 409 naming the field. */
function guardExternalId<T>(work: () => Promise<T>): Promise<T> {
  return onUniqueViolation(work, {
    locations_external_id_unique: () =>
      conflict('external_id_taken', 'another location already has this externalId', 'body.externalId'),
  });
}

export function createLocationsService(db: Db, configCache: ConfigCache) {
  async function withBrands(
    executor: Executor,
    organizationId: string,
    rows: LocationRow[],
  ): Promise<Location[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((row) => row.id);
    const allBrands = await executor
      .select()
      .from(brands)
      .where(and(eq(brands.organizationId, organizationId), inArray(brands.locationId, ids)))
      .orderBy(asc(brands.id));
    return rows.map((row) => ({ ...row, brands: allBrands.filter((brand) => brand.locationId === row.id) }));
  }

  async function read(organizationId: string, id: string, executor: Executor): Promise<Location> {
    const [row] = await executor
      .select()
      .from(locations)
      .where(and(eq(locations.organizationId, organizationId), eq(locations.id, id)));
    if (!row) throw notFound('location');
    const [location] = await withBrands(executor, organizationId, [row]);
    return location!;
  }

  /** The location with its brands, from this process's configuration cache when it holds it. */
  function get(organizationId: string, id: string, executor: Executor = db): Promise<Location> {
    return configCache.read(organizationId, `location:${id}`, () => read(organizationId, id, executor));
  }

  function locationEvent(type: string, location: { organizationId: string; id: string }, payload = {}) {
    return {
      organizationId: location.organizationId,
      type,
      subject: { type: 'location', id: location.id },
      payload: { locationId: location.id, ...payload },
    };
  }

  return {
    get,

    /** Which of these ids are the organization's locations (deleted ones too): for checking references. */
    ownIds: (organizationId: string, ids: readonly string[], executor: Executor = db) =>
      ownRowIds(executor, locations, organizationId, ids),

    /** Which of these ids are brands of the organization's locations. */
    ownBrandIds: (organizationId: string, ids: readonly string[], executor: Executor = db) =>
      ownRowIds(executor, brands, organizationId, ids),

    async list(organizationId: string, filter: LocationFilter, page: PageRequest): Promise<Location[]> {
      const rows = await db
        .select()
        .from(locations)
        .where(
          and(
            eq(locations.organizationId, organizationId),
            filter.externalId ? eq(locations.externalId, filter.externalId) : undefined,
            filter.includeDeleted ? undefined : eq(locations.deleted, false),
            afterCursor(locations.id, page),
          ),
        )
        .orderBy(asc(locations.id))
        .limit(fetchSize(page));
      return withBrands(db, organizationId, rows);
    },

    async create(organizationId: string, input: LocationInput): Promise<Location> {
      checkLocation(input);
      const { brands: brandInputs = [], ...fields } = input;
      return guardExternalId(() =>
        transaction(db, async (tx) => {
          const id = newId();
          await tx.insert(locations).values({ ...fields, organizationId, id });
          if (brandInputs.length > 0) {
            await tx
              .insert(brands)
              .values(
                brandInputs.map((brand) => ({ ...brand, organizationId, id: newId(), locationId: id })),
              );
          }
          const location = await read(organizationId, id, tx);
          await configCache.changed(tx, organizationId);
          await emit(tx, locationEvent('location.created', location, { name: location.name }));
          return location;
        }),
      );
    },

    async update(organizationId: string, id: string, patch: LocationPatch): Promise<Location> {
      checkLocation(patch);
      return guardExternalId(() =>
        transaction(db, async (tx) => {
          const where = and(eq(locations.organizationId, organizationId), eq(locations.id, id));
          // Locked: the values before, as the audit log records them, are the ones this update replaces.
          const [before] = await tx.select().from(locations).where(where).for('update');
          if (!before) throw notFound('location');
          const [row] = await tx
            .update(locations)
            .set({ ...patch, updatedAt: new Date() })
            .where(where)
            .returning();
          await configCache.changed(tx, organizationId);
          await emit(tx, {
            ...locationEvent('location.updated', row!, { changed: Object.keys(patch) }),
            changes: changesBetween(before, row!, Object.keys(patch) as (keyof typeof before)[]),
          });
          return read(organizationId, id, tx);
        }),
      );
    },

    /**
     * Soft delete: tickets and ledger entries keep pointing at the location, and POS
     * integrations (Comeback's `deleted: 1`) still see it, flagged.
     */
    async remove(organizationId: string, id: string): Promise<Location> {
      return transaction(db, async (tx) => {
        const [row] = await tx
          .update(locations)
          .set({ deleted: true, updatedAt: new Date() })
          .where(and(eq(locations.organizationId, organizationId), eq(locations.id, id)))
          .returning();
        if (!row) throw notFound('location');
        await configCache.changed(tx, organizationId);
        await emit(tx, locationEvent('location.deleted', row));
        return read(organizationId, id, tx);
      });
    },

    async addBrand(organizationId: string, locationId: string, input: BrandInput): Promise<Brand> {
      return transaction(db, async (tx) => {
        await read(organizationId, locationId, tx);
        const [brand] = await tx
          .insert(brands)
          .values({ ...input, organizationId, id: newId(), locationId })
          .returning();
        await configCache.changed(tx, organizationId);
        await emit(
          tx,
          locationEvent('location.updated', { organizationId, id: locationId }, { brandAdded: brand!.id }),
        );
        return brand!;
      });
    },

    async updateBrand(
      organizationId: string,
      locationId: string,
      brandId: string,
      patch: Partial<BrandInput>,
    ) {
      return transaction(db, async (tx) => {
        const [brand] = await tx
          .update(brands)
          .set(patch)
          .where(
            and(
              eq(brands.organizationId, organizationId),
              eq(brands.locationId, locationId),
              eq(brands.id, brandId),
            ),
          )
          .returning();
        if (!brand) throw notFound('brand');
        await configCache.changed(tx, organizationId);
        await emit(
          tx,
          locationEvent('location.updated', { organizationId, id: locationId }, { brandUpdated: brandId }),
        );
        return brand;
      });
    },

    async removeBrand(organizationId: string, locationId: string, brandId: string): Promise<void> {
      await transaction(db, async (tx) => {
        const deleted = await tx
          .delete(brands)
          .where(
            and(
              eq(brands.organizationId, organizationId),
              eq(brands.locationId, locationId),
              eq(brands.id, brandId),
            ),
          )
          .returning({ id: brands.id });
        if (deleted.length === 0) throw notFound('brand');
        await configCache.changed(tx, organizationId);
        await emit(
          tx,
          locationEvent('location.updated', { organizationId, id: locationId }, { brandRemoved: brandId }),
        );
      });
    },
  };
}

export type LocationsService = ReturnType<typeof createLocationsService>;
