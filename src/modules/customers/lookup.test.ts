import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestContext,
  expectStatus,
  type TestContext,
  type TestOrganization,
} from '../../../test/support/context.ts';

let ctx: TestContext;
let org: TestOrganization;
let bruce: { id: string; loyaltyCardNumber: string };
beforeAll(async () => {
  ctx = await createTestContext();
  org = await ctx.createOrganization({ country: 'ES' });
  const created = await ctx.app.inject({
    method: 'POST',
    url: '/v1/customers',
    headers: org.headers,
    payload: {
      firstName: 'Bruce',
      lastName: 'Wayne',
      phone: '+34666666666',
      email: 'hello@test.com',
      externalId: 'h230he02',
      source: 'MyWebsite',
    },
  });
  expectStatus(created, 201);
  bruce = created.json();
});
afterAll(() => ctx.close());

async function lookup(identifier: string, organization = org) {
  return ctx.app.inject({
    method: 'GET',
    url: `/v1/customers/lookup?identifier=${encodeURIComponent(identifier)}`,
    headers: organization.headers,
  });
}

async function create(payload: Record<string, unknown>) {
  const response = await ctx.app.inject({
    method: 'POST',
    url: '/v1/customers',
    headers: org.headers,
    payload,
  });
  expectStatus(response, 201);
  return response.json() as { id: string; loyaltyCardNumber: string; referralCode: string };
}

describe('looking a member up at the till', () => {
  it('finds the member by the scanned card number', async () => {
    const response = await lookup(bruce.loyaltyCardNumber);
    expectStatus(response, 200);
    expect(response.json().id).toBe(bruce.id);
  });

  it.each(['+34 666 666 666', '0034666666666', '666666666', '666 66 66 66', '+34-666-666-666'])(
    'finds the member by the phone typed as %s',
    async (phone) => {
      const response = await lookup(phone);
      expectStatus(response, 200);
      expect(response.json().id).toBe(bruce.id);
    },
  );

  it('finds the member by the email in another case', async () => {
    const response = await lookup('  HELLO@Test.COM ');
    expectStatus(response, 200);
    expect(response.json().id).toBe(bruce.id);
  });

  it('finds the member by the external id and by the member id', async () => {
    expect((await lookup('h230he02')).json().id).toBe(bruce.id);
    expect((await lookup(bruce.id)).json().id).toBe(bruce.id);
    expect((await lookup(bruce.id.toUpperCase())).json().id).toBe(bruce.id);
  });

  it('answers 404 problem+json when nobody matches', async () => {
    for (const identifier of [
      'NOBODY',
      '+34 699 999 999',
      'nobody@test.com',
      '01936f4e-8b1a-7c3d-9e2f-1a2b3c4d5e6f',
    ]) {
      const response = await lookup(identifier);
      expectStatus(response, 404);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(response.json().code).toBe('not_found');
    }
  });

  it('answers 422 without an identifier', async () => {
    expectStatus(
      await ctx.app.inject({ method: 'GET', url: '/v1/customers/lookup', headers: org.headers }),
      422,
    );
    expectStatus(await lookup(''), 422);
  });

  it('reads local numbers with the organization’s own country', async () => {
    const french = await ctx.createOrganization({ country: 'FR' });
    const created = await ctx.app.inject({
      method: 'POST',
      url: '/v1/customers',
      headers: french.headers,
      payload: { phone: '06 12 34 56 78' },
    });
    expectStatus(created, 201);
    expect(created.json().phone).toBe('+33612345678');
    expect((await lookup('0612345678', french)).json().id).toBe(created.json().id);
    expect((await lookup('+33 6 12 34 56 78', french)).json().id).toBe(created.json().id);
  });

  it('does not find a member of another organization', async () => {
    const other = await ctx.createOrganization({ country: 'ES' });
    for (const identifier of [bruce.id, bruce.loyaltyCardNumber, '666666666', 'hello@test.com', 'h230he02']) {
      expectStatus(await lookup(identifier, other), 404);
    }
  });

  it('no longer resolves the old email, phone, card or external id once the member is anonymized', async () => {
    const member = await create({ email: 'gone@test.com', phone: '+34 677 123 456', externalId: 'gone-1' });
    expectStatus(await lookup('gone@test.com'), 200);
    const anonymized = await ctx.app.inject({
      method: 'POST',
      url: `/v1/customers/${member.id}/anonymize`,
      headers: org.headers,
    });
    expectStatus(anonymized, 200);
    for (const identifier of ['gone@test.com', '677123456', member.loyaltyCardNumber, 'gone-1']) {
      expectStatus(await lookup(identifier), 404);
    }
    // The id still resolves: the member (and their ledger) is still there, without personal data.
    expectStatus(await lookup(member.id), 200);
  });
});

describe('lookup precedence when an identifier matches several members', () => {
  it('prefers the card number over another member’s external id', async () => {
    const byCard = await create({ loyaltyCardNumber: 'SAME-0001' });
    await create({ externalId: 'SAME-0001' });
    expect((await lookup('SAME-0001')).json().id).toBe(byCard.id);
  });

  it('prefers the email over another member’s external id', async () => {
    const byEmail = await create({ email: 'twin@test.com' });
    await create({ externalId: 'twin@test.com' });
    expect((await lookup('twin@test.com')).json().id).toBe(byEmail.id);
  });

  it('prefers the phone over another member’s external id', async () => {
    const byPhone = await create({ phone: '+34 688 777 666' });
    await create({ externalId: '688777666' });
    expect((await lookup('688777666')).json().id).toBe(byPhone.id);
  });

  it('prefers the card number over another member’s phone', async () => {
    await create({ phone: '+34 699 000 111' });
    const byCard = await create({ loyaltyCardNumber: '699000111' });
    expect((await lookup('699000111')).json().id).toBe(byCard.id);
  });
});
