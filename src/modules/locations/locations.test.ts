import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, expectStatus, type TestContext } from '../../../test/support/context.ts';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

const gracia = {
  name: 'La Tasca Gràcia',
  address: 'Carrer de Verdi 12',
  postalCode: '08012',
  city: 'Barcelona',
  region: 'Catalonia',
  country: 'ES',
  latitude: 41.4036,
  longitude: 2.1565,
  externalId: 'store-12',
  brands: [{ name: 'La Tasca', externalId: 'brand-1' }, { name: 'Tasca Express' }],
};

describe('locations', () => {
  it('creates a location with its brands and reads it back', async () => {
    const org = await ctx.createOrganization();
    const created = await ctx.app.inject({
      method: 'POST',
      url: '/v1/locations',
      headers: org.headers,
      payload: gracia,
    });
    expectStatus(created, 201);
    const location = created.json();
    expect(location).toMatchObject({ ...gracia, deleted: false, timeZone: null, brands: expect.any(Array) });
    expect(location.brands.map((b: { name: string }) => b.name)).toEqual(['La Tasca', 'Tasca Express']);

    const read = await ctx.app.inject({
      method: 'GET',
      url: `/v1/locations/${location.id}`,
      headers: org.headers,
    });
    expectStatus(read, 200);
    expect(read.json()).toEqual(location);
  });

  it('changes, soft-deletes and restores a location', async () => {
    const org = await ctx.createOrganization();
    const { id } = (
      await ctx.app.inject({
        method: 'POST',
        url: '/v1/locations',
        headers: org.headers,
        payload: { name: 'A' },
      })
    ).json();

    const patched = await ctx.app.inject({
      method: 'PATCH',
      url: `/v1/locations/${id}`,
      headers: org.headers,
      payload: { name: 'B', timeZone: 'Atlantic/Canary' },
    });
    expectStatus(patched, 200);
    expect(patched.json()).toMatchObject({ name: 'B', timeZone: 'Atlantic/Canary' });

    expectStatus(
      await ctx.app.inject({ method: 'DELETE', url: `/v1/locations/${id}`, headers: org.headers }),
      200,
    );
    const visible = await ctx.app.inject({ method: 'GET', url: '/v1/locations', headers: org.headers });
    expect(visible.json().data).toHaveLength(0);
    const all = await ctx.app.inject({
      method: 'GET',
      url: '/v1/locations?includeDeleted=true',
      headers: org.headers,
    });
    expect(all.json().data).toMatchObject([{ id, deleted: true }]);

    const restored = await ctx.app.inject({
      method: 'PATCH',
      url: `/v1/locations/${id}`,
      headers: org.headers,
      payload: { deleted: false },
    });
    expect(restored.json().deleted).toBe(false);
  });

  it('clears a field sent as null rather than storing an empty string', async () => {
    const org = await ctx.createOrganization();
    const created = await ctx.app.inject({
      method: 'POST',
      url: '/v1/locations',
      headers: org.headers,
      payload: gracia,
    });
    const { id } = created.json();
    const cleared = await ctx.app.inject({
      method: 'PATCH',
      url: `/v1/locations/${id}`,
      headers: org.headers,
      payload: { externalId: null, city: null },
    });
    expect(cleared.json()).toMatchObject({ externalId: null, city: null });
    // A second location may now use no external id as well: null is not a value that clashes.
    const another = await ctx.app.inject({
      method: 'POST',
      url: '/v1/locations',
      headers: org.headers,
      payload: { name: 'B', externalId: null },
    });
    expectStatus(another, 201);
  });

  it('adds, renames and removes brands', async () => {
    const org = await ctx.createOrganization();
    const { id } = (
      await ctx.app.inject({
        method: 'POST',
        url: '/v1/locations',
        headers: org.headers,
        payload: { name: 'A' },
      })
    ).json();
    const brand = await ctx.app.inject({
      method: 'POST',
      url: `/v1/locations/${id}/brands`,
      headers: org.headers,
      payload: { name: 'Poke' },
    });
    expectStatus(brand, 201);
    const brandId = brand.json().id;
    const renamed = await ctx.app.inject({
      method: 'PATCH',
      url: `/v1/locations/${id}/brands/${brandId}`,
      headers: org.headers,
      payload: { name: 'Poke Bowl', externalId: 'pk' },
    });
    expect(renamed.json()).toEqual({ id: brandId, name: 'Poke Bowl', externalId: 'pk' });
    const removed = await ctx.app.inject({
      method: 'DELETE',
      url: `/v1/locations/${id}/brands/${brandId}`,
      headers: org.headers,
    });
    expect(removed.statusCode).toBe(204);
    const location = await ctx.app.inject({
      method: 'GET',
      url: `/v1/locations/${id}`,
      headers: org.headers,
    });
    expect(location.json().brands).toEqual([]);
  });

  it('finds a location by its external id and refuses a second location with the same one (409)', async () => {
    const org = await ctx.createOrganization();
    expectStatus(
      await ctx.app.inject({ method: 'POST', url: '/v1/locations', headers: org.headers, payload: gracia }),
      201,
    );
    const clash = await ctx.app.inject({
      method: 'POST',
      url: '/v1/locations',
      headers: org.headers,
      payload: { name: 'Other', externalId: 'store-12' },
    });
    expect(clash.statusCode).toBe(409);
    expect(clash.json().code).toBe('external_id_taken');
    const found = await ctx.app.inject({
      method: 'GET',
      url: '/v1/locations?externalId=store-12',
      headers: org.headers,
    });
    expect(found.json().data.map((l: { name: string }) => l.name)).toEqual([gracia.name]);
  });

  it('lets two organizations use the same external id', async () => {
    const a = await ctx.createOrganization();
    const b = await ctx.createOrganization();
    expectStatus(
      await ctx.app.inject({ method: 'POST', url: '/v1/locations', headers: a.headers, payload: gracia }),
      201,
    );
    expectStatus(
      await ctx.app.inject({ method: 'POST', url: '/v1/locations', headers: b.headers, payload: gracia }),
      201,
    );
  });

  it('rejects bad input with 422 naming every failing field, and writes nothing', async () => {
    const org = await ctx.createOrganization();
    const response = await ctx.app.inject({
      method: 'POST',
      url: '/v1/locations',
      headers: org.headers,
      payload: { latitude: 123, country: 'Spain', brands: [{}], color: 'red' },
    });
    expect(response.statusCode).toBe(422);
    const body = response.json();
    expect(body.code).toBe('validation_failed');
    const paths = body.errors.map((e: { path: string }) => e.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'body.name',
        'body.latitude',
        'body.country',
        'body.brands.0.name',
        'body.color',
      ]),
    );
    const badZone = await ctx.app.inject({
      method: 'POST',
      url: '/v1/locations',
      headers: org.headers,
      payload: { name: 'X', timeZone: 'Europe/Atlantis' },
    });
    expect(badZone.statusCode).toBe(422);
    expect(badZone.json().errors).toEqual([
      { path: 'body.timeZone', message: expect.stringContaining('IANA') },
    ]);
    const list = await ctx.app.inject({
      method: 'GET',
      url: '/v1/locations?includeDeleted=true',
      headers: org.headers,
    });
    expect(list.json().data).toEqual([]);
  });

  it('answers 400 for a body that is not JSON and 404 for an id that is not a uuid', async () => {
    const org = await ctx.createOrganization();
    const broken = await ctx.app.inject({
      method: 'POST',
      url: '/v1/locations',
      headers: { ...org.headers, 'content-type': 'application/json' },
      payload: '{"name": ',
    });
    expect(broken.statusCode).toBe(400);
    expect(broken.json().code).toBe('invalid_json');
    const notUuid = await ctx.app.inject({ method: 'GET', url: '/v1/locations/nope', headers: org.headers });
    expect(notUuid.statusCode).toBe(422);
    expect(notUuid.json().errors[0].path).toBe('params.id');
  });
});

describe('tenant isolation', () => {
  it("answers 404 when an organization's key touches another organization's location", async () => {
    const a = await ctx.createOrganization();
    const b = await ctx.createOrganization();
    const { id } = (
      await ctx.app.inject({ method: 'POST', url: '/v1/locations', headers: b.headers, payload: gracia })
    ).json();
    const brandId = (
      await ctx.app.inject({ method: 'GET', url: `/v1/locations/${id}`, headers: b.headers })
    ).json().brands[0].id;

    const attempts = [
      { method: 'GET' as const, url: `/v1/locations/${id}` },
      { method: 'PATCH' as const, url: `/v1/locations/${id}`, payload: { name: 'stolen' } },
      { method: 'DELETE' as const, url: `/v1/locations/${id}` },
      { method: 'POST' as const, url: `/v1/locations/${id}/brands`, payload: { name: 'x' } },
      { method: 'PATCH' as const, url: `/v1/locations/${id}/brands/${brandId}`, payload: { name: 'x' } },
      { method: 'DELETE' as const, url: `/v1/locations/${id}/brands/${brandId}` },
    ];
    for (const attempt of attempts) {
      const response = await ctx.app.inject({ ...attempt, headers: a.headers });
      expect(response.statusCode, `${attempt.method} ${attempt.url}`).toBe(404);
    }
    const list = await ctx.app.inject({
      method: 'GET',
      url: '/v1/locations?includeDeleted=true',
      headers: a.headers,
    });
    expect(list.json().data).toEqual([]);
    const untouched = await ctx.app.inject({ method: 'GET', url: `/v1/locations/${id}`, headers: b.headers });
    expect(untouched.json()).toMatchObject({ name: gracia.name, deleted: false });
    expect(untouched.json().brands).toHaveLength(2);
  });
});

describe('pagination', () => {
  it('walks every location exactly once across pages', async () => {
    const org = await ctx.createOrganization();
    const names = Array.from({ length: 7 }, (_, i) => `Location ${i}`);
    for (const name of names) {
      expectStatus(
        await ctx.app.inject({
          method: 'POST',
          url: '/v1/locations',
          headers: org.headers,
          payload: { name },
        }),
        201,
      );
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor ? `limit=3&cursor=${cursor}` : 'limit=3';
      const page = await ctx.app.inject({
        method: 'GET',
        url: `/v1/locations?${query}`,
        headers: org.headers,
      });
      expectStatus(page, 200);
      const body = page.json();
      seen.push(...body.data.map((l: { name: string }) => l.name));
      cursor = body.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(names);
  });

  it('rejects a limit out of range and a forged cursor with 422', async () => {
    const org = await ctx.createOrganization();
    for (const query of ['limit=0', 'limit=101', 'limit=abc', 'cursor=not-a-cursor']) {
      const response = await ctx.app.inject({
        method: 'GET',
        url: `/v1/locations?${query}`,
        headers: org.headers,
      });
      expect(response.statusCode, query).toBe(422);
      expect(response.json().errors[0].path).toMatch(/^query\.(limit|cursor)$/);
    }
  });
});
