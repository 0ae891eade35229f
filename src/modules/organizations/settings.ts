import { type Static, Type } from 'typebox';
import { EARNING_SEMANTICS } from '../../domain/earning/types.ts';
import { LANGUAGES, type Language, languageForCountry, messageLanguage } from '../../domain/languages.ts';
import { POINTS_PRECISIONS, POINTS_ROUNDINGS } from '../../domain/points.ts';
import { DOWNGRADE_POLICIES, TIER_BASES } from '../../domain/tiers.ts';

/**
 * Program settings: one validated JSON object per organization. Each module that needs a
 * knob adds it here, with a default in DEFAULT_SETTINGS, so the whole program is configured in one place.
 * No JSON-schema `default` on these keys: Ajv would fill it into every PATCH and overwrite stored values.
 */
const HexColor = (description: string, example: string) =>
  Type.String({ pattern: '^#[0-9a-fA-F]{6}$', description: `${description}, #RRGGBB`, examples: [example] });

export const ProgramSettingsSchema = Type.Object(
  {
    cheerfyEarningStatuses: Type.Optional(
      Type.Array(Type.Integer({ minimum: 1, maximum: 6 }), {
        maxItems: 6,
        uniqueItems: true,
        description: 'Cheerfy ticket statuses that count as completed and earn (default [1], COMPLETED)',
      }),
    ),
    pointsRounding: Type.Optional(
      Type.Enum(POINTS_ROUNDINGS, {
        description:
          'How each award a rule computes is rounded to the `pointsPrecision`: `down`, `half_up` or `up` (default down)',
        examples: ['down'],
      }),
    ),
    pointsPrecision: Type.Optional(
      Type.Enum(POINTS_PRECISIONS, {
        description:
          'The smallest amount a rule awards: `whole` points or `hundredths`. Every award (spend, products, visits, events, referrals, QR codes, check-ins, multipliers, the tier multiplier, simulations) is rounded once to it with `pointsRounding`: at 1 point per euro, 45.50 EUR earns 45 whole points rounding down, 46 half up, 45.5 in hundredths. Partial returns take back points rounded down to it; manual additions and spends are not rounded (default hundredths)',
        examples: ['whole'],
      }),
    ),
    earningSemantics: Type.Optional(
      Type.Enum(EARNING_SEMANTICS, {
        description:
          "How earning rules combine: `regulars` (README, How rules combine) or `openloyalty`, Open Loyalty's evaluator: spend rules, then multipliers, then product rules; points kept per SKU and point type; multipliers multiply (several on one line compound; below 1 reduce, 0 cancels); product points once per matching line; a `stopsEvaluation` rule that ran ends the evaluation; of several event, custom-event or referral rules of one occasion only the highest pays; ticket points rounded as OL rounds (half up to hundredths, pointsRounding and pointsPrecision do not apply to tickets) (default regulars). Back to `regulars` is refused (422) while a rule has a multiplier below 1",
        examples: ['openloyalty'],
      }),
    ),
    loyaltyCardNumberLength: Type.Optional(
      Type.Integer({
        minimum: 6,
        maximum: 32,
        description: 'Length of generated loyalty card numbers (default 10)',
      }),
    ),
    inactiveCustomersEarn: Type.Optional(
      Type.Boolean({
        description:
          'Whether inactive and blocked customers still earn and receive points; they never spend (default false)',
      }),
    ),
    // Tiers (see src/modules/tiers): what a member's tier is measured on, and when they lose it.
    tierBasis: Type.Optional(
      Type.Enum(TIER_BASES, {
        description:
          'What tier thresholds measure: `lifetime_points` (points earned, net of returns and cancellations, transfers left out), `points_in_window` (the same over the last `tierWindowDays`), `active_points` (spendable balance), `total_spent` (net of returns, minor units) or `spent_in_window` (default total_spent). Points bases use the default point type',
        examples: ['total_spent'],
      }),
    ),
    tierWindowDays: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 3660,
        description:
          'The rolling window of the `*_in_window` bases: since local midnight N days ago (default 365)',
        examples: [365],
      }),
    ),
    tierExcludeDeliveryFee: Type.Optional(
      Type.Boolean({ description: 'Leave delivery fees out of the spent bases (default false)' }),
    ),
    tierExcludedSkus: Type.Optional(
      Type.Array(Type.String({ maxLength: 200 }), {
        maxItems: 1000,
        description: 'Lines with these SKUs do not count towards the spent bases (default none)',
        examples: [['GIFT-CARD']],
      }),
    ),
    tierExcludedCategories: Type.Optional(
      Type.Array(Type.String({ maxLength: 200 }), {
        maxItems: 1000,
        description: 'Lines in these categories do not count towards the spent bases (default none)',
        examples: [['tobacco']],
      }),
    ),
    tierDowngradePolicy: Type.Optional(
      Type.Enum(DOWNGRADE_POLICIES, {
        description:
          'When a member whose basis fell below their tier loses it: `never`, `immediate`, or `after_days` (after `tierDowngradeDays` below the threshold) (default immediate)',
        examples: ['after_days'],
      }),
    ),
    tierDowngradeDays: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 3660,
        description: 'Grace period of the `after_days` policy (default 30)',
        examples: [30],
      }),
    ),
    language: Type.Optional(
      Type.Enum(LANGUAGES, {
        description:
          "The language of the emails and SMS Regulars sends for the organization (staff invites, password resets, members' sign-in codes): `es`, `en` or `fr` (default from the organization's country: `es` for Spain and Spanish-speaking America, `fr` for France, Belgium, Switzerland, Luxembourg and French-speaking Africa, `en` elsewhere)",
        examples: ['es'],
      }),
    ),
    rewardDiscountsEarn: Type.Optional(
      Type.Boolean({
        description:
          'Whether what rewards take off an order still earns points when its ticket arrives (default false: members earn on what they paid)',
      }),
    ),
    cashierDailyPointsCap: Type.Optional(
      Type.Union([Type.Integer({ minimum: 0, maximum: 1_000_000_000 }), Type.Null()], {
        description:
          "The most points one cashier (a staff user with the cashier role) may add by hand (POST /v1/customers/{id}/points/add) in one of the organization's local days, in whole points; null = no cap (default null)",
        examples: [500],
      }),
    ),
    // The member pages (web/member, /m/{organizationId}): their look and the join page's wording.
    brandLogoUrl: Type.Optional(
      Type.Union([Type.String({ maxLength: 2000, pattern: '^https://[^\\s]+$' }), Type.Null()], {
        description:
          "An https address of the logo shown on the member pages and as the installed app's icon; null = the name only (default null)",
        examples: ['https://latasca.es/logo.png'],
      }),
    ),
    brandColor: Type.Optional(
      Type.String({
        pattern: '^#[0-9a-fA-F]{6}$',
        description:
          "The member pages' main color as #rrggbb; text on it is white, so pick a dark enough one (default #087f5b)",
        examples: ['#8a1c1c'],
      }),
    ),
    memberTermsVersion: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 100,
        description:
          'The version of the program terms the join page shows, recorded with each acceptance (default 1)',
        examples: ['2026-01'],
      }),
    ),
    memberTermsText: Type.Optional(
      Type.Union([Type.String({ minLength: 1, maxLength: 2000 }), Type.Null()], {
        description:
          "The wording of the join page's terms checkbox, in the organization's language; null = the page's own (default null)",
        examples: ['Acepto las condiciones del programa La Tasca Amigos'],
      }),
    ),
    memberTermsUrl: Type.Optional(
      Type.Union([Type.String({ maxLength: 2000, pattern: '^https://[^\\s]+$' }), Type.Null()], {
        description: 'An https address where the full terms are, linked from the join page (default null)',
        examples: ['https://latasca.es/condiciones'],
      }),
    ),
    memberMarketingText: Type.Optional(
      Type.Union([Type.String({ minLength: 1, maxLength: 1000 }), Type.Null()], {
        description:
          "The wording of the join page's and profile's marketing checkboxes, in the organization's language; null = the page's own (default null)",
        examples: ['Quiero recibir ofertas de La Tasca'],
      }),
    ),
    walletPass: Type.Optional(
      Type.Object(
        {
          backgroundColor: Type.Optional(HexColor('The card’s background', '#1f2937')),
          foregroundColor: Type.Optional(HexColor('The values’ text', '#ffffff')),
          labelColor: Type.Optional(HexColor('The labels’ text', '#d1d5db')),
          logoPng: Type.Optional(
            Type.String({
              maxLength: 300_000,
              pattern: '^iVBORw0KGgo[A-Za-z0-9+/]*={0,2}$',
              contentEncoding: 'base64',
              description:
                'The logo shown on the card and as its icon: a PNG, base64 (Apple shows it at most 160×50 points; give it at 3× for sharp screens)',
            }),
          ),
        },
        {
          additionalProperties: false,
          description:
            'Branding of the members’ Apple and Google Wallet cards (default: dark grey, the organization’s name, no logo)',
        },
      ),
    ),
  },
  { additionalProperties: false, description: 'Program settings; omitted keys take their defaults' },
);

export type ProgramSettings = Static<typeof ProgramSettingsSchema>;

/** Settings whose default depends on the organization rather than being one value (see organizationSettings). */
type DerivedSettings = 'language' | 'walletPass';

export const DEFAULT_SETTINGS: Required<Omit<ProgramSettings, DerivedSettings>> = {
  cheerfyEarningStatuses: [1],
  pointsRounding: 'down',
  // Hundredths, as programs earned before the setting existed; restaurants mostly want `whole`.
  pointsPrecision: 'hundredths',
  earningSemantics: 'regulars',
  loyaltyCardNumberLength: 10,
  inactiveCustomersEarn: false,
  tierBasis: 'total_spent',
  tierWindowDays: 365,
  tierExcludeDeliveryFee: false,
  tierExcludedSkus: [],
  tierExcludedCategories: [],
  tierDowngradePolicy: 'immediate',
  tierDowngradeDays: 30,
  rewardDiscountsEarn: false,
  cashierDailyPointsCap: null,
  brandLogoUrl: null,
  brandColor: '#087f5b',
  memberTermsVersion: '1',
  memberTermsText: null,
  memberTermsUrl: null,
  memberMarketingText: null,
};

/** The settings with their defaults; `language` stays as set (its default needs the country: languageOf), `walletPass` too. */
export type EffectiveSettings = Required<Omit<ProgramSettings, DerivedSettings>> &
  Pick<ProgramSettings, DerivedSettings>;

export function effectiveSettings(settings: ProgramSettings): EffectiveSettings {
  return { ...DEFAULT_SETTINGS, ...settings };
}

/** Every setting of an organization with its defaults, the derived ones included: what the API shows. */
export function organizationSettings(organization: {
  settings: ProgramSettings;
  country: string;
}): Required<ProgramSettings> {
  return {
    ...effectiveSettings(organization.settings),
    language: languageOf(organization),
    walletPass: organization.settings.walletPass ?? {},
  };
}

/**
 * The language to write to someone in: the recipient's own when known (a member's `language`;
 * one Regulars does not write, such as `de`, gives English), else the organization's `language`
 * setting, else its country's.
 */
export function languageOf(
  organization: { settings: ProgramSettings; country: string },
  recipientLanguage?: string | null,
): Language {
  if (recipientLanguage) return messageLanguage(recipientLanguage);
  return organization.settings.language ?? languageForCountry(organization.country);
}
