import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from './support/context.ts';
import { servedRoutes } from './support/routes.ts';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

describe('schemas', () => {
  // Validators and serializers compile on a route's first use (src/http/compilers.ts): one that
  // cannot would otherwise first fail, as a 500, when its route is called or answers that status.
  it('all compile, every route, request part and response status', () => {
    expect(ctx.app.compileSchemas()).toBeGreaterThan(200);
  });
});

describe('OpenAPI document', () => {
  it('is OpenAPI 3.1 and documents every API route the server answers', async () => {
    const response = await ctx.app.inject({ method: 'GET', url: '/openapi.json' });
    const document = response.json();
    expect(document.openapi).toBe('3.1.0');
    const documented = new Set<string>();
    for (const [path, operations] of Object.entries(document.paths as Record<string, object>)) {
      for (const method of Object.keys(operations)) {
        documented.add(`${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`);
      }
    }
    const served = servedRoutes(ctx.app).map(({ method, path }) => `${method} ${path}`);
    expect(served).toContain('PATCH /v1/locations/:id/brands/:brandId');
    const undocumented = served.filter(
      (route) =>
        !route.includes('/docs') &&
        !route.endsWith(' /openapi.json') &&
        !route.includes(' /console') &&
        !route.endsWith(' /till') &&
        !route.includes(' /m/') &&
        // The member pages' GET /m/* (web pages, not API): Fastify's printed tree shows it as /*.
        !(route === 'GET /*' && ctx.app.hasRoute({ method: 'GET', url: '/m/*' })) &&
        !documented.has(route),
    );
    expect(undocumented).toEqual([]);
    expect(documented.has('POST /v1/organizations')).toBe(true);
    expect(documented.has('GET /v1/locations')).toBe(true);
  });

  it('describes every request field it validates', async () => {
    const document = (await ctx.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    const body = document.paths['/v1/locations'].post.requestBody.content['application/json'].schema;
    expect(body.properties.name.description).toBeTruthy();
    expect(body.required).toContain('name');
  });
});

describe('request limits', () => {
  /** Every array schema reachable from a request body or parameter, with where it is. */
  function requestArrays(document: {
    paths: Record<string, Record<string, OperationDocument>>;
    components?: { schemas?: Record<string, SchemaDocument> };
  }): { where: string; schema: SchemaDocument }[] {
    const found: { where: string; schema: SchemaDocument }[] = [];
    const seen = new Set<SchemaDocument>();
    const pending: { where: string; schema: SchemaDocument }[] = [];
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const where = `${method.toUpperCase()} ${path}`;
        for (const content of Object.values(operation.requestBody?.content ?? {})) {
          if (content.schema) pending.push({ where: `${where} body`, schema: content.schema });
        }
        for (const parameter of operation.parameters ?? []) {
          if (parameter.schema)
            pending.push({ where: `${where} ${parameter.name}`, schema: parameter.schema });
        }
      }
    }
    while (pending.length > 0) {
      const { where, schema } = pending.pop() as { where: string; schema: SchemaDocument };
      const resolved = schema.$ref
        ? document.components?.schemas?.[schema.$ref.split('/').at(-1) as string]
        : schema;
      if (!resolved || seen.has(resolved)) continue;
      seen.add(resolved);
      if (resolved.type === 'array' || resolved.items) found.push({ where, schema: resolved });
      for (const [name, child] of Object.entries(resolved.properties ?? {})) {
        pending.push({ where: `${where}.${name}`, schema: child });
      }
      if (resolved.items) pending.push({ where: `${where}[]`, schema: resolved.items });
      for (const branch of [
        ...(resolved.anyOf ?? []),
        ...(resolved.oneOf ?? []),
        ...(resolved.allOf ?? []),
      ]) {
        pending.push({ where, schema: branch });
      }
      if (resolved.then) pending.push({ where, schema: resolved.then });
      if (typeof resolved.additionalProperties === 'object') {
        pending.push({ where: `${where}.*`, schema: resolved.additionalProperties });
      }
    }
    return found;
  }

  it('bounds every array a client may send with a maxItems', async () => {
    const document = (await ctx.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    const arrays = requestArrays(document);
    expect(arrays.length).toBeGreaterThan(20);
    const unbounded = arrays.filter(({ schema }) => schema.maxItems === undefined).map(({ where }) => where);
    expect(unbounded).toEqual([]);
  });
});

interface SchemaDocument {
  type?: string | string[];
  $ref?: string;
  maxItems?: number;
  items?: SchemaDocument;
  properties?: Record<string, SchemaDocument>;
  additionalProperties?: boolean | SchemaDocument;
  anyOf?: SchemaDocument[];
  oneOf?: SchemaDocument[];
  allOf?: SchemaDocument[];
  then?: SchemaDocument;
}

interface OperationDocument {
  parameters?: { name: string; schema?: SchemaDocument }[];
  requestBody?: { content?: Record<string, { schema?: SchemaDocument }> };
}
