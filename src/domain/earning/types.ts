import type { AwardRounding, Hundredths } from '../points.ts';

/**
 * What the earning engine reads. Money is an integer in minor units of `currency`; points are
 * integer hundredths; multipliers are integer hundredths too (150 = ×1.5). No floating point.
 */
export type Minor = number;

export const CHANNELS = ['pos', 'online', 'delivery', 'app', 'kiosk'] as const;
export type Channel = (typeof CHANNELS)[number];

export interface Label {
  key: string;
  value: string;
}

export interface TicketLine {
  lineId: string;
  sku: string | null;
  quantity: number;
  /** What the customer pays for the line, modifiers included, in minor units. */
  total: Minor;
  category: string | null;
  labels: Label[];
}

export interface Ticket {
  type: 'sale' | 'return';
  status: 'pending' | 'completed' | 'cancelled';
  channel: Channel;
  locationId: string | null;
  brandId: string | null;
  purchasedAt: Date;
  currency: string;
  /**
   * `total` is what the customer pays; `tipsAndFees` (tip, service and other fees) and the delivery
   * fee are in it but are not goods.
   */
  totals: { deliveryFee: Minor; discount: Minor; total: Minor; tipsAndFees: Minor };
  lines: TicketLine[];
}

/** What the engine knows about the member, gathered by the caller before evaluating. */
export interface MemberContext {
  customerId: string;
  tierId: string | null;
  segmentIds: string[];
  /** Completed purchases before this one (0 = this is the first purchase). */
  purchasesBefore: number;
  referredBy: string | null;
  /** How many times each rule already earned for this member within that rule's limit period. */
  ruleUsage: Record<string, number>;
  /** The member's tier earning multiplier in hundredths (100 = none). */
  tierMultiplier: number;
}

export const LIMIT_PERIODS = ['day', 'week', 'month', '3_months', '6_months', 'year', 'forever'] as const;
export type LimitPeriod = (typeof LIMIT_PERIODS)[number];

export interface RuleLimit {
  count: number;
  period: LimitPeriod;
}

export const SYSTEM_EVENTS = [
  'registration',
  'first_purchase',
  'marketing_opt_in',
  'birthday',
  'profile_completed',
] as const;
export type SystemEvent = (typeof SYSTEM_EVENTS)[number];

export interface SpendConfig {
  /** Points (hundredths) per one whole currency unit: 230 = 2.3 points per 1.00. */
  pointsPerUnit: Hundredths;
  excludedSkus: string[];
  excludedCategories: string[];
  /** When not empty, only lines carrying one of these labels earn. */
  includeLabels: Label[];
  excludeLabels: Label[];
  excludeDeliveryFee: boolean;
  /** Below this ticket total the rule earns nothing. */
  minimumOrder: Minor;
}

export type RuleConfig =
  | { type: 'spend'; config: SpendConfig }
  | { type: 'product_purchase'; config: { skus: string[]; points: Hundredths; per: 'unit' | 'ticket' } }
  | { type: 'multiply_by_product'; config: { skus: string[]; labels: Label[]; multiplier: number } }
  | { type: 'multiply_by_label'; config: { multipliers: Array<Label & { multiplier: number }> } }
  | { type: 'event'; config: { event: SystemEvent; points: Hundredths } }
  | { type: 'custom_event'; config: { eventName: string; points: Hundredths } }
  | {
      type: 'referral';
      config: {
        trigger: 'registration' | 'first_purchase' | 'every_purchase';
        referrerPoints: Hundredths;
        referredPoints: Hundredths;
      };
    }
  | { type: 'qr_code'; config: { code: string; points: Hundredths } }
  | {
      type: 'geolocation';
      config: { latitude: number; longitude: number; radiusMeters: number; points: Hundredths };
    }
  | { type: 'visit'; config: { points: Hundredths; minimumOrder: Minor } };

export type RuleType = RuleConfig['type'];

export interface RuleScope {
  id: string;
  name: string;
  active: boolean;
  startsAt: Date | null;
  endsAt: Date | null;
  /** ISO weekdays (1 = Monday … 7 = Sunday) in the location's time zone; empty = every day. */
  weekdays: number[];
  /** Local opening window `HH:MM`–`HH:MM` (may cross midnight); null = all day. */
  hours: { from: string; to: string } | null;
  locationIds: string[];
  brandIds: string[];
  channels: Channel[];
  tierIds: string[];
  segmentIds: string[];
  /** Lower runs first. */
  priority: number;
  /** An exclusive (non-stackable) base rule that earns is the only base rule that earns on the ticket. */
  stackable: boolean;
  /**
   * When this rule runs on a ticket (earns, or for a multiplier matches a line), the rules after it
   * in order do not run (Open Loyalty's "last executed rule").
   */
  stopsEvaluation: boolean;
  limit: RuleLimit | null;
  /** The point type the rule credits; null = the organization's default. */
  pointTypeId: string | null;
}

export type EarningRule = RuleScope & RuleConfig;

export interface BreakdownEntry {
  ruleId: string;
  ruleName: string;
  ruleType: RuleType | 'tier_multiplier';
  /** Set when the points come from one ticket line. */
  lineId: string | null;
  points: Hundredths;
  /** `referrer`: credited to the member who referred this one, not to this member. */
  beneficiary: 'member' | 'referrer';
}

export interface Evaluation {
  entries: BreakdownEntry[];
  /** What this member earns (referrer entries excluded). */
  total: Hundredths;
}

/**
 * How rules combine: `regulars` (README "How rules combine") or `openloyalty`, Open Loyalty's
 * evaluator (openloyalty.ts): rules in OL's order, points kept per SKU, multipliers compounding
 * (below 1 too), the highest event rule only, product points per line, rounding as OL rounds.
 */
export const EARNING_SEMANTICS = ['regulars', 'openloyalty'] as const;
export type EarningSemantics = (typeof EARNING_SEMANTICS)[number];

/** Where and how a program earns: its rounding of awards, and the zone of its schedules. */
export interface EvaluationSettings extends AwardRounding {
  /** IANA zone of the location (or organization) for weekday and hour windows. */
  timeZone: string;
  /** How rules combine (default `regulars`). */
  semantics?: EarningSemantics;
}
