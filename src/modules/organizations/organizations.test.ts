import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestContext,
  expectStatus,
  masterHeaders,
  type TestContext,
} from '../../../test/support/context.ts';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

describe('organizations', () => {
  it('creates an organization with defaults for what was left out', async () => {
    const response = await ctx.app.inject({
      method: 'POST',
      url: '/v1/organizations',
      headers: masterHeaders,
      payload: { name: 'Taquería Lupita', currency: 'MXN', timeZone: 'America/Mexico_City', country: 'MX' },
    });
    expectStatus(response, 201);
    expect(response.json()).toMatchObject({
      name: 'Taquería Lupita',
      currency: 'MXN',
      timeZone: 'America/Mexico_City',
      country: 'MX',
      settings: { pointsRounding: 'down', loyaltyCardNumberLength: 10 },
    });
    const minimal = await ctx.app.inject({
      method: 'POST',
      url: '/v1/organizations',
      headers: masterHeaders,
      payload: { name: 'M' },
    });
    expect(minimal.json()).toMatchObject({ currency: 'EUR', timeZone: 'UTC', country: 'ES' });
  });

  it('rejects unknown currencies, time zones and countries with 422 naming the field', async () => {
    const cases = [
      [{ currency: 'EURO' }, 'body.currency'],
      [{ currency: 'ZZZ' }, 'body.currency'],
      [{ timeZone: 'Europe/Atlantis' }, 'body.timeZone'],
      [{ country: 'XX' }, 'body.country'],
      [{ settings: { loyaltyCardNumberLength: 3 } }, 'body.settings.loyaltyCardNumberLength'],
      [{ settings: { unknownKnob: true } }, 'body.settings.unknownKnob'],
    ] as const;
    for (const [fields, path] of cases) {
      const response = await ctx.app.inject({
        method: 'POST',
        url: '/v1/organizations',
        headers: masterHeaders,
        payload: { name: 'Bad', ...fields },
      });
      expect(response.statusCode, JSON.stringify(fields)).toBe(422);
      expect(response.json().errors.map((e: { path: string }) => e.path)).toContain(path);
    }
  });

  it('shows a key its own organization and lets it change name and settings', async () => {
    const org = await ctx.createOrganization({ name: 'Before' });
    const own = await ctx.app.inject({ method: 'GET', url: '/v1/organization', headers: org.headers });
    expect(own.json()).toMatchObject({ id: org.id, name: 'Before' });

    const patched = await ctx.app.inject({
      method: 'PATCH',
      url: '/v1/organization',
      headers: org.headers,
      payload: { name: 'After', settings: { loyaltyCardNumberLength: 12 } },
    });
    expectStatus(patched, 200);
    expect(patched.json()).toMatchObject({
      name: 'After',
      settings: { loyaltyCardNumberLength: 12, pointsRounding: 'down' },
    });

    const again = await ctx.app.inject({
      method: 'PATCH',
      url: '/v1/organization',
      headers: org.headers,
      payload: { settings: { pointsRounding: 'half_up' } },
    });
    // Settings are merged: the earlier change stays.
    expect(again.json().settings).toMatchObject({ loyaltyCardNumberLength: 12, pointsRounding: 'half_up' });
  });

  it('earns in hundredths unless the program asks for whole points, and refuses any other precision', async () => {
    const org = await ctx.createOrganization();
    const patch = (settings: Record<string, unknown>) =>
      ctx.app.inject({
        method: 'PATCH',
        url: '/v1/organization',
        headers: org.headers,
        payload: { settings },
      });
    const own = await ctx.app.inject({ method: 'GET', url: '/v1/organization', headers: org.headers });
    expect(own.json().settings).toMatchObject({ pointsPrecision: 'hundredths' });
    expect((await patch({ pointsPrecision: 'whole' })).json().settings).toMatchObject({
      pointsPrecision: 'whole',
    });
    expect((await patch({ pointsPrecision: 'tenths' })).statusCode).toBe(422);
  });

  it('keeps both settings when two changes of different settings arrive at once', async () => {
    const orgs = await Promise.all(Array.from({ length: 20 }, () => ctx.createOrganization()));
    const patch = (headers: { authorization: string }, settings: Record<string, unknown>) =>
      ctx.app.inject({ method: 'PATCH', url: '/v1/organization', headers, payload: { settings } });
    const pairs = await Promise.all(
      orgs.map((org) =>
        Promise.all([
          patch(org.headers, { loyaltyCardNumberLength: 12 }),
          patch(org.headers, { pointsRounding: 'half_up' }),
        ]),
      ),
    );
    for (const response of pairs.flat()) expectStatus(response, 200);
    for (const org of orgs) {
      const own = await ctx.app.inject({ method: 'GET', url: '/v1/organization', headers: org.headers });
      expect(own.json().settings).toMatchObject({ loyaltyCardNumberLength: 12, pointsRounding: 'half_up' });
    }
  });

  it('refuses an empty patch', async () => {
    const org = await ctx.createOrganization();
    const response = await ctx.app.inject({
      method: 'PATCH',
      url: '/v1/organization',
      headers: org.headers,
      payload: {},
    });
    expect(response.statusCode).toBe(422);
  });

  it('lists organizations to the master key across pages', async () => {
    const created = new Set<string>();
    for (let i = 0; i < 3; i++) created.add((await ctx.createOrganization()).id);
    const seen = new Set<string>();
    let cursor: string | null = null;
    do {
      const url: string = `/v1/organizations?limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const page = await ctx.app.inject({ method: 'GET', url, headers: masterHeaders });
      expectStatus(page, 200);
      for (const organization of page.json().data) seen.add(organization.id);
      cursor = page.json().nextCursor;
    } while (cursor);
    for (const id of created) expect(seen.has(id)).toBe(true);
  });
});
