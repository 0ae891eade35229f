import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestContext,
  expectStatus,
  type TestContext,
  type TestOrganization,
} from '../../../test/support/context.ts';
import { readPart } from '../../db/together.ts';
import { CODE_ALPHABET } from '../../domain/customers.ts';

let ctx: TestContext;
let org: TestOrganization;
beforeAll(async () => {
  ctx = await createTestContext();
  org = await ctx.createOrganization({ country: 'ES' });
});
afterAll(() => ctx.close());

/** The Comeback customer of the seed documents, in Regulars' shape. */
const bruce = {
  firstName: 'Bruce',
  lastName: 'Wayne',
  email: 'Bruce@Wayne.example',
  phone: '+34 666 666 666',
  birthDate: '1990-01-01',
  gender: 'male',
  source: 'SignUp',
  externalId: 'h230he02',
  marketingConsents: { email: true },
};

let counter = 0;
/** A member with identifiers no other test uses. */
function uniqueMember(overrides: Record<string, unknown> = {}) {
  counter++;
  return {
    firstName: `Member ${counter}`,
    email: `member${counter}@example.com`,
    phone: `+34 600 ${String(100000 + counter).slice(0, 3)} ${String(100000 + counter).slice(3)}`,
    ...overrides,
  };
}

async function create(payload: Record<string, unknown>, organization = org) {
  return ctx.app.inject({ method: 'POST', url: '/v1/customers', headers: organization.headers, payload });
}

async function events(organization: TestOrganization, subjectId: string) {
  const response = await ctx.app.inject({
    method: 'GET',
    url: `/v1/events?subjectType=customer&subjectId=${subjectId}&limit=100`,
    headers: organization.headers,
  });
  expectStatus(response, 200);
  return response.json().data as { type: string; payload: Record<string, unknown> }[];
}

describe('creating a member', () => {
  it('keeps the whole record, normalizes the phone to E.164 and generates a card number and a referral code', async () => {
    const own = await ctx.createOrganization({ country: 'ES' });
    const response = await create(
      {
        ...bruce,
        address: {
          street: 'Carrer de Verdi',
          address1: '12',
          postalCode: '08012',
          city: 'Barcelona',
          country: 'ES',
        },
        company: { name: 'Wayne Enterprises SL', taxId: 'B12345678' },
        language: 'es',
        labels: [{ key: 'favourite', value: 'paella' }],
        agreements: { terms: true, privacy: true },
        internalNote: 'Allergic to nuts',
      },
      own,
    );
    expectStatus(response, 201);
    const customer = response.json();
    expect(customer).toMatchObject({
      firstName: 'Bruce',
      lastName: 'Wayne',
      email: 'Bruce@Wayne.example',
      phone: '+34666666666',
      birthDate: '1990-01-01',
      gender: 'male',
      address: {
        street: 'Carrer de Verdi',
        address1: '12',
        address2: null,
        postalCode: '08012',
        city: 'Barcelona',
        province: null,
        country: 'ES',
      },
      company: { name: 'Wayne Enterprises SL', taxId: 'B12345678' },
      language: 'es',
      source: 'SignUp',
      externalId: 'h230he02',
      labels: [{ key: 'favourite', value: 'paella' }],
      status: 'active',
      internalNote: 'Allergic to nuts',
      referredBy: null,
      anonymizedAt: null,
    });
    expect(customer.marketingConsents.email.granted).toBe(true);
    expect(Date.parse(customer.marketingConsents.email.at)).not.toBeNaN();
    expect(customer.marketingConsents.sms).toEqual({ granted: false, at: null });
    expect(customer.agreements.terms.granted).toBe(true);
    expect(customer.loyaltyCardNumber).toMatch(new RegExp(`^[${CODE_ALPHABET}]{10}$`));
    expect(customer.referralCode).toMatch(new RegExp(`^[${CODE_ALPHABET}]{8}$`));

    const fetched = await ctx.app.inject({
      method: 'GET',
      url: `/v1/customers/${customer.id}`,
      headers: own.headers,
    });
    expectStatus(fetched, 200);
    expect(fetched.json()).toEqual(customer);

    // Read as a part of a statement several modules share (db/together.ts): the very same row.
    const { customers } = ctx.services;
    const asPart = await readPart(ctx.database.db, customers.memberPart(own.id, customer.id.toUpperCase()));
    expect(asPart).toEqual(await customers.get(own.id, customer.id));
    expect(await readPart(ctx.database.db, customers.memberPart(own.id, 'not-an-id'))).toBeUndefined();
    expect(await readPart(ctx.database.db, customers.memberPart(org.id, customer.id))).toBeUndefined();
  });

  it('generates card numbers of the length set in the program settings', async () => {
    const own = await ctx.createOrganization({ settings: { loyaltyCardNumberLength: 16 } });
    const response = await create({}, own);
    expectStatus(response, 201);
    expect(response.json().loyaltyCardNumber).toHaveLength(16);
  });

  it('keeps a card number it is given, case and all', async () => {
    const response = await create(uniqueMember({ loyaltyCardNumber: '00000000000000002aB' }));
    expectStatus(response, 201);
    expect(response.json().loyaltyCardNumber).toBe('00000000000000002aB');
  });

  it('records who referred the member, by their referral code', async () => {
    const referrer = (await create(uniqueMember())).json();
    const response = await create(uniqueMember({ referredBy: referrer.referralCode }));
    expectStatus(response, 201);
    expect(response.json().referredBy).toBe(referrer.id);
    const unknown = await create(uniqueMember({ referredBy: 'NOPE2345' }));
    expectStatus(unknown, 422);
    expect(unknown.json().errors).toEqual([{ path: 'body.referredBy', message: expect.any(String) }]);
  });

  it('emits customer.created', async () => {
    const customer = (await create(uniqueMember())).json();
    expect((await events(org, customer.id)).map((event) => event.type)).toEqual(['customer.created']);
  });
});

describe('uniqueness in the organization', () => {
  it.each([
    ['email', { email: 'clash@example.com' }, { email: 'CLASH@Example.com' }, 'email_taken', 'body.email'],
    ['phone', { phone: '+34 611 222 333' }, { phone: '611222333' }, 'phone_taken', 'body.phone'],
    [
      'card number',
      { loyaltyCardNumber: 'CARD-42' },
      { loyaltyCardNumber: 'CARD-42' },
      'loyalty_card_number_taken',
      'body.loyaltyCardNumber',
    ],
    [
      'external id',
      { externalId: 'pos-42' },
      { externalId: 'pos-42' },
      'external_id_taken',
      'body.externalId',
    ],
  ])('answers 409 naming the field when the %s is taken', async (_name, first, second, code, path) => {
    expectStatus(await create({ firstName: 'First', ...first }), 201);
    const response = await create({ firstName: 'Second', ...second });
    expectStatus(response, 409);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.json()).toMatchObject({ code, errors: [{ path }] });
  });

  it('treats card numbers case-sensitively', async () => {
    expectStatus(await create({ loyaltyCardNumber: 'abc-777' }), 201);
    expectStatus(await create({ loyaltyCardNumber: 'ABC-777' }), 201);
  });

  it('lets another organization use the same email, phone, card number and external id', async () => {
    const other = await ctx.createOrganization();
    const same = {
      email: 'shared@example.com',
      phone: '+34 622 000 111',
      loyaltyCardNumber: 'SHARED-1',
      externalId: 'shared-1',
    };
    expectStatus(await create(same), 201);
    expectStatus(await create(same, other), 201);
  });

  it('answers 409 when a PATCH takes another member’s email', async () => {
    const first = (await create(uniqueMember())).json();
    const second = (await create(uniqueMember())).json();
    const response = await ctx.app.inject({
      method: 'PATCH',
      url: `/v1/customers/${second.id}`,
      headers: org.headers,
      payload: { email: first.email.toUpperCase() },
    });
    expectStatus(response, 409);
    expect(response.json().code).toBe('email_taken');
  });
});

describe('bad input', () => {
  it.each([
    ['an invalid phone', { phone: '12' }, 'body.phone'],
    ['letters for a phone', { phone: 'call me' }, 'body.phone'],
    ['an invalid email', { email: 'not-an-email' }, 'body.email'],
    ['a birth date in the future', { birthDate: '2999-01-01' }, 'body.birthDate'],
    ['a birth date that is no date', { birthDate: '1990-02-30' }, 'body.birthDate'],
    ['an unknown gender', { gender: 'unknown' }, 'body.gender'],
    ['an oversized first name', { firstName: 'x'.repeat(101) }, 'body.firstName'],
    ['an oversized note', { internalNote: 'x'.repeat(2001) }, 'body.internalNote'],
    ['an unknown language', { language: 'xx' }, 'body.language'],
    ['an unknown address country', { address: { country: 'XX' } }, 'body.address.country'],
    ['a card number with spaces', { loyaltyCardNumber: 'A B' }, 'body.loyaltyCardNumber'],
    ['an unknown field', { nickname: 'Batman' }, 'body.nickname'],
  ])('refuses %s with 422 naming the field, and writes nothing', async (_name, payload, path) => {
    const own = await ctx.createOrganization();
    const response = await create(payload, own);
    expectStatus(response, 422);
    expect(response.json().code).toBe('validation_failed');
    expect(response.json().errors.map((error: { path: string }) => error.path)).toContain(path);
    const list = await ctx.app.inject({ method: 'GET', url: '/v1/customers', headers: own.headers });
    expect(list.json().data).toEqual([]);
    const written = await ctx.app.inject({
      method: 'GET',
      url: '/v1/events?type=customer.created',
      headers: own.headers,
    });
    expect(written.json().data).toEqual([]);
  });

  it('refuses a PATCH with a bad phone and leaves the member as it was', async () => {
    const customer = (await create(uniqueMember())).json();
    const response = await ctx.app.inject({
      method: 'PATCH',
      url: `/v1/customers/${customer.id}`,
      headers: org.headers,
      payload: { firstName: 'Changed', phone: '999' },
    });
    expectStatus(response, 422);
    expect(response.json().errors).toEqual([{ path: 'body.phone', message: expect.any(String) }]);
    const after = await ctx.app.inject({
      method: 'GET',
      url: `/v1/customers/${customer.id}`,
      headers: org.headers,
    });
    expect(after.json()).toEqual(customer);
  });
});

describe('changing a member', () => {
  it('changes the given fields, merges the address and reports exactly the changed fields', async () => {
    const customer = (
      await create(uniqueMember({ address: { street: 'Gran Via 1', city: 'Madrid' }, lastName: 'Kent' }))
    ).json();
    const response = await ctx.app.inject({
      method: 'PATCH',
      url: `/v1/customers/${customer.id}`,
      headers: org.headers,
      payload: {
        lastName: 'Kent',
        address: { city: 'Barcelona' },
        phone: '0034 699 111 222',
        internalNote: null,
      },
    });
    expectStatus(response, 200);
    expect(response.json()).toMatchObject({
      lastName: 'Kent',
      phone: '+34699111222',
      address: { street: 'Gran Via 1', city: 'Barcelona' },
      internalNote: null,
    });
    const updated = (await events(org, customer.id)).filter((event) => event.type === 'customer.updated');
    expect(updated).toHaveLength(1);
    expect((updated[0]!.payload.changed as string[]).sort()).toEqual(['address', 'phone']);
  });

  it('records when a consent is withdrawn and keeps the time of an unchanged one', async () => {
    const customer = (await create(uniqueMember({ marketingConsents: { email: true, sms: true } }))).json();
    await new Promise((resolve) => setTimeout(resolve, 5));
    const response = await ctx.app.inject({
      method: 'PATCH',
      url: `/v1/customers/${customer.id}`,
      headers: org.headers,
      payload: { marketingConsents: { email: false, sms: true } },
    });
    expectStatus(response, 200);
    const consents = response.json().marketingConsents;
    expect(consents.email.granted).toBe(false);
    expect(consents.email.at > customer.marketingConsents.email.at).toBe(true);
    expect(consents.sms).toEqual(customer.marketingConsents.sms);
  });

  it('emits no event when nothing changes', async () => {
    const customer = (await create(uniqueMember())).json();
    const response = await ctx.app.inject({
      method: 'PATCH',
      url: `/v1/customers/${customer.id}`,
      headers: org.headers,
      payload: { firstName: customer.firstName },
    });
    expectStatus(response, 200);
    expect((await events(org, customer.id)).map((event) => event.type)).toEqual(['customer.created']);
  });

  it('blocks, deactivates and activates a member, emitting customer.status_changed each time it moves', async () => {
    const customer = (await create(uniqueMember())).json();
    for (const [action, status] of [
      ['block', 'blocked'],
      ['block', 'blocked'],
      ['deactivate', 'inactive'],
      ['activate', 'active'],
    ] as const) {
      const response = await ctx.app.inject({
        method: 'POST',
        url: `/v1/customers/${customer.id}/${action}`,
        headers: org.headers,
      });
      expectStatus(response, 200);
      expect(response.json().status).toBe(status);
    }
    const changes = (await events(org, customer.id)).filter(
      (event) => event.type === 'customer.status_changed',
    );
    expect(changes.map((event) => [event.payload.from, event.payload.to])).toEqual([
      ['active', 'blocked'],
      ['blocked', 'inactive'],
      ['inactive', 'active'],
    ]);
  });
});

describe('listing members', () => {
  it('filters by email, phone, name, card, external id, status, label and updatedSince, paginating by cursor', async () => {
    const own = await ctx.createOrganization({ country: 'ES' });
    const made = [];
    for (let i = 0; i < 5; i++) {
      const response = await create(
        {
          firstName: i === 2 ? 'Selina' : `Guest${i}`,
          lastName: 'Kyle',
          email: `kyle${i}@example.com`,
          phone: `+34 655 00 00 0${i}`,
          externalId: `ext-${i}`,
          labels: i % 2 === 0 ? [{ key: 'vip', value: i === 0 ? 'gold' : '' }] : [],
        },
        own,
      );
      expectStatus(response, 201);
      made.push(response.json());
    }
    await ctx.app.inject({ method: 'POST', url: `/v1/customers/${made[4].id}/block`, headers: own.headers });
    const list = async (query: string) => {
      const response = await ctx.app.inject({
        method: 'GET',
        url: `/v1/customers?${query}`,
        headers: own.headers,
      });
      expectStatus(response, 200);
      return response.json() as { data: { id: string }[]; nextCursor: string | null };
    };
    const ids = (page: { data: { id: string }[] }) => page.data.map((customer) => customer.id);
    expect(ids(await list('email=KYLE1@example.com'))).toEqual([made[1].id]);
    expect(ids(await list('phone=655000002'))).toEqual([made[2].id]);
    expect(ids(await list('name=selina%20kyle'))).toEqual([made[2].id]);
    expect(ids(await list(`loyaltyCardNumber=${made[3].loyaltyCardNumber}`))).toEqual([made[3].id]);
    expect(ids(await list('externalId=ext-0'))).toEqual([made[0].id]);
    expect(ids(await list('status=blocked'))).toEqual([made[4].id]);
    expect(ids(await list('label=vip'))).toEqual([made[0].id, made[2].id, made[4].id]);
    expect(ids(await list('label=vip:gold'))).toEqual([made[0].id]);
    const since = new Date(Date.now() + 60_000).toISOString();
    expect(ids(await list(`updatedSince=${encodeURIComponent(since)}`))).toEqual([]);

    const first = await list('limit=2');
    const second = await list(`limit=2&cursor=${first.nextCursor}`);
    const third = await list(`limit=2&cursor=${second.nextCursor}`);
    expect([...ids(first), ...ids(second), ...ids(third)]).toEqual(made.map((customer) => customer.id));
    expect(third.nextCursor).toBeNull();

    const bad = await ctx.app.inject({ method: 'GET', url: '/v1/customers?phone=12', headers: own.headers });
    expectStatus(bad, 422);
    expect(bad.json().errors[0].path).toBe('query.phone');
  });
});

describe('anonymizing and deleting', () => {
  it('anonymize wipes personal fields and identifiers, keeps the id, and is emitted once', async () => {
    const customer = (
      await create(
        uniqueMember({
          lastName: 'Doe',
          externalId: 'anon-1',
          birthDate: '1980-05-05',
          labels: [{ key: 'k', value: 'v' }],
        }),
      )
    ).json();
    for (let i = 0; i < 2; i++) {
      const response = await ctx.app.inject({
        method: 'POST',
        url: `/v1/customers/${customer.id}/anonymize`,
        headers: org.headers,
      });
      expectStatus(response, 200);
      expect(response.json()).toMatchObject({
        id: customer.id,
        firstName: null,
        lastName: null,
        email: null,
        phone: null,
        birthDate: null,
        externalId: null,
        loyaltyCardNumber: null,
        referralCode: null,
        labels: [],
        status: 'active',
      });
      expect(response.json().anonymizedAt).not.toBeNull();
    }
    const types = (await events(org, customer.id)).map((event) => event.type);
    expect(types).toEqual(['customer.created', 'customer.anonymized']);
    const patch = await ctx.app.inject({
      method: 'PATCH',
      url: `/v1/customers/${customer.id}`,
      headers: org.headers,
      payload: { email: 'back@example.com' },
    });
    expectStatus(patch, 409);
    expect(patch.json().code).toBe('customer_anonymized');
    // The freed identifiers can be used by a new member.
    expectStatus(await create({ email: customer.email, externalId: 'anon-1' }), 201);
  });

  it('delete removes the member from the API (soft: the row stays for the ledger) and emits customer.deleted', async () => {
    const customer = (await create(uniqueMember())).json();
    const removed = await ctx.app.inject({
      method: 'DELETE',
      url: `/v1/customers/${customer.id}`,
      headers: org.headers,
    });
    expectStatus(removed, 204);
    for (const url of [
      `/v1/customers/${customer.id}`,
      `/v1/customers/lookup?identifier=${customer.loyaltyCardNumber}`,
    ]) {
      expectStatus(await ctx.app.inject({ method: 'GET', url, headers: org.headers }), 404);
    }
    expectStatus(
      await ctx.app.inject({ method: 'DELETE', url: `/v1/customers/${customer.id}`, headers: org.headers }),
      404,
    );
    const types = (await events(org, customer.id)).map((event) => event.type);
    expect(types).toEqual(['customer.created', 'customer.deleted']);
    // The service no longer finds it, but the row is still there, wiped.
    await expect(ctx.services.customers.get(org.id, customer.id)).rejects.toMatchObject({ status: 404 });
    const { rows } = (await ctx.database.db.execute(
      sql`select email, deleted_at from customers where id = ${customer.id}`,
    )) as unknown as { rows: { email: string | null; deleted_at: unknown }[] };
    expect(rows).toHaveLength(1);
    expect(rows[0]!.email).toBeNull();
    expect(rows[0]!.deleted_at).not.toBeNull();
  });
});
