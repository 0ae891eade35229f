import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestContext,
  expectStatus,
  type TestContext,
  type TestOrganization,
} from '../../test/support/context.ts';
import { MAX_NESTING_DEPTH, MAX_OBJECT_FIELDS, shapeProblem } from './json-body.ts';

const nested = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;
const objectOf = (fields: number) =>
  `{${Array.from({ length: fields }, (_, index) => `"k${index}":${index}`).join(',')}}`;

describe('shapeProblem', () => {
  it('counts arrays and objects opened inside one another', () => {
    expect(shapeProblem(nested(MAX_NESTING_DEPTH))).toBeUndefined();
    expect(shapeProblem(nested(MAX_NESTING_DEPTH + 1))).toBe('too_deep');
    expect(shapeProblem(`[${nested(MAX_NESTING_DEPTH - 1).repeat(100)}]`)).toBeUndefined();
  });

  it('skips brackets and colons inside strings, escaped quotes included', () => {
    const brackets = '['.repeat(MAX_NESTING_DEPTH + 1);
    expect(shapeProblem(`{"note":"${brackets}"}`)).toBeUndefined();
    expect(shapeProblem(`{"note":"say \\"${brackets}\\" twice"}`)).toBeUndefined();
    expect(shapeProblem(`{"path":"C:\\\\","list":${nested(MAX_NESTING_DEPTH)}}`)).toBe('too_deep');
    expect(shapeProblem(`{"a":"${':'.repeat(MAX_OBJECT_FIELDS + 1)}"}`)).toBeUndefined();
  });

  it('counts the fields of each object on its own', () => {
    expect(shapeProblem(objectOf(MAX_OBJECT_FIELDS))).toBeUndefined();
    expect(shapeProblem(objectOf(MAX_OBJECT_FIELDS + 1))).toBe('too_wide');
    const many = `[${Array.from({ length: 5 }, () => objectOf(MAX_OBJECT_FIELDS)).join(',')}]`;
    expect(shapeProblem(many)).toBeUndefined();
    expect(shapeProblem(`{"a":${objectOf(10)},${objectOf(MAX_OBJECT_FIELDS + 1).slice(1)}`)).toBe('too_wide');
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
    expect(patched.json().errors).toEqual([{ path: 'body', message: 'must have at least 1 field' }]);
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
