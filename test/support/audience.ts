import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import { expectStatus, type TestContext, type TestOrganization } from './context.ts';

/** A parsed JSON body, loosely typed for assertions. */
// biome-ignore lint/suspicious/noExplicitAny: test assertions read arbitrary JSON
export type Json = Record<string, any>;

/** HTTP helpers for the tier and segment tests: members, tickets, tiers, segments, events. */
export function audienceClient(ctx: TestContext, org: TestOrganization) {
  async function call(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown) {
    return ctx.app.inject({
      method,
      url,
      headers: org.headers,
      ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
    });
  }

  async function ok<T = Json>(
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    url: string,
    payload?: unknown,
    status?: number,
  ): Promise<T> {
    const response = await call(method, url, payload);
    expectStatus(response, status ?? (method === 'POST' ? 201 : method === 'DELETE' ? 204 : 200));
    return (response.body === '' ? undefined : response.json()) as T;
  }

  let documents = 0;

  return {
    call,
    ok,

    async member(fields: Record<string, unknown> = {}) {
      const email = `m-${randomBytes(5).toString('hex')}@example.com`;
      return ok<{ id: string; email: string; loyaltyCardNumber: string }>('POST', '/v1/customers', {
        firstName: 'Ana',
        email,
        ...fields,
      });
    },

    /** A completed sale of `total` minor units for the member (one line unless given). */
    async buy(customerId: string, total: number, extra: Record<string, unknown> = {}) {
      documents++;
      return ok('POST', '/v1/transactions', {
        documentNumber: `T-${documents}-${randomBytes(3).toString('hex')}`,
        totals: { total },
        lines: [{ sku: 'MENU', name: 'Menu del día', total }],
        customer: { customerId },
        ...extra,
      });
    },

    /** Returns `total` of a sale by its document number. */
    async giveBack(documentNumber: string, total: number) {
      documents++;
      return ok('POST', '/v1/transactions', {
        documentNumber: `R-${documents}-${randomBytes(3).toString('hex')}`,
        type: 'return',
        revisedDocumentNumber: documentNumber,
        totals: { total },
        lines: [{ sku: 'MENU', total }],
      });
    },

    tier: (body: Record<string, unknown>) => ok<{ id: string; name: string }>('POST', '/v1/tiers', body),

    async tierOf(customerId: string): Promise<string | null> {
      const view = await ok<{ tier: { name: string } | null }>('GET', `/v1/customers/${customerId}/tier`);
      return view.tier?.name ?? null;
    },

    settings: (settings: Record<string, unknown>) => ok('PATCH', '/v1/organization', { settings }),

    segment: (body: Record<string, unknown>) =>
      ok<{ id: string; customersCount: number }>('POST', '/v1/segments', {
        name: `S ${randomBytes(3).toString('hex')}`,
        ...body,
      }),

    async membersOf(segmentId: string): Promise<string[]> {
      const ids: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { data: { customerId: string }[]; nextCursor: string | null } = await ok(
          'GET',
          `/v1/segments/${segmentId}/customers?limit=100${cursor ? `&cursor=${cursor}` : ''}`,
        );
        ids.push(...page.data.map((row) => row.customerId));
        cursor = page.nextCursor;
      } while (cursor);
      return ids.sort();
    },

    async events(type: string) {
      const page = await ok<{ data: { type: string; payload: Record<string, unknown> }[] }>(
        'GET',
        `/v1/events?type=${type}&limit=100`,
      );
      return page.data.map((event) => event.payload);
    },
  };
}

export function sorted(...ids: string[]): string[] {
  return [...ids].sort();
}

export function expectSameMembers(actual: string[], expected: string[]) {
  expect([...actual].sort()).toEqual([...expected].sort());
}
