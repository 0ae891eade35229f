import { type TSchema, Type } from 'typebox';
import { toPoints } from '../../domain/points.ts';
import {
  CONSENT_CHANNELS,
  CRITERION_TYPES,
  type Criterion,
  type CriterionType,
  type SegmentPart,
} from '../../domain/segments/criteria.ts';
import { Timestamp, Uuid, whenType } from '../../http/schemas.ts';

/**
 * The segment API contract. A criterion is `{type, …its fields}`, validated by JSON Schema if/then
 * on `type`. Money is in minor units, points are decimals with at most two places.
 */

const object = (properties: Record<string, TSchema>, required: string[]) =>
  Type.Unsafe({
    type: 'object',
    properties: { id: Type.Optional(Uuid('Ignored on input: ids are given by the server')), ...properties },
    required,
    additionalProperties: false,
  });

const Strings = (description: string, example: string) =>
  Type.Array(Type.String({ minLength: 1, maxLength: 200 }), {
    minItems: 1,
    maxItems: 1000,
    description,
    examples: [[example]],
  });
const Count = (description: string) => Type.Integer({ minimum: 0, description, examples: [3] });
const Minor = (description: string) =>
  Type.Integer({ minimum: 0, description: `${description}, in minor units`, examples: [5000] });
const PointsBound = (description: string) =>
  Type.Number({ minimum: 0, description: `${description} (at most 2 decimals)`, examples: [100] });
const Days = (description: string, maximum = 3660) =>
  Type.Integer({ minimum: 1, maximum, description, examples: [30] });
const WindowDays = Days('Only the last N local days, today included; omit for all time');
const LabelPair = Type.Object(
  {
    key: Type.String({ minLength: 1, maxLength: 100, examples: ['diet'] }),
    value: Type.String({ maxLength: 200, examples: ['vegan'] }),
  },
  { additionalProperties: false },
);

/** The fields of each criterion type (besides `type`). */
export const CRITERION_SCHEMAS: Record<CriterionType, TSchema> = {
  bought_at_locations: object(
    {
      locationIds: Type.Array(Uuid('Location id'), {
        minItems: 1,
        maxItems: 1000,
        description: 'Has bought at any of these locations',
      }),
    },
    ['locationIds'],
  ),
  transaction_count: object(
    {
      min: Type.Optional(Count('At least this many purchases')),
      max: Type.Optional(Count('At most this many purchases')),
      days: Type.Optional(WindowDays),
    },
    [],
  ),
  average_ticket: object(
    {
      min: Type.Optional(Minor('Average ticket at least')),
      max: Type.Optional(Minor('Average ticket at most')),
    },
    [],
  ),
  total_spent: object(
    {
      min: Type.Optional(Minor('Spent at least (net of returns)')),
      max: Type.Optional(Minor('Spent at most (net of returns)')),
      days: Type.Optional(WindowDays),
    },
    [],
  ),
  purchase_period: object(
    {
      from: Type.Optional(Timestamp('Bought at or after this instant')),
      to: Type.Optional(Timestamp('Bought before this instant')),
    },
    [],
  ),
  bought_skus: object({ skus: Strings('Has bought any of these SKUs (any case)', 'CROQ-01') }, ['skus']),
  bought_categories: object(
    { categories: Strings('Has bought in any of these categories (any case)', 'desserts') },
    ['categories'],
  ),
  bought_makers: object({ makers: Strings('Has bought any of these makers (any case)', 'Estrella') }, [
    'makers',
  ]),
  bought_labels: object(
    {
      labels: Type.Array(LabelPair, {
        minItems: 1,
        maxItems: 100,
        description: 'Has bought a line carrying any of these key=value labels (any case)',
      }),
    },
    ['labels'],
  ),
  anniversary: object(
    {
      anniversaryType: Type.Union([Type.Literal('birthday'), Type.Literal('registration')], {
        description: 'Birthday, or the day the member signed up',
      }),
      days: Days('Falls within the next N local days; 1 = today', 366),
    },
    ['anniversaryType', 'days'],
  ),
  last_purchase_days_ago: object(
    { days: Days('Has bought, but not in the last N local days (last purchase N or more days ago)') },
    ['days'],
  ),
  customer_has_labels: object(
    {
      labels: Type.Array(
        Type.Object(
          {
            key: Type.String({ minLength: 1, maxLength: 100, examples: ['vip'] }),
            value: Type.Optional(
              Type.String({ maxLength: 200, description: 'Omit to match any value of the key' }),
            ),
          },
          { additionalProperties: false },
        ),
        { minItems: 1, maxItems: 100, description: 'The member has any of these labels' },
      ),
    },
    ['labels'],
  ),
  customer_list: object(
    {
      customers: Type.Array(Type.String({ minLength: 1, maxLength: 320 }), {
        minItems: 1,
        maxItems: 10_000,
        description: 'Members by id, email, phone or card number (resolved to ids when saved)',
      }),
    },
    ['customers'],
  ),
  tier_in: object(
    {
      tierIds: Type.Array(Uuid('Tier id'), {
        minItems: 1,
        maxItems: 100,
        description: 'The member holds any of these tiers',
      }),
    },
    ['tierIds'],
  ),
  points_balance: object(
    {
      min: Type.Optional(PointsBound('Active points at least')),
      max: Type.Optional(PointsBound('Active points at most')),
      pointTypeId: Type.Optional(Uuid('Point type (default: the default one)')),
    },
    [],
  ),
  marketing_consent: object(
    {
      channels: Type.Optional(
        Type.Array(Type.Enum(CONSENT_CHANNELS), {
          maxItems: 3,
          uniqueItems: true,
          description: 'Consent given on any of these channels; omit or empty = any channel',
        }),
      ),
    },
    [],
  ),
};

const TypeSchema = Type.Enum(CRITERION_TYPES, { description: 'Criterion type' });

/** if type = X then the criterion must match X's schema: precise error paths, documented in OpenAPI 3.1. */
export const CriterionInput = Type.Unsafe<ApiCriterion>({
  type: 'object',
  properties: { type: TypeSchema },
  required: ['type'],
  allOf: whenType(CRITERION_TYPES, (type) => ({
    ...CRITERION_SCHEMAS[type],
    properties: {
      ...(CRITERION_SCHEMAS[type] as { properties: object }).properties,
      type: { const: type },
    },
  })),
  description: 'One criterion: `type` and that type’s fields',
});

export const PartInput = Type.Object(
  {
    id: Type.Optional(Uuid('Ignored on input')),
    criteria: Type.Array(CriterionInput, {
      minItems: 1,
      maxItems: 50,
      description: 'The part matches when ANY of its criteria matches',
    }),
  },
  { additionalProperties: false },
);

const fields = {
  name: Type.String({
    minLength: 1,
    maxLength: 200,
    description: 'Unique name',
    examples: ['Lapsed regulars'],
  }),
  description: Type.Union([Type.String({ maxLength: 2000 }), Type.Null()], {
    description: 'Free text',
    examples: ['Came 5+ times, not in the last 60 days'],
  }),
  active: Type.Boolean({ description: 'Inactive segments have no members and are not recomputed' }),
  parts: Type.Array(PartInput, {
    minItems: 1,
    maxItems: 20,
    description: 'A member is in the segment when EVERY part matches',
  }),
};

export const CreateSegmentBody = Type.Object(
  {
    name: fields.name,
    description: Type.Optional(fields.description),
    active: Type.Optional(fields.active),
    parts: fields.parts,
  },
  { additionalProperties: false },
);

export const UpdateSegmentBody = Type.Partial(Type.Object(fields), {
  additionalProperties: false,
  minProperties: 1,
});

export interface ApiCriterion {
  type: CriterionType;
  [field: string]: unknown;
}

export interface ApiPart {
  criteria: ApiCriterion[];
}

/** Engine form → API form: points back to decimals, resolved member ids under `customers`. */
export function criterionToApi(criterion: Criterion): Record<string, unknown> {
  switch (criterion.type) {
    case 'points_balance':
      return {
        id: criterion.id,
        type: criterion.type,
        min: criterion.min === null ? null : toPoints(criterion.min),
        max: criterion.max === null ? null : toPoints(criterion.max),
        pointTypeId: criterion.pointTypeId,
      };
    case 'customer_list':
      return { id: criterion.id, type: criterion.type, customers: criterion.customerIds };
    default:
      return { ...criterion };
  }
}

export function partsToApi(parts: SegmentPart[]) {
  return parts.map((part) => ({ id: part.id, criteria: part.criteria.map(criterionToApi) }));
}
