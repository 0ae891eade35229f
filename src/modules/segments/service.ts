import { and, eq } from 'drizzle-orm';
import type { ConfigCache } from '../../db/config-cache.ts';
import type { Db, Executor, Tx } from '../../db/connection.ts';
import { newId } from '../../db/ids.ts';
import type { PageRequest } from '../../db/pagination.ts';
import { ownRowIds, requireOwnIds } from '../../db/references.ts';
import { answered, mapped, type PartRead, readPart } from '../../db/together.ts';
import { onUniqueViolation, transaction } from '../../db/transaction.ts';
import { isUuid } from '../../domain/customers.ts';
import { parsePoints } from '../../domain/points.ts';
import {
  type Criterion,
  type CriterionBody,
  needsOf,
  purchasesReadFrom,
  type SegmentPart,
} from '../../domain/segments/criteria.ts';
import { segmentMatches } from '../../domain/segments/match.ts';
import { AppError, conflict, notFound, nullIfNotFound, validationFailed } from '../../errors.ts';
import { changesBetween } from '../audit/service.ts';
import type { CustomersService } from '../customers/service.ts';
import { emit, emitMany, type NewEvent } from '../events/service.ts';
import type { LocationsService } from '../locations/service.ts';
import type { OrganizationsService } from '../organizations/service.ts';
import type { PointTypesService } from '../point-types/service.ts';
import type { TiersService } from '../tiers/service.ts';
import { matchingMembersQuery } from './compile.ts';
import type { ApiCriterion, ApiPart } from './contract.ts';
import { segments } from './schema.ts';
import { loadSnapshot } from './snapshot.ts';
import * as store from './store.ts';

export type { SegmentRow } from './store.ts';

export interface SegmentsDependencies {
  configCache: ConfigCache;
  customers: Pick<CustomersService, 'lookup'>;
  tiers: Pick<TiersService, 'ladderOf'>;
  pointTypes: Pick<PointTypesService, 'get' | 'getDefault'>;
  locations: Pick<LocationsService, 'ownIds'>;
  organizations: Pick<OrganizationsService, 'get'>;
}

export interface SegmentInput {
  name: string;
  description?: string | null | undefined;
  active?: boolean | undefined;
  parts: ApiPart[];
}

export type SegmentPatch = Partial<SegmentInput>;

export interface RecomputeResult {
  segmentId: string;
  added: number;
  removed: number;
}

const NAME_UNIQUE = 'segments_name_unique';

function membershipEvent(
  organizationId: string,
  segmentId: string,
  customerId: string,
  added: boolean,
): NewEvent {
  return {
    organizationId,
    type: added ? 'segment.customer_added' : 'segment.customer_removed',
    subject: { type: 'customer', id: customerId },
    payload: { segmentId, customerId },
  };
}

/**
 * Segments: definitions (CRUD), and their materialized membership — recomputed set-based, one
 * segment at a time, or refreshed for one member in the caller's transaction. Every change of
 * membership is a `segment.customer_added` / `segment.customer_removed` event.
 */
export function createSegmentsService(db: Db, deps: SegmentsDependencies) {
  const { configCache } = deps;

  /** The organization's active segments, from this process's configuration cache. */
  function activeSegments(executor: Executor, organizationId: string): Promise<store.SegmentRow[]> {
    return configCache.read(organizationId, 'segments', () => store.activeSegments(executor, organizationId));
  }

  /** Active segments the member is in (what earning rules target), as a part of a read. */
  async function segmentIdsPart(
    executor: Executor,
    organizationId: string,
    customerId: string,
  ): Promise<PartRead<string[]>> {
    const active = await activeSegments(executor, organizationId);
    // Inactive segments have no members: without an active one, nobody is in any.
    if (active.length === 0) return answered([]);
    const ids = new Set(active.map((segment) => segment.id));
    return mapped(store.membershipPart(organizationId, customerId), (held) =>
      held.filter((id) => ids.has(id)),
    );
  }

  async function get(organizationId: string, id: string, executor: Executor = db): Promise<store.SegmentRow> {
    const row = isUuid(id) ? await store.findSegment(executor, organizationId, id.toLowerCase()) : undefined;
    if (!row) throw notFound('segment');
    return row;
  }

  function guardName<T>(work: () => Promise<T>): Promise<T> {
    return onUniqueViolation(work, {
      [NAME_UNIQUE]: () => conflict('name_taken', 'another segment already has this name', 'body.name'),
    });
  }

  /** API criteria → engine criteria, checking every reference; 422 names the failing field. */
  async function toParts(organizationId: string, parts: ApiPart[]): Promise<SegmentPart[]> {
    const tiers = new Set((await deps.tiers.ladderOf(db, organizationId)).map((tier) => tier.id));
    const result: SegmentPart[] = [];
    for (const [i, part] of parts.entries()) {
      const criteria: Criterion[] = [];
      for (const [j, criterion] of part.criteria.entries()) {
        const body = await toCriterion(organizationId, criterion, `body.parts.${i}.criteria.${j}`, tiers);
        criteria.push({ ...body, id: newId() } as Criterion);
      }
      result.push({ id: newId(), criteria });
    }
    return result;
  }

  async function toCriterion(
    organizationId: string,
    input: ApiCriterion,
    path: string,
    tiers: Set<string>,
  ): Promise<CriterionBody> {
    const num = (name: string) => (typeof input[name] === 'number' ? (input[name] as number) : null);
    const range = (min: number | null, max: number | null) => {
      if (min === null && max === null) throw validationFailed(path, 'needs min, max or both');
      if (min !== null && max !== null && min > max)
        throw validationFailed(`${path}.max`, 'must not be below min');
      return { min, max };
    };
    const days = num('days');
    switch (input.type) {
      case 'bought_at_locations': {
        const ids = [...new Set((input.locationIds as string[]).map((id) => id.toLowerCase()))];
        await requireOwnIds(deps.locations.ownIds, organizationId, ids, {
          path: `${path}.locationIds`,
          noun: 'a location',
        });
        return { type: input.type, locationIds: ids };
      }
      case 'transaction_count':
      case 'total_spent':
        return { type: input.type, ...range(num('min'), num('max')), days };
      case 'average_ticket':
        return { type: input.type, ...range(num('min'), num('max')) };
      case 'purchase_period': {
        const from = typeof input.from === 'string' ? new Date(input.from).toISOString() : null;
        const to = typeof input.to === 'string' ? new Date(input.to).toISOString() : null;
        if (from === null && to === null) throw validationFailed(path, 'needs from, to or both');
        if (from !== null && to !== null && to <= from)
          throw validationFailed(`${path}.to`, 'must be after from');
        return { type: input.type, from, to };
      }
      case 'bought_skus':
        return { type: input.type, skus: input.skus as string[] };
      case 'bought_categories':
        return { type: input.type, categories: input.categories as string[] };
      case 'bought_makers':
        return { type: input.type, makers: input.makers as string[] };
      case 'bought_labels':
        return { type: input.type, labels: input.labels as { key: string; value: string }[] };
      case 'anniversary':
        return {
          type: input.type,
          anniversaryType: input.anniversaryType as 'birthday' | 'registration',
          days: days ?? 1,
        };
      case 'last_purchase_days_ago':
        return { type: input.type, days: days ?? 1 };
      case 'customer_has_labels':
        return { type: input.type, labels: input.labels as { key: string; value?: string }[] };
      case 'customer_list':
        return {
          type: input.type,
          customerIds: await resolveMembers(organizationId, input.customers as string[], `${path}.customers`),
        };
      case 'tier_in': {
        const ids = [...new Set((input.tierIds as string[]).map((id) => id.toLowerCase()))];
        for (const [k, id] of ids.entries()) {
          if (!tiers.has(id))
            throw validationFailed(`${path}.tierIds.${k}`, 'is not a tier of this organization');
        }
        return { type: input.type, tierIds: ids };
      }
      case 'points_balance': {
        const points = (name: 'min' | 'max') => {
          const value = num(name);
          return value === null ? null : value === 0 ? 0 : parsePoints(value, `${path}.${name}`);
        };
        const pointTypeId = typeof input.pointTypeId === 'string' ? input.pointTypeId.toLowerCase() : null;
        if (pointTypeId !== null) {
          const found = await nullIfNotFound(deps.pointTypes.get(organizationId, pointTypeId));
          if (!found)
            throw validationFailed(`${path}.pointTypeId`, 'is not a point type of this organization');
        }
        return { type: input.type, ...range(points('min'), points('max')), pointTypeId };
      }
      case 'marketing_consent':
        return {
          type: input.type,
          channels: (input.channels as ('email' | 'sms' | 'push')[] | undefined) ?? [],
        };
    }
  }

  /** Identifiers (id, email, phone, card number) → member ids; one unknown is a 422 naming it. */
  async function resolveMembers(
    organizationId: string,
    identifiers: string[],
    path: string,
  ): Promise<string[]> {
    const ids = identifiers.filter(isUuid).map((id) => id.toLowerCase());
    const existing = await store.existingMembers(db, organizationId, ids);
    const resolved = new Set<string>();
    for (const [k, identifier] of identifiers.entries()) {
      if (isUuid(identifier) && existing.has(identifier.toLowerCase())) {
        resolved.add(identifier.toLowerCase());
        continue;
      }
      try {
        resolved.add((await deps.customers.lookup(organizationId, identifier)).id);
      } catch (error) {
        if (error instanceof AppError && error.status === 404)
          throw validationFailed(`${path}.${k}`, 'matches no member of this organization');
        throw error;
      }
    }
    return [...resolved];
  }

  async function compileContext(executor: Executor, organizationId: string, now: Date) {
    const organization = await deps.organizations.get(organizationId, executor as Db);
    // No default type at all compares balances with 0, as a member's live check does (snapshot.ts);
    // a default that could not be read fails the recompute instead of counting every balance as 0.
    const pointType = await nullIfNotFound(deps.pointTypes.getDefault(organizationId, executor));
    return {
      organizationId,
      now,
      timeZone: organization.timeZone,
      defaultPointTypeId: pointType?.id ?? null,
    };
  }

  /** Recomputes one segment in one transaction (the segment row locked: recomputes never overlap). */
  async function recompute(organizationId: string, id: string, now: Date): Promise<RecomputeResult> {
    return transaction(db, async (tx) => {
      const segment = await store.findSegment(tx, organizationId, id, { forUpdate: true });
      if (!segment) throw notFound('segment');
      let added: string[] = [];
      let removed: string[];
      if (segment.active) {
        await store.tuneForBulkRead(tx);
        const context = await compileContext(tx, organizationId, now);
        ({ added, removed } = await store.syncMembers(
          tx,
          organizationId,
          id,
          matchingMembersQuery(segment.parts, context),
          now,
        ));
      } else {
        removed = await store.clearMembers(tx, organizationId, id);
      }
      await tx
        .update(segments)
        .set({ computedAt: now })
        .where(and(eq(segments.organizationId, organizationId), eq(segments.id, id)));
      await emitMany(tx, [
        ...added.map((customerId) => membershipEvent(organizationId, id, customerId, true)),
        ...removed.map((customerId) => membershipEvent(organizationId, id, customerId, false)),
      ]);
      return { segmentId: id, added: added.length, removed: removed.length };
    });
  }

  return {
    get,
    activeSegments,

    /** Which of these ids are the organization's segments: for checking references. */
    ownIds: (organizationId: string, ids: readonly string[], executor: Executor = db) =>
      ownRowIds(executor, segments, organizationId, ids),

    list: (organizationId: string, filter: { active?: boolean | undefined }, page: PageRequest) =>
      store.listSegments(db, organizationId, filter, page),

    memberCounts: (organizationId: string, ids: string[]) => store.memberCounts(db, organizationId, ids),

    /** Creates the segment and, when active, computes its members right away. */
    async create(organizationId: string, input: SegmentInput, now = new Date()): Promise<store.SegmentRow> {
      const parts = await toParts(organizationId, input.parts);
      const created = await guardName(() =>
        transaction(db, async (tx) => {
          const [row] = await tx
            .insert(segments)
            .values({
              organizationId,
              id: newId(),
              name: input.name.trim(),
              description: input.description ?? null,
              active: input.active ?? true,
              parts,
            })
            .returning();
          await configCache.changed(tx, organizationId);
          await emit(tx, {
            organizationId,
            type: 'segment.created',
            subject: { type: 'segment', id: row!.id },
            payload: { segmentId: row!.id, name: row!.name },
          });
          return row!;
        }),
      );
      if (created.active) await recompute(organizationId, created.id, now);
      return get(organizationId, created.id);
    },

    /** `parts` replaces all parts. A change of parts or of `active` recomputes (or empties) the segment. */
    async update(organizationId: string, id: string, patch: SegmentPatch, now = new Date()) {
      const found = await get(organizationId, id);
      const parts = patch.parts === undefined ? undefined : await toParts(organizationId, patch.parts);
      // Whether membership must be recomputed is decided on the locked row: two changes at once
      // (one turning the segment off, one on) each see what the other committed, so the last to
      // change `active` always recomputes.
      const current = await guardName(() =>
        transaction(db, async (tx) => {
          const locked = await store.findSegment(tx, organizationId, found.id, { forUpdate: true });
          if (!locked) throw notFound('segment');
          const [updated] = await tx
            .update(segments)
            .set({
              ...(patch.name === undefined ? {} : { name: patch.name.trim() }),
              ...(patch.description === undefined ? {} : { description: patch.description }),
              ...(patch.active === undefined ? {} : { active: patch.active }),
              ...(parts === undefined ? {} : { parts }),
              updatedAt: new Date(),
            })
            .where(and(eq(segments.organizationId, organizationId), eq(segments.id, found.id)))
            .returning();
          await configCache.changed(tx, organizationId);
          await emit(tx, {
            organizationId,
            type: 'segment.updated',
            subject: { type: 'segment', id: found.id },
            payload: { segmentId: found.id, changed: Object.keys(patch) },
            changes: changesBetween(locked, updated!, Object.keys(patch) as (keyof typeof locked)[]),
          });
          return locked;
        }),
      );
      const activeChanged = patch.active !== undefined && patch.active !== current.active;
      if (parts !== undefined || activeChanged) await recompute(organizationId, current.id, now);
      return get(organizationId, current.id);
    },

    /** Deletes the segment; its members leave it (with their events). */
    async remove(organizationId: string, id: string): Promise<void> {
      const current = await get(organizationId, id);
      await transaction(db, async (tx) => {
        const removed = await store.clearMembers(tx, organizationId, current.id);
        await tx
          .delete(segments)
          .where(and(eq(segments.organizationId, organizationId), eq(segments.id, current.id)));
        await configCache.changed(tx, organizationId);
        await emitMany(tx, [
          ...removed.map((customerId) => membershipEvent(organizationId, current.id, customerId, false)),
          {
            organizationId,
            type: 'segment.deleted',
            subject: { type: 'segment', id: current.id },
            payload: { segmentId: current.id },
          },
        ]);
      });
    },

    async recompute(organizationId: string, id: string, options: { now?: Date } = {}) {
      const segment = await get(organizationId, id);
      return recompute(organizationId, segment.id, options.now ?? new Date());
    },

    /** Recomputes every segment of the organization (or those `which` selects), one transaction each. */
    async recomputeAll(
      organizationId: string,
      options: { now?: Date; which?: (segment: store.SegmentRow) => boolean } = {},
    ): Promise<RecomputeResult[]> {
      const now = options.now ?? new Date();
      const results: RecomputeResult[] = [];
      let afterId: string | undefined;
      for (;;) {
        const page = await store.listSegments(db, organizationId, {}, { limit: 100, afterId });
        for (const segment of page.slice(0, 100)) {
          if (options.which && !options.which(segment)) continue;
          results.push(await recompute(organizationId, segment.id, now));
        }
        if (page.length <= 100) break;
        afterId = page[99]!.id;
      }
      return results;
    },

    members: (organizationId: string, segmentId: string, page: PageRequest) =>
      store.membersOf(db, organizationId, segmentId, page),

    segmentsOf: (organizationId: string, customerId: string, page: PageRequest) =>
      store.segmentsOfMember(db, organizationId, customerId, page),

    /** Active segments the member is in (what earning rules target). */
    async segmentIdsOf(executor: Executor, organizationId: string, customerId: string): Promise<string[]> {
      return readPart(executor, await segmentIdsPart(executor, organizationId, customerId));
    },

    segmentIdsPart,

    /**
     * Brings one member's membership up to date inside the caller's transaction, with the pure
     * predicates over one snapshot: what runs after every ticket, profile or points change.
     */
    async refreshMember(tx: Tx, organizationId: string, customerId: string, now: Date) {
      const active = await activeSegments(tx, organizationId);
      // Inactive segments have no members: without an active one, nobody is in any.
      if (active.length === 0) return { added: [], removed: [] };
      const parts = active.flatMap((segment) => segment.parts);
      const needs = { ...needsOf(parts), purchasesFrom: purchasesReadFrom(parts, now) };
      const snapshot = await loadSnapshot(tx, organizationId, customerId, needs);
      const { member, segmentIds: current } = snapshot;
      const context = { now, timeZone: snapshot.timeZone, defaultPointTypeId: snapshot.defaultPointTypeId };
      const matching = new Set(
        member === null
          ? []
          : active.filter((s) => segmentMatches(s.parts, member, context)).map((s) => s.id),
      );
      const had = new Set(current);
      const added = await store.addMemberships(
        tx,
        organizationId,
        customerId,
        [...matching].filter((id) => !had.has(id)),
        now,
      );
      const removed = await store.removeMemberships(
        tx,
        organizationId,
        customerId,
        current.filter((id) => !matching.has(id)),
      );
      await emitMany(tx, [
        ...added.map((segmentId) => membershipEvent(organizationId, segmentId, customerId, true)),
        ...removed.map((segmentId) => membershipEvent(organizationId, segmentId, customerId, false)),
      ]);
      return { added, removed };
    },
  };
}

export type SegmentsService = ReturnType<typeof createSegmentsService>;
