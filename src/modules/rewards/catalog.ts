import { randomInt } from 'node:crypto';
import { and, asc, count, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { ConfigCache } from '../../db/config-cache.ts';
import { type Db, type Executor, type Tx, tableRows } from '../../db/connection.ts';
import { newId } from '../../db/ids.ts';
import { afterCursor, fetchSize, type PageRequest } from '../../db/pagination.ts';
import { type OwnIds, requireOwnIds } from '../../db/references.ts';
import { onUniqueViolation, transaction } from '../../db/transaction.ts';
import type { LimitPeriod } from '../../domain/earning/types.ts';
import type { RewardChannel, RewardConfig, RewardTerms, RewardType } from '../../domain/rewards.ts';
import { conflict, notFound, validationFailed } from '../../errors.ts';
import { changesBetween } from '../audit/service.ts';
import { emit } from '../events/service.ts';
import type { PointTypesService } from '../point-types/service.ts';
import { checkTypeFields, costFromApi, valueFromApi } from './contract.ts';
import { presentReward } from './presenters.ts';
import { rewardCategories, rewardCodes, rewards, type Translations } from './schema.ts';

export type RewardRow = typeof rewards.$inferSelect;
export type CategoryRow = typeof rewardCategories.$inferSelect;

/** A reward as the API sends it (decimals for points and percents). */
export interface RewardFieldsInput {
  name?: string | undefined;
  description?: string | null | undefined;
  translations?: Translations | undefined;
  value?: number | null | undefined;
  config?: Record<string, unknown> | undefined;
  scope?: { skus?: string[] | undefined; categories?: string[] | undefined } | undefined;
  categoryIds?: string[] | undefined;
  costPoints?: number | undefined;
  pointTypeId?: string | null | undefined;
  posCode?: string | null | undefined;
  active?: boolean | undefined;
  startsAt?: string | null | undefined;
  endsAt?: string | null | undefined;
  weekdays?: number[] | undefined;
  hours?: { from: string; to: string } | null | undefined;
  locationIds?: string[] | undefined;
  channels?: RewardChannel[] | undefined;
  tierIds?: string[] | undefined;
  segmentIds?: string[] | undefined;
  customerIds?: string[] | undefined;
  visibleFrom?: string | null | undefined;
  visibleTo?: string | null | undefined;
  totalLimit?: number | null | undefined;
  memberLimit?: number | null | undefined;
  memberPeriodLimit?: { count: number; period: LimitPeriod } | null | undefined;
  allowRepeat?: boolean | undefined;
  stackable?: boolean | undefined;
  minimumOrder?: number | undefined;
  couponDelayDays?: number | undefined;
  couponValidDays?: number | null | undefined;
}

export interface CreateRewardInput extends RewardFieldsInput {
  name: string;
  type: RewardType;
}

export interface RewardFilter {
  type?: string | undefined;
  active?: boolean | undefined;
  categoryId?: string | undefined;
  posCode?: string | undefined;
}

export interface CategoryInput {
  name?: string | undefined;
  translations?: Translations | undefined;
  active?: boolean | undefined;
  sortOrder?: number | undefined;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DATE_FIELDS = ['startsAt', 'endsAt', 'visibleFrom', 'visibleTo'] as const;
/** Unambiguous characters for generated codes (no 0/O, 1/I/L). */
const CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';

export function generateCode(length = 10): string {
  let code = '';
  for (let i = 0; i < length; i++) code += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
  return code;
}

/** The engine's view of a stored reward. */
export function toTerms(row: RewardRow): RewardTerms {
  return {
    id: row.id,
    name: row.name,
    type: row.type,
    active: row.active && row.deletedAt === null,
    value: row.value,
    config: row.config,
    scope: { skus: row.scope.skus ?? [], categories: row.scope.categories ?? [] },
    costPoints: row.costPoints,
    pointTypeId: row.pointTypeId,
    startsAt: row.startsAt,
    endsAt: row.endsAt,
    weekdays: row.weekdays,
    hours: row.hours,
    locationIds: row.locationIds,
    channels: row.channels,
    tierIds: row.tierIds,
    segmentIds: row.segmentIds,
    customerIds: row.customerIds,
    visibleFrom: row.visibleFrom,
    visibleTo: row.visibleTo,
    totalLimit: row.totalLimit,
    memberLimit: row.memberLimit,
    memberPeriodLimit: row.memberPeriodLimit,
    allowRepeat: row.allowRepeat,
    stackable: row.stackable,
    minimumOrder: row.minimumOrder,
    couponDelayDays: row.couponDelayDays,
    couponValidDays: row.couponValidDays,
  };
}

/** API fields → column values (everything but value/config/cost, which need the type). */
function columnValues(input: RewardFieldsInput): Partial<typeof rewards.$inferInsert> {
  const values: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    if (value === undefined || key === 'value' || key === 'config' || key === 'costPoints') continue;
    if ((DATE_FIELDS as readonly string[]).includes(key))
      values[key] = value ? new Date(value as string) : null;
    else if (key === 'scope') {
      const scope = value as { skus?: string[]; categories?: string[] };
      values.scope = { skus: scope.skus ?? [], categories: scope.categories ?? [] };
    } else values[key] = value;
  }
  return values as Partial<typeof rewards.$inferInsert>;
}

/** Rules that span fields: checked on the reward as it will be stored. */
function checkReward(row: RewardRow | (typeof rewards.$inferInsert & { type: RewardType })) {
  const type = row.type;
  const config = (row.config ?? {}) as RewardConfig;
  const value = row.value ?? null;
  if (type === 'percentage_discount' && value === null && !config.fromTier) {
    throw validationFailed('body.value', 'is required for percentage_discount (or set config.fromTier)');
  }
  if ((type === 'amount_discount' || type === 'cashback') && value === null) {
    throw validationFailed('body.value', `is required for ${type}`);
  }
  if (type === 'discount_code' && value !== null && !config.discountType) {
    throw validationFailed('body.config.discountType', 'is required when a discount_code has a value');
  }
  if ((config.free ?? 1) >= (config.buy ?? 2)) {
    throw validationFailed('body.config.free', 'must be smaller than config.buy');
  }
  const scope = row.scope ?? { skus: [], categories: [] };
  if (type === 'free_product' && scope.skus.length === 0 && scope.categories.length === 0) {
    throw validationFailed('body.scope', 'must name the free product (skus or categories)');
  }
  for (const [from, to] of [
    ['startsAt', 'endsAt'],
    ['visibleFrom', 'visibleTo'],
  ] as const) {
    const start = row[from];
    const end = row[to];
    if (start && end && end <= start) throw validationFailed(`body.${to}`, `must be after ${from}`);
  }
}

function guardPosCode<T>(work: () => Promise<T>): Promise<T> {
  return onUniqueViolation(work, {
    rewards_pos_code_unique: () =>
      conflict('pos_code_taken', 'another reward already has this posCode', 'body.posCode'),
  });
}

/** Active rewards by id and by `pos:` + POS code, made once per cached copy of the catalogue. */
const indexes = new WeakMap<readonly RewardRow[], Map<string, RewardRow>>();

function indexOf(rows: readonly RewardRow[]): Map<string, RewardRow> {
  let index = indexes.get(rows);
  if (!index) {
    index = new Map();
    for (const row of rows) {
      index.set(row.id, row);
      if (row.posCode !== null) index.set(`pos:${row.posCode}`, row);
    }
    indexes.set(rows, index);
  }
  return index;
}

/** What the catalogue reads of other modules: point types, and which ids are the organization's. */
export interface CatalogDependencies {
  pointTypes: PointTypesService;
  configCache: ConfigCache;
  locations: { ownIds: OwnIds };
  customers: { ownIds: OwnIds };
  tiers: { ownIds: OwnIds };
  segments: { ownIds: OwnIds };
}

/** The id lists a reward is restricted by, with the module that owns their rows. */
const RESTRICTIONS = [
  { field: 'locationIds', noun: 'a location', owner: 'locations' },
  { field: 'tierIds', noun: 'a tier', owner: 'tiers' },
  { field: 'segmentIds', noun: 'a segment', owner: 'segments' },
  { field: 'customerIds', noun: 'a customer', owner: 'customers' },
] as const;

export function createCatalog(db: Db, deps: CatalogDependencies) {
  const { configCache } = deps;

  /**
   * Every active reward, from the configuration cache: every change of a definition below calls
   * `configCache.changed`. `taken` in these rows is as old as the copy (redemptions move it all
   * day): limits and the API read it fresh (`countsOf`).
   */
  function active(organizationId: string, executor: Executor = db): Promise<readonly RewardRow[]> {
    return configCache.read(organizationId, 'rewards', () =>
      tableRows(
        executor,
        rewards,
        sql`select * from ${rewards}
            where organization_id = ${organizationId} and active and deleted_at is null order by id`,
      ),
    );
  }

  async function get(
    organizationId: string,
    id: string,
    executor: Executor = db,
    options: { forUpdate?: boolean } = {},
  ): Promise<RewardRow> {
    if (!UUID.test(id)) throw notFound('reward');
    const query = executor
      .select()
      .from(rewards)
      .where(and(eq(rewards.organizationId, organizationId), eq(rewards.id, id), isNull(rewards.deletedAt)));
    const [row] = options.forUpdate ? await query.for('update') : await query;
    if (!row) throw notFound('reward');
    return row;
  }

  /**
   * The point type, categories, locations, tiers, segments and members a reward names are the
   * organization's: a stranger's id is refused (422 naming it) before anything is written. The
   * categories are read FOR SHARE: a category deleted at that moment waits for the reward's
   * commit and then takes itself off it, or is gone first and the reward is refused; never a
   * dangling id.
   */
  async function checkReferences(tx: Tx, organizationId: string, input: RewardFieldsInput) {
    if (input.pointTypeId) await deps.pointTypes.resolve(organizationId, input.pointTypeId, tx);
    for (const { field, noun, owner } of RESTRICTIONS) {
      await requireOwnIds(
        deps[owner].ownIds,
        organizationId,
        input[field],
        { path: `body.${field}`, noun },
        tx,
      );
    }
    const ids = input.categoryIds ?? [];
    if (ids.length === 0) return;
    const found = await tx
      .select({ id: rewardCategories.id })
      .from(rewardCategories)
      .where(and(eq(rewardCategories.organizationId, organizationId), inArray(rewardCategories.id, ids)))
      .for('share');
    const known = new Set(found.map((row) => row.id));
    const index = ids.findIndex((id) => !known.has(id));
    if (index >= 0)
      throw validationFailed(`body.categoryIds.${index}`, 'is not a reward category of this organization');
  }

  async function change(
    organizationId: string,
    id: string,
    build: (current: RewardRow) => Partial<typeof rewards.$inferInsert>,
    eventType: string,
    check?: (tx: Tx) => Promise<void>,
  ): Promise<RewardRow> {
    return guardPosCode(() =>
      transaction(db, async (tx) => {
        const current = await get(organizationId, id, tx, { forUpdate: true });
        await check?.(tx);
        const values = build(current);
        checkReward({ ...current, ...values } as RewardRow);
        const [row] = await tx
          .update(rewards)
          .set({ ...values, updatedAt: new Date() })
          .where(and(eq(rewards.organizationId, organizationId), eq(rewards.id, id)))
          .returning();
        await configCache.changed(tx, organizationId);
        await emit(tx, {
          organizationId,
          type: eventType,
          subject: { type: 'reward', id },
          payload: { rewardId: id, changed: Object.keys(values) },
          // As the API shows them (points as decimals), as the audit log records them.
          changes: changesBetween(
            presentReward(current) as Record<string, unknown>,
            presentReward(row!) as Record<string, unknown>,
            Object.keys(values),
          ),
        });
        return row!;
      }),
    );
  }

  return {
    get,

    /**
     * A reward by id, or by the code the till knows it by: an active one from the cached
     * catalogue (its `taken` as old as the copy, see `active`), any other from the database.
     */
    async find(
      organizationId: string,
      idOrPosCode: string,
      executor: Executor = db,
    ): Promise<RewardRow | undefined> {
      const isId = UUID.test(idOrPosCode);
      const cached = indexOf(await active(organizationId, executor)).get(
        isId ? idOrPosCode : `pos:${idOrPosCode}`,
      );
      if (cached) return cached;
      const [row] = await executor
        .select()
        .from(rewards)
        .where(
          and(
            eq(rewards.organizationId, organizationId),
            isNull(rewards.deletedAt),
            isId ? eq(rewards.id, idOrPosCode) : eq(rewards.posCode, idOrPosCode),
          ),
        );
      return row;
    },

    async create(organizationId: string, input: CreateRewardInput): Promise<RewardRow> {
      const config = (input.config ?? {}) as RewardConfig;
      const values = {
        ...columnValues(input),
        name: input.name,
        type: input.type,
        config,
        value: valueFromApi(input.type, config, input.value),
        costPoints: costFromApi(input.costPoints) ?? 0,
        organizationId,
        id: newId(),
      };
      checkReward(values);
      return guardPosCode(() =>
        transaction(db, async (tx) => {
          await checkReferences(tx, organizationId, input);
          const [row] = await tx.insert(rewards).values(values).returning();
          await configCache.changed(tx, organizationId);
          await emit(tx, {
            organizationId,
            type: 'reward.created',
            subject: { type: 'reward', id: row!.id },
            payload: { rewardId: row!.id, name: row!.name, type: row!.type },
          });
          return row!;
        }),
      );
    },

    async update(organizationId: string, id: string, input: RewardFieldsInput): Promise<RewardRow> {
      return change(
        organizationId,
        id,
        (current) => {
          checkTypeFields(current.type, { value: input.value, config: input.config });
          const values = columnValues(input);
          const config = (input.config as RewardConfig | undefined) ?? current.config;
          if (input.config !== undefined) values.config = config;
          if (input.value !== undefined) values.value = valueFromApi(current.type, config, input.value);
          if (input.costPoints !== undefined) values.costPoints = costFromApi(input.costPoints)!;
          return values;
        },
        'reward.updated',
        (tx) => checkReferences(tx, organizationId, input),
      );
    },

    setActive(organizationId: string, id: string, active: boolean): Promise<RewardRow> {
      return change(
        organizationId,
        id,
        () => ({ active }),
        active ? 'reward.activated' : 'reward.deactivated',
      );
    },

    /** Soft delete: coupons already claimed keep naming their reward (and stay usable). */
    async remove(organizationId: string, id: string): Promise<void> {
      await change(organizationId, id, () => ({ deletedAt: new Date(), active: false }), 'reward.deleted');
    },

    list(organizationId: string, filter: RewardFilter, page: PageRequest): Promise<RewardRow[]> {
      return db
        .select()
        .from(rewards)
        .where(
          and(
            eq(rewards.organizationId, organizationId),
            isNull(rewards.deletedAt),
            filter.type ? eq(rewards.type, filter.type as RewardType) : undefined,
            filter.active === undefined ? undefined : eq(rewards.active, filter.active),
            filter.posCode ? eq(rewards.posCode, filter.posCode) : undefined,
            filter.categoryId
              ? sql`${rewards.categoryIds} @> ${JSON.stringify([filter.categoryId])}::jsonb`
              : undefined,
            afterCursor(rewards.id, page),
          ),
        )
        .orderBy(asc(rewards.id))
        .limit(fetchSize(page));
    },

    /** Every active reward of the organization, oldest first: what a member's list is made of. */
    active,

    /** Codes the reward hands out: imported ones, or `generate` new random ones. Known codes are skipped. */
    async addCodes(
      organizationId: string,
      id: string,
      input: { codes?: string[] | undefined; generate?: number | undefined; length?: number | undefined },
    ) {
      return transaction(db, async (tx) => {
        await get(organizationId, id, tx);
        const wanted = new Set((input.codes ?? []).map((code) => code.trim()).filter(Boolean));
        for (let i = 0; i < (input.generate ?? 0); i++) wanted.add(generateCode(input.length ?? 10));
        const codes = [...wanted];
        let added = 0;
        // In slices, so one request with thousands of codes stays within parameter limits.
        for (let start = 0; start < codes.length; start += 1000) {
          const slice = codes.slice(start, start + 1000);
          const inserted = await tx
            .insert(rewardCodes)
            .values(slice.map((code) => ({ organizationId, id: newId(), rewardId: id, code })))
            .onConflictDoNothing()
            .returning({ id: rewardCodes.id });
          added += inserted.length;
        }
        await emit(tx, {
          organizationId,
          type: 'reward.codes_added',
          subject: { type: 'reward', id },
          payload: { rewardId: id, added },
        });
        return { added, skipped: codes.length - added, ...(await codeCounts(tx, organizationId, id)) };
      });
    },

    codeCounts: (organizationId: string, id: string, executor: Executor = db) =>
      codeCounts(executor, organizationId, id),

    categories: {
      async create(organizationId: string, input: CategoryInput & { name: string }): Promise<CategoryRow> {
        return transaction(db, async (tx) => {
          const [row] = await tx
            .insert(rewardCategories)
            .values({ ...input, organizationId, id: newId() })
            .returning();
          await emit(tx, {
            organizationId,
            type: 'reward_category.created',
            subject: { type: 'reward_category', id: row!.id },
            payload: { categoryId: row!.id, name: row!.name },
          });
          return row!;
        });
      },

      async get(organizationId: string, id: string, executor: Executor = db): Promise<CategoryRow> {
        if (!UUID.test(id)) throw notFound('reward category');
        const [row] = await executor
          .select()
          .from(rewardCategories)
          .where(and(eq(rewardCategories.organizationId, organizationId), eq(rewardCategories.id, id)));
        if (!row) throw notFound('reward category');
        return row;
      },

      /** In display order: sortOrder, then creation. */
      list(organizationId: string, filter: { active?: boolean | undefined }): Promise<CategoryRow[]> {
        return db
          .select()
          .from(rewardCategories)
          .where(
            and(
              eq(rewardCategories.organizationId, organizationId),
              filter.active === undefined ? undefined : eq(rewardCategories.active, filter.active),
            ),
          )
          .orderBy(asc(rewardCategories.sortOrder), asc(rewardCategories.id));
      },

      async update(organizationId: string, id: string, input: CategoryInput): Promise<CategoryRow> {
        return transaction(db, async (tx) => {
          const [row] = await tx
            .update(rewardCategories)
            .set({ ...input, updatedAt: new Date() })
            .where(and(eq(rewardCategories.organizationId, organizationId), eq(rewardCategories.id, id)))
            .returning();
          if (!row) throw notFound('reward category');
          await emit(tx, {
            organizationId,
            type: 'reward_category.updated',
            subject: { type: 'reward_category', id },
            payload: { categoryId: id, changed: Object.keys(input) },
          });
          return row;
        });
      },

      /** Deletes the category and takes it off every reward that was in it. */
      async remove(organizationId: string, id: string): Promise<void> {
        await transaction(db, async (tx) => {
          if (!UUID.test(id)) throw notFound('reward category');
          const deleted = await tx
            .delete(rewardCategories)
            .where(and(eq(rewardCategories.organizationId, organizationId), eq(rewardCategories.id, id)))
            .returning({ id: rewardCategories.id });
          if (deleted.length === 0) throw notFound('reward category');
          await tx
            .update(rewards)
            .set({ categoryIds: sql`${rewards.categoryIds} - ${id}::text` })
            .where(
              and(
                eq(rewards.organizationId, organizationId),
                sql`${rewards.categoryIds} @> ${JSON.stringify([id])}::jsonb`,
              ),
            );
          await configCache.changed(tx, organizationId);
          await emit(tx, {
            organizationId,
            type: 'reward_category.deleted',
            subject: { type: 'reward_category', id },
            payload: { categoryId: id },
          });
        });
      },
    },
  };
}

async function codeCounts(executor: Executor, organizationId: string, rewardId: string) {
  const [row] = await executor
    .select({
      total: count(),
      given: count(rewardCodes.couponId),
    })
    .from(rewardCodes)
    .where(and(eq(rewardCodes.organizationId, organizationId), eq(rewardCodes.rewardId, rewardId)));
  const total = Number(row?.total ?? 0);
  const given = Number(row?.given ?? 0);
  return { codes: total, available: total - given };
}

export type Catalog = ReturnType<typeof createCatalog>;
