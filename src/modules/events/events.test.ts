import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, expectStatus, type TestContext } from '../../../test/support/context.ts';
import { transaction } from '../../db/transaction.ts';
import { emit } from './service.ts';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

describe('events outbox', () => {
  it('records an event for each change, readable at /v1/events and filterable', async () => {
    const org = await ctx.createOrganization();
    const { id } = (
      await ctx.app.inject({
        method: 'POST',
        url: '/v1/locations',
        headers: org.headers,
        payload: { name: 'A' },
      })
    ).json();
    await ctx.app.inject({
      method: 'PATCH',
      url: `/v1/locations/${id}`,
      headers: org.headers,
      payload: { city: 'Vic' },
    });

    const all = await ctx.app.inject({ method: 'GET', url: '/v1/events', headers: org.headers });
    expectStatus(all, 200);
    expect(all.json().data.map((e: { type: string }) => e.type)).toEqual([
      'organization.created',
      'location.created',
      'location.updated',
    ]);
    const updates = await ctx.app.inject({
      method: 'GET',
      url: `/v1/events?type=location.updated&subjectType=location&subjectId=${id}`,
      headers: org.headers,
    });
    expect(updates.json().data).toMatchObject([
      { type: 'location.updated', subject: { type: 'location', id }, payload: { changed: ['city'] } },
    ]);
  });

  it('loses the event when its transaction rolls back', async () => {
    const org = await ctx.createOrganization();
    await expect(
      transaction(ctx.database.db, async (tx) => {
        await emit(tx, {
          organizationId: org.id,
          type: 'test.rolled_back',
          subject: { type: 'test', id: '1' },
          payload: {},
        });
        throw new Error('the use case failed after emitting');
      }),
    ).rejects.toThrow('the use case failed');
    const events = await ctx.app.inject({
      method: 'GET',
      url: '/v1/events?type=test.rolled_back',
      headers: org.headers,
    });
    expect(events.json().data).toEqual([]);
  });

  it("never shows one organization another's events", async () => {
    const a = await ctx.createOrganization();
    const b = await ctx.createOrganization();
    await ctx.app.inject({
      method: 'POST',
      url: '/v1/locations',
      headers: b.headers,
      payload: { name: 'B only' },
    });
    const events = await ctx.app.inject({ method: 'GET', url: '/v1/events', headers: a.headers });
    expect(events.json().data.every((e: { subject: { id: string } }) => e.subject.id !== b.id)).toBe(true);
    expect(events.json().data.map((e: { type: string }) => e.type)).toEqual(['organization.created']);
  });
});
