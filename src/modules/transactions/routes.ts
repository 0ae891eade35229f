import { Type } from 'typebox';
import type { BreakdownEntry } from '../../domain/earning/types.ts';
import { toPoints } from '../../domain/points.ts';
import { tenantOf } from '../../http/auth.ts';
import { requireAccessToLocated } from '../../http/location-access.ts';
import { Page, PageQuery, pageRequest, toPage } from '../../http/pagination.ts';
import { errorResponses, IdParams, Timestamp, Uuid } from '../../http/schemas.ts';
import type { App } from '../../http/types.ts';
import { BreakdownEntrySchema, LabelsChangeBody, TransactionInputSchema } from './contract.ts';
import type { TransactionRow, TransactionsService } from './service.ts';

const Points = (description: string) =>
  Type.Number({ description: `${description} (two decimals)`, examples: [6.9] });

const TransactionSchema = Type.Object(
  {
    id: Uuid('Transaction id'),
    documentNumber: Type.String(),
    source: Type.String(),
    type: Type.String({ examples: ['sale'] }),
    status: Type.String({ examples: ['completed'] }),
    revisedDocumentNumber: Type.Union([Type.String(), Type.Null()]),
    originalTransactionId: Type.Union([Uuid('For returns: the sale returned'), Type.Null()]),
    channel: Type.String(),
    serviceType: Type.Union([Type.String(), Type.Null()]),
    locationId: Type.Union([Type.String(), Type.Null()]),
    brandId: Type.Union([Type.String(), Type.Null()]),
    purchasedAt: Timestamp('When it was sold'),
    currency: Type.String(),
    totals: Type.Record(Type.String(), Type.Integer(), { description: 'Totals in minor units' }),
    lines: Type.Array(Type.Record(Type.String(), Type.Unknown())),
    payments: Type.Array(Type.Record(Type.String(), Type.Unknown())),
    labels: Type.Array(Type.Object({ key: Type.String(), value: Type.String() })),
    metadata: Type.Record(Type.String(), Type.Unknown()),
    customerId: Type.Union([Uuid('The member, null while unassigned'), Type.Null()]),
    pointsEarned: Points('Points the member earned on it'),
    pointsReversed: Points(
      'Sales: points taken back by returns and cancellation. Returns: points this return took back',
    ),
    returnedAmount: Type.Integer({ description: 'Sales: money returned so far, minor units' }),
    reversalShortfall: Points('Returns: points that could not be taken back (already spent)'),
    breakdown: Type.Array(BreakdownEntrySchema),
    createdAt: Timestamp('When Regulars received it'),
    updatedAt: Timestamp('When it last changed'),
  },
  { $id: 'Transaction' },
);

const IngestResponse = Type.Object({
  transaction: Type.Ref('Transaction'),
  customerId: Type.Union([Type.String(), Type.Null()]),
  pointsEarned: Points('Points the member earned on this ticket'),
  breakdown: Type.Array(BreakdownEntrySchema),
});

const SimulateResponse = Type.Object({
  customerId: Type.Union([Type.String(), Type.Null()], { description: 'The member identified, if any' }),
  pointsEarned: Points('What the ticket would earn'),
  breakdown: Type.Array(BreakdownEntrySchema),
});

const ListQuery = Type.Object({
  ...PageQuery,
  customerId: Type.Optional(Uuid('Only this member')),
  locationId: Type.Optional(Uuid('Only this location')),
  documentNumber: Type.Optional(Type.String()),
  type: Type.Optional(Type.Union([Type.Literal('sale'), Type.Literal('return')])),
  status: Type.Optional(
    Type.Union([Type.Literal('pending'), Type.Literal('completed'), Type.Literal('cancelled')]),
  ),
  from: Type.Optional(Timestamp('Purchased at or after')),
  to: Type.Optional(Timestamp('Purchased before')),
});

function presentBreakdown(entries: BreakdownEntry[]) {
  return entries.map((entry) => ({ ...entry, points: toPoints(entry.points) }));
}

function presentTransaction(row: TransactionRow) {
  const content = row.content;
  return {
    id: row.id,
    documentNumber: row.documentNumber,
    source: row.source,
    type: row.type,
    status: row.status,
    revisedDocumentNumber: content.revisedDocumentNumber ?? null,
    originalTransactionId: row.originalTransactionId,
    channel: content.channel,
    serviceType: content.serviceType ?? null,
    locationId: row.locationId,
    brandId: content.brandId ?? null,
    purchasedAt: row.purchasedAt.toISOString(),
    currency: row.currency,
    totals: content.totals,
    lines: content.lines,
    payments: content.payments ?? [],
    labels: content.labels ?? [],
    metadata: content.metadata ?? {},
    customerId: row.customerId,
    pointsEarned: toPoints(row.pointsEarned),
    pointsReversed: toPoints(row.pointsReversed),
    returnedAmount: row.returnedAmount,
    reversalShortfall: toPoints(row.reversalShortfall),
    breakdown: presentBreakdown(row.breakdown),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export function transactionRoutes(app: App, transactions: TransactionsService) {
  app.addSchema(TransactionSchema);
  const tags = ['transactions'];

  app.post(
    '/v1/transactions',
    {
      config: { scope: 'till' },
      schema: {
        tags,
        summary: 'Send a ticket; a matched member earns at once',
        description:
          'Idempotent on (source, documentNumber): the same ticket again answers 200 with the first result; different content answers 409. Sending it again with another status is a status change (pending → completed earns, completed → cancelled takes the points back). A return (`type: return`, `revisedDocumentNumber`) takes back points in proportion to the amount returned.',
        body: TransactionInputSchema,
        response: { 200: IngestResponse, 201: IngestResponse, ...errorResponses(401, 409, 422) },
      },
    },
    async (request, reply) => {
      const tenant = tenantOf(request);
      const { transaction, created } = await transactions.ingest(
        tenant.organizationId,
        request.body,
        tenant.actor,
      );
      return reply.code(created ? 201 : 200).send({
        transaction: presentTransaction(transaction),
        customerId: transaction.customerId,
        pointsEarned: toPoints(transaction.pointsEarned),
        breakdown: presentBreakdown(transaction.breakdown),
      });
    },
  );

  app.post(
    '/v1/transactions/simulate',
    {
      config: { scope: 'till' },
      schema: {
        tags,
        summary: 'What a ticket would earn, rule by rule; writes nothing',
        body: TransactionInputSchema,
        response: { 200: SimulateResponse, ...errorResponses(401, 422) },
      },
    },
    async (request) => {
      const result = await transactions.simulate(tenantOf(request).organizationId, request.body);
      return {
        customerId: result.customerId,
        pointsEarned: toPoints(result.total),
        breakdown: presentBreakdown(result.entries),
      };
    },
  );

  app.patch(
    '/v1/transactions/:id/labels',
    {
      config: { scope: 'till' },
      schema: {
        tags,
        summary: "Change a ticket's own labels after the fact (what it earned is not re-evaluated)",
        description:
          'Replaces (`set`), appends (`add`) or removes (`remove`) the labels of the ticket itself, in that order, and emits `transaction.labels_changed`. Earning rules read line labels, and what a ticket earned was settled when it completed with its member, so points do not change (as in Open Loyalty).',
        params: IdParams,
        body: LabelsChangeBody,
        response: { 200: Type.Ref('Transaction'), ...errorResponses(401, 404, 422) },
      },
    },
    async (request) => {
      const tenant = tenantOf(request);
      await requireAccessToLocated(
        tenant,
        () => transactions.get(tenant.organizationId, request.params.id),
        'params.id',
      );
      const row = await transactions.changeLabels(
        tenant.organizationId,
        request.params.id,
        request.body,
        tenant.actor,
      );
      return presentTransaction(row);
    },
  );

  app.post(
    '/v1/transactions/:id/assign',
    {
      config: { scope: 'till' },
      schema: {
        tags,
        summary:
          'Attach an unassigned ticket to a member (by any lookup identifier); a completed sale earns now',
        params: IdParams,
        body: Type.Object(
          {
            identifier: Type.String({
              minLength: 1,
              maxLength: 320,
              description: 'Customer id, card number, phone, email or external id',
            }),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Ref('Transaction'), ...errorResponses(401, 404, 409, 422) },
      },
    },
    async (request) => {
      const tenant = tenantOf(request);
      // A till restricted to some locations assigns only their tickets.
      await requireAccessToLocated(
        tenant,
        () => transactions.get(tenant.organizationId, request.params.id),
        'params.id',
      );
      const row = await transactions.assign(
        tenant.organizationId,
        request.params.id,
        request.body.identifier,
        tenant.actor,
      );
      return presentTransaction(row);
    },
  );

  app.get(
    '/v1/transactions',
    {
      schema: {
        tags,
        summary: 'List transactions',
        querystring: ListQuery,
        response: { 200: Page(Type.Ref('Transaction')), ...errorResponses(401, 422) },
      },
    },
    async (request) => {
      const page = pageRequest(request.query);
      const rows = await transactions.list(tenantOf(request).organizationId, request.query, page);
      const result = toPage(rows, page, (row) => row.id);
      return { data: result.data.map(presentTransaction), nextCursor: result.nextCursor };
    },
  );

  app.get(
    '/v1/transactions/:id',
    {
      config: { scope: 'till' },
      schema: {
        tags,
        summary: 'Get a transaction with its points breakdown',
        params: IdParams,
        response: { 200: Type.Ref('Transaction'), ...errorResponses(401, 404) },
      },
    },
    async (request) =>
      presentTransaction(await transactions.get(tenantOf(request).organizationId, request.params.id)),
  );
}
