import { type TSchema, Type } from 'typebox';
import { toPoints } from '../../domain/points.ts';
import { DOWNGRADE_POLICIES, TIER_BASES } from '../../domain/tiers.ts';
import { tenantOf } from '../../http/auth.ts';
import { Page, PageQuery, pageRequest, toPage } from '../../http/pagination.ts';
import { errorResponses, IdParams, Timestamp, Uuid } from '../../http/schemas.ts';
import type { App } from '../../http/types.ts';
import type { Audience } from '../segments/audience.ts';
import type { TierRow, TiersService } from './service.ts';

const nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

const ConditionValue = Type.Number({
  minimum: 0,
  description:
    'Threshold on the program’s tier basis (settings.tierBasis): points with at most 2 decimals for the points bases, minor units of the currency for the spent bases',
  examples: [50000],
});

const fields = {
  name: Type.String({ minLength: 1, maxLength: 100, description: 'Unique name', examples: ['Gold'] }),
  description: nullable(
    Type.String({ maxLength: 2000, description: 'Free text', examples: ['Our best regulars'] }),
  ),
  conditionValue: ConditionValue,
  earningMultiplier: Type.Number({
    minimum: 1,
    maximum: 100,
    description:
      'Points earned are multiplied by this (at most 2 decimals); shown as its own breakdown line (default 1)',
    examples: [1.5],
  }),
  discountPercent: Type.Number({
    minimum: 0,
    maximum: 100,
    description: 'Discount rewards and redemption can apply for this tier, in percent (default 0)',
    examples: [10],
  }),
  perks: Type.Array(Type.String({ minLength: 1, maxLength: 200 }), {
    maxItems: 50,
    description: 'Free-text perks shown to the member',
    examples: [['Free dessert on your birthday']],
  }),
  active: Type.Boolean({ description: 'Inactive tiers are never held: their members move (default true)' }),
  sortOrder: Type.Integer({
    minimum: -1_000_000,
    maximum: 1_000_000,
    description: 'Breaks ties between tiers with the same threshold: higher is the higher tier (default 0)',
    examples: [0],
  }),
};

const { name: _name, conditionValue: _conditionValue, ...optional } = fields;

const CreateTierBody = Type.Object(
  {
    name: fields.name,
    conditionValue: fields.conditionValue,
    ...Type.Partial(Type.Object(optional)).properties,
  },
  { additionalProperties: false },
);

const UpdateTierBody = Type.Partial(Type.Object(fields), { additionalProperties: false, minProperties: 1 });

const TierSchema = Type.Object(
  {
    id: Uuid('Tier id'),
    name: fields.name,
    description: fields.description,
    conditionValue: ConditionValue,
    earningMultiplier: fields.earningMultiplier,
    discountPercent: fields.discountPercent,
    perks: fields.perks,
    active: fields.active,
    sortOrder: fields.sortOrder,
    customersCount: Type.Integer({ description: 'Members holding the tier now', examples: [1204] }),
    createdAt: Timestamp('When the tier was created'),
    updatedAt: Timestamp('When it last changed'),
  },
  { $id: 'Tier' },
);

const TierSummary = nullable(
  Type.Object({
    id: Uuid('Tier id'),
    name: fields.name,
    conditionValue: ConditionValue,
    earningMultiplier: fields.earningMultiplier,
    discountPercent: fields.discountPercent,
    perks: fields.perks,
  }),
);

const ManualSchema = nullable(
  Type.Object({
    tierId: Uuid('The tier assigned by hand'),
    locked: Type.Boolean({ description: 'true: exactly this tier; false: at least this tier' }),
    expiresAt: nullable(Timestamp('When the member returns to their automatic tier; null = until removed')),
  }),
);

const MemberTierSchema = Type.Object(
  {
    customerId: Uuid('Member id'),
    tier: TierSummary,
    automaticTier: TierSummary,
    manual: ManualSchema,
    value: Type.Number({ description: 'The member’s basis value now', examples: [61250] }),
    changedAt: nullable(Timestamp('When the tier held last changed')),
  },
  { $id: 'MemberTier' },
);

export const ProgressSchema = Type.Object({
  customerId: Uuid('Member id'),
  basis: Type.Enum(TIER_BASES, { description: 'What thresholds measure (program setting)' }),
  unit: Type.Union([Type.Literal('points'), Type.Literal('money')], {
    description: 'points: decimals; money: minor units of `currency`',
  }),
  currency: Type.String({ examples: ['EUR'] }),
  windowDays: nullable(Type.Integer({ description: 'Rolling window of the *_in_window bases' })),
  value: Type.Number({ description: 'The member’s basis value now', examples: [61250] }),
  currentTier: TierSummary,
  nextTier: TierSummary,
  missingForNext: nullable(
    Type.Number({ description: 'How much is missing to reach the next tier', examples: [38750] }),
  ),
  keep: Type.Object({
    policy: Type.Enum(DOWNGRADE_POLICIES, { description: 'Downgrade policy (program setting)' }),
    required: nullable(Type.Number({ description: 'The current tier’s threshold' })),
    missing: nullable(
      Type.Number({ description: 'How much is missing to be at or above it again (0 = nothing)' }),
    ),
    belowSince: nullable(Timestamp('Since when the value has been below it')),
    downgradeAt: nullable(Timestamp('When the member drops a tier if nothing changes (after_days)')),
  }),
  manual: ManualSchema,
});

const AssignBody = Type.Object(
  {
    tierId: Uuid('The tier to assign'),
    locked: Type.Optional(
      Type.Boolean({
        description:
          'true (default): exactly this tier; false: at least this tier, the member still moves up',
      }),
    ),
    expiresAt: Type.Optional(nullable(Timestamp('When the assignment ends; omit or null = until removed'))),
  },
  { additionalProperties: false },
);

const MemberRow = Type.Object({
  customerId: Uuid('Member id'),
  firstName: nullable(Type.String()),
  lastName: nullable(Type.String()),
  email: nullable(Type.String()),
  since: nullable(Timestamp('When the member reached the tier')),
});

const CustomerParams = Type.Object({ id: Uuid('Member id') });

const amount = (unit: 'points' | 'money', value: number) => (unit === 'points' ? toPoints(value) : value);
const summary = (unit: 'points' | 'money', row: TierRow | null) =>
  row && {
    id: row.id,
    name: row.name,
    conditionValue: amount(unit, row.threshold),
    earningMultiplier: toPoints(row.multiplier),
    discountPercent: toPoints(row.discountPercent),
    perks: row.perks,
  };

/** The answer of GET /v1/customers/{id}/tier-progress (and of a member's own GET /v1/me/tier). */
export function presentProgress(customerId: string, progress: Awaited<ReturnType<TiersService['progress']>>) {
  const { program } = progress;
  const unit = program.unit;
  const maybe = (value: number | null) => (value === null ? null : amount(unit, value));
  return {
    customerId: customerId.toLowerCase(),
    basis: program.settings.tierBasis,
    unit,
    currency: program.currency,
    windowDays: program.settings.tierBasis.endsWith('_in_window') ? program.settings.tierWindowDays : null,
    value: amount(unit, progress.value),
    currentTier: summary(unit, progress.current),
    nextTier: summary(unit, progress.next),
    missingForNext: maybe(progress.missingForNext),
    keep: {
      policy: program.policy.policy,
      required: progress.current ? amount(unit, progress.current.threshold) : null,
      missing: maybe(progress.missingToKeep),
      belowSince: progress.belowSince?.toISOString() ?? null,
      downgradeAt: progress.downgradeAt?.toISOString() ?? null,
    },
    manual: progress.manual && {
      tierId: progress.manual.tierId,
      locked: progress.manual.locked,
      expiresAt: progress.manual.expiresAt?.toISOString() ?? null,
    },
  };
}

export function tierRoutes(app: App, tiers: TiersService, audience: Audience) {
  app.addSchema(TierSchema);
  app.addSchema(MemberTierSchema);
  const TierRef = Type.Ref('Tier');
  const MemberTierRef = Type.Ref('MemberTier');
  const tags = ['tiers'];

  async function present(organizationId: string, rows: TierRow[]) {
    const unit = await tiers.unitOf(organizationId);
    const counts = await tiers.memberCounts(
      organizationId,
      rows.map((row) => row.id),
    );
    return rows.map((row) => ({
      ...summary(unit, row)!,
      description: row.description,
      active: row.active,
      sortOrder: row.sortOrder,
      customersCount: counts.get(row.id) ?? 0,
      createdAt: row.createdAt.toISOString(),
      updatedAt: row.updatedAt.toISOString(),
    }));
  }

  async function presentMember(organizationId: string, customerId: string) {
    const now = new Date();
    const [unit, view] = await Promise.all([
      tiers.unitOf(organizationId),
      tiers.memberTier(organizationId, customerId, now),
    ]);
    return {
      customerId: customerId.toLowerCase(),
      tier: summary(unit, view.tier),
      automaticTier: summary(unit, view.automaticTier),
      manual: view.manual && {
        tierId: view.manual.tierId,
        locked: view.manual.locked,
        expiresAt: view.manual.expiresAt?.toISOString() ?? null,
      },
      value: amount(unit, view.value),
      changedAt: view.changedAt?.toISOString() ?? null,
    };
  }

  app.post(
    '/v1/tiers',
    {
      schema: {
        tags,
        summary: 'Create a tier',
        description:
          'Members are placed on the ladder of active tiers by the program’s tier basis (settings.tierBasis); creating a tier re-evaluates every member.',
        body: CreateTierBody,
        response: { 201: TierRef, ...errorResponses(401, 409, 422) },
      },
    },
    async (request, reply) => {
      const { organizationId } = tenantOf(request);
      const row = await tiers.create(organizationId, request.body);
      await audience.recomputeTiers(organizationId);
      const [presented] = await present(organizationId, [row]);
      return reply.code(201).send(presented);
    },
  );

  app.get(
    '/v1/tiers',
    {
      schema: {
        tags,
        summary: 'List tiers, with their member counts',
        querystring: Type.Object({
          ...PageQuery,
          active: Type.Optional(
            Type.Boolean({ description: 'Only active (true) or inactive (false) tiers' }),
          ),
        }),
        response: { 200: Page(TierRef), ...errorResponses(401, 422) },
      },
    },
    async (request) => {
      const { organizationId } = tenantOf(request);
      const page = pageRequest(request.query);
      const result = toPage(await tiers.list(organizationId, request.query, page), page, (row) => row.id);
      return { data: await present(organizationId, result.data), nextCursor: result.nextCursor };
    },
  );

  app.get(
    '/v1/tiers/:id',
    {
      schema: {
        tags,
        summary: 'Get a tier',
        params: IdParams,
        response: { 200: TierRef, ...errorResponses(401, 404) },
      },
    },
    async (request) => {
      const { organizationId } = tenantOf(request);
      const [presented] = await present(organizationId, [await tiers.get(organizationId, request.params.id)]);
      return presented;
    },
  );

  app.patch(
    '/v1/tiers/:id',
    {
      schema: {
        tags,
        summary: 'Change a tier',
        description: 'A change of threshold, order or active flag re-evaluates every member.',
        params: IdParams,
        body: UpdateTierBody,
        response: { 200: TierRef, ...errorResponses(401, 404, 409, 422) },
      },
    },
    async (request) => {
      const { organizationId } = tenantOf(request);
      const row = await tiers.update(organizationId, request.params.id, request.body);
      const { conditionValue, sortOrder, active } = request.body;
      if (conditionValue !== undefined || sortOrder !== undefined || active !== undefined) {
        await audience.recomputeTiers(organizationId);
      }
      const [presented] = await present(organizationId, [row]);
      return presented;
    },
  );

  app.delete(
    '/v1/tiers/:id',
    {
      schema: {
        tags,
        summary: 'Delete a tier (its members are re-evaluated)',
        params: IdParams,
        response: { 204: Type.Null(), ...errorResponses(401, 404) },
      },
    },
    async (request, reply) => {
      const { organizationId } = tenantOf(request);
      await tiers.remove(organizationId, request.params.id);
      await audience.recomputeTiers(organizationId);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/v1/tiers/:id/customers',
    {
      schema: {
        tags,
        summary: 'Members holding the tier',
        params: IdParams,
        querystring: Type.Object(PageQuery),
        response: { 200: Page(MemberRow), ...errorResponses(401, 404, 422) },
      },
    },
    async (request) => {
      const { organizationId } = tenantOf(request);
      const tier = await tiers.get(organizationId, request.params.id);
      const page = pageRequest(request.query);
      const result = toPage(
        await tiers.members(organizationId, tier.id, page),
        page,
        (row) => row.customerId,
      );
      return {
        data: result.data.map((row) => ({ ...row, since: row.since?.toISOString() ?? null })),
        nextCursor: result.nextCursor,
      };
    },
  );

  app.post(
    '/v1/tiers/recompute',
    {
      schema: {
        tags,
        summary: 'Re-evaluate every member’s tier now (e.g. after changing the tier settings)',
        response: {
          200: Type.Object({
            evaluated: Type.Integer({ description: 'Members evaluated' }),
            changed: Type.Integer({ description: 'Members whose tier changed' }),
          }),
          ...errorResponses(401),
        },
      },
    },
    async (request) => {
      const result = await audience.recomputeTiers(tenantOf(request).organizationId);
      return { evaluated: result.evaluated, changed: result.changed };
    },
  );

  app.get(
    '/v1/customers/:id/tier',
    {
      config: { scope: 'till' },
      schema: {
        tags,
        summary: 'The member’s tier, its origin (automatic or manual) and the basis value',
        params: CustomerParams,
        response: { 200: MemberTierRef, ...errorResponses(401, 404) },
      },
    },
    async (request) => presentMember(tenantOf(request).organizationId, request.params.id),
  );

  app.post(
    '/v1/customers/:id/tier',
    {
      // A member's tier set by hand: the audit log records its `tier.changed` (automatic ones it leaves out).
      config: { audit: 'all-events' },
      schema: {
        tags,
        summary: 'Assign a tier by hand',
        description:
          'Locked (default): the member holds exactly this tier. Unlocked: at least this tier, moving up on their own. With `expiresAt`, the member returns to their automatic tier then. Emits `tier.changed` with `manual: true` when the tier held changes.',
        params: CustomerParams,
        body: AssignBody,
        response: { 200: MemberTierRef, ...errorResponses(401, 404, 422) },
      },
    },
    async (request) => {
      const { organizationId } = tenantOf(request);
      await audience.assignTier(organizationId, request.params.id, request.body);
      return presentMember(organizationId, request.params.id);
    },
  );

  app.delete(
    '/v1/customers/:id/tier',
    {
      config: { audit: 'all-events' },
      schema: {
        tags,
        summary: 'Remove a manual assignment: the member holds their automatic tier again',
        params: CustomerParams,
        response: { 200: MemberTierRef, ...errorResponses(401, 404) },
      },
    },
    async (request) => {
      const { organizationId } = tenantOf(request);
      await audience.unassignTier(organizationId, request.params.id);
      return presentMember(organizationId, request.params.id);
    },
  );

  app.get(
    '/v1/customers/:id/tier-progress',
    {
      schema: {
        tags,
        summary: 'Current tier, next tier, what is missing for it, and what keeping the current one needs',
        params: CustomerParams,
        response: { 200: ProgressSchema, ...errorResponses(401, 404) },
      },
    },
    async (request) => {
      const { organizationId } = tenantOf(request);
      const progress = await tiers.progress(organizationId, request.params.id, new Date());
      return presentProgress(request.params.id, progress);
    },
  );
}
