import { type TSchema, Type } from 'typebox';
import { Value } from 'typebox/value';
import { LIMIT_PERIODS } from '../../domain/earning/types.ts';
import { parsePoints, toPoints } from '../../domain/points.ts';
import { REWARD_CHANNELS, REWARD_TYPES, type RewardConfig, type RewardType } from '../../domain/rewards.ts';
import { validationFailed } from '../../errors.ts';
import { Times, Timestamp, Uuid, whenType } from '../../http/schemas.ts';

/**
 * The reward catalogue's API contract. Points travel as decimals (12.5), percentages as decimals
 * (10 = 10 %), money in minor units. The engine keeps hundredths of points and of percents.
 */

const MinorUnits = (description: string) =>
  Type.Integer({
    minimum: 0,
    maximum: Number.MAX_SAFE_INTEGER,
    description: `${description}, in minor units`,
  });
const Strings = (description: string, maxItems = 1000) =>
  Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems, description });
const HourMinute = Type.String({ pattern: '^([01]\\d|2[0-3]):[0-5]\\d$', examples: ['17:00'] });
const Ids = (what: string, maxItems = 1000) =>
  Type.Array(Uuid(`${what} id`), {
    maxItems,
    uniqueItems: true,
    description: `Only for these ${what}s; empty = all`,
  });

export const TranslationsSchema = Type.Record(
  Type.String({ pattern: '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$' }),
  Type.Object(
    {
      name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
      description: Type.Optional(Type.String({ maxLength: 2000 })),
    },
    { additionalProperties: false },
  ),
  {
    description: 'Name and description per locale; the default ones are used where a locale has none',
    examples: [{ es: { name: 'Café gratis', description: 'Un café en tu próxima visita' } }],
  },
);

const object = (properties: Record<string, TSchema>) =>
  Type.Unsafe({ type: 'object', properties, additionalProperties: false });

const Percent = Type.Number({
  exclusiveMinimum: 0,
  maximum: 100,
  description: 'Percent off (at most 2 decimals), e.g. 10 = 10 %',
  examples: [10],
});
const PositiveMinor = (description: string) =>
  Type.Integer({
    minimum: 1,
    maximum: Number.MAX_SAFE_INTEGER,
    description: `${description}, in minor units`,
  });

/** Per type: what `value` means and which `config` keys it takes (JSON Schema if/then on `type`). */
const TYPE_SCHEMAS: Record<RewardType, { value: TSchema; config: TSchema; summary: string }> = {
  percentage_discount: {
    summary:
      '`value` = percent off the eligible lines; `config.maxAmount` caps it; `config.fromTier` takes the percent from the member tier discount',
    value: Percent,
    config: object({
      maxAmount: Type.Union([PositiveMinor('Most the discount can be'), Type.Null()]),
      fromTier: Type.Boolean({ description: "The percent is the member's tier discount benefit" }),
    }),
  },
  amount_discount: {
    summary: '`value` = amount off the eligible lines, in minor units',
    value: PositiveMinor('Amount off'),
    config: object({}),
  },
  free_product: {
    summary: '`value` = free units (default 1) of the products in `scope`, the cheapest first',
    value: Type.Integer({ minimum: 1, maximum: 1000, description: 'Free units' }),
    config: object({}),
  },
  bogo: {
    summary:
      'Of every `config.buy` units in `scope` (dearest first) the `config.free` cheapest are free: 2/1 = 2x1',
    value: Type.Null(),
    config: object({
      buy: Type.Integer({ minimum: 2, maximum: 100, description: 'Units per group (default 2)' }),
      free: Type.Integer({ minimum: 1, maximum: 99, description: 'Free units per group (default 1)' }),
    }),
  },
  discount_code: {
    summary:
      'A code from the reward pool; optionally also a discount at the till (`value` with `config.discountType`)',
    value: Type.Number({
      exclusiveMinimum: 0,
      description: 'Percent, or minor units with discountType amount',
    }),
    config: object({
      discountType: Type.Union([Type.Literal('percentage'), Type.Literal('amount')]),
      maxAmount: Type.Union([PositiveMinor('Most the discount can be'), Type.Null()]),
    }),
  },
  free_delivery: { summary: 'The delivery fee is free', value: Type.Null(), config: object({}) },
  gift: {
    summary: 'A physical gift with a delivery status; `value` = what it is worth, informational',
    value: MinorUnits('What the gift is worth'),
    config: object({}),
  },
  cashback: {
    summary: 'Points turned into money at the till: `value` = minor units per point',
    value: PositiveMinor('Money per point'),
    config: object({}),
  },
  custom: {
    summary: 'Anything else; nothing is taken off the order',
    value: MinorUnits('What it is worth, informational'),
    config: object({}),
  },
};

const byType = whenType(REWARD_TYPES, (type) => ({
  properties: {
    value: Type.Union([TYPE_SCHEMAS[type].value, Type.Null()]),
    config: TYPE_SCHEMAS[type].config,
  },
}));

const ScopeSchema = Type.Object(
  {
    skus: Type.Optional(Strings('SKUs the reward applies to')),
    categories: Type.Optional(Strings('Categories the reward applies to')),
  },
  {
    additionalProperties: false,
    description:
      'Lines the reward touches: those with one of these SKUs or categories; both empty = the whole ticket',
    examples: [{ skus: ['COFFEE'], categories: [] }],
  },
);

const PeriodLimitSchema = Type.Object(
  {
    count: Times('Times per member per period'),
    period: Type.Enum(LIMIT_PERIODS, { description: "Calendar period in the organization's time zone" }),
  },
  { additionalProperties: false },
);

/** Everything but `type`: shared by create (all but name optional) and update (all optional). */
export const rewardFields = {
  name: Type.String({ minLength: 1, maxLength: 200, description: 'Name', examples: ['Free coffee'] }),
  description: Type.Union([Type.String({ maxLength: 2000 }), Type.Null()], { description: 'Free text' }),
  translations: TranslationsSchema,
  value: Type.Union([Type.Number(), Type.Null()], {
    description: 'The headline number; its meaning depends on `type` (see the create operation)',
    examples: [10],
  }),
  config: Type.Record(Type.String(), Type.Unknown(), { description: "The type's extra settings" }),
  scope: ScopeSchema,
  categoryIds: Type.Array(Uuid('Reward category id'), { maxItems: 100, uniqueItems: true }),
  costPoints: Type.Number({
    minimum: 0,
    description: 'Points it costs (at most 2 decimals); 0 = a free promotion',
    examples: [50],
  }),
  pointTypeId: Type.Union([Uuid('Point type the cost is paid in'), Type.Null()], {
    description: 'null = the default point type',
  }),
  posCode: Type.Union([Type.String({ minLength: 1, maxLength: 100 }), Type.Null()], {
    description: 'How the till knows the reward; unique in the organization',
    examples: ['CAFE-GRATIS'],
  }),
  active: Type.Boolean({ description: 'Inactive rewards are neither shown nor redeemed' }),
  startsAt: Type.Union([Timestamp('First moment it can be taken'), Type.Null()]),
  endsAt: Type.Union([Timestamp('Moment it can no longer be taken'), Type.Null()]),
  weekdays: Type.Array(Type.Integer({ minimum: 1, maximum: 7 }), {
    maxItems: 7,
    uniqueItems: true,
    description: 'ISO weekdays (1 = Monday) it can be used on, in the location time zone; empty = every day',
  }),
  hours: Type.Union(
    [Type.Object({ from: HourMinute, to: HourMinute }, { additionalProperties: false }), Type.Null()],
    { description: 'Local hours it can be used in; may cross midnight; null = all day' },
  ),
  locationIds: Ids('location'),
  channels: Type.Array(Type.Enum(REWARD_CHANNELS), {
    maxItems: REWARD_CHANNELS.length,
    uniqueItems: true,
    description: 'Where it can be taken: pos (till), online, shop (claimed for points), admin; empty = all',
  }),
  tierIds: Ids('tier', 100),
  segmentIds: Ids('segment', 100),
  customerIds: Type.Array(Uuid('Customer id'), {
    maxItems: 10_000,
    uniqueItems: true,
    description: 'Only for these members; empty = everyone (tiers and segments permitting)',
  }),
  visibleFrom: Type.Union([Timestamp('When it starts being shown'), Type.Null()]),
  visibleTo: Type.Union([Timestamp('When it stops being shown'), Type.Null()]),
  totalLimit: Type.Union([Times('Times it can be taken in all'), Type.Null()]),
  memberLimit: Type.Union([Times('Times one member can take it'), Type.Null()]),
  memberPeriodLimit: Type.Union([PeriodLimitSchema, Type.Null()], {
    description: 'Times one member can take it per calendar period',
  }),
  allowRepeat: Type.Boolean({ description: 'Whether it can be applied more than once on one order' }),
  stackable: Type.Boolean({ description: 'false = it cannot be combined with other rewards on one order' }),
  minimumOrder: MinorUnits('Order total it needs'),
  couponDelayDays: Type.Integer({
    minimum: 0,
    maximum: 3650,
    description: 'Days a claimed coupon waits before it can be used (0 = at once)',
  }),
  couponValidDays: Type.Union([Type.Integer({ minimum: 1, maximum: 36500 }), Type.Null()], {
    description: 'Days a coupon stays valid once usable; null = forever',
  }),
};

const TypeSchema = Type.Enum(REWARD_TYPES, { description: 'Reward type' });

const { name: _name, ...optionalFields } = rewardFields;

export const CreateRewardBody = Type.Object(
  { type: TypeSchema, name: rewardFields.name, ...Type.Partial(Type.Object(optionalFields)).properties },
  { additionalProperties: false, allOf: byType },
);

export const UpdateRewardBody = Type.Partial(Type.Object(rewardFields), {
  additionalProperties: false,
  minProperties: 1,
});

export const TYPE_DESCRIPTION = REWARD_TYPES.map((type) => `\`${type}\`: ${TYPE_SCHEMAS[type].summary}`).join(
  '; ',
);

export { TypeSchema as RewardTypeSchema };

/**
 * A PATCH carries no `type`, so the per-type rules of `value` and `config` are checked here
 * against the stored type: the same schemas as on create, with the failing field named.
 */
export function checkTypeFields(type: RewardType, fields: { value?: unknown; config?: unknown }) {
  const checks: Array<[string, TSchema, unknown]> = [];
  if (fields.value !== undefined) {
    checks.push(['body.value', Type.Union([TYPE_SCHEMAS[type].value, Type.Null()]), fields.value]);
  }
  if (fields.config !== undefined) checks.push(['body.config', TYPE_SCHEMAS[type].config, fields.config]);
  for (const [path, schema, value] of checks) {
    const [first] = Value.Errors(schema, value);
    if (!first) continue;
    const params = first.params as { additionalProperties?: string[] };
    const extra = params.additionalProperties?.[0];
    const where = extra ? `/${extra}` : first.instancePath;
    throw validationFailed(
      `${path}${where.replaceAll('/', '.')}`,
      extra ? `is not a setting of ${type} rewards` : `is not valid for ${type} rewards (${first.message})`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// API units ⇄ engine units

/** `value` as the engine keeps it: percents in hundredths, everything else as sent. */
export function valueFromApi(type: RewardType, config: RewardConfig, value: number | null | undefined) {
  if (value === null || value === undefined) return null;
  const percent =
    type === 'percentage_discount' || (type === 'discount_code' && config.discountType !== 'amount');
  if (!percent) {
    if (!Number.isInteger(value))
      throw validationFailed('body.value', 'must be a whole number of minor units');
    return value;
  }
  const hundredths = parsePoints(value, 'body.value');
  if (hundredths > 10_000) throw validationFailed('body.value', 'must be at most 100');
  return hundredths;
}

export function valueToApi(type: RewardType, config: RewardConfig, value: number | null): number | null {
  if (value === null) return null;
  const percent =
    type === 'percentage_discount' || (type === 'discount_code' && config.discountType !== 'amount');
  return percent ? toPoints(value) : value;
}

export function costFromApi(value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  return value === 0 ? 0 : parsePoints(value, 'body.costPoints');
}

// ---------------------------------------------------------------------------------------------
// Categories

export const categoryFields = {
  name: Type.String({ minLength: 1, maxLength: 200, description: 'Name', examples: ['Drinks'] }),
  translations: TranslationsSchema,
  active: Type.Boolean({ description: 'Inactive categories are hidden from members' }),
  sortOrder: Type.Integer({ minimum: -1_000_000, maximum: 1_000_000, description: 'Lower first' }),
};

const { name: _categoryName, ...optionalCategoryFields } = categoryFields;

export const CreateCategoryBody = Type.Object(
  { name: categoryFields.name, ...Type.Partial(Type.Object(optionalCategoryFields)).properties },
  { additionalProperties: false },
);

export const UpdateCategoryBody = Type.Partial(Type.Object(categoryFields), {
  additionalProperties: false,
  minProperties: 1,
});
