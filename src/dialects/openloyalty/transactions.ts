import type { Static } from 'typebox';
import { isUuid } from '../../domain/customers.ts';
import { toPoints } from '../../domain/points.ts';
import { AppError, notFound } from '../../errors.ts';
import type { App } from '../../http/types.ts';
import type { TransactionRow } from '../../modules/transactions/service.ts';
import { cut, type OlContext, pagingOf, readWindow, tags } from './context.ts';
import {
  OlAppendLabelsForm,
  OlAssignForm,
  OlLabelsBody,
  OlTransactionForm,
  OlTransactionLabelsForm,
  OlTransactionQuery,
  StoreParams,
  TransactionParams,
} from './contract.ts';
import {
  APPEND_LABELS,
  ASSIGN,
  blankFields,
  type FormSpec,
  formBody,
  TRANSACTION,
  TRANSACTION_LABELS,
  unsubmittedForm,
} from './errors.ts';
import { parseOlDate } from './format.ts';
import { toOlTransaction, toTransactionInput, transactionFieldOf } from './translate.ts';

/**
 * OL's transactions: register a sell or return document, list, read, simulate, and assign an
 * unassigned one to a customer, change its labels. Earning, returns, assignment and label edits
 * are the transactions service's.
 */

const SOURCE = 'openloyalty';
const transactionForm: FormSpec = { root: 'transaction', fields: TRANSACTION, rename: transactionFieldOf };
const assignForm: FormSpec = { root: 'assign', fields: ASSIGN };
const labelsForm: FormSpec = { root: 'transaction_labels', fields: TRANSACTION_LABELS };
const appendForm: FormSpec = { root: 'append', fields: APPEND_LABELS };

/** OL's labels as sent: a pair needs a key (OL's form drops a label without one). */
function labelsOf(labels: Array<{ key?: string | undefined; value?: string | undefined }> | undefined) {
  return (labels ?? [])
    .filter((label) => label.key?.trim())
    .map((label) => ({ key: label.key!.trim(), value: label.value?.trim() ?? '' }));
}

/** A transaction of the store by OL's id (the Regulars id); 404 for anything else. */
function transactionIdOf(value: string | undefined): string {
  const id = value?.trim().toLowerCase() ?? '';
  if (!isUuid(id)) throw notFound('transaction');
  return id;
}

const TRANSACTION_SORTS: Record<string, (row: TransactionRow) => string | number | null> = {
  transactionId: (row) => row.id,
  documentNumber: (row) => row.documentNumber,
  purchaseDate: (row) => row.purchasedAt.getTime(),
  grossValue: (row) => row.total,
  pointsEarned: (row) => row.pointsEarned,
};

export function transactionRoutes(app: App, ol: OlContext) {
  const { services, guarded, storeOf, tenantOf } = ol;
  const schema = { tags, security: [] };

  app.post(
    '/api/:storeCode/transaction',
    {
      ...guarded('POST', '/api/:storeCode/transaction', { form: transactionForm }),
      schema: {
        ...schema,
        summary: 'OL: register a transaction document',
        params: StoreParams,
        body: OlTransactionForm,
      },
    },
    async (request, reply) => {
      const store = await storeOf(request);
      const fields = request.body?.transaction;
      if (!fields) return reply.code(400).send(unsubmittedForm(transactionForm));
      const blank = blankFields(transactionForm, {
        'transactionData.documentType': !fields.transactionData?.documentType,
        'transactionData.documentNumber': !fields.transactionData?.documentNumber?.trim(),
        'customerData.name': !fields.customerData?.name?.trim(),
      });
      if (blank) return reply.code(400).send(blank);
      const { transaction } = await services.transactions.ingest(
        store.organizationId,
        toTransactionInput(fields, store),
        tenantOf(request).actor,
      );
      return { transactionId: transaction.id };
    },
  );

  app.get(
    '/api/:storeCode/transaction',
    {
      ...guarded('GET', '/api/:storeCode/transaction'),
      schema: {
        ...schema,
        summary: 'OL: the transactions, filtered and paged',
        params: StoreParams,
        querystring: OlTransactionQuery,
      },
    },
    async (request) => {
      const store = await storeOf(request);
      const query = request.query;
      const date = (value: string | undefined, path: string) =>
        value?.trim() ? parseOlDate(value, store.timeZone, path).toISOString() : undefined;
      const customerId = query.customerId?.trim().toLowerCase() || undefined;
      if (customerId) await ol.customerById(store.organizationId, customerId);
      const rows = await readWindow((page) =>
        services.transactions.list(
          store.organizationId,
          {
            customerId,
            documentNumber: query.documentNumber?.trim() || undefined,
            type:
              query.documentType === undefined
                ? undefined
                : query.documentType === 'return'
                  ? 'return'
                  : 'sale',
            from: date(query.purchaseDateFrom, 'query.purchaseDateFrom'),
            to: date(query.purchaseDateTo, 'query.purchaseDateTo'),
          },
          page,
        ),
      );
      const page = cut(rows, pagingOf(query), TRANSACTION_SORTS);
      return { transactions: page.map((row) => toOlTransaction(row, store)), total: rows.length };
    },
  );

  app.get(
    '/api/:storeCode/transaction/:transaction',
    {
      ...guarded('GET', '/api/:storeCode/transaction/:transaction'),
      schema: { ...schema, summary: 'OL: a transaction', params: TransactionParams },
    },
    async (request) => {
      const store = await storeOf(request);
      const id = transactionIdOf(request.params.transaction);
      return toOlTransaction(await services.transactions.get(store.organizationId, id), store);
    },
  );

  app.post(
    '/api/:storeCode/transaction/simulate',
    {
      ...guarded('POST', '/api/:storeCode/transaction/simulate', { form: transactionForm }),
      schema: {
        ...schema,
        summary: 'OL: the points a transaction would earn',
        params: StoreParams,
        body: OlTransactionForm,
      },
    },
    async (request, reply) => {
      const store = await storeOf(request);
      const fields = request.body?.transaction;
      if (!fields) return reply.code(400).send(unsubmittedForm(transactionForm));
      const evaluation = await services.transactions.simulate(
        store.organizationId,
        toTransactionInput(fields, store, { simulation: true }),
      );
      return { points: toPoints(evaluation.total) };
    },
  );

  app.post(
    '/api/:storeCode/admin/transaction/labels',
    {
      ...guarded('POST', '/api/:storeCode/admin/transaction/labels', { form: labelsForm }),
      schema: {
        ...schema,
        summary: "OL: replace a transaction's labels",
        params: StoreParams,
        body: OlTransactionLabelsForm,
      },
    },
    async (request, reply) => {
      const store = await storeOf(request);
      const fields = request.body?.transaction_labels;
      if (!fields) return reply.code(400).send(unsubmittedForm(labelsForm));
      const blank = blankFields(labelsForm, { transactionId: !fields.transactionId?.trim() });
      if (blank) return reply.code(400).send(blank);
      const changed = await services.transactions.changeLabels(
        store.organizationId,
        transactionIdOf(fields.transactionId),
        { set: labelsOf(fields.labels ?? fields.label) },
        tenantOf(request).actor,
      );
      return { transactionId: changed.id };
    },
  );

  app.patch(
    '/api/:storeCode/admin/transaction/labels',
    {
      ...guarded('PATCH', '/api/:storeCode/admin/transaction/labels', { form: appendForm }),
      schema: {
        ...schema,
        summary: 'OL: append labels to a transaction, by document number',
        params: StoreParams,
        body: OlAppendLabelsForm,
      },
    },
    async (request, reply) => {
      const store = await storeOf(request);
      const fields = request.body?.append;
      if (!fields) return reply.code(400).send(unsubmittedForm(appendForm));
      const documentNumber = fields.transactionDocumentNumber?.trim();
      const blank = blankFields(appendForm, { transactionDocumentNumber: !documentNumber });
      if (blank || !documentNumber) return reply.code(400).send(blank);
      const found = await services.transactions.findByDocument(store.organizationId, SOURCE, documentNumber);
      if (!found) throw notFound('transaction');
      const changed = await services.transactions.changeLabels(
        store.organizationId,
        found.id,
        { add: labelsOf(fields.labels) },
        tenantOf(request).actor,
      );
      return { transactionId: changed.id };
    },
  );

  for (const method of ['PUT', 'DELETE'] as const) {
    // OL names it {transactionId}; the router needs one name per path segment, shared with GET …/:transaction.
    const url = '/api/:storeCode/transaction/:transaction/label';
    app.route({
      method,
      url,
      ...guarded(method, url),
      schema: {
        ...schema,
        summary:
          method === 'PUT' ? 'OL: add labels to a transaction' : 'OL: remove labels from a transaction',
        params: TransactionParams,
        body: OlLabelsBody,
      },
      handler: async (request, reply) => {
        const store = await storeOf(request);
        const params = request.params as Static<typeof TransactionParams>;
        const labels = labelsOf((request.body as OlLabelsBody | undefined)?.labels);
        await services.transactions.changeLabels(
          store.organizationId,
          transactionIdOf(params.transaction),
          method === 'PUT' ? { add: labels } : { remove: labels },
          tenantOf(request).actor,
        );
        return reply.code(204).send();
      },
    });
  }

  for (const prefix of ['/admin', '/pos']) {
    const url = `/api/:storeCode${prefix}/transaction/customer/assign`;
    app.post(
      url,
      {
        ...guarded('POST', url, { form: assignForm }),
        schema: {
          ...schema,
          summary: 'OL: assign a transaction to a customer by document number',
          params: StoreParams,
          body: OlAssignForm,
        },
      },
      async (request, reply) => {
        const store = await storeOf(request);
        const assign = request.body?.assign;
        if (!assign) return reply.code(400).send(unsubmittedForm(assignForm));
        const documentNumber = assign.transactionDocumentNumber?.trim();
        const identifier =
          assign.customerId?.trim() ||
          assign.customerLoyaltyCardNumber?.trim() ||
          assign.customerPhoneNumber?.trim();
        const blank = blankFields(assignForm, {
          transactionDocumentNumber: !documentNumber,
          customerId: !identifier,
        });
        if (blank || !documentNumber || !identifier) return reply.code(400).send(blank);
        const found = await services.transactions.findByDocument(
          store.organizationId,
          SOURCE,
          documentNumber,
        );
        if (!found) throw notFound('transaction');
        try {
          const assigned = await services.transactions.assign(
            store.organizationId,
            found.id,
            identifier,
            tenantOf(request).actor,
          );
          return { transactionId: assigned.id };
        } catch (error) {
          if (error instanceof AppError && error.code === 'already_assigned') {
            return reply.code(400).send(
              formBody(assignForm, [
                {
                  path: 'transactionDocumentNumber',
                  message: 'Customer is already assigned to this transaction',
                  raw: true,
                },
              ]),
            );
          }
          throw error;
        }
      },
    );
  }
}
