import { and, asc, eq, inArray, isNull, type SQL, sql } from 'drizzle-orm';
import type { ConfigCache } from '../../db/config-cache.ts';
import { arrayParam, type Db, type Executor, periodStartsParam, type Tx } from '../../db/connection.ts';
import { newId } from '../../db/ids.ts';
import { afterCursor, fetchSize, type PageRequest } from '../../db/pagination.ts';
import { type OwnIds, requireOwnIds } from '../../db/references.ts';
import { answered, type PartRead, readPart } from '../../db/together.ts';
import { transaction } from '../../db/transaction.ts';
import { periodStart } from '../../domain/earning/limits.ts';
import type {
  BreakdownEntry,
  Channel,
  EarningRule,
  MemberContext,
  RuleConfig,
  RuleLimit,
} from '../../domain/earning/types.ts';
import { notFound, validationFailed } from '../../errors.ts';
import { changesBetween } from '../audit/service.ts';
import { emit } from '../events/service.ts';
import { effectiveSettings, type ProgramSettings } from '../organizations/settings.ts';
import type { PointTypesService } from '../point-types/service.ts';
import { type ApiConfig, configFromApi, configToApi } from './contract.ts';
import { earningRules, ruleAwards } from './schema.ts';

export type EarningRuleRow = typeof earningRules.$inferSelect;

export interface RuleScopeInput {
  name?: string | undefined;
  description?: string | null | undefined;
  active?: boolean | undefined;
  startsAt?: string | null | undefined;
  endsAt?: string | null | undefined;
  weekdays?: number[] | undefined;
  hours?: { from: string; to: string } | null | undefined;
  locationIds?: string[] | undefined;
  brandIds?: string[] | undefined;
  channels?: Channel[] | undefined;
  tierIds?: string[] | undefined;
  segmentIds?: string[] | undefined;
  priority?: number | undefined;
  stackable?: boolean | undefined;
  stopsEvaluation?: boolean | undefined;
  limit?: RuleLimit | null | undefined;
  pointTypeId?: string | null | undefined;
}

export interface CreateRuleInput extends RuleScopeInput {
  name: string;
  type: RuleConfig['type'];
  config: ApiConfig;
}

export interface UpdateRuleInput extends RuleScopeInput {
  config?: ApiConfig | undefined;
}

export interface RuleFilter {
  type?: string | undefined;
  active?: boolean | undefined;
}

/** A stored row as the engine sees it. */
export function toEngineRule(row: EarningRuleRow): EarningRule {
  return {
    id: row.id,
    name: row.name,
    active: row.active,
    startsAt: row.startsAt,
    endsAt: row.endsAt,
    weekdays: row.weekdays,
    hours: row.hours,
    locationIds: row.locationIds,
    brandIds: row.brandIds,
    channels: row.channels as Channel[],
    tierIds: row.tierIds,
    segmentIds: row.segmentIds,
    priority: row.priority,
    stackable: row.stackable,
    stopsEvaluation: row.stopsEvaluation,
    limit: row.limit,
    pointTypeId: row.pointTypeId,
    type: row.type,
    config: row.config,
  } as EarningRule;
}

function scopeValues(input: RuleScopeInput) {
  const values: Partial<typeof earningRules.$inferInsert> = {};
  for (const key of Object.keys(input) as (keyof RuleScopeInput)[]) {
    if (key === 'startsAt' || key === 'endsAt') {
      const value = input[key];
      values[key] = value ? new Date(value) : null;
    } else {
      (values as Record<string, unknown>)[key] = input[key];
    }
  }
  return values;
}

function checkWindow(row: { startsAt: Date | null; endsAt: Date | null }) {
  if (row.startsAt && row.endsAt && row.endsAt <= row.startsAt) {
    throw validationFailed('body.endsAt', 'must be after startsAt');
  }
}

/**
 * Tier and segments of a member, for targeted rules, as a part of the member's read (the
 * tiers/segments module provides it; without one, rules are untargeted only).
 */
export interface AudienceProvider {
  describePart(
    executor: Executor,
    organizationId: string,
    customerId: string,
  ): Promise<PartRead<Pick<MemberContext, 'tierId' | 'tierMultiplier' | 'segmentIds'>>>;
}

export const NO_AUDIENCE = answered({ tierId: null, tierMultiplier: 100, segmentIds: [] as string[] });

/**
 * How many times each limited rule already earned for the member in its current period, as a part
 * of a read several modules answer together. PostgreSQL counts them (on rule_awards_usage_idx): a
 * regular's awards would otherwise travel and be counted here on every ticket.
 */
function usagePart(
  organizationId: string,
  customerId: string,
  rules: EarningRule[],
  at: Date,
  timeZone: string,
): PartRead<Record<string, number>> {
  const limited = rules
    .filter((rule) => rule.limit !== null)
    .map((rule) => ({ id: rule.id, since: periodStart(rule.limit!.period, at, timeZone) }));
  if (limited.length === 0) return answered({});
  return {
    json: sql`select json_object_agg(l.rule_id, (
                select count(*) from ${ruleAwards} a
                where a.organization_id = ${organizationId} and a.customer_id = ${customerId}
                  and a.rule_id = l.rule_id and a.awarded_at >= l.since))
              from unnest(${arrayParam(
                limited.map((rule) => rule.id),
                'uuid',
              )}, ${periodStartsParam(limited.map((rule) => rule.since))}) as l(rule_id, since)`,
    decode: (value) => {
      const counts = (value ?? {}) as Record<string, number>;
      return Object.fromEntries(limited.map((rule) => [rule.id, Number(counts[rule.id] ?? 0)]));
    },
  };
}

/**
 * The statement that remembers which rules earned (once per rule per source), for limits and
 * reporting; null when none did.
 */
function awardsWrite(
  organizationId: string,
  customerId: string,
  source: { type: string; id: string },
  entries: BreakdownEntry[],
  at: Date,
): SQL | null {
  const perRule = new Map<string, number>();
  for (const entry of entries) {
    if (entry.beneficiary !== 'member' || entry.ruleType === 'tier_multiplier') continue;
    perRule.set(entry.ruleId, (perRule.get(entry.ruleId) ?? 0) + entry.points);
  }
  // A rule whose entries add up to nothing or less (an Open Loyalty multiplier below 1) did not earn.
  const earned = [...perRule].filter(([, points]) => points > 0);
  if (earned.length === 0) return null;
  const rows = earned.map(
    ([ruleId, points]) =>
      sql`(${organizationId}, ${newId()}, ${ruleId}, ${customerId}, ${source.type}, ${source.id}, ${points}, ${at})`,
  );
  return sql`insert into ${ruleAwards} (organization_id, id, rule_id, customer_id, source_type, source_id, points, awarded_at)
             values ${sql.join(rows, sql`, `)}`;
}

/** The other modules a rule names rows of: each says which ids are the organization's. */
export interface EarningRulesDependencies {
  pointTypes: Pick<PointTypesService, 'resolve' | 'all'>;
  locations: { ownIds: OwnIds; ownBrandIds: OwnIds };
  tiers: { ownIds: OwnIds };
  segments: { ownIds: OwnIds };
  organizations: { get(organizationId: string): Promise<{ settings: ProgramSettings }> };
}

/**
 * The path of a multiplier below 1 in an engine config, if any: it only means something under
 * Open Loyalty's semantics (Regulars' multipliers add (multiplier − 1) × the points, never less).
 */
function reducingMultiplier(config: RuleConfig): string | null {
  if (config.type === 'multiply_by_product' && config.config.multiplier < 100)
    return 'body.config.multiplier';
  if (config.type === 'multiply_by_label') {
    const index = config.config.multipliers.findIndex((m) => m.multiplier < 100);
    if (index >= 0) return `body.config.multipliers.${index}.multiplier`;
  }
  return null;
}

export function createEarningRulesService(db: Db, configCache: ConfigCache, deps: EarningRulesDependencies) {
  const { pointTypes } = deps;

  /**
   * Every row a rule names is the organization's: a stranger's point type would fail every
   * ticket, and a stranger's location, tier or segment would leak into this program. Checked
   * before anything is written, so a refused rule leaves nothing behind.
   */
  async function checkMultipliers(organizationId: string, config: RuleConfig) {
    const path = reducingMultiplier(config);
    if (path === null) return;
    const organization = await deps.organizations.get(organizationId);
    if (effectiveSettings(organization.settings).earningSemantics !== 'openloyalty')
      throw validationFailed(
        path,
        'must be at least 1 (below 1 only with the earningSemantics setting `openloyalty`)',
      );
  }

  /**
   * Refuses settings whose semantics are not Open Loyalty's while a rule (active or not) has a
   * multiplier below 1: under Regulars' semantics it would silently act as ×1.
   */
  async function checkSemantics(tx: Tx, organizationId: string, settings: ProgramSettings) {
    if (effectiveSettings(settings).earningSemantics === 'openloyalty') return;
    const rows = await tx
      .select()
      .from(earningRules)
      .where(
        and(
          eq(earningRules.organizationId, organizationId),
          isNull(earningRules.deletedAt),
          inArray(earningRules.type, ['multiply_by_product', 'multiply_by_label']),
        ),
      )
      .orderBy(asc(earningRules.id));
    const reducing = rows.filter((row) => reducingMultiplier(toEngineRule(row)) !== null);
    if (reducing.length === 0) return;
    throw validationFailed(
      'body.settings.earningSemantics',
      `rules ${reducing.map((row) => `"${row.name}"`).join(', ')} have a multiplier below 1, which only Open Loyalty's semantics apply: change or delete them first`,
    );
  }

  async function checkReferences(organizationId: string, input: RuleScopeInput) {
    if (input.pointTypeId) await pointTypes.resolve(organizationId, input.pointTypeId);
    const restrictions = [
      { field: 'locationIds', noun: 'a location', ownIds: deps.locations.ownIds },
      { field: 'brandIds', noun: 'a brand', ownIds: deps.locations.ownBrandIds },
      { field: 'tierIds', noun: 'a tier', ownIds: deps.tiers.ownIds },
      { field: 'segmentIds', noun: 'a segment', ownIds: deps.segments.ownIds },
    ] as const;
    for (const { field, noun, ownIds } of restrictions) {
      await requireOwnIds(ownIds, organizationId, input[field], { path: `body.${field}`, noun });
    }
  }

  async function get(
    organizationId: string,
    id: string,
    executor: Executor = db,
    options: { forUpdate?: boolean } = {},
  ): Promise<EarningRuleRow> {
    const query = executor
      .select()
      .from(earningRules)
      .where(
        and(
          eq(earningRules.organizationId, organizationId),
          eq(earningRules.id, id),
          isNull(earningRules.deletedAt),
        ),
      );
    const [row] = options.forUpdate ? await query.for('update') : await query;
    if (!row) throw notFound('earning rule');
    return row;
  }

  /**
   * Changes a rule under its row lock: the window is checked against the row as it will be
   * written, so two changes at once (one moving the start, one the end) cannot both pass.
   */
  async function change(
    organizationId: string,
    id: string,
    build: (current: EarningRuleRow) => Partial<typeof earningRules.$inferInsert>,
    eventType: string,
  ) {
    return transaction(db, async (tx) => {
      const current = await get(organizationId, id, tx, { forUpdate: true });
      const values = build(current);
      // A field sent as null clears it: what is checked is the row as it will be written.
      const next = { ...current, ...values };
      checkWindow({ startsAt: next.startsAt ?? null, endsAt: next.endsAt ?? null });
      const [row] = await tx
        .update(earningRules)
        .set({ ...values, updatedAt: new Date() })
        .where(and(eq(earningRules.organizationId, organizationId), eq(earningRules.id, id)))
        .returning();
      await configCache.changed(tx, organizationId);
      await emit(tx, {
        organizationId,
        type: eventType,
        subject: { type: 'earning_rule', id },
        payload: { ruleId: id, changed: Object.keys(values) },
        // The config as the API shows it (points as decimals), as the audit log records it.
        changes: changesBetween(
          { ...current, config: configToApi(current.config) },
          { ...row!, config: configToApi(row!.config) },
          Object.keys(values) as (keyof EarningRuleRow)[],
        ),
      });
      return row!;
    });
  }

  function cachedActiveRules(organizationId: string, executor: Executor): Promise<EarningRule[]> {
    return configCache.read(organizationId, 'earning-rules', async () => {
      const rows = await executor
        .select()
        .from(earningRules)
        .where(
          and(
            eq(earningRules.organizationId, organizationId),
            eq(earningRules.active, true),
            isNull(earningRules.deletedAt),
          ),
        );
      return rows.map(toEngineRule);
    });
  }

  return {
    checkSemantics,

    get,

    async create(organizationId: string, input: CreateRuleInput): Promise<EarningRuleRow> {
      const { type, config, ...scope } = input;
      const values = { ...scopeValues(scope), type, config: configFromApi(type, config) };
      checkWindow({ startsAt: values.startsAt ?? null, endsAt: values.endsAt ?? null });
      await checkReferences(organizationId, input);
      await checkMultipliers(organizationId, { type, config: values.config } as RuleConfig);
      // A visit is a stamp: once per day per member unless the rule says otherwise.
      if (type === 'visit' && values.limit === undefined) values.limit = { count: 1, period: 'day' };
      return transaction(db, async (tx) => {
        const [row] = await tx
          .insert(earningRules)
          .values({ ...values, name: input.name, organizationId, id: newId() })
          .returning();
        await configCache.changed(tx, organizationId);
        await emit(tx, {
          organizationId,
          type: 'earning_rule.created',
          subject: { type: 'earning_rule', id: row!.id },
          payload: { ruleId: row!.id, name: row!.name, type },
        });
        return row!;
      });
    },

    async update(organizationId: string, id: string, input: UpdateRuleInput): Promise<EarningRuleRow> {
      const { config, ...scope } = input;
      const values: Partial<typeof earningRules.$inferInsert> = scopeValues(scope);
      await checkReferences(organizationId, input);
      if (config !== undefined) {
        const { type } = await get(organizationId, id);
        await checkMultipliers(organizationId, { type, config: configFromApi(type, config) } as RuleConfig);
      }
      return change(
        organizationId,
        id,
        (current) =>
          config === undefined ? values : { ...values, config: configFromApi(current.type, config) },
        'earning_rule.updated',
      );
    },

    setActive(organizationId: string, id: string, active: boolean): Promise<EarningRuleRow> {
      return change(
        organizationId,
        id,
        () => ({ active }),
        active ? 'earning_rule.activated' : 'earning_rule.deactivated',
      );
    },

    /** Soft delete: points already earned keep naming the rule that earned them. */
    async remove(organizationId: string, id: string): Promise<void> {
      await change(
        organizationId,
        id,
        () => ({ deletedAt: new Date(), active: false }),
        'earning_rule.deleted',
      );
    },

    list(organizationId: string, filter: RuleFilter, page: PageRequest): Promise<EarningRuleRow[]> {
      return db
        .select()
        .from(earningRules)
        .where(
          and(
            eq(earningRules.organizationId, organizationId),
            isNull(earningRules.deletedAt),
            filter.type ? eq(earningRules.type, filter.type as RuleConfig['type']) : undefined,
            filter.active === undefined ? undefined : eq(earningRules.active, filter.active),
            afterCursor(earningRules.id, page),
          ),
        )
        .orderBy(asc(earningRules.id))
        .limit(fetchSize(page));
    },

    /**
     * The organization's active rules in engine form, from this process's configuration cache. A
     * rule whose point type was deactivated earns nothing until it is active again: left out here,
     * rather than failing every ticket it matches.
     */
    async activeRules(organizationId: string, executor: Executor = db): Promise<EarningRule[]> {
      const rules = await cachedActiveRules(organizationId, executor);
      const types = await pointTypes.all(organizationId, executor);
      const inactive = new Set(types.filter((type) => !type.active).map((type) => type.id));
      const defaultId = types.find((type) => type.isDefault)?.id;
      const touched = (rule: EarningRule) =>
        rule.pointTypeId !== null && (inactive.has(rule.pointTypeId) || rule.pointTypeId === defaultId);
      // The cached array itself when nothing changes (the usual case: no copy per ticket).
      if (!rules.some(touched)) return rules;
      // A rule naming the default type credits what a rule naming none does: one point type for the
      // evaluator (Open Loyalty semantics keep points per SKU and point type).
      return rules
        .filter((rule) => !rule.pointTypeId || !inactive.has(rule.pointTypeId))
        .map((rule) =>
          rule.pointTypeId && rule.pointTypeId === defaultId ? { ...rule, pointTypeId: null } : rule,
        );
    },

    /** How many times each limited rule already earned for the member in its current period. */
    async usage(
      executor: Executor,
      organizationId: string,
      customerId: string,
      rules: EarningRule[],
      at: Date,
      timeZone: string,
    ): Promise<Record<string, number>> {
      return readPart(executor, usagePart(organizationId, customerId, rules, at, timeZone));
    },

    usagePart,

    /**
     * Whether a source (an occurrence of a custom event, say) already earned the member something,
     * as a part of the read its award makes anyway.
     */
    awardedPart(
      organizationId: string,
      customerId: string,
      source: { type: string; id: string },
    ): PartRead<boolean> {
      return {
        json: sql`select exists (select 1 from ${ruleAwards} a
                    where a.organization_id = ${organizationId} and a.customer_id = ${customerId}
                      and a.source_type = ${source.type} and a.source_id = ${source.id})`,
        decode: (value) => value === true,
      };
    },

    /** Remembers which rules earned (once per rule per source), for limits and reporting. */
    async recordAwards(
      tx: Executor,
      organizationId: string,
      customerId: string,
      source: { type: string; id: string },
      entries: BreakdownEntry[],
      at: Date,
    ): Promise<void> {
      const write = awardsWrite(organizationId, customerId, source, entries, at);
      if (write) await tx.execute(write);
    },

    awardsWrite,

    /** Awards a source earned, to undo them when a ticket is cancelled. */
    async removeAwards(
      tx: Executor,
      organizationId: string,
      source: { type: string; id: string },
      ruleIds?: string[],
    ) {
      await tx
        .delete(ruleAwards)
        .where(
          and(
            eq(ruleAwards.organizationId, organizationId),
            eq(ruleAwards.sourceType, source.type),
            eq(ruleAwards.sourceId, source.id),
            ruleIds ? inArray(ruleAwards.ruleId, ruleIds) : undefined,
          ),
        );
    },
  };
}

export type EarningRulesService = ReturnType<typeof createEarningRulesService>;
