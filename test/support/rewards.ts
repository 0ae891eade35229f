import { randomBytes } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { expectStatus, type TestContext, type TestOrganization } from './context.ts';

/** Shorthands for the rewards tests: everything goes through the HTTP API, as a till would. */
export function rewardsApi(ctx: TestContext, org: TestOrganization) {
  const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
    ctx.app.inject({ method, url, headers: org.headers, ...(payload ? { payload } : {}) });
  const ok = async (response: Promise<LightMyRequestResponse>, status: number) => {
    const result = await response;
    expectStatus(result, status);
    return result.json();
  };

  return {
    call,
    get: (url: string) => call('GET', url),
    post: (url: string, payload: object = {}) => call('POST', url, payload),

    /** A member, with `points` points when given. */
    async member(points = 0, extra: Record<string, unknown> = {}): Promise<string> {
      const created = await ok(
        call('POST', '/v1/customers', {
          firstName: 'Ana',
          email: `member-${randomBytes(4).toString('hex')}@example.com`,
          ...extra,
        }),
        201,
      );
      if (points > 0) {
        await ok(call('POST', `/v1/customers/${created.id}/points/add`, { points, reason: 'opening' }), 201);
      }
      return created.id as string;
    },

    async reward(body: Record<string, unknown>): Promise<{ id: string } & Record<string, unknown>> {
      return ok(call('POST', '/v1/rewards', { name: 'Reward', ...body }), 201);
    },

    async location(name = 'Gran Vía'): Promise<string> {
      return (await ok(call('POST', '/v1/locations', { name }), 201)).id as string;
    },

    async points(customerId: string): Promise<{ active: number; blocked: number; spent: number }> {
      return (await ok(call('GET', `/v1/customers/${customerId}/points`), 200)).balances[0];
    },

    async available(customerId: string, query = '') {
      return ok(call('GET', `/v1/customers/${customerId}/rewards${query}`), 200);
    },

    redeem(payload: Record<string, unknown>) {
      return call('POST', '/v1/redemptions', payload);
    },

    ok,
  };
}

/** A realistic dinner for two: five lines, two mains, two drinks, a dessert (EUR cents). */
export function dinner(documentNumber: string, extra: Record<string, unknown> = {}) {
  return {
    documentNumber,
    lines: [
      { lineId: 'L1', sku: 'BURGER', name: 'Burger', category: 'mains', quantity: 1, total: 1250 },
      { lineId: 'L2', sku: 'PIZZA', name: 'Pizza', category: 'mains', quantity: 1, total: 890 },
      { lineId: 'L3', sku: 'COLA', name: 'Cola', category: 'drinks', quantity: 1, total: 350 },
      {
        lineId: 'L4',
        sku: 'COFFEE',
        name: 'Coffee',
        category: 'drinks',
        quantity: 2,
        unitPrice: 180,
        total: 360,
      },
      { lineId: 'L5', sku: 'CAKE', name: 'Cake', category: 'desserts', quantity: 1, total: 600 },
    ],
    totals: { total: 3450 },
    ...extra,
  };
}
