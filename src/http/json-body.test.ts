import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestContext,
  expectStatus,
  type TestContext,
  type TestOrganization,
} from '../../test/support/context.ts';
import { nestsDeeperThan } from './json-body.ts';

describe('nestsDeeperThan', () => {
  it('counts arrays and objects opened inside one another', () => {
    expect(nestsDeeperThan('{"a":[{"b":[]}]}', 4)).toBe(false);
    expect(nestsDeeperThan('{"a":[{"b":[]}]}', 3)).toBe(true);
    expect(nestsDeeperThan('[[],[],[],[]]', 2)).toBe(false);
  });

  it('skips brackets inside strings, escaped quotes included', () => {
    expect(nestsDeeperThan('{"note":"[[[[{{{{"}', 1)).toBe(false);
    expect(nestsDeeperThan('{"note":"say \\"[[[[\\" twice"}', 1)).toBe(false);
    expect(nestsDeeperThan('{"path":"C:\\\\","list":[[1]]}', 2)).toBe(true);
  });
});

describe('an empty JSON body', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
  });
  afterAll(() => ctx.close());

  const jsonCall = (org: TestOrganization, method: 'POST' | 'PATCH', url: string, payload: string) =>
    ctx.app.inject({
      method,
      url,
      headers: { ...org.headers, 'content-type': 'application/json' },
      payload,
    });

  async function member(org: TestOrganization): Promise<string> {
    const created = await ctx.app.inject({
      method: 'POST',
      url: '/v1/customers',
      headers: org.headers,
      payload: { firstName: 'Ana' },
    });
    expectStatus(created, 201);
    return created.json().id;
  }

  it('is no body on an action route, as curl sends it with a shared Content-Type header', async () => {
    const org = await ctx.createOrganization();
    const id = await member(org);
    expectStatus(await jsonCall(org, 'POST', `/v1/customers/${id}/deactivate`, ''), 200);
    expectStatus(await jsonCall(org, 'POST', `/v1/customers/${id}/activate`, ' \r\n\t'), 200);
  });

  it('is read as {} on PATCH, so the route’s own validation answers rather than the parser', async () => {
    const org = await ctx.createOrganization();
    const id = await member(org);
    const patched = await jsonCall(org, 'PATCH', `/v1/customers/${id}`, '');
    expectStatus(patched, 422);
    expect(patched.json().errors).toEqual([
      { path: 'body', message: 'must NOT have fewer than 1 properties' },
    ]);
  });

  it('still answers 422 naming the missing fields where a body is required', async () => {
    const org = await ctx.createOrganization();
    const response = await jsonCall(org, 'POST', '/v1/locations', '');
    expectStatus(response, 422);
    expect(response.json().errors).toContainEqual(expect.objectContaining({ path: 'body.name' }));
  });

  it('is not a pass for malformed JSON, which stays a 400', async () => {
    const org = await ctx.createOrganization();
    expectStatus(await jsonCall(org, 'POST', '/v1/locations', '{"name":'), 400);
  });
});
