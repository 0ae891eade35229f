import { and, asc, eq } from 'drizzle-orm';
import type { ConfigCache } from '../../db/config-cache.ts';
import type { Db, Executor, Tx } from '../../db/connection.ts';
import { newId } from '../../db/ids.ts';
import { afterCursor, fetchSize, type PageRequest } from '../../db/pagination.ts';
import { sqlState, transaction, UNIQUE_VIOLATION } from '../../db/transaction.ts';
import type { ExpiryRounding } from '../../domain/points.ts';
import { conflict, notFound, nullIfNotFound, validationFailed } from '../../errors.ts';
import { changesBetween } from '../audit/service.ts';
import { emit } from '../events/service.ts';
import type { Organization } from '../organizations/service.ts';
import { pointTypes } from './schema.ts';

export type PointType = typeof pointTypes.$inferSelect;

export interface PointTypeInput {
  name: string;
  code: string;
  expiresAfterDays?: number | null | undefined;
  expiryRounding?: ExpiryRounding | undefined;
  pendingDays?: number | undefined;
  valuePerThousandPoints?: number | null | undefined;
  active?: boolean | undefined;
  isDefault?: boolean | undefined;
}

export type PointTypePatch = Partial<PointTypeInput>;

export interface PointTypeFilter {
  active?: boolean | undefined;
}

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What every new organization starts with: one never-expiring, immediately spendable type. */
export const DEFAULT_POINT_TYPE = { name: 'Points', code: 'points' } as const;

async function guardCode<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (sqlState(error) === UNIQUE_VIOLATION) {
      throw conflict('code_taken', 'another point type already has this code');
    }
    throw error;
  }
}

export function createPointTypesService(db: Db, configCache: ConfigCache) {
  /** Every point type of the organization (programs have a handful), oldest first. */
  function all(organizationId: string, executor: Executor = db): Promise<PointType[]> {
    return configCache.read(organizationId, 'point-types', () =>
      executor
        .select()
        .from(pointTypes)
        .where(eq(pointTypes.organizationId, organizationId))
        .orderBy(asc(pointTypes.id)),
    );
  }

  async function get(organizationId: string, id: string, executor: Executor = db): Promise<PointType> {
    if (!UUID_PATTERN.test(id)) throw notFound('point type');
    const row = (await all(organizationId, executor)).find((type) => type.id === id.toLowerCase());
    if (!row) throw notFound('point type');
    return row;
  }

  async function getDefault(organizationId: string, executor: Executor = db): Promise<PointType> {
    const row = (await all(organizationId, executor)).find((type) => type.isDefault);
    if (!row) throw notFound('default point type');
    return row;
  }

  /** The row as stored now, for a change to start from (never the cached copy). */
  async function readForUpdate(tx: Tx, organizationId: string, id: string): Promise<PointType> {
    const [row] = UUID_PATTERN.test(id)
      ? await tx
          .select()
          .from(pointTypes)
          .where(and(eq(pointTypes.organizationId, organizationId), eq(pointTypes.id, id)))
          .for('update')
      : [];
    if (!row) throw notFound('point type');
    return row;
  }

  /** Only one default per organization: the one being made default takes the flag from the others. */
  async function clearDefault(tx: Tx, organizationId: string) {
    await tx
      .update(pointTypes)
      .set({ isDefault: false, updatedAt: new Date() })
      .where(and(eq(pointTypes.organizationId, organizationId), eq(pointTypes.isDefault, true)));
  }

  return {
    get,
    getDefault,

    /**
     * The point type an operation acts on: the one named, or the default. A type named in the
     * request body that does not exist is the caller's mistake to fix: 422 on `path`.
     */
    async resolve(
      organizationId: string,
      id: string | undefined,
      executor: Executor = db,
      path = 'body.pointTypeId',
    ): Promise<PointType> {
      if (id === undefined) return getDefault(organizationId, executor);
      const found = await nullIfNotFound(get(organizationId, id, executor));
      if (!found) throw validationFailed(path, 'is not a point type of this organization');
      return found;
    },

    all,

    list(organizationId: string, filter: PointTypeFilter, page: PageRequest): Promise<PointType[]> {
      return db
        .select()
        .from(pointTypes)
        .where(
          and(
            eq(pointTypes.organizationId, organizationId),
            filter.active === undefined ? undefined : eq(pointTypes.active, filter.active),
            afterCursor(pointTypes.id, page),
          ),
        )
        .orderBy(asc(pointTypes.id))
        .limit(fetchSize(page));
    },

    async create(organizationId: string, input: PointTypeInput): Promise<PointType> {
      if (input.isDefault && input.active === false) {
        throw validationFailed('body.active', 'the default point type must be active');
      }
      return guardCode(() =>
        transaction(db, async (tx) => {
          if (input.isDefault) await clearDefault(tx, organizationId);
          const [row] = await tx
            .insert(pointTypes)
            .values({ ...input, organizationId, id: newId() })
            .returning();
          await configCache.changed(tx, organizationId);
          await emit(tx, {
            organizationId,
            type: 'point_type.created',
            subject: { type: 'point_type', id: row!.id },
            payload: { pointTypeId: row!.id, code: row!.code },
          });
          return row!;
        }),
      );
    },

    async update(organizationId: string, id: string, patch: PointTypePatch): Promise<PointType> {
      return guardCode(() =>
        transaction(db, async (tx) => {
          const current = await readForUpdate(tx, organizationId, id);
          const isDefault = patch.isDefault ?? current.isDefault;
          const active = patch.active ?? current.active;
          if (current.isDefault && patch.isDefault === false) {
            throw validationFailed('body.isDefault', 'make another point type the default instead');
          }
          if (isDefault && !active) {
            throw validationFailed('body.active', 'the default point type must be active');
          }
          if (patch.isDefault && !current.isDefault) await clearDefault(tx, organizationId);
          // Changing the policy never re-dates points already credited: lots keep their dates.
          const [row] = await tx
            .update(pointTypes)
            .set({ ...patch, updatedAt: new Date() })
            .where(and(eq(pointTypes.organizationId, organizationId), eq(pointTypes.id, id)))
            .returning();
          await configCache.changed(tx, organizationId);
          await emit(tx, {
            organizationId,
            type: 'point_type.updated',
            subject: { type: 'point_type', id },
            payload: { pointTypeId: id, changed: Object.keys(patch) },
            changes: changesBetween(current, row!, Object.keys(patch) as (keyof typeof current)[]),
          });
          return row!;
        }),
      );
    },

    /** Organization setup step: every organization gets a default "Points" type. */
    async createDefault(tx: Tx, organization: Organization): Promise<void> {
      await tx.insert(pointTypes).values({
        organizationId: organization.id,
        id: newId(),
        ...DEFAULT_POINT_TYPE,
        isDefault: true,
      });
    },
  };
}

export type PointTypesService = ReturnType<typeof createPointTypesService>;
