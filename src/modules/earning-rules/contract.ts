import { type TSchema, Type } from 'typebox';
import { CHANNELS, LIMIT_PERIODS, type RuleConfig, SYSTEM_EVENTS } from '../../domain/earning/types.ts';
import { parsePoints, toPoints } from '../../domain/points.ts';
import { Times, Timestamp, Uuid, whenType } from '../../http/schemas.ts';

/**
 * The earning-rule API contract. Points and multipliers travel as decimals with at most two
 * places (2.3 points per unit, ×1.5); the engine works in integer hundredths. Money is in minor units.
 */

const Points = (description: string) =>
  Type.Number({ exclusiveMinimum: 0, description: `${description} (at most 2 decimals)`, examples: [10] });
const OptionalPoints = (description: string) =>
  Type.Optional(
    Type.Number({ minimum: 0, description: `${description} (at most 2 decimals)`, examples: [0] }),
  );
const Multiplier = Type.Number({
  minimum: 0,
  maximum: 100,
  description:
    'Multiplier, e.g. 2 or 1.5; below 1 (0.5 halves, 0 cancels) only with the earningSemantics setting `openloyalty`',
  examples: [2],
});
const MinorUnits = (description: string) =>
  Type.Integer({ minimum: 0, description: `${description}, in minor units` });
const Strings = (description: string) =>
  Type.Array(Type.String({ maxLength: 200 }), { maxItems: 1000, description });
const LabelSchema = Type.Object(
  { key: Type.String({ maxLength: 100 }), value: Type.String({ maxLength: 200 }) },
  { additionalProperties: false },
);
const Labels = (description: string) => Type.Array(LabelSchema, { maxItems: 100, description });

const object = (properties: Record<string, TSchema>, required: string[]) =>
  Type.Unsafe({ type: 'object', properties, required, additionalProperties: false });

/** The `config` object of each rule type, validated by JSON Schema if/then on `type`. */
export const CONFIG_SCHEMAS: Record<RuleConfig['type'], TSchema> = {
  spend: object(
    {
      pointsPerUnit: Points('Points per whole currency unit (2.3 = 2.3 points per 1.00)'),
      excludedSkus: Strings('SKUs that earn nothing'),
      excludedCategories: Strings('Categories that earn nothing'),
      includeLabels: Labels('When set, only lines with one of these labels earn'),
      excludeLabels: Labels('Lines with one of these labels earn nothing'),
      excludeDeliveryFee: Type.Boolean({ description: 'Leave the delivery fee out of the amount' }),
      minimumOrder: MinorUnits('Ticket total below which the rule earns nothing'),
    },
    ['pointsPerUnit'],
  ),
  product_purchase: object(
    {
      skus: Type.Array(Type.String({ maxLength: 200 }), {
        minItems: 1,
        maxItems: 1000,
        description: 'SKUs that earn',
      }),
      points: Points('Points earned'),
      per: Type.Union([Type.Literal('unit'), Type.Literal('ticket')], {
        description: 'Per unit bought (default) or once per ticket',
      }),
    },
    ['skus', 'points'],
  ),
  multiply_by_product: object(
    {
      skus: Strings('SKUs whose points are multiplied'),
      labels: Labels('Labels whose lines are multiplied'),
      multiplier: Multiplier,
    },
    ['multiplier'],
  ),
  multiply_by_label: object(
    {
      multipliers: Type.Array(
        Type.Object(
          {
            key: Type.String({ maxLength: 100 }),
            value: Type.String({ maxLength: 200 }),
            multiplier: Multiplier,
          },
          { additionalProperties: false },
        ),
        { minItems: 1, maxItems: 100, description: 'Label → multiplier' },
      ),
    },
    ['multipliers'],
  ),
  event: object(
    {
      event: Type.Enum(SYSTEM_EVENTS, { description: 'The system event that earns' }),
      points: Points('Points earned'),
    },
    ['event', 'points'],
  ),
  custom_event: object(
    {
      eventName: Type.String({
        minLength: 1,
        maxLength: 100,
        description: 'Name reported to POST /v1/customers/{id}/custom-events',
      }),
      points: Points('Points earned'),
    },
    ['eventName', 'points'],
  ),
  referral: object(
    {
      trigger: Type.Union([
        Type.Literal('registration'),
        Type.Literal('first_purchase'),
        Type.Literal('every_purchase'),
      ]),
      referrerPoints: OptionalPoints('Points for the member who referred'),
      referredPoints: OptionalPoints('Points for the member who was referred'),
    },
    ['trigger'],
  ),
  qr_code: object(
    {
      code: Type.String({ minLength: 1, maxLength: 200, description: 'The code the member submits' }),
      points: Points('Points earned'),
    },
    ['code', 'points'],
  ),
  geolocation: object(
    {
      latitude: Type.Number({ minimum: -90, maximum: 90 }),
      longitude: Type.Number({ minimum: -180, maximum: 180 }),
      radiusMeters: Type.Number({ exclusiveMinimum: 0, maximum: 100_000 }),
      points: Points('Points earned'),
    },
    ['latitude', 'longitude', 'radiusMeters', 'points'],
  ),
  visit: object(
    { points: Points('Points per qualifying visit'), minimumOrder: MinorUnits('Ticket total a visit needs') },
    ['points'],
  ),
};

export const RULE_TYPES = Object.keys(CONFIG_SCHEMAS) as RuleConfig['type'][];

const HourMinute = Type.String({ pattern: '^([01]\\d|2[0-3]):[0-5]\\d$', examples: ['17:00'] });

/** Everything but `type` and `config`: where, when and for whom a rule earns. */
export const scopeFields = {
  name: Type.String({
    minLength: 1,
    maxLength: 200,
    description: 'Name shown in breakdowns',
    examples: ['2 points per euro'],
  }),
  description: Type.Union([Type.String({ maxLength: 2000 }), Type.Null()], { description: 'Free text' }),
  active: Type.Boolean({ description: 'Inactive rules never earn' }),
  startsAt: Type.Union([Timestamp('First moment the rule earns'), Type.Null()]),
  endsAt: Type.Union([Timestamp('Moment the rule stops earning'), Type.Null()]),
  weekdays: Type.Array(Type.Integer({ minimum: 1, maximum: 7 }), {
    maxItems: 7,
    uniqueItems: true,
    description: 'ISO weekdays (1 = Monday) in the location time zone; empty = every day',
  }),
  hours: Type.Union(
    [Type.Object({ from: HourMinute, to: HourMinute }, { additionalProperties: false }), Type.Null()],
    {
      description: 'Local time window; may cross midnight (22:00–02:00); null = all day',
    },
  ),
  locationIds: Type.Array(Uuid('Location id'), {
    maxItems: 1000,
    description: 'Only at these locations; empty = all',
  }),
  brandIds: Type.Array(Uuid('Brand id'), {
    maxItems: 1000,
    description: 'Only for these brands; empty = all',
  }),
  channels: Type.Array(Type.Enum(CHANNELS), {
    maxItems: CHANNELS.length,
    uniqueItems: true,
    description: 'Only on these channels; empty = all',
  }),
  tierIds: Type.Array(Uuid('Tier id'), {
    maxItems: 100,
    description: 'Only for members in these tiers; empty = everyone',
  }),
  segmentIds: Type.Array(Uuid('Segment id'), {
    maxItems: 100,
    description: 'Only for members in these segments; empty = everyone',
  }),
  priority: Type.Integer({ minimum: 0, maximum: 1_000_000, description: 'Lower runs first (default 100)' }),
  stackable: Type.Boolean({ description: 'false = exclusive: when it earns, no other base rule does' }),
  stopsEvaluation: Type.Boolean({
    description:
      "true = the last rule: when it runs on a ticket (a base rule that earns, a multiplier that matches a line; under `openloyalty` semantics a spend rule not skipped by its minimum order, any multiplier or product rule), the rules after it in order do not (Open Loyalty's `lastExecutedRule`; default false)",
  }),
  limit: Type.Union(
    [
      Type.Object(
        {
          count: Times('How many times per member'),
          period: Type.Enum(LIMIT_PERIODS, { description: 'Calendar period in the organization time zone' }),
        },
        { additionalProperties: false },
      ),
      Type.Null(),
    ],
    { description: 'Per-member limit; null = unlimited' },
  ),
  pointTypeId: Type.Union([Uuid('Point type the rule credits'), Type.Null()], {
    description: 'null = the default point type',
  }),
};

const typeSchema = Type.Enum(RULE_TYPES, { description: 'Rule type' });

/** if type = X then config must match X's schema: precise error paths, and documented in OpenAPI 3.1. */
const configByType = whenType(RULE_TYPES, (type) => ({ properties: { config: CONFIG_SCHEMAS[type] } }));

const { name: _name, ...optionalScope } = scopeFields;

export const CreateRuleBody = Type.Object(
  {
    type: typeSchema,
    config: Type.Record(Type.String(), Type.Unknown(), {
      description: "The type's settings (see each type's schema)",
    }),
    name: scopeFields.name,
    ...Type.Partial(Type.Object(optionalScope)).properties,
  },
  { additionalProperties: false, allOf: configByType },
);

export const UpdateRuleBody = Type.Partial(
  Type.Object({ ...scopeFields, config: Type.Record(Type.String(), Type.Unknown()) }),
  { additionalProperties: false, minProperties: 1 },
);

export type ApiConfig = Record<string, unknown>;

/** API decimals → engine hundredths for one rule type's config. Throws 422 naming the field. */
export function configFromApi(
  type: RuleConfig['type'],
  config: ApiConfig,
  path = 'body.config',
): RuleConfig['config'] {
  const points = (name: string, value: unknown, optional = false) =>
    optional && (value === undefined || value === 0) ? 0 : parsePoints(value, `${path}.${name}`);
  // A multiplier of 0 cancels points (Open Loyalty's semantics; see checkMultipliers).
  const multiplier = (value: unknown, at: string) =>
    value === 0 || value === '0' ? 0 : parsePoints(value, at);
  const list = <T>(value: unknown) => (Array.isArray(value) ? (value as T[]) : []);
  switch (type) {
    case 'spend':
      return {
        pointsPerUnit: points('pointsPerUnit', config.pointsPerUnit),
        excludedSkus: list(config.excludedSkus),
        excludedCategories: list(config.excludedCategories),
        includeLabels: list(config.includeLabels),
        excludeLabels: list(config.excludeLabels),
        excludeDeliveryFee: config.excludeDeliveryFee === true,
        minimumOrder: Number(config.minimumOrder ?? 0),
      };
    case 'product_purchase':
      return {
        skus: list(config.skus),
        points: points('points', config.points),
        per: config.per === 'ticket' ? 'ticket' : 'unit',
      };
    case 'multiply_by_product':
      return {
        skus: list(config.skus),
        labels: list(config.labels),
        multiplier: multiplier(config.multiplier, `${path}.multiplier`),
      };
    case 'multiply_by_label':
      return {
        multipliers: list<{ key: string; value: string; multiplier: unknown }>(config.multipliers).map(
          (m, index) => ({
            key: m.key,
            value: m.value,
            multiplier: multiplier(m.multiplier, `${path}.multipliers.${index}.multiplier`),
          }),
        ),
      };
    case 'event':
      return {
        event: config.event as (typeof SYSTEM_EVENTS)[number],
        points: points('points', config.points),
      };
    case 'custom_event':
      return { eventName: String(config.eventName), points: points('points', config.points) };
    case 'referral':
      return {
        trigger: config.trigger as 'registration' | 'first_purchase' | 'every_purchase',
        referrerPoints: points('referrerPoints', config.referrerPoints, true),
        referredPoints: points('referredPoints', config.referredPoints, true),
      };
    case 'qr_code':
      return { code: String(config.code), points: points('points', config.points) };
    case 'geolocation':
      return {
        latitude: Number(config.latitude),
        longitude: Number(config.longitude),
        radiusMeters: Number(config.radiusMeters),
        points: points('points', config.points),
      };
    case 'visit':
      return { points: points('points', config.points), minimumOrder: Number(config.minimumOrder ?? 0) };
  }
}

const POINT_FIELDS = ['pointsPerUnit', 'points', 'multiplier', 'referrerPoints', 'referredPoints'];

/** Engine hundredths → API decimals (the inverse of configFromApi). */
export function configToApi(config: RuleConfig['config']): ApiConfig {
  const out: ApiConfig = {};
  for (const [key, value] of Object.entries(config)) {
    if (POINT_FIELDS.includes(key) && typeof value === 'number') out[key] = toPoints(value);
    else if (key === 'multipliers' && Array.isArray(value)) {
      out[key] = value.map((m: { multiplier: number }) => ({ ...m, multiplier: toPoints(m.multiplier) }));
    } else out[key] = value;
  }
  return out;
}
