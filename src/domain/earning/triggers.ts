import { type AwardRounding, type Hundredths, roundAward } from '../points.ts';
import { summarize } from './evaluate.ts';
import { highestOnly } from './openloyalty.ts';
import { applies, byPriority } from './scope.ts';
import type {
  BreakdownEntry,
  EarningRule,
  EarningSemantics,
  Evaluation,
  MemberContext,
  SystemEvent,
} from './types.ts';

/** Something other than a ticket that can earn points for a member. */
export type Trigger =
  | { kind: 'event'; event: SystemEvent }
  | { kind: 'custom_event'; name: string }
  | { kind: 'qr_code'; code: string }
  | { kind: 'geolocation'; latitude: number; longitude: number };

export interface TriggerOccasion extends AwardRounding {
  at: Date;
  timeZone: string;
  locationId: string | null;
  /** How rules combine (default `regulars`). */
  semantics?: EarningSemantics;
}

const EARTH_RADIUS_METERS = 6_371_008.8;

/** Great-circle distance (haversine). Distances are geography, not money: floating point is fine. */
export function distanceMeters(
  a: { latitude: number; longitude: number },
  b: { latitude: number; longitude: number },
) {
  const radians = (degrees: number) => (degrees * Math.PI) / 180;
  const dLat = radians(b.latitude - a.latitude);
  const dLon = radians(b.longitude - a.longitude);
  const h =
    Math.sin(dLat / 2) ** 2 +
    Math.cos(radians(a.latitude)) * Math.cos(radians(b.latitude)) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_METERS * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** A rule's fixed award, rounded like a ticket's: a whole-points program never credits 2.5. */
function awarder(rounding: AwardRounding) {
  return (
    rule: EarningRule,
    points: Hundredths,
    beneficiary: 'member' | 'referrer' = 'member',
  ): BreakdownEntry => ({
    ruleId: rule.id,
    ruleName: rule.name,
    ruleType: rule.type,
    lineId: null,
    points: roundAward(BigInt(points), 1n, rounding),
    beneficiary,
  });
}

function earnings(
  rule: EarningRule,
  trigger: Trigger,
  member: MemberContext,
  entry: ReturnType<typeof awarder>,
): BreakdownEntry[] {
  switch (rule.type) {
    case 'event':
      return trigger.kind === 'event' &&
        trigger.event === rule.config.event &&
        rule.config.event !== 'first_purchase'
        ? [entry(rule, rule.config.points)]
        : [];
    case 'custom_event':
      return trigger.kind === 'custom_event' && trigger.name === rule.config.eventName
        ? [entry(rule, rule.config.points)]
        : [];
    case 'qr_code':
      return trigger.kind === 'qr_code' && trigger.code === rule.config.code
        ? [entry(rule, rule.config.points)]
        : [];
    case 'geolocation':
      return trigger.kind === 'geolocation' &&
        distanceMeters(trigger, rule.config) <= rule.config.radiusMeters
        ? [entry(rule, rule.config.points)]
        : [];
    case 'referral': {
      if (
        trigger.kind !== 'event' ||
        trigger.event !== 'registration' ||
        rule.config.trigger !== 'registration'
      )
        return [];
      if (!member.referredBy) return [];
      return [
        entry(rule, rule.config.referredPoints),
        entry(rule, rule.config.referrerPoints, 'referrer'),
      ].filter((e) => e.points > 0);
    }
    default:
      return [];
  }
}

/**
 * Points a member earns from a non-ticket trigger (registration, birthday, a custom event, a
 * scanned QR code, a visit near a location), under the same scope and limit checks as tickets.
 * Pure. Rules restricted to channels never match (a trigger has no channel). Every matching rule
 * pays, except under `openloyalty` semantics: of the event, custom-event and referral rules of one
 * trigger only the highest pays (per beneficiary: referrer and referred each get their highest).
 */
export function evaluateTrigger(
  trigger: Trigger,
  member: MemberContext,
  rules: EarningRule[],
  occasion: TriggerOccasion,
): Evaluation {
  const scope = { ...occasion, brandId: null, channel: null };
  const award = awarder(occasion);
  const entries = rules
    .filter((rule) => applies(rule, scope, member))
    .sort(byPriority)
    .flatMap((rule) => earnings(rule, trigger, member, award))
    .filter((entry) => entry.points > 0);
  // Open Loyalty pays the highest of the matching event, custom-event and referral rules (per
  // beneficiary), not all of them; every matching QR-code and geolocation rule pays.
  const paid =
    occasion.semantics === 'openloyalty' && (trigger.kind === 'event' || trigger.kind === 'custom_event')
      ? highestOnly(
          entries,
          (entry) => entry.points,
          (entry) => `${entry.ruleType}:${entry.beneficiary}`,
        )
      : entries;
  return summarize(paid);
}
