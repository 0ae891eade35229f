import { parsePoints } from '../../domain/points.ts';
import { notFound } from '../../errors.ts';
import type { App } from '../../http/types.ts';
import { isMovement, type MovementSort } from '../../modules/ledger/service.ts';
import { type OlContext, pagingOf, tags } from './context.ts';
import { OlP2pForm, OlTransferForm, OlTransferQuery, StoreParams, TransferParams } from './contract.ts';
import { blankFields, type FormSpec, P2P, TRANSFER, unsubmittedForm } from './errors.ts';
import { directionsOfOlType, toOlTransfer } from './translate.ts';

/**
 * OL's points transfers: the list (every member's, or one's), add, spend, block, cancel and the
 * P2P transfer. Each is one ledger operation; OL's transfer id is the ledger entry's id.
 */

const transferForm: FormSpec = {
  root: 'transfer',
  fields: TRANSFER,
  rename: (path) => ({ customerId: 'customer', reason: 'comment' })[path] ?? path,
};
const p2pForm: FormSpec = {
  root: 'transfer',
  fields: P2P,
  rename: (path) => ({ customerId: 'sender', to: 'receiver' })[path] ?? path,
};

/** OL's sorts, as the ledger's (others keep the default order, by id). */
const TRANSFER_SORTS: Record<string, MovementSort> = {
  pointsTransferId: 'id',
  createdAt: 'createdAt',
  value: 'points',
};

export function pointsRoutes(app: App, ol: OlContext) {
  const { services, guarded, storeOf, tenantOf } = ol;
  const schema = { tags, security: [] };

  app.get(
    '/api/:storeCode/points/transfer',
    {
      ...guarded('GET', '/api/:storeCode/points/transfer'),
      schema: {
        ...schema,
        summary: 'OL: the points transfers, filtered and paged',
        params: StoreParams,
        querystring: OlTransferQuery,
      },
    },
    async (request) => {
      const store = await storeOf(request);
      const query = request.query;
      const { organizationId } = store;
      const identifier =
        query.customerId?.trim() || query.customerEmail?.trim() || query.customerPhone?.trim();
      const customer = identifier ? await services.customers.lookup(organizationId, identifier) : null;
      const paging = pagingOf(query);
      const { rows, total } = await services.ledger.movements(
        organizationId,
        {
          customerId: customer?.id,
          directions: query.type === undefined ? undefined : directionsOfOlType(query.type),
          states: [query.state, query['state[]']].flat().filter((state) => state !== undefined),
        },
        {
          offset: (paging.page - 1) * paging.perPage,
          limit: paging.perPage,
          sort: TRANSFER_SORTS[paging.sort ?? ''] ?? 'id',
          descending: paging.descending,
        },
      );
      const [members, documentNumbers] = await Promise.all([
        services.customers.many(
          organizationId,
          rows.map((entry) => entry.customerId),
        ),
        services.transactions.documentNumbers(
          organizationId,
          rows.flatMap((entry) =>
            entry.sourceType === 'transaction' && entry.sourceId ? [entry.sourceId] : [],
          ),
        ),
      ]);
      return {
        transfers: rows.map((entry) =>
          toOlTransfer(entry, members.get(entry.customerId), { store, documentNumbers }),
        ),
        total,
      };
    },
  );

  for (const operation of ['add', 'spend', 'block'] as const) {
    const url = `/api/:storeCode/points/transfer/${operation}`;
    app.post(
      url,
      {
        ...guarded('POST', url, { form: transferForm, audit: true }),
        schema: {
          ...schema,
          summary: `OL: ${operation} a customer’s points`,
          params: StoreParams,
          body: OlTransferForm,
        },
      },
      async (request, reply) => {
        const store = await storeOf(request);
        const transfer = request.body?.transfer;
        if (!transfer) return reply.code(400).send(unsubmittedForm(transferForm));
        const blank = blankFields(transferForm, {
          customer: !transfer.customer?.trim(),
          points: transfer.points === undefined,
        });
        if (blank || transfer.points === undefined || !transfer.customer) return reply.code(400).send(blank);
        const customer = await ol.customerById(store.organizationId, transfer.customer);
        const result = await services.ledger[operation]({
          organizationId: store.organizationId,
          customerId: customer.id,
          points: parsePoints(transfer.points, 'body.transfer.points'),
          reason: transfer.comment?.trim() || null,
          actor: tenantOf(request).actor,
        });
        return { pointsTransferId: result.entry.id };
      },
    );
  }

  app.post(
    '/api/:storeCode/points/transfer/:transfer/cancel',
    {
      ...guarded('POST', '/api/:storeCode/points/transfer/:transfer/cancel', { audit: true }),
      schema: {
        ...schema,
        summary: 'OL: cancel a points transfer (unblocks a block)',
        params: TransferParams,
      },
    },
    async (request, reply) => {
      const store = await storeOf(request);
      const entry = await services.ledger.getEntry(
        store.organizationId,
        request.params.transfer.trim().toLowerCase(),
      );
      if (!isMovement(entry)) throw notFound('points transfer');
      await services.ledger.cancel({
        organizationId: store.organizationId,
        entryId: entry.id,
        actor: tenantOf(request).actor,
      });
      return reply.code(200).send();
    },
  );

  for (const change of ['activate', 'expire'] as const) {
    const url = `/api/:storeCode/points/transfer/:transfer/${change}`;
    app.post(
      url,
      {
        ...guarded('POST', url, { scope: 'admin', audit: true }),
        schema: {
          ...schema,
          summary:
            change === 'activate'
              ? 'OL: make a pending transfer’s points spendable now'
              : 'OL: expire an active transfer’s points now',
          params: TransferParams,
        },
      },
      async (request, reply) => {
        const store = await storeOf(request);
        await services.ledger.settleNow({
          organizationId: store.organizationId,
          entryId: request.params.transfer.trim(),
          change,
        });
        return reply.code(204).send();
      },
    );
  }

  app.post(
    '/api/:storeCode/admin/p2p-points-transfer',
    {
      ...guarded('POST', '/api/:storeCode/admin/p2p-points-transfer', { form: p2pForm, audit: true }),
      schema: {
        ...schema,
        summary: 'OL: move points from one customer to another',
        params: StoreParams,
        body: OlP2pForm,
      },
    },
    async (request, reply) => {
      const store = await storeOf(request);
      const transfer = request.body?.transfer;
      if (!transfer) return reply.code(400).send(unsubmittedForm(p2pForm));
      const blank = blankFields(p2pForm, {
        sender: !transfer.sender?.trim(),
        receiver: !transfer.receiver?.trim(),
        points: transfer.points === undefined,
      });
      if (blank || !transfer.sender || !transfer.receiver || transfer.points === undefined) {
        return reply.code(400).send(blank);
      }
      // Sender and receiver by id, email or phone, as OL takes them.
      const sender = await services.customers.lookup(store.organizationId, transfer.sender);
      const result = await services.ledger.transfer({
        organizationId: store.organizationId,
        customerId: sender.id,
        to: transfer.receiver.trim(),
        points: parsePoints(transfer.points, 'body.transfer.points'),
        actor: tenantOf(request).actor,
      });
      return { pointsTransferId: result.entry.id };
    },
  );
}
