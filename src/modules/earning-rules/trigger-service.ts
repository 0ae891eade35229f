import type { Db, Tx } from '../../db/connection.ts';
import { newId } from '../../db/ids.ts';
import { type OwnIds, requireOwnId } from '../../db/references.ts';
import { answered, readTogether } from '../../db/together.ts';
import { transaction } from '../../db/transaction.ts';
import { readsMemberHistory } from '../../domain/earning/limits.ts';
import { evaluateTrigger, type Trigger } from '../../domain/earning/triggers.ts';
import type { Evaluation, MemberContext } from '../../domain/earning/types.ts';
import type { CustomersService } from '../customers/service.ts';
import { type Actor, type LedgerService, SYSTEM } from '../ledger/service.ts';
import type { OrganizationsService } from '../organizations/service.ts';
import { effectiveSettings } from '../organizations/settings.ts';
import { type AudienceProvider, type EarningRulesService, NO_AUDIENCE } from './service.ts';

export interface TriggerDependencies {
  customers: CustomersService;
  ledger: LedgerService;
  earningRules: EarningRulesService;
  organizations: OrganizationsService;
  locations: { ownIds: OwnIds };
  audience?: AudienceProvider;
}

/** What a trigger earned the member now. */
export interface TriggerAward extends Evaluation {
  /**
   * The occurrence (its source id) had earned before: this call earned nothing (`entries` empty,
   * `total` 0), whatever the rules would say now.
   */
  duplicate: boolean;
}

const DUPLICATE: TriggerAward = { entries: [], total: 0, duplicate: true };

export interface TriggerInput {
  organizationId: string;
  customerId: string;
  trigger: Trigger;
  locationId?: string | null | undefined;
  /**
   * What makes this award unique (a retry with the same source earns nothing more): e.g. the
   * birthday year, or the client's event id. Omitted = every call is a new occurrence.
   */
  sourceId?: string | undefined;
  actor?: Actor | undefined;
  now?: Date | undefined;
}

/**
 * Points from things other than tickets: system events (registration, marketing opt-in, birthday,
 * profile completed), custom events, QR codes and geolocation check-ins. The engine decides
 * (src/domain/earning/triggers.ts); this service gathers the member context and credits the ledger.
 */
export function createTriggerService(db: Db, deps: TriggerDependencies) {
  const { customers, ledger, earningRules, organizations } = deps;

  async function award(input: TriggerInput, tx: Tx): Promise<TriggerAward> {
    const now = input.now ?? new Date();
    const { organizationId } = input;
    // Checked even when no rule earns: a stranger's location is refused, not silently ignored.
    await requireOwnId(
      deps.locations.ownIds,
      organizationId,
      input.locationId,
      { path: 'body.locationId', noun: 'a location' },
      tx,
    );
    const rules = await earningRules.activeRules(organizationId, tx);
    const customer = await customers.get(organizationId, input.customerId, tx, {
      forUpdate: readsMemberHistory(rules),
    });
    const organization = await organizations.get(organizationId, tx);
    const sourceId = input.sourceId ?? newId();
    const source = { type: `trigger:${input.trigger.kind}`, id: sourceId };
    const { audience, ruleUsage, seen } = await readTogether(tx, {
      audience: deps.audience
        ? await deps.audience.describePart(tx, organizationId, customer.id)
        : NO_AUDIENCE,
      ruleUsage: earningRules.usagePart(organizationId, customer.id, rules, now, organization.timeZone),
      // Asked before the rules decide: a limit reached by the first time must not hide a retry.
      seen:
        input.sourceId === undefined
          ? answered(false)
          : earningRules.awardedPart(organizationId, customer.id, source),
    });
    if (seen) return DUPLICATE;
    const member: MemberContext = {
      customerId: customer.id,
      ...audience,
      purchasesBefore: 0,
      referredBy: customer.referredBy ?? null,
      ruleUsage,
    };
    const settings = effectiveSettings(organization.settings);
    const evaluation = evaluateTrigger(input.trigger, member, rules, {
      rounding: settings.pointsRounding,
      precision: settings.pointsPrecision,
      semantics: settings.earningSemantics,
      at: now,
      timeZone: organization.timeZone,
      locationId: input.locationId ?? null,
    });
    let replayed = false;
    for (const entry of evaluation.entries) {
      const beneficiary = entry.beneficiary === 'member' ? customer.id : customer.referredBy;
      if (!beneficiary) continue;
      const rule = rules.find((r) => r.id === entry.ruleId);
      const result = await ledger.earn(
        {
          organizationId,
          customerId: beneficiary,
          pointTypeId: rule?.pointTypeId ?? undefined,
          points: entry.points,
          reason: entry.ruleName,
          actor: input.actor ?? SYSTEM,
          source: { type: source.type, id: `${sourceId}:${entry.ruleId}:${entry.beneficiary}` },
          locationId: input.locationId ?? null,
          now,
        },
        tx,
      );
      replayed ||= result.replayed;
    }
    // A retry of an occurrence already awarded (one that raced this one) changes nothing, limits included.
    if (replayed) return DUPLICATE;
    await earningRules.recordAwards(tx, organizationId, customer.id, source, evaluation.entries, now);
    return { ...evaluation, duplicate: false };
  }

  return {
    /** Awards a trigger in its own transaction, or in the caller's (e.g. the customer's creation). */
    award(input: TriggerInput, tx?: Tx): Promise<TriggerAward> {
      return tx ? award(input, tx) : transaction(db, (t) => award(input, t));
    },
  };
}

export type TriggerService = ReturnType<typeof createTriggerService>;
