import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestContext,
  expectStatus,
  masterHeaders,
  type TestContext,
  type TestOrganization,
} from '../../../test/support/context.ts';
import { newId } from '../../db/ids.ts';
import { transaction } from '../../db/transaction.ts';
import { runWithContext } from '../../http/request-context.ts';
import { emit } from '../events/service.ts';
import { recordAudit } from './service.ts';
import { insertAuditRows } from './store.ts';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

interface Entry {
  id: string;
  occurredAt: string;
  actor: { type: string; id: string | null };
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
  action: string;
  subject: { type: string; id: string };
  changes: Record<string, unknown>;
}

async function auditLog(org: TestOrganization, query = ''): Promise<Entry[]> {
  const response = await ctx.app.inject({
    method: 'GET',
    url: `/v1/audit-log${query}`,
    headers: org.headers,
  });
  expectStatus(response, 200);
  return response.json().data;
}

async function createMember(org: TestOrganization, payload: Record<string, unknown> = {}) {
  const response = await ctx.app.inject({
    method: 'POST',
    url: '/v1/customers',
    headers: org.headers,
    payload: { firstName: 'Bruce', email: `bruce-${newId()}@wayne.example`, ...payload },
  });
  expectStatus(response, 201);
  return response.json() as { id: string };
}

describe('audit log', () => {
  it('records who changed a member, from where, and each changed field before and after', async () => {
    const org = await ctx.createOrganization();
    const member = await createMember(org, { lastName: 'Wayne' });
    const patched = await ctx.app.inject({
      method: 'PATCH',
      url: `/v1/customers/${member.id}`,
      headers: { ...org.headers, 'user-agent': 'console/2.1' },
      payload: { firstName: 'Bruno', lastName: 'Wayne', phone: '+34 666 666 666' },
    });
    expectStatus(patched, 200);

    const [entry] = await auditLog(org, `?action=customer.updated&subjectId=${member.id}`);
    expect(entry).toMatchObject({
      actor: { type: 'api_key', id: org.apiKeyId },
      requestId: patched.headers['x-request-id'],
      ip: '127.0.0.1',
      userAgent: 'console/2.1',
      action: 'customer.updated',
      subject: { type: 'customer', id: member.id },
    });
    // Only what changed: the last name was sent as it already was.
    expect(entry!.changes).toEqual({
      firstName: { before: 'Bruce', after: 'Bruno' },
      phone: { before: null, after: '+34666666666' },
    });
    // The event itself says which fields changed, never their values.
    const events = await ctx.app.inject({
      method: 'GET',
      url: `/v1/events?type=customer.updated&subjectId=${member.id}`,
      headers: org.headers,
    });
    expect(events.json().data[0].payload).toEqual({ customerId: member.id, changed: ['firstName', 'phone'] });
  });

  it('records configuration changes with their before and after, and the creation as it was made', async () => {
    const org = await ctx.createOrganization();
    const rule = await ctx.app.inject({
      method: 'POST',
      url: '/v1/earning-rules',
      headers: org.headers,
      payload: { name: 'Per euro', type: 'spend', config: { pointsPerUnit: 1 } },
    });
    expectStatus(rule, 201);
    const ruleId = rule.json().id;
    expectStatus(
      await ctx.app.inject({
        method: 'PATCH',
        url: `/v1/earning-rules/${ruleId}`,
        headers: org.headers,
        payload: { name: 'Two per euro', config: { pointsPerUnit: 2 } },
      }),
      200,
    );
    expectStatus(
      await ctx.app.inject({
        method: 'PATCH',
        url: '/v1/organization',
        headers: org.headers,
        payload: { name: 'Renamed' },
      }),
      200,
    );

    const entries = await auditLog(org, `?subjectId=${ruleId}`);
    expect(entries.map((entry) => entry.action)).toEqual(['earning_rule.updated', 'earning_rule.created']);
    expect(entries[0]!.changes).toMatchObject({
      name: { before: 'Per euro', after: 'Two per euro' },
      config: { before: { pointsPerUnit: 1 }, after: { pointsPerUnit: 2 } },
    });
    expect(entries[1]!.changes).toMatchObject({ ruleId, name: 'Per euro', type: 'spend' });
    const [renamed] = await auditLog(org, '?action=organization.updated');
    expect(renamed!.changes).toEqual({ name: { before: expect.any(String), after: 'Renamed' } });
  });

  it('records nothing of a change that rolls back', async () => {
    const org = await ctx.createOrganization();
    const member = await createMember(org);
    const before = await auditLog(org);
    await expect(
      transaction(ctx.database.db, async (tx) => {
        await emit(tx, {
          organizationId: org.id,
          type: 'customer.updated',
          subject: { type: 'customer', id: member.id },
          payload: {},
          changes: { firstName: { before: 'Bruce', after: 'Nobody' } },
        });
        await recordAudit(tx, {
          organizationId: org.id,
          action: 'api_key.created',
          subject: { type: 'api_key', id: newId() },
        });
        throw new Error('the use case failed after its changes were recorded');
      }),
    ).rejects.toThrow('the use case failed');
    // Over HTTP: a refused change (409, the email is another member's) leaves no row either.
    const other = await createMember(org, { email: 'taken@wayne.example' });
    const refused = await ctx.app.inject({
      method: 'PATCH',
      url: `/v1/customers/${member.id}`,
      headers: org.headers,
      payload: { firstName: 'Changed', email: 'taken@wayne.example' },
    });
    expectStatus(refused, 409);
    const after = await auditLog(org);
    expect(after.filter((entry) => entry.subject.id !== other.id)).toEqual(before);
  });

  it('records manual points operations, and not the points a ticket earns', async () => {
    const org = await ctx.createOrganization();
    const member = await createMember(org);
    expectStatus(
      await ctx.app.inject({
        method: 'POST',
        url: '/v1/earning-rules',
        headers: org.headers,
        payload: { name: 'Per euro', type: 'spend', config: { pointsPerUnit: 1 } },
      }),
      201,
    );
    const added = await ctx.app.inject({
      method: 'POST',
      url: `/v1/customers/${member.id}/points/add`,
      headers: org.headers,
      payload: { points: 50, reason: 'Apology for the wait' },
    });
    expectStatus(added, 201);
    const ticket = await ctx.app.inject({
      method: 'POST',
      url: '/v1/transactions',
      headers: org.headers,
      payload: {
        documentNumber: 'T-1',
        purchasedAt: '2026-11-20T12:00:00Z',
        totals: { total: 2000 },
        lines: [{ sku: 'MENU', name: 'Menu del día', total: 2000 }],
        customer: { customerId: member.id },
      },
    });
    expectStatus(ticket, 201);
    expect(ticket.json().pointsEarned).toBeGreaterThan(0);

    const points = await auditLog(org, '?action=points.*');
    expect(points).toHaveLength(1);
    expect(points[0]).toMatchObject({
      action: 'points.added',
      actor: { type: 'api_key', id: org.apiKeyId },
      requestId: added.headers['x-request-id'],
      subject: { type: 'customer', id: member.id },
      changes: { customerId: member.id, points: 50, reason: 'Apology for the wait' },
    });
    expect(await auditLog(org, '?action=transaction.*')).toEqual([]);
  });

  it("records points a POS adds through the Comeback dialect, as the key's", async () => {
    const org = await ctx.createOrganization();
    const member = await createMember(org);
    const added = await ctx.app.inject({
      method: 'POST',
      url: `/compat/comeback/v1/customers/${member.id}/addPoints`,
      headers: { authorization: org.apiKey },
      payload: { addedPoints: 5 },
    });
    expectStatus(added, 200);
    const [entry] = await auditLog(org, '?action=points.*');
    expect(entry).toMatchObject({
      action: 'points.added',
      actor: { type: 'api_key', id: org.apiKeyId },
      requestId: added.headers['x-request-id'],
      changes: { points: 5, reason: 'Comeback addPoints' },
    });
  });

  it('filters by actor, subject, action or family, and time; pages newest first', async () => {
    const org = await ctx.createOrganization();
    const created = await ctx.app.inject({
      method: 'POST',
      url: `/v1/organizations/${org.id}/api-keys`,
      headers: masterHeaders,
      payload: { name: 'Second till', scopes: ['till'] },
    });
    const secondKey = created.json() as { id: string; key: string };
    const member = await createMember(org);
    const location = await ctx.app.inject({
      method: 'POST',
      url: '/v1/locations',
      headers: org.headers,
      payload: { name: 'Born' },
    });
    await ctx.app.inject({
      method: 'PATCH',
      url: `/v1/locations/${location.json().id}`,
      headers: org.headers,
      payload: { city: 'Barcelona' },
    });
    await ctx.app.inject({
      method: 'POST',
      url: '/v1/customers',
      headers: { authorization: `Bearer ${secondKey.key}` },
      payload: { firstName: 'Selina' },
    });

    const all = await auditLog(org);
    const ids = all.map((entry) => entry.id);
    expect([...ids].sort().reverse()).toEqual(ids);
    expect(all.map((entry) => entry.action)).toEqual([
      'customer.created',
      'location.updated',
      'location.created',
      'customer.created',
      'api_key.created',
      'api_key.created',
      'organization.created',
    ]);
    expect(all[0]!.actor).toEqual({ type: 'api_key', id: secondKey.id });
    expect(all.filter((entry) => entry.action === 'api_key.created').map((entry) => entry.actor)).toEqual([
      { type: 'master', id: null },
      { type: 'master', id: null },
    ]);

    const bySecondKey = await auditLog(org, `?actorType=api_key&actorId=${secondKey.id}`);
    expect(bySecondKey.map((entry) => entry.action)).toEqual(['customer.created']);
    expect((await auditLog(org, '?actorType=master')).map((entry) => entry.action)).toEqual([
      'api_key.created',
      'api_key.created',
      'organization.created',
    ]);
    expect((await auditLog(org, '?action=location.*')).map((entry) => entry.action)).toEqual([
      'location.updated',
      'location.created',
    ]);
    const aboutMember = await auditLog(org, `?subjectType=customer&subjectId=${member.id}`);
    expect(aboutMember.map((entry) => entry.action)).toEqual(['customer.created']);
    const middle = all[3]!.occurredAt;
    const from = await auditLog(org, `?from=${encodeURIComponent(middle)}`);
    expect(from.every((entry) => entry.occurredAt >= middle)).toBe(true);
    const to = await auditLog(org, `?to=${encodeURIComponent(middle)}`);
    expect(to.every((entry) => entry.occurredAt <= middle)).toBe(true);
    expect(from.length + to.length).toBeGreaterThanOrEqual(all.length);

    const first = await ctx.app.inject({ method: 'GET', url: '/v1/audit-log?limit=3', headers: org.headers });
    const second = await ctx.app.inject({
      method: 'GET',
      url: `/v1/audit-log?limit=3&cursor=${first.json().nextCursor}`,
      headers: org.headers,
    });
    expect([...first.json().data, ...second.json().data].map((entry: Entry) => entry.id)).toEqual(
      ids.slice(0, 6),
    );

    const bad = await ctx.app.inject({
      method: 'GET',
      url: '/v1/audit-log?action=drop%20table',
      headers: org.headers,
    });
    expectStatus(bad, 422);
    expect(bad.json().errors[0].path).toBe('query.action');
  });

  it('exports the filtered log as CSV', async () => {
    const org = await ctx.createOrganization();
    const member = await createMember(org, { firstName: 'Ana, "la jefa"' });
    const response = await ctx.app.inject({
      method: 'GET',
      url: '/v1/audit-log.csv?action=customer.*',
      headers: org.headers,
    });
    expectStatus(response, 200);
    expect(response.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(response.headers['content-disposition']).toBe('attachment; filename="audit-log.csv"');
    const rows = parse(response.body, { columns: true }) as Record<string, string>[];
    expect(rows).toEqual([
      expect.objectContaining({
        action: 'customer.created',
        actorType: 'api_key',
        actorId: org.apiKeyId,
        subjectType: 'customer',
        subjectId: member.id,
        ip: '127.0.0.1',
      }),
    ]);
    expect(JSON.parse(rows[0]!.changes!)).toEqual({ customerId: member.id });
  });

  it("never shows one organization another's entries", async () => {
    const a = await ctx.createOrganization();
    const b = await ctx.createOrganization();
    const theirs = await createMember(b);
    const mine = await auditLog(a, `?subjectId=${theirs.id}`);
    expect(mine).toEqual([]);
    const all = await auditLog(a);
    expect(all.some((entry) => entry.subject.id === b.id || entry.subject.id === theirs.id)).toBe(false);
    const csv = await ctx.app.inject({ method: 'GET', url: '/v1/audit-log.csv', headers: a.headers });
    expect(csv.body).not.toContain(theirs.id);
  });

  it('is read with the read scope: a till key is refused', async () => {
    const org = await ctx.createOrganization();
    const till = await ctx.app.inject({
      method: 'POST',
      url: `/v1/organizations/${org.id}/api-keys`,
      headers: masterHeaders,
      payload: { scopes: ['till'] },
    });
    const refused = await ctx.app.inject({
      method: 'GET',
      url: '/v1/audit-log',
      headers: { authorization: `Bearer ${till.json().key}` },
    });
    expectStatus(refused, 403);
    expect(refused.json().detail).toContain("'read' scope");
  });

  it('keeps secrets out: webhook secrets and headers, API keys', async () => {
    const org = await ctx.createOrganization();
    const created = await ctx.app.inject({
      method: 'POST',
      url: '/v1/webhook-endpoints',
      headers: org.headers,
      payload: { url: 'https://crm.example.com/hooks', headers: { 'x-vendor-token': 'vendor-token-123' } },
    });
    expectStatus(created, 201);
    const endpoint = created.json() as { id: string; secret: string };
    const rotated = await ctx.app.inject({
      method: 'POST',
      url: `/v1/webhook-endpoints/${endpoint.id}/rotate-secret`,
      headers: org.headers,
      payload: {},
    });
    expectStatus(rotated, 200);
    expectStatus(
      await ctx.app.inject({
        method: 'PATCH',
        url: `/v1/webhook-endpoints/${endpoint.id}`,
        headers: org.headers,
        payload: { headers: { 'x-vendor-token': 'vendor-token-456' } },
      }),
      200,
    );
    expectStatus(
      await ctx.app.inject({
        method: 'DELETE',
        url: `/v1/webhook-endpoints/${endpoint.id}`,
        headers: org.headers,
      }),
      204,
    );
    const revoked = await ctx.app.inject({
      method: 'DELETE',
      url: `/v1/organizations/${org.id}/api-keys/${org.apiKeyId}`,
      headers: masterHeaders,
    });
    expectStatus(revoked, 200);
    const reader = await ctx.app.inject({
      method: 'POST',
      url: `/v1/organizations/${org.id}/api-keys`,
      headers: masterHeaders,
      payload: { scopes: ['read'] },
    });
    const headers = { authorization: `Bearer ${reader.json().key}` };

    const log = await ctx.app.inject({ method: 'GET', url: '/v1/audit-log', headers });
    expectStatus(log, 200);
    const csv = await ctx.app.inject({ method: 'GET', url: '/v1/audit-log.csv', headers });
    for (const secret of [
      endpoint.secret,
      rotated.json().secret,
      'vendor-token-123',
      'vendor-token-456',
      org.apiKey,
      reader.json().key,
    ]) {
      expect(log.body).not.toContain(secret);
      expect(csv.body).not.toContain(secret);
    }
    const actions = (log.json().data as Entry[]).map((entry) => entry.action);
    expect(actions).toEqual(
      expect.arrayContaining([
        'webhook_endpoint.created',
        'webhook_endpoint.secret_rotated',
        'webhook_endpoint.updated',
        'webhook_endpoint.deleted',
        'api_key.revoked',
      ]),
    );
    const revokedEntry = (log.json().data as Entry[]).find((entry) => entry.action === 'api_key.revoked');
    expect(revokedEntry).toMatchObject({
      actor: { type: 'master', id: null },
      subject: { id: org.apiKeyId },
    });
  });

  it("erases the values a member's changes recorded when the member is anonymized", async () => {
    const org = await ctx.createOrganization();
    const member = await createMember(org, { email: 'selina@kyle.example' });
    await ctx.app.inject({
      method: 'PATCH',
      url: `/v1/customers/${member.id}`,
      headers: org.headers,
      payload: { email: 'cat@kyle.example' },
    });
    expectStatus(
      await ctx.app.inject({
        method: 'POST',
        url: `/v1/customers/${member.id}/anonymize`,
        headers: org.headers,
      }),
      200,
    );
    const entries = await auditLog(org, `?subjectId=${member.id}`);
    expect(entries.map((entry) => entry.action)).toEqual([
      'customer.anonymized',
      'customer.updated',
      'customer.created',
    ]);
    expect(JSON.stringify(entries)).not.toContain('kyle.example');
    expect(entries[1]!.changes).toEqual({ email: '[erased]' });
  });

  it('records changes made outside a request as the system, with no request details', async () => {
    const org = await ctx.createOrganization();
    await ctx.services.locations.create(org.id, { name: 'Made by a job' });
    const [entry] = await auditLog(org, '?action=location.created');
    expect(entry).toMatchObject({
      actor: { type: 'system', id: null },
      ip: null,
      userAgent: null,
      requestId: null,
    });
  });

  it('takes the request context it is given outside HTTP (the CLI)', async () => {
    const org = await ctx.createOrganization();
    await runWithContext(
      {
        requestId: null,
        ip: null,
        userAgent: 'regulars cli',
        caller: () => ({ type: 'master', id: null }),
        auditMode: () => 'changes',
      },
      () => ctx.services.apiKeys.create(org.id, { name: 'From the CLI' }),
    );
    const [entry] = await auditLog(org, '?action=api_key.created');
    expect(entry).toMatchObject({
      actor: { type: 'master' },
      userAgent: 'regulars cli',
      changes: { name: 'From the CLI' },
    });
  });
});

describe('audit log retention', () => {
  it('purges the rows older than the cutoff, of every organization, and keeps the rest', async () => {
    const a = await ctx.createOrganization();
    const b = await ctx.createOrganization();
    const day = 86_400_000;
    const now = Date.now();
    const row = (organizationId: string, daysAgo: number, action: string) => ({
      organizationId,
      id: newId(),
      occurredAt: new Date(now - daysAgo * day),
      actorType: 'system' as const,
      actorId: null,
      ip: null,
      userAgent: null,
      requestId: null,
      action,
      subjectType: 'test',
      subjectId: action,
      changes: {},
    });
    await insertAuditRows(ctx.database.db, [
      row(a.id, 500, 'test.ancient'),
      row(b.id, 401, 'test.old'),
      row(a.id, 399, 'test.recent'),
    ]);

    const deleted = await ctx.services.audit.purgeBefore(new Date(now - 400 * day));
    expect(deleted).toBe(2);
    expect((await auditLog(a, '?action=test.*')).map((entry) => entry.action)).toEqual(['test.recent']);
    expect(await auditLog(b, '?action=test.*')).toEqual([]);
    expect((await auditLog(a, '?action=organization.created')).length).toBe(1);
  });
});
