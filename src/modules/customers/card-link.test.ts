import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, expectStatus, type TestContext } from '../../../test/support/context.ts';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

async function member(orgHeaders: { authorization: string }, payload: Record<string, unknown> = {}) {
  const response = await ctx.app.inject({
    method: 'POST',
    url: '/v1/customers',
    headers: orgHeaders,
    payload: { firstName: 'Bruce', loyaltyCardNumber: 'CARD-1', ...payload },
  });
  expectStatus(response, 201);
  return response.json().id as string;
}

describe('card links', () => {
  it('makes one unguessable token per member and serves their card behind it, without a key', async () => {
    const org = await ctx.createOrganization();
    const id = await member(org.headers);
    const token = await ctx.services.customers.cardToken(org.id, id);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await ctx.services.customers.cardToken(org.id, id)).toBe(token);

    const page = await ctx.app.inject({ method: 'GET', url: `/cards/${org.id}/${token}` });
    expectStatus(page, 200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.body).toContain('<svg');
    expect(page.body).toContain('CARD-1');
    const customer = await ctx.services.customers.get(org.id, id);
    expect(customer.applePassDownloadedAt).toBeNull();
    expect(customer.androidPassDownloadedAt).toBeNull();
  });

  it('records the first opening from a wallet link, once, with a customer.updated event', async () => {
    const org = await ctx.createOrganization();
    const id = await member(org.headers);
    const token = await ctx.services.customers.cardToken(org.id, id);
    for (let i = 0; i < 2; i++) {
      expectStatus(await ctx.app.inject({ method: 'GET', url: `/cards/${org.id}/${token}/android` }), 200);
    }
    const customer = await ctx.services.customers.get(org.id, id);
    expect(customer.androidPassDownloadedAt).toBeInstanceOf(Date);
    expect(customer.applePassDownloadedAt).toBeNull();
    const events = (
      await ctx.app.inject({ method: 'GET', url: '/v1/events?type=customer.updated', headers: org.headers })
    ).json().data as Array<{ payload: { changed: string[] } }>;
    expect(events.map((event) => event.payload.changed)).toEqual([['androidPassDownloadedAt']]);
  });

  it('answers 404 for a wrong token, another organization, or a deleted member', async () => {
    const org = await ctx.createOrganization();
    const other = await ctx.createOrganization();
    const id = await member(org.headers);
    const token = await ctx.services.customers.cardToken(org.id, id);
    const wrong = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
    for (const url of [
      `/cards/${org.id}/${wrong}`,
      `/cards/${other.id}/${token}`,
      `/cards/${org.id}/short`,
    ]) {
      expect((await ctx.app.inject({ method: 'GET', url })).statusCode, url).toBe(404);
    }
    await ctx.services.customers.remove(org.id, id);
    expect((await ctx.app.inject({ method: 'GET', url: `/cards/${org.id}/${token}` })).statusCode).toBe(404);
  });
});

describe('numbered pages', () => {
  it('reads members in id order by page number, with the total', async () => {
    const org = await ctx.createOrganization();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await member(org.headers, { loyaltyCardNumber: `P-${i}` }));
    const first = await ctx.services.customers.page(org.id, 0, 2);
    const last = await ctx.services.customers.page(org.id, 2, 2);
    expect(first.total).toBe(5);
    expect(first.customers.map((c) => c.id)).toEqual(ids.slice(0, 2));
    expect(last.customers.map((c) => c.id)).toEqual(ids.slice(4));
    expect((await ctx.services.customers.page(org.id, 3, 2)).customers).toEqual([]);
  });
});
