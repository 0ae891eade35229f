import { parsePoints } from '../../domain/points.ts';
import { notFound } from '../../errors.ts';
import type { App } from '../../http/types.ts';
import type { Customer } from '../../modules/customers/service.ts';
import type { EntryRow } from '../../modules/ledger/service.ts';
import { cut, type OlContext, pagingOf, readWindow, tags } from './context.ts';
import { OlP2pForm, OlTransferForm, OlTransferQuery, StoreParams, TransferParams } from './contract.ts';
import { blankFields, type FormSpec, P2P, TRANSFER, unsubmittedForm } from './errors.ts';
import { toOlTransfer, transferStateOf, transferTypeOf } from './translate.ts';

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

/** Entries that undo another (OL shows the other one as canceled instead). */
const UNDOING = new Set(['cancel', 'unblock']);

const TRANSFER_SORTS: Record<string, (entry: EntryRow) => string | number> = {
  pointsTransferId: (entry) => entry.id,
  createdAt: (entry) => entry.createdAt.getTime(),
  value: (entry) => Math.abs(entry.points),
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
      const read = (page: { limit: number; afterId: string | undefined }) =>
        customer
          ? services.ledger.history(organizationId, customer.id, {}, page)
          : services.ledger.entries(organizationId, {}, page);
      const entries = await readWindow(read);
      const undone = new Set(
        entries
          .filter((entry) => UNDOING.has(entry.kind) && entry.relatedEntryId)
          .map((entry) => entry.relatedEntryId!),
      );
      const now = new Date();
      const states = [query.state, query['state[]']].flat().filter((state) => state !== undefined);
      const shown = entries.filter(
        (entry) =>
          transferTypeOf(entry) !== undefined &&
          (query.type === undefined || transferTypeOf(entry) === query.type) &&
          (states.length === 0 ||
            states.includes(transferStateOf(entry, undone, now) as (typeof states)[number])),
      );
      // The ledger lists newest first; OL's default order is ascending.
      const page = cut(shown.reverse(), pagingOf(query), TRANSFER_SORTS);
      const members = new Map<string, Customer>();
      const documentNumbers = new Map<string, string>();
      for (const entry of page) {
        if (!members.has(entry.customerId))
          members.set(entry.customerId, await services.customers.get(organizationId, entry.customerId));
        if (entry.sourceType === 'transaction' && entry.sourceId && !documentNumbers.has(entry.sourceId)) {
          const ticket = await services.transactions.get(organizationId, entry.sourceId);
          documentNumbers.set(entry.sourceId, ticket.documentNumber);
        }
      }
      return {
        transfers: page.map((entry) =>
          toOlTransfer(entry, members.get(entry.customerId)!, { undone, now, store, documentNumbers }),
        ),
        total: shown.length,
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
      if (transferTypeOf(entry) === undefined) throw notFound('points transfer');
      await services.ledger.cancel({
        organizationId: store.organizationId,
        entryId: entry.id,
        actor: tenantOf(request).actor,
      });
      return reply.code(200).send();
    },
  );

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
