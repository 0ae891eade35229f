import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { AppError, notFound } from '../../errors.ts';
import type { App } from '../../http/types.ts';
import type { Customer } from '../../modules/customers/service.ts';
import { cut, type OlContext, pagingOf, readWindow, tags } from './context.ts';
import {
  CustomerParams,
  LevelParams,
  OlCustomerForm,
  OlCustomerQuery,
  OlLevelForm,
  OlPageQuery,
  OlSearchForm,
  StoreParams,
} from './contract.ts';
import {
  blankFields,
  CUSTOMER_REGISTER,
  CUSTOMER_UPDATE,
  type FormSpec,
  formBody,
  LEVEL,
  unsubmittedForm,
} from './errors.ts';
import { isSet } from './format.ts';
import {
  customerFieldOf,
  toCustomerChange,
  toCustomerInput,
  toOlCustomerLevel,
  toOlLevel,
  toOlStatus,
} from './translate.ts';

/**
 * OL's customers (members) and levels (tiers): register, read, update, list and search,
 * activate/deactivate, status, manual level assignment; the level lists.
 */

const registerForm: FormSpec = { root: 'customer', fields: CUSTOMER_REGISTER, rename: customerFieldOf };
const updateForm: FormSpec = { root: 'customer', fields: CUSTOMER_UPDATE, rename: customerFieldOf };
const levelForm: FormSpec = {
  root: '',
  fields: LEVEL,
  rename: (path) => (path === 'tierId' ? 'levelId' : path),
};

const CUSTOMER_SORTS: Record<string, (customer: Customer) => string | number | null> = {
  customerId: (customer) => customer.id,
  firstName: (customer) => customer.firstName?.toLowerCase() ?? null,
  lastName: (customer) => customer.lastName?.toLowerCase() ?? null,
  email: (customer) => customer.email,
  phone: (customer) => customer.phone,
  loyaltyCardNumber: (customer) => customer.loyaltyCardNumber,
  createdAt: (customer) => customer.createdAt.getTime(),
  updatedAt: (customer) => customer.updatedAt.getTime(),
};

/** OL's name filters: a "like" match, or exact with `strict=1`. */
function matches(value: string | null, wanted: string | undefined, strict: boolean): boolean {
  if (wanted === undefined || wanted === '') return true;
  if (value === null) return false;
  return strict
    ? value.toLowerCase() === wanted.toLowerCase()
    : value.toLowerCase().includes(wanted.toLowerCase());
}

export function memberRoutes(app: App, ol: OlContext) {
  const { services, guarded, storeOf, customerById, customerView } = ol;
  const schema = { tags, security: [] };

  const allLevels = async (organizationId: string, activeOnly: boolean) =>
    readWindow((page) => services.tiers.list(organizationId, activeOnly ? { active: true } : {}, page));

  /** The member's level set by hand, when the form names one (OL's `customer[levelId]`). */
  async function assignLevel(organizationId: string, customerId: string, levelId: string | undefined) {
    if (!levelId?.trim()) return;
    await services.audience.assignTier(organizationId, customerId, { tierId: levelId.trim().toLowerCase() });
  }

  const register = async (request: FastifyRequest, body: OlCustomerForm, reply: FastifyReply) => {
    const store = await storeOf(request);
    const fields = body?.customer;
    if (!fields) return reply.code(400).send(unsubmittedForm(registerForm));
    const blank = blankFields(registerForm, {
      firstName: !fields.firstName?.trim(),
      lastName: !fields.lastName?.trim(),
      email: !fields.email?.trim() && !fields.phone?.trim(),
    });
    if (blank) return reply.code(400).send(blank);
    // A level named in the form is checked first, so that a bad one leaves no member behind.
    const levelId = fields.levelId?.trim().toLowerCase();
    if (levelId) {
      const levels = await allLevels(store.organizationId, true);
      if (!levels.some((tier) => tier.id === levelId)) {
        return reply
          .code(400)
          .send(
            formBody(registerForm, [{ path: 'levelId', message: 'This value is not valid.', raw: true }]),
          );
      }
    }
    const customer = await services.customers.create(store.organizationId, toCustomerInput(fields));
    await assignLevel(store.organizationId, customer.id, levelId);
    return reply.code(200).send({ customerId: customer.id, email: customer.email ?? undefined });
  };
  for (const prefix of ['', '/admin', '/seller']) {
    const url = `/api/:storeCode${prefix}/customer/register`;
    app.post(
      url,
      {
        ...guarded('POST', url, { form: registerForm }),
        schema: { ...schema, summary: 'OL: register a customer', params: StoreParams, body: OlCustomerForm },
      },
      (request, reply) => register(request, request.body, reply),
    );
  }

  app.get(
    '/api/:storeCode/customer/:customer',
    {
      ...guarded('GET', '/api/:storeCode/customer/:customer'),
      schema: { ...schema, summary: 'OL: a customer’s details', params: CustomerParams },
    },
    async (request) => {
      const store = await storeOf(request);
      return customerView(store, await customerById(store.organizationId, request.params.customer));
    },
  );

  app.put(
    '/api/:storeCode/customer/:customer',
    {
      ...guarded('PUT', '/api/:storeCode/customer/:customer', { form: updateForm }),
      schema: { ...schema, summary: 'OL: update a customer', params: CustomerParams, body: OlCustomerForm },
    },
    async (request, reply) => {
      const store = await storeOf(request);
      const customer = await customerById(store.organizationId, request.params.customer);
      const fields = request.body?.customer;
      if (!fields) return reply.code(400).send(unsubmittedForm(updateForm));
      await services.customers.update(store.organizationId, customer.id, toCustomerChange(fields));
      await assignLevel(store.organizationId, customer.id, fields.levelId);
      return { customerId: customer.id };
    },
  );

  app.delete(
    '/api/:storeCode/customer/:customer',
    {
      ...guarded('DELETE', '/api/:storeCode/customer/:customer', { scope: 'admin' }),
      schema: { ...schema, summary: 'OL: delete a customer', params: CustomerParams },
    },
    async (request, reply) => {
      const store = await storeOf(request);
      const customer = await customerById(store.organizationId, request.params.customer);
      await services.customers.remove(store.organizationId, customer.id);
      return reply.code(204).send();
    },
  );

  app.post(
    '/api/:storeCode/admin/customer/:customer/anonymize',
    {
      ...guarded('POST', '/api/:storeCode/admin/customer/:customer/anonymize', { scope: 'admin' }),
      schema: { ...schema, summary: 'OL: anonymize a customer', params: CustomerParams },
    },
    async (request, reply) => {
      const store = await storeOf(request);
      const customer = await customerById(store.organizationId, request.params.customer);
      await services.customers.anonymize(store.organizationId, customer.id);
      return reply.code(204).send();
    },
  );

  for (const prefix of ['/admin', '/seller']) {
    for (const action of ['activate', 'deactivate'] as const) {
      const url = `/api/:storeCode${prefix}/customer/:customer/${action}`;
      app.post(
        url,
        {
          ...guarded('POST', url),
          schema: { ...schema, summary: `OL: ${action} a customer`, params: CustomerParams },
        },
        async (request, reply) => {
          const store = await storeOf(request);
          const customer = await customerById(store.organizationId, request.params.customer);
          await services.customers[action](store.organizationId, customer.id);
          return reply.code(200).send();
        },
      );
    }
  }

  const status = async (request: FastifyRequest, customerId: string) => {
    const store = await storeOf(request);
    const customer = await customerById(store.organizationId, customerId);
    const now = new Date();
    const [balances, defaultType, facts, progress] = await Promise.all([
      services.ledger.balances(store.organizationId, customer.id, now),
      services.pointTypes.getDefault(store.organizationId),
      ol.factsOf(store.organizationId, customer),
      services.tiers.progress(store.organizationId, customer.id, now),
    ]);
    const balance = balances.find((row) => row.pointType.id === defaultType.id);
    if (!balance) throw notFound('points account');
    return toOlStatus(
      customer,
      balance,
      { ...facts, next: progress.next, missingForNext: progress.missingForNext, unit: progress.program.unit },
      store,
    );
  };
  for (const prefix of ['/admin/customer', '/seller/customer', '/customer/customer']) {
    const url = `/api/:storeCode${prefix}/:customer/status`;
    app.get(
      url,
      {
        ...guarded('GET', url),
        schema: { ...schema, summary: 'OL: a customer’s points and level', params: CustomerParams },
      },
      (request) => status(request, request.params.customer),
    );
  }

  const list = async (request: FastifyRequest, query: OlCustomerQuery) => {
    const store = await storeOf(request);
    const strict = isSet(query.strict);
    const name = [query.firstName, query.lastName].filter(Boolean).join(' ') || undefined;
    const rows = await readWindow(
      (page) =>
        services.customers.list(
          store.organizationId,
          {
            email: query.email || undefined,
            phone: query.phone || undefined,
            loyaltyCardNumber: query.loyaltyCardNumber || undefined,
            name: strict ? undefined : name,
          },
          page,
        ),
      (customer) =>
        matches(customer.firstName, query.firstName, strict) &&
        matches(customer.lastName, query.lastName, strict),
    );
    const page = cut(rows, pagingOf(query), CUSTOMER_SORTS);
    return {
      customers: await Promise.all(page.map((customer) => customerView(store, customer))),
      total: rows.length,
    };
  };
  for (const url of [
    '/api/:storeCode/customer',
    '/api/:storeCode/customer/',
    '/api/:storeCode/admin/customer',
  ]) {
    app.get(
      url,
      {
        ...guarded('GET', url),
        schema: {
          ...schema,
          summary: 'OL: the customers, filtered and paged',
          params: StoreParams,
          querystring: OlCustomerQuery,
        },
      },
      (request) => list(request, request.query),
    );
  }

  app.post(
    '/api/:storeCode/pos/search/customer',
    {
      ...guarded('POST', '/api/:storeCode/pos/search/customer'),
      schema: {
        ...schema,
        summary: 'OL: find customers at the POS',
        params: StoreParams,
        body: OlSearchForm,
      },
    },
    async (request) => {
      const store = await storeOf(request);
      const search = request.body?.search ?? {};
      const given = Object.values(search).some((value) => typeof value === 'string' && value.trim() !== '');
      if (!given) return { customers: [] };
      const rows = await readWindow(
        (page) =>
          services.customers.list(
            store.organizationId,
            {
              email: search.email || undefined,
              phone: search.phone || undefined,
              loyaltyCardNumber: search.loyaltyCardNumber || undefined,
              name: [search.firstName, search.lastName].filter(Boolean).join(' ') || undefined,
            },
            page,
          ),
        (customer) => {
          const address = (customer.address ?? {}) as Record<string, string | null | undefined>;
          return (
            matches(customer.firstName, search.firstName, false) &&
            matches(customer.lastName, search.lastName, false) &&
            matches(address.city ?? null, search.city, false) &&
            matches(address.postalCode ?? null, search.postcode, false)
          );
        },
      );
      return {
        customers: await Promise.all(rows.slice(0, 100).map((customer) => customerView(store, customer))),
      };
    },
  );

  app.get(
    '/api/:storeCode/customer/check',
    {
      ...guarded('GET', '/api/:storeCode/customer/check'),
      schema: {
        ...schema,
        summary: 'OL: whether a customer with this email or phone exists',
        params: StoreParams,
        querystring: Type.Object({ emailOrPhone: Type.Optional(Type.String({ maxLength: 320 })) }),
      },
    },
    async (request) => {
      const store = await storeOf(request);
      const value = request.query.emailOrPhone?.trim() ?? '';
      if (value === '') return { total: 0 };
      const byEmail = value.includes('@');
      const found = await services.customers
        .list(store.organizationId, byEmail ? { email: value } : { phone: value }, {
          limit: 1,
          afterId: undefined,
        })
        .catch((error: unknown) => {
          // Not a phone number at all: nobody has it.
          if (error instanceof AppError && error.status === 422) return [];
          throw error;
        });
      return { total: found.length > 0 ? 1 : 0 };
    },
  );

  // Levels ------------------------------------------------------------------------------------

  app.post(
    '/api/:storeCode/customer/:customer/level',
    {
      ...guarded('POST', '/api/:storeCode/customer/:customer/level', { scope: 'admin', form: levelForm }),
      schema: { ...schema, summary: 'OL: assign a level by hand', params: CustomerParams, body: OlLevelForm },
    },
    async (request, reply) => {
      const store = await storeOf(request);
      const customer = await customerById(store.organizationId, request.params.customer);
      const levelId = request.body?.levelId?.trim();
      if (!levelId) return reply.code(400).send(blankFields(levelForm, { levelId: true }));
      await assignLevel(store.organizationId, customer.id, levelId);
      return reply.code(200).send([]);
    },
  );

  app.post(
    '/api/:storeCode/customer/:customer/remove-manually-level',
    {
      ...guarded('POST', '/api/:storeCode/customer/:customer/remove-manually-level', { scope: 'admin' }),
      schema: { ...schema, summary: 'OL: remove the level assigned by hand', params: CustomerParams },
    },
    async (request, reply) => {
      const store = await storeOf(request);
      const customer = await customerById(store.organizationId, request.params.customer);
      await services.audience.unassignTier(store.organizationId, customer.id);
      return reply.code(204).send();
    },
  );

  const LEVEL_SORTS = {
    name: (tier: { name: string }) => tier.name.toLowerCase(),
    conditionValue: (tier: { threshold: number }) => tier.threshold,
  };

  for (const prefix of ['', '/seller']) {
    const url = `/api/:storeCode${prefix}/level`;
    app.get(
      url,
      {
        ...guarded('GET', url),
        schema: { ...schema, summary: 'OL: the levels', params: StoreParams, querystring: OlPageQuery },
      },
      async (request) => {
        const store = await storeOf(request);
        const [tiers, unit] = await Promise.all([
          allLevels(store.organizationId, false),
          services.tiers.unitOf(store.organizationId),
        ]);
        const page = cut(tiers, pagingOf(request.query, 'name'), LEVEL_SORTS);
        return { levels: page.map((tier) => toOlLevel(tier, unit, store)), total: tiers.length };
      },
    );
  }

  app.get(
    '/api/:storeCode/customer/level',
    {
      ...guarded('GET', '/api/:storeCode/customer/level'),
      schema: {
        ...schema,
        summary: 'OL: the active levels, as customers see them',
        params: StoreParams,
        querystring: OlPageQuery,
      },
    },
    async (request) => {
      const store = await storeOf(request);
      const [tiers, unit] = await Promise.all([
        allLevels(store.organizationId, true),
        services.tiers.unitOf(store.organizationId),
      ]);
      const page = cut(tiers, pagingOf(request.query, 'name'), LEVEL_SORTS);
      return { levels: page.map((tier) => toOlCustomerLevel(tier, unit, store)), total: tiers.length };
    },
  );

  const levelOf = async (organizationId: string, id: string) => {
    const tiers = await allLevels(organizationId, false);
    const tier = tiers.find((row) => row.id === id.trim().toLowerCase());
    if (!tier) throw notFound('level');
    return tier;
  };

  for (const prefix of ['', '/seller']) {
    const url = `/api/:storeCode${prefix}/level/:level`;
    app.get(
      url,
      { ...guarded('GET', url), schema: { ...schema, summary: 'OL: a level', params: LevelParams } },
      async (request) => {
        const store = await storeOf(request);
        const tier = await levelOf(store.organizationId, request.params.level);
        return toOlLevel(tier, await services.tiers.unitOf(store.organizationId), store);
      },
    );
  }

  app.get(
    '/api/:storeCode/level/:level/customers',
    {
      ...guarded('GET', '/api/:storeCode/level/:level/customers'),
      schema: {
        ...schema,
        summary: 'OL: the customers holding a level',
        params: LevelParams,
        querystring: OlPageQuery,
      },
    },
    async (request) => {
      const store = await storeOf(request);
      const tier = await levelOf(store.organizationId, request.params.level);
      const members = await readWindow(async (page) =>
        (await services.tiers.members(store.organizationId, tier.id, page)).map((member) => ({
          ...member,
          id: member.customerId,
        })),
      );
      const page = cut(members, pagingOf(request.query), {
        firstName: (member) => member.firstName?.toLowerCase(),
        lastName: (member) => member.lastName?.toLowerCase(),
        email: (member) => member.email,
      });
      return {
        customers: page.map((member) => ({
          customerId: member.customerId,
          firstName: member.firstName ?? undefined,
          lastName: member.lastName ?? undefined,
          email: member.email ?? undefined,
        })),
        total: members.length,
      };
    },
  );
}
