import { and, eq } from 'drizzle-orm';
import type { ConfigCache } from '../../db/config-cache.ts';
import type { Db, Executor, Tx } from '../../db/connection.ts';
import { newId } from '../../db/ids.ts';
import type { PageRequest } from '../../db/pagination.ts';
import { ownRowIds } from '../../db/references.ts';
import { answered, mapped, type PartRead, readPart } from '../../db/together.ts';
import { onUniqueViolation, transaction } from '../../db/transaction.ts';
import { isUuid } from '../../domain/customers.ts';
import { parsePoints, toPoints } from '../../domain/points.ts';
import {
  basisUnit,
  type DowngradePolicy,
  downgradePolicyOf,
  effectiveTier,
  evaluateTier,
  type ManualAssignment,
  type TierDefinition,
  type TierState,
  tierProgress,
} from '../../domain/tiers.ts';
import { conflict, notFound, validationFailed } from '../../errors.ts';
import { changesBetween } from '../audit/service.ts';
import type { CustomersService } from '../customers/service.ts';
import { emit, emitMany, type NewEvent } from '../events/service.ts';
import type { OrganizationsService } from '../organizations/service.ts';
import { type EffectiveSettings, effectiveSettings } from '../organizations/settings.ts';
import type { PointTypesService } from '../point-types/service.ts';
import { basisQuery, basisValues } from './basis.ts';
import { tiers } from './schema.ts';
import * as store from './store.ts';

export type { MemberTierRow, TierRow } from './store.ts';

export interface TiersDependencies {
  configCache: ConfigCache;
  organizations: Pick<OrganizationsService, 'get'>;
  pointTypes: Pick<PointTypesService, 'getDefault'>;
  customers: Pick<CustomersService, 'get'>;
}

/** A tier as the API writes it: threshold and benefits as decimals / minor units. */
export interface TierInput {
  name: string;
  description?: string | null | undefined;
  /** Points (2 decimals) for the points bases, minor units for the spent bases. */
  conditionValue: number;
  earningMultiplier?: number | undefined;
  discountPercent?: number | undefined;
  perks?: string[] | undefined;
  active?: boolean | undefined;
  sortOrder?: number | undefined;
}

export type TierPatch = Partial<TierInput>;

export interface ManualInput {
  tierId: string;
  locked?: boolean | undefined;
  expiresAt?: string | null | undefined;
}

/** What made a member's tier change, as `tier.changed` reports it. */
export type ChangeReason = 'evaluation' | 'manual_assignment' | 'manual_removed' | 'manual_expired';

export interface TierChange {
  customerId: string;
  from: string | null;
  to: string | null;
}

/** The program settings and references tier evaluation reads. */
export interface TierProgram {
  settings: EffectiveSettings;
  timeZone: string;
  currency: string;
  /** The default point type, read by the points bases (null for the spent bases). */
  pointTypeId: string | null;
  policy: DowngradePolicy;
  unit: 'points' | 'money';
}

const NAME_UNIQUE = 'tiers_name_unique';

/** Zero or a decimal with at most two places, as integer hundredths. */
export function hundredths(value: number, path: string): number {
  return value === 0 ? 0 : parsePoints(value, path);
}

function sameState(a: TierState, b: TierState): boolean {
  const time = (date: Date | null | undefined) => date?.getTime() ?? null;
  return (
    a.automaticTierId === b.automaticTierId &&
    time(a.belowSince) === time(b.belowSince) &&
    a.manual?.tierId === b.manual?.tierId &&
    a.manual?.locked === b.manual?.locked &&
    time(a.manual?.expiresAt) === time(b.manual?.expiresAt)
  );
}

function tierChangedEvent(organizationId: string, change: TierChange, reason: ChangeReason): NewEvent {
  return {
    organizationId,
    type: 'tier.changed',
    subject: { type: 'customer', id: change.customerId },
    payload: {
      customerId: change.customerId,
      from: change.from,
      to: change.to,
      manual: reason === 'manual_assignment' || reason === 'manual_removed',
      reason,
    },
  };
}

/**
 * Tiers: the ladder (CRUD), each member's place on it, and its evaluation — one member in the
 * caller's transaction (after a ticket, a points change, a manual assignment) or every member of
 * an organization in batches (a recompute).
 */
export function createTiersService(db: Db, deps: TiersDependencies) {
  const { configCache } = deps;

  /** Every tier of the organization (active or not), from this process's configuration cache. */
  function ladderOf(executor: Executor, organizationId: string): Promise<store.TierRow[]> {
    return configCache.read(organizationId, 'tiers', () => store.allTiers(executor, organizationId));
  }

  async function programOf(executor: Executor, organizationId: string): Promise<TierProgram> {
    const organization = await deps.organizations.get(organizationId, executor as Db);
    const settings = effectiveSettings(organization.settings);
    const unit = basisUnit(settings.tierBasis);
    // Only the points bases read a point type.
    const pointType = unit === 'points' ? await deps.pointTypes.getDefault(organizationId, executor) : null;
    return {
      settings,
      timeZone: organization.timeZone,
      currency: organization.currency,
      pointTypeId: pointType?.id ?? null,
      policy: downgradePolicyOf(settings),
      unit,
    };
  }

  function thresholdOf(value: number, unit: 'points' | 'money'): number {
    if (unit === 'points') return hundredths(value, 'body.conditionValue');
    if (!Number.isInteger(value))
      throw validationFailed('body.conditionValue', 'is an amount in minor units: it must be a whole number');
    return value;
  }

  function values(input: TierPatch, unit: 'points' | 'money') {
    const row: Partial<typeof tiers.$inferInsert> = {};
    if (input.name !== undefined) row.name = input.name.trim();
    if (input.description !== undefined) row.description = input.description;
    if (input.conditionValue !== undefined) row.threshold = thresholdOf(input.conditionValue, unit);
    if (input.earningMultiplier !== undefined)
      row.multiplier = hundredths(input.earningMultiplier, 'body.earningMultiplier');
    if (input.discountPercent !== undefined)
      row.discountPercent = hundredths(input.discountPercent, 'body.discountPercent');
    if (input.perks !== undefined) row.perks = input.perks;
    if (input.active !== undefined) row.active = input.active;
    if (input.sortOrder !== undefined) row.sortOrder = input.sortOrder;
    return row;
  }

  /** The fields a patch names, as the API shows them: what the audit log records of a change. */
  function asPatched(row: store.TierRow, unit: 'points' | 'money'): Record<keyof TierPatch, unknown> {
    return {
      name: row.name,
      description: row.description,
      conditionValue: unit === 'points' ? toPoints(row.threshold) : row.threshold,
      earningMultiplier: toPoints(row.multiplier),
      discountPercent: toPoints(row.discountPercent),
      perks: row.perks,
      active: row.active,
      sortOrder: row.sortOrder,
    };
  }

  function guardName<T>(work: () => Promise<T>): Promise<T> {
    return onUniqueViolation(work, {
      [NAME_UNIQUE]: () => conflict('name_taken', 'another tier already has this name', 'body.name'),
    });
  }

  async function get(organizationId: string, id: string, executor: Executor = db): Promise<store.TierRow> {
    const row = isUuid(id) ? await store.findTier(executor, organizationId, id) : undefined;
    if (!row) throw notFound('tier');
    return row;
  }

  /**
   * Evaluates one member inside the caller's transaction (row-locked), optionally setting or
   * clearing the manual assignment first. Emits `tier.changed` when the tier they hold moved.
   */
  async function reevaluate(
    tx: Tx,
    organizationId: string,
    customerId: string,
    now: Date,
    options: { manual?: ManualAssignment | null; reason?: ChangeReason } = {},
  ): Promise<TierChange | null> {
    const rows = await ladderOf(tx, organizationId);
    if (options.manual === undefined && rows.length === 0) {
      // No ladder: nothing to hold, unless the member still holds a tier of a deleted one.
      const held = await store.findMemberTier(tx, organizationId, customerId);
      if (!held || (held.tierId === null && held.automaticTierId === null && held.manualTierId === null))
        return null;
    }
    const program = await programOf(tx, organizationId);
    const { row, value } = await store.lockMemberTierWithValue(
      tx,
      organizationId,
      customerId,
      basisQuery(scopeOf(organizationId, [customerId], program, now)),
    );
    const state = store.stateOf(row);
    if (options.manual !== undefined) state.manual = options.manual;
    const result = evaluateTier(rows.map(store.toDefinition), state, value, program.policy, now);
    const changed = result.tierId !== row.tierId;
    // Most tickets change nothing about the tier: then nothing is written.
    if (changed || !sameState(store.stateOf(row), result.state)) {
      await store.writeMemberTier(
        tx,
        organizationId,
        update(customerId, result.state, result.tierId, value, changed),
        now,
      );
    }
    if (!changed) return null;
    const change = { customerId, from: row.tierId, to: result.tierId };
    const reason =
      options.reason ??
      (result.manualEnded && row.manualExpiresAt !== null ? 'manual_expired' : 'evaluation');
    await emit(tx, tierChangedEvent(organizationId, change, reason));
    return change;
  }

  /** The member's tier for the earning engine — what they hold now, and its multiplier — as a part of a read. */
  async function describePart(
    executor: Executor,
    organizationId: string,
    customerId: string,
    now: Date,
  ): Promise<PartRead<{ tierId: string | null; tierMultiplier: number }>> {
    const rows = await ladderOf(executor, organizationId);
    if (rows.length === 0) return answered({ tierId: null, tierMultiplier: 100 });
    return mapped(store.memberTierPart(organizationId, customerId), (held) => {
      const tier = effectiveTier(rows.map(store.toDefinition), store.stateOf(held), now);
      return { tierId: tier?.id ?? null, tierMultiplier: tier?.multiplier ?? 100 };
    });
  }

  async function basisValueOf(
    executor: Executor,
    organizationId: string,
    customerId: string,
    program: TierProgram,
    now: Date,
  ) {
    const values = await basisValues(executor, scopeOf(organizationId, [customerId], program, now));
    return values.get(customerId) ?? 0;
  }

  function scopeOf(organizationId: string, customerIds: string[], program: TierProgram, now: Date) {
    return {
      organizationId,
      customerIds,
      settings: program.settings,
      pointTypeId: program.pointTypeId,
      now,
      timeZone: program.timeZone,
    };
  }

  function update(
    customerId: string,
    state: TierState,
    tierId: string | null,
    basisValue: number,
    changed: boolean,
  ): store.MemberTierUpdate {
    return {
      customerId,
      tierId,
      automaticTierId: state.automaticTierId,
      belowSince: state.belowSince,
      manualTierId: state.manual?.tierId ?? null,
      manualLocked: state.manual?.locked ?? false,
      manualExpiresAt: state.manual?.expiresAt ?? null,
      basisValue,
      changed,
    };
  }

  /** One batch of a recompute, in its own transaction. */
  async function recomputeBatch(
    organizationId: string,
    customerIds: string[],
    definitions: TierDefinition[],
    program: TierProgram,
    now: Date,
  ): Promise<TierChange[]> {
    return transaction(db, async (tx) => {
      const locked = await store.lockMemberTiers(tx, organizationId, customerIds);
      const values = await basisValues(tx, scopeOf(organizationId, customerIds, program, now));
      const updates: store.MemberTierUpdate[] = [];
      const changes: TierChange[] = [];
      const events: NewEvent[] = [];
      for (const row of locked) {
        const value = values.get(row.customerId) ?? 0;
        const result = evaluateTier(definitions, store.stateOf(row), value, program.policy, now);
        const changed = result.tierId !== row.tierId;
        updates.push(update(row.customerId, result.state, result.tierId, value, changed));
        if (changed) {
          const change = { customerId: row.customerId, from: row.tierId, to: result.tierId };
          changes.push(change);
          const reason = result.manualEnded && row.manualExpiresAt !== null ? 'manual_expired' : 'evaluation';
          events.push(tierChangedEvent(organizationId, change, reason));
        }
      }
      await store.writeMemberTiers(tx, organizationId, updates, now);
      await emitMany(tx, events);
      return changes;
    });
  }

  return {
    get,
    ladderOf,

    /** Which of these ids are the organization's tiers: for checking references. */
    ownIds: (organizationId: string, ids: readonly string[], executor: Executor = db) =>
      ownRowIds(executor, tiers, organizationId, ids),
    programOf,
    reevaluate,

    async list(organizationId: string, filter: { active?: boolean | undefined }, page: PageRequest) {
      return store.listTiers(db, organizationId, filter, page);
    },

    memberCounts: (organizationId: string, tierIds: string[]) =>
      store.memberCounts(db, organizationId, tierIds),

    async unitOf(organizationId: string) {
      return (await programOf(db, organizationId)).unit;
    },

    async create(organizationId: string, input: TierInput): Promise<store.TierRow> {
      const { unit } = await programOf(db, organizationId);
      const row = { ...values(input, unit), organizationId, id: newId() } as typeof tiers.$inferInsert;
      return guardName(() =>
        transaction(db, async (tx) => {
          const [created] = await tx.insert(tiers).values(row).returning();
          await configCache.changed(tx, organizationId);
          await emit(tx, {
            organizationId,
            type: 'tier.created',
            subject: { type: 'tier', id: created!.id },
            payload: { tierId: created!.id, name: created!.name },
          });
          return created!;
        }),
      );
    },

    async update(organizationId: string, id: string, patch: TierPatch): Promise<store.TierRow> {
      const { unit } = await programOf(db, organizationId);
      const changes = values(patch, unit);
      return guardName(() =>
        transaction(db, async (tx) => {
          const current = await get(organizationId, id, tx);
          const [updated] = await tx
            .update(tiers)
            .set({ ...changes, updatedAt: new Date() })
            .where(and(eq(tiers.organizationId, organizationId), eq(tiers.id, id)))
            .returning();
          await configCache.changed(tx, organizationId);
          await emit(tx, {
            organizationId,
            type: 'tier.updated',
            subject: { type: 'tier', id },
            payload: { tierId: id, changed: Object.keys(patch) },
            changes: changesBetween(
              asPatched(current, unit),
              asPatched(updated!, unit),
              Object.keys(patch) as (keyof TierPatch)[],
            ),
          });
          return updated!;
        }),
      );
    },

    /** Deletes the tier; its members move as a recompute decides (the caller runs one). */
    async remove(organizationId: string, id: string): Promise<void> {
      await transaction(db, async (tx) => {
        await get(organizationId, id, tx);
        await tx.delete(tiers).where(and(eq(tiers.organizationId, organizationId), eq(tiers.id, id)));
        await configCache.changed(tx, organizationId);
        await emit(tx, {
          organizationId,
          type: 'tier.deleted',
          subject: { type: 'tier', id },
          payload: { tierId: id },
        });
      });
    },

    members: (organizationId: string, tierId: string, page: PageRequest) =>
      store.membersOf(db, organizationId, tierId, page),

    /** The member's tier for the earning engine: what they hold now, and its multiplier. */
    async describe(executor: Executor, organizationId: string, customerId: string, now: Date) {
      return readPart(executor, await describePart(executor, organizationId, customerId, now));
    },

    describePart,

    /** The member's tier with what it comes from; the manual assignment's expiry is honoured at `now`. */
    async memberTier(organizationId: string, customerId: string, now: Date) {
      await deps.customers.get(organizationId, customerId);
      const rows = await ladderOf(db, organizationId);
      const row = await store.findMemberTier(db, organizationId, customerId);
      const state = store.stateOf(row);
      const definitions = rows.map(store.toDefinition);
      const tier = effectiveTier(definitions, state, now);
      const byId = (id: string | null | undefined) => rows.find((r) => r.id === id) ?? null;
      const manualActive =
        state.manual !== null && (state.manual.expiresAt === null || state.manual.expiresAt > now);
      return {
        tier: byId(tier?.id),
        automaticTier: byId(state.automaticTierId),
        manual: manualActive && state.manual ? { ...state.manual, tier: byId(state.manual.tierId) } : null,
        value: await basisValueOf(
          db,
          organizationId,
          customerId.toLowerCase(),
          await programOf(db, organizationId),
          now,
        ),
        changedAt: row?.changedAt ?? null,
      };
    },

    /** Current and next tier, what is missing for the next one and what keeping this one needs. */
    async progress(organizationId: string, customerId: string, now: Date) {
      await deps.customers.get(organizationId, customerId);
      const program = await programOf(db, organizationId);
      const rows = await ladderOf(db, organizationId);
      const value = await basisValueOf(db, organizationId, customerId.toLowerCase(), program, now);
      const row = await store.findMemberTier(db, organizationId, customerId);
      const state = store.stateOf(row);
      const progress = tierProgress(rows.map(store.toDefinition), state, value, program.policy, now);
      const byId = (id: string | undefined) => rows.find((r) => r.id === id) ?? null;
      return {
        program,
        value,
        current: byId(progress.current?.id),
        next: byId(progress.next?.id),
        missingForNext: progress.missingForNext,
        missingToKeep: progress.missingToKeep,
        belowSince: state.belowSince,
        downgradeAt: progress.downgradeAt,
        manual:
          state.manual !== null && (state.manual.expiresAt === null || state.manual.expiresAt > now)
            ? state.manual
            : null,
      };
    },

    /** Sets a manual assignment (in the caller's transaction). */
    async assign(tx: Tx, organizationId: string, customerId: string, input: ManualInput, now: Date) {
      const customer = await deps.customers.get(organizationId, customerId, tx);
      const tier = await store.findTier(tx, organizationId, input.tierId);
      if (!tier) throw validationFailed('body.tierId', 'is not a tier of this organization');
      if (!tier.active) throw validationFailed('body.tierId', 'is an inactive tier');
      const expiresAt = input.expiresAt ? new Date(input.expiresAt) : null;
      if (expiresAt !== null && expiresAt <= now)
        throw validationFailed('body.expiresAt', 'must be in the future');
      return reevaluate(tx, organizationId, customer.id, now, {
        manual: { tierId: tier.id, locked: input.locked ?? true, expiresAt },
        reason: 'manual_assignment',
      });
    },

    /** Ends the manual assignment: the member holds their automatic tier again. */
    async unassign(tx: Tx, organizationId: string, customerId: string, now: Date) {
      const customer = await deps.customers.get(organizationId, customerId, tx);
      return reevaluate(tx, organizationId, customer.id, now, { manual: null, reason: 'manual_removed' });
    },

    /**
     * Evaluates every member of the organization, a batch (each its own transaction, rows locked)
     * at a time: what `regulars tiers recompute`, a ladder change and the daily run do.
     */
    async recompute(organizationId: string, options: { now?: Date; batchSize?: number } = {}) {
      const now = options.now ?? new Date();
      const batchSize = options.batchSize ?? 1000;
      const program = await programOf(db, organizationId);
      const definitions = (await store.allTiers(db, organizationId)).map(store.toDefinition);
      let evaluated = 0;
      const changes: TierChange[] = [];
      let afterId: string | undefined;
      // Without any tier, only members still holding one (of a deleted ladder) need a visit.
      const nextIds = definitions.length === 0 ? store.holderIdsAfter : store.memberIdsAfter;
      for (;;) {
        const ids = await nextIds(db, organizationId, afterId, batchSize);
        if (ids.length === 0) break;
        changes.push(...(await recomputeBatch(organizationId, ids, definitions, program, now)));
        evaluated += ids.length;
        afterId = ids[ids.length - 1];
        if (ids.length < batchSize) break;
      }
      await transaction(db, (tx) => store.clearDeletedMembers(tx, organizationId));
      return { evaluated, changed: changes.length, changes };
    },

    /** A deleted member holds no tier (no event: the member is gone). */
    forget: (tx: Tx, organizationId: string, customerId: string) =>
      store.clearMember(tx, organizationId, customerId),

    /** Members whose manual assignment is due to end, across organizations (the scheduler's scan). */
    dueManualExpiries: (now: Date, limit = 500) => store.dueManualExpiries(db, now, limit),
  };
}

export type TiersService = ReturnType<typeof createTiersService>;
