import { scheduleMiss } from '../schedule.ts';
import { type LocalDateTime, toLocal } from '../zoned-time.ts';
import type { EarningRule, Label, MemberContext, SpendConfig, TicketLine } from './types.ts';

/** Where and when a rule may earn, checked before it computes anything. */
export interface Occasion {
  at: Date;
  timeZone: string;
  locationId: string | null;
  brandId: string | null;
  channel: string | null;
}

/** The local wall clock of an occasion, read once (Intl is the slow part of scope checks). */
function localClock(occasion: Occasion & { local?: LocalDateTime }): LocalDateTime {
  occasion.local ??= toLocal(occasion.at, occasion.timeZone);
  return occasion.local;
}

/** The rule's start/end window, weekdays and hours (the shared schedule rules, see schedule.ts). */
export function withinSchedule(rule: EarningRule, occasion: Occasion): boolean {
  if (rule.startsAt && occasion.at < rule.startsAt) return false;
  if (rule.endsAt && occasion.at >= rule.endsAt) return false;
  if (rule.weekdays.length === 0 && rule.hours === null) return true;
  return scheduleMiss(rule, occasion.at, occasion.timeZone, localClock(occasion)) === null;
}

function restrictedTo(list: string[], value: string | null): boolean {
  return list.length === 0 || (value !== null && list.includes(value));
}

export function targetsMember(rule: EarningRule, member: MemberContext | null): boolean {
  if (rule.tierIds.length > 0 && !(member?.tierId && rule.tierIds.includes(member.tierId))) return false;
  if (rule.segmentIds.length > 0 && !member?.segmentIds.some((id) => rule.segmentIds.includes(id)))
    return false;
  return true;
}

export function withinLimit(rule: EarningRule, member: MemberContext | null): boolean {
  if (!rule.limit || !member) return true;
  return (member.ruleUsage[rule.id] ?? 0) < rule.limit.count;
}

/** Every condition of the rule's scope: active, schedule, place, channel, audience, limit. */
export function applies(rule: EarningRule, occasion: Occasion, member: MemberContext | null): boolean {
  return (
    rule.active &&
    withinSchedule(rule, occasion) &&
    restrictedTo(rule.locationIds, occasion.locationId) &&
    restrictedTo(rule.brandIds, occasion.brandId) &&
    restrictedTo(rule.channels, occasion.channel) &&
    targetsMember(rule, member) &&
    withinLimit(rule, member)
  );
}

export function hasLabel(labels: Label[], wanted: Label[]): boolean {
  return labels.some((label) => wanted.some((w) => w.key === label.key && w.value === label.value));
}

/** Rules in the order they run: priority, then id (stable, so results never depend on load order). */
export function byPriority(a: EarningRule, b: EarningRule): number {
  return a.priority - b.priority || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** Whether a spend rule counts this line: its SKU and category not excluded, its labels let in. */
export function spendEligible(line: TicketLine, config: SpendConfig): boolean {
  if (line.sku !== null && config.excludedSkus.includes(line.sku)) return false;
  if (line.category !== null && config.excludedCategories.includes(line.category)) return false;
  if (config.includeLabels.length > 0 && !hasLabel(line.labels, config.includeLabels)) return false;
  if (hasLabel(line.labels, config.excludeLabels)) return false;
  return true;
}
