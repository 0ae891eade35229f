import { Type } from 'typebox';
import { notFound } from '../../errors.ts';
import type { App } from '../../http/types.ts';
import { type OlContext, tags } from './context.ts';
import { OlPageQuery } from './contract.ts';

/**
 * OL's stores, read-only: Regulars has one program per organization, so the caller's organization
 * is its one store (code `DEFAULT`, id the organization's). The document shows no store answer;
 * the fields are the store entity's (catalog §3: code, name, currency, active). Creating and
 * changing stores is not served: an organization is created with the platform master key
 * (`POST /v1/organizations`), and turning OL's earning semantics on is its program setting
 * (docs/dialects/openloyalty.md, "Stores").
 */
const StoreIdParams = Type.Object({ store: Type.String({ minLength: 1, maxLength: 64 }) });

export function storeRoutes(app: App, ol: OlContext) {
  const { services, guarded, tenantOf } = ol;
  const schema = { tags, security: [] };

  async function storeOfCaller(organizationId: string) {
    const organization = await services.organizations.get(organizationId);
    return {
      id: organization.id,
      code: 'DEFAULT',
      name: organization.name,
      currency: organization.currency,
      active: true,
    };
  }

  app.get(
    '/api/store',
    {
      ...guarded('GET', '/api/store'),
      schema: { ...schema, summary: 'OL: the stores (the caller’s organization)', querystring: OlPageQuery },
    },
    async (request) => {
      const page = Math.max(1, Number(request.query.page ?? 1));
      const store = await storeOfCaller(tenantOf(request).organizationId);
      return { stores: page === 1 ? [store] : [], total: 1 };
    },
  );

  app.get(
    '/api/store/:store',
    {
      ...guarded('GET', '/api/store/:store'),
      schema: {
        ...schema,
        summary: 'OL: a store (the caller’s organization, by id or code)',
        params: StoreIdParams,
      },
    },
    async (request) => {
      const { organizationId } = tenantOf(request);
      const wanted = request.params.store.trim();
      if (wanted !== 'DEFAULT' && wanted.toLowerCase() !== organizationId) throw notFound('store');
      return storeOfCaller(organizationId);
    },
  );
}
