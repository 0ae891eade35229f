import type { FastifyRequest } from 'fastify';
import { type Static, type TSchema, Type } from 'typebox';
import { ACTOR_TYPES } from '../../domain/actors.ts';
import { ENTRY_KINDS, parsePoints, toPoints } from '../../domain/points.ts';
import { actorOf, tenantOf } from '../../http/auth.ts';
import { Page, PageQuery, pageRequest, toPage } from '../../http/pagination.ts';
import { errorResponses, IdParams, Timestamp, Uuid } from '../../http/schemas.ts';
import type { App } from '../../http/types.ts';
import type { ApiKeyScope } from '../api-keys/scopes.ts';
import type { BalanceRow, EntryRow, LedgerService, OperationResult, PointTypeBalance } from './service.ts';

const nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

/**
 * A JSON number or a decimal string ("12.34", for clients that fear floats). Deliberately without a
 * JSON-schema `type`: the server's Ajv coerces types, and would turn `true` into 1 point or round a
 * long decimal string through a double. parsePoints checks the value and names the field instead.
 */
const PointsInput = (description: string) =>
  Type.Unsafe<unknown>({
    description: `${description}. A number or a decimal string with at most two decimals: 12.5 or "12.50"`,
    examples: [12.5, '12.50'],
  });

const PointsOutput = (description: string) =>
  Type.Number({ description: `${description} (two decimals at most)`, examples: [12.5] });

const pointTypeId = Uuid('Point type; omitted = the organization’s default type');
const reason = Type.String({
  minLength: 1,
  maxLength: 500,
  description: 'Why, in words staff will read in the history',
  examples: ['Birthday gift'],
});
const locationId = Uuid('Location where it happened');
const SourceInput = Type.Object(
  {
    type: Type.Union(
      ['transaction', 'redemption', 'rule', 'import', 'external'].map((type) => Type.Literal(type)),
      { description: 'What kind of thing caused it', examples: ['import'] },
    ),
    id: Type.String({
      minLength: 1,
      maxLength: 200,
      description: 'Its id: the same source never moves points twice',
      examples: ['import-2026-03/line-17'],
    }),
  },
  { additionalProperties: false, description: 'Natural key: a retry with the same source changes nothing' },
);

const EntryKindSchema = Type.Enum(ENTRY_KINDS, { description: 'What the entry did', examples: ['spend'] });

const LedgerEntrySchema = Type.Object(
  {
    id: Uuid('Ledger entry id'),
    customerId: Uuid('Customer'),
    pointTypeId: Uuid('Point type'),
    kind: EntryKindSchema,
    points: PointsOutput('Size of the movement'),
    delta: PointsOutput(
      'Signed change to what the customer holds (active + pending + blocked); 0 for block and unblock',
    ),
    reason: nullable(Type.String({ description: 'Why', examples: ['Birthday gift'] })),
    actor: Type.Object({
      type: Type.Enum(ACTOR_TYPES, {
        description: 'Who did it: an API key, a staff user, the member themself, or the engine itself',
      }),
      id: nullable(
        Type.String({ description: "The key's, staff user's or member's id; null for the system" }),
      ),
    }),
    source: nullable(
      Type.Object({
        type: Type.String({ description: 'transaction, redemption, rule, import, entry, external…' }),
        id: Type.String({ description: 'Its id' }),
      }),
    ),
    locationId: nullable(Uuid('Location')),
    relatedEntryId: nullable(
      Uuid('The entry this one cancels, releases or spends, or the other half of a transfer'),
    ),
    counterpartyCustomerId: nullable(Uuid('The other customer of a transfer')),
    activeFrom: nullable(Timestamp('For a credit: when its points become spendable')),
    expiresAt: nullable(Timestamp('For a credit: when its points expire; null = never')),
    createdAt: Timestamp('When it was written'),
  },
  { $id: 'LedgerEntry' },
);

const balanceFields = {
  active: PointsOutput('Spendable now'),
  pending: PointsOutput('Credited, spendable later (returns can still take them back)'),
  blocked: PointsOutput('Held by blocks until spent or released'),
  earned: PointsOutput('Credited over time (transfers in included), net of cancels and returns'),
  spent: PointsOutput('Spent over time (transfers out included), net of cancelled spends'),
  expired: PointsOutput('Expired over time'),
};

const BalanceSchema = Type.Object(
  { pointTypeId: Uuid('Point type'), ...balanceFields },
  { $id: 'PointsBalance', description: 'A balance right after the operation' },
);

const OperationResponse = Type.Object({
  entry: Type.Ref('LedgerEntry'),
  balance: Type.Ref('PointsBalance'),
  replayed: Type.Boolean({
    description: 'true when this source (or this cancel) had been seen before: nothing changed (HTTP 200)',
  }),
});

export const CustomerPointsResponse = Type.Object({
  customerId: Uuid('Customer'),
  balances: Type.Array(
    Type.Object({
      pointType: Type.Object({
        id: Uuid('Point type'),
        name: Type.String({ description: 'Name', examples: ['Points'] }),
        code: Type.String({ description: 'Code', examples: ['points'] }),
      }),
      ...balanceFields,
      expiring: Type.Array(
        Type.Object({
          date: Type.String({
            format: 'date',
            description: 'Last local day on which these points can be spent',
            examples: ['2026-12-31'],
          }),
          points: PointsOutput('Points that expire at the end of that day'),
        }),
        { description: 'Points expiring in the next 30 days, by day' },
      ),
    }),
  ),
});

const AddBody = Type.Object(
  {
    points: PointsInput('Points to add, > 0'),
    pointTypeId: Type.Optional(pointTypeId),
    reason,
    activeFrom: Type.Optional(Timestamp('When the points become spendable (default now)')),
    expiresAt: Type.Optional(
      nullable(Timestamp("When they expire; null = never; omitted = the point type's policy")),
    ),
    locationId: Type.Optional(locationId),
    source: Type.Optional(SourceInput),
  },
  { additionalProperties: false },
);

const SpendBody = Type.Object(
  {
    points: PointsInput('Points to spend, > 0'),
    pointTypeId: Type.Optional(pointTypeId),
    reason,
    blockEntryId: Type.Optional(Uuid('Spend exactly what this block holds (then `points` must equal it)')),
    locationId: Type.Optional(locationId),
    source: Type.Optional(SourceInput),
  },
  { additionalProperties: false },
);

const BlockBody = Type.Object(
  {
    points: PointsInput('Points to hold, > 0'),
    pointTypeId: Type.Optional(pointTypeId),
    reason,
    locationId: Type.Optional(locationId),
    source: Type.Optional(SourceInput),
  },
  { additionalProperties: false },
);

const AdjustBody = Type.Object(
  {
    points: PointsInput('Signed points: positive adds, negative spends; not 0'),
    concept: Type.String({
      minLength: 1,
      maxLength: 500,
      description: 'Why (Last.app `concept`)',
      examples: ['Birthday gift'],
    }),
    pointTypeId: Type.Optional(pointTypeId),
    locationId: Type.Optional(locationId),
    source: Type.Optional(SourceInput),
  },
  { additionalProperties: false },
);

const TransferBody = Type.Object(
  {
    to: Type.String({
      minLength: 1,
      maxLength: 320,
      description: 'The receiver: customer id, card number, email, phone or external id',
      examples: ['ana@example.com'],
    }),
    points: PointsInput('Points to transfer, > 0'),
    pointTypeId: Type.Optional(pointTypeId),
    reason: Type.Optional(reason),
    locationId: Type.Optional(locationId),
    source: Type.Optional(SourceInput),
  },
  { additionalProperties: false },
);

const TransferResponse = Type.Object({
  ...OperationResponse.properties,
  to: Type.Object({
    customerId: Uuid('The receiver'),
    entryId: Uuid("The receiver's transfer_in entry"),
  }),
});

const CancelBody = Type.Object({ reason: Type.Optional(reason) }, { additionalProperties: false });

const EntryParams = Type.Object({ entryId: Uuid('Ledger entry id') });

export const HistoryQuery = Type.Object({
  ...PageQuery,
  kind: Type.Optional(
    Type.Array(EntryKindSchema, {
      maxItems: 20,
      description: 'Only these kinds (repeat the parameter for several)',
    }),
  ),
  pointTypeId: Type.Optional(Uuid('Only this point type')),
  from: Type.Optional(Timestamp('Only entries written at or after this moment')),
  to: Type.Optional(Timestamp('Only entries written at or before this moment')),
});

export function presentEntry(entry: EntryRow) {
  return {
    id: entry.id,
    customerId: entry.customerId,
    pointTypeId: entry.pointTypeId,
    kind: entry.kind,
    points: toPoints(entry.points),
    delta: toPoints(entry.delta),
    reason: entry.reason,
    actor: { type: entry.actorType, id: entry.actorId },
    source: entry.sourceType && entry.sourceId ? { type: entry.sourceType, id: entry.sourceId } : null,
    locationId: entry.locationId,
    relatedEntryId: entry.relatedEntryId,
    counterpartyCustomerId: entry.counterpartyCustomerId,
    activeFrom: entry.activeFrom?.toISOString() ?? null,
    expiresAt: entry.expiresAt?.toISOString() ?? null,
    createdAt: entry.createdAt.toISOString(),
  };
}

function presentCounters(balance: Omit<PointTypeBalance, 'pointType' | 'expiring'> | BalanceRow) {
  return {
    active: toPoints(balance.active),
    pending: toPoints(balance.pending),
    blocked: toPoints(balance.blocked),
    earned: toPoints(balance.earned),
    spent: toPoints(balance.spent),
    expired: toPoints(balance.expired),
  };
}

function presentOperation(result: OperationResult) {
  return {
    entry: presentEntry(result.entry),
    balance: { pointTypeId: result.balance.pointTypeId, ...presentCounters(result.balance) },
    replayed: result.replayed,
  };
}

export function presentBalance(balance: PointTypeBalance) {
  const { id, name, code } = balance.pointType;
  return {
    pointType: { id, name, code },
    ...presentCounters(balance),
    expiring: balance.expiring.map(({ date, points }) => ({ date, points: toPoints(points) })),
  };
}

type MemberOperationRequest = FastifyRequest & {
  params: { id: string };
  body: { pointTypeId?: string; source?: Static<typeof SourceInput>; locationId?: string };
};

/** What every points operation on a member takes from its request, besides its points and reason. */
function memberOperation(request: MemberOperationRequest) {
  const { body } = request;
  return {
    organizationId: tenantOf(request).organizationId,
    customerId: request.params.id,
    pointTypeId: body.pointTypeId,
    actor: actorOf(request),
    source: body.source,
    locationId: body.locationId,
  };
}

const date = (value: string | undefined) => (value === undefined ? undefined : new Date(value));

/** What a history query asks the ledger for. */
export function historyFilter(query: Static<typeof HistoryQuery>) {
  return { kinds: query.kind, pointTypeId: query.pointTypeId, from: date(query.from), to: date(query.to) };
}

export function ledgerRoutes(app: App, ledger: LedgerService) {
  app.addSchema(LedgerEntrySchema);
  app.addSchema(BalanceSchema);
  const tags = ['points'];
  const operation = <Body extends TSchema, Response extends TSchema>(
    summary: string,
    body: Body,
    response: Response,
    // What a till does to points (add, spend, block); the rest stays with the default, admin.
    config: { scope?: ApiKeyScope } = {},
  ) => ({
    // Points moved by hand: the audit log records their events (tickets' points it leaves out).
    config: { ...config, audit: 'all-events' as const },
    schema: {
      tags,
      summary,
      params: IdParams,
      body,
      response: { 200: response, 201: response, ...errorResponses(401, 404, 409, 422) },
    },
  });

  app.get(
    '/v1/customers/:id/points',
    {
      config: { scope: 'till' },
      schema: {
        tags,
        summary: "A customer's balances, one per point type, with what expires in the next 30 days",
        params: IdParams,
        response: { 200: CustomerPointsResponse, ...errorResponses(401, 404) },
      },
    },
    async (request) => {
      const balances = await ledger.balances(tenantOf(request).organizationId, request.params.id);
      return { customerId: request.params.id, balances: balances.map(presentBalance) };
    },
  );

  app.post(
    '/v1/customers/:id/points/add',
    operation(
      'Add points by hand (active now or at activeFrom; expiry per point type unless given)',
      AddBody,
      OperationResponse,
      { scope: 'till' },
    ),
    async (request, reply) => {
      const { body } = request;
      const result = await ledger.add({
        ...memberOperation(request),
        points: parsePoints(body.points, 'body.points'),
        reason: body.reason,
        activeFrom: date(body.activeFrom),
        expiresAt: body.expiresAt === null ? null : date(body.expiresAt),
      });
      return reply.code(result.replayed ? 200 : 201).send(presentOperation(result));
    },
  );

  app.post(
    '/v1/customers/:id/points/spend',
    operation(
      'Spend active points, earliest-expiring first; 422 insufficient_points when short',
      SpendBody,
      OperationResponse,
      { scope: 'till' },
    ),
    async (request, reply) => {
      const { body } = request;
      const result = await ledger.spend({
        ...memberOperation(request),
        points: parsePoints(body.points, 'body.points'),
        reason: body.reason,
        blockEntryId: body.blockEntryId,
      });
      return reply.code(result.replayed ? 200 : 201).send(presentOperation(result));
    },
  );

  app.post(
    '/v1/customers/:id/points/block',
    operation('Hold active points until the block is spent or cancelled', BlockBody, OperationResponse, {
      scope: 'till',
    }),
    async (request, reply) => {
      const { body } = request;
      const result = await ledger.block({
        ...memberOperation(request),
        points: parsePoints(body.points, 'body.points'),
        reason: body.reason,
      });
      return reply.code(result.replayed ? 200 : 201).send(presentOperation(result));
    },
  );

  app.post(
    '/v1/customers/:id/points/adjust',
    operation(
      'Signed adjustment (Last.app style): positive points add, negative points spend',
      AdjustBody,
      OperationResponse,
    ),
    async (request, reply) => {
      const { body } = request;
      const result = await ledger.adjust({
        ...memberOperation(request),
        points: parsePoints(body.points, 'body.points', { signed: true }),
        reason: body.concept,
      });
      return reply.code(result.replayed ? 200 : 201).send(presentOperation(result));
    },
  );

  app.post(
    '/v1/customers/:id/points/transfer',
    operation('Give points to another customer, atomically', TransferBody, TransferResponse),
    async (request, reply) => {
      const { body } = request;
      const result = await ledger.transfer({
        ...memberOperation(request),
        to: body.to,
        points: parsePoints(body.points, 'body.points'),
        reason: body.reason,
      });
      return reply.code(result.replayed ? 200 : 201).send({
        ...presentOperation(result),
        to: { customerId: result.counterpart.customerId, entryId: result.counterpart.id },
      });
    },
  );

  app.get(
    '/v1/customers/:id/points/history',
    {
      schema: {
        tags,
        summary: "A customer's ledger entries, newest first",
        params: IdParams,
        querystring: HistoryQuery,
        response: { 200: Page(Type.Ref('LedgerEntry')), ...errorResponses(401, 404, 422) },
      },
    },
    async (request) => {
      const { query } = request;
      const page = pageRequest(query);
      const rows = await ledger.history(
        tenantOf(request).organizationId,
        request.params.id,
        historyFilter(query),
        page,
      );
      const result = toPage(rows, page, (row) => row.id);
      return { data: result.data.map(presentEntry), nextCursor: result.nextCursor };
    },
  );

  app.get(
    '/v1/points/entries/:entryId',
    {
      schema: {
        tags,
        summary: 'One ledger entry',
        params: EntryParams,
        response: { 200: Type.Ref('LedgerEntry'), ...errorResponses(401, 404) },
      },
    },
    async (request) =>
      presentEntry(await ledger.getEntry(tenantOf(request).organizationId, request.params.entryId)),
  );

  app.post(
    '/v1/points/entries/:entryId/cancel',
    {
      config: { audit: 'all-events' },
      schema: {
        tags,
        summary:
          'Cancel an entry: an add/earn loses what remains of it, a spend gives its points back with their expiry, a block is released',
        params: EntryParams,
        body: CancelBody,
        response: {
          200: OperationResponse,
          201: OperationResponse,
          ...errorResponses(401, 404, 422),
        },
      },
    },
    async (request, reply) => {
      const result = await ledger.cancel({
        organizationId: tenantOf(request).organizationId,
        entryId: request.params.entryId,
        reason: request.body.reason,
        actor: actorOf(request),
      });
      return reply.code(result.replayed ? 200 : 201).send(presentOperation(result));
    },
  );
}
