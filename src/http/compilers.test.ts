import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { lazyCompilers, THOROUGH_VALIDATION_MAX_VALUES } from './compilers.ts';

const NAMED = { type: 'object', properties: { name: { type: 'string' } } };

function appWith(schemas: { body?: object; querystring?: object; response?: object }) {
  const compilers = lazyCompilers();
  const app = Fastify({
    // One route, one set of compiles: no HEAD twin.
    exposeHeadRoutes: false,
    schemaController: {
      compilersFactory: {
        buildValidator: compilers.buildValidator,
        buildSerializer: compilers.buildSerializer,
      },
    },
  });
  app.post(
    '/thing',
    {
      schema: {
        ...(schemas.body ? { body: schemas.body } : {}),
        ...(schemas.querystring ? { querystring: schemas.querystring } : {}),
        response: { 200: schemas.response ?? NAMED },
      },
    },
    async (request) => ({ name: 'Ana', secret: 'x', query: request.query, body: request.body }),
  );
  return { app, compilers };
}

describe('lazy schema compilers', () => {
  it('serialize an answer by its schema, dropping what the schema does not name', async () => {
    const { app } = appWith({});
    const response = await app.inject({ method: 'POST', url: '/thing', payload: {} });
    expect(response.json()).toEqual({ name: 'Ana' });
  });

  it('refuse a body by its schema, naming the field, as compiled at start', async () => {
    const { app } = appWith({
      body: { type: 'object', required: ['points'], properties: { points: { type: 'integer' } } },
    });
    const response = await app.inject({ method: 'POST', url: '/thing', payload: { points: 'many' } });
    expect(response.statusCode).toBe(400);
    expect(response.json().message).toBe('body/points must be integer');
  });

  it('coerce and default query values', async () => {
    const { app } = appWith({
      querystring: {
        type: 'object',
        properties: { limit: { type: 'integer', default: 20 }, page: { type: 'integer' } },
      },
      response: { type: 'object', properties: { query: { type: 'object', additionalProperties: true } } },
    });
    const response = await app.inject({ method: 'POST', url: '/thing?page=3', payload: {} });
    expect(response.json().query).toEqual({ limit: 20, page: 3 });
  });

  it('look like Ajv’s compiled function to Fastify: schemaEnv, a root value coerced in its parent, errors', () => {
    const compile = lazyCompilers().buildValidator({}) as unknown as (route: object) => {
      (data: unknown, context?: object): boolean;
      errors?: unknown;
      schemaEnv?: unknown;
    };
    const validate = compile({
      schema: { type: 'integer' },
      method: 'GET',
      url: '/x',
      httpPart: 'querystring',
    });
    expect(validate.schemaEnv).toBeTruthy();
    const parent = { x: '5' };
    expect(validate('5', { parentData: parent, parentDataProperty: 'x' })).toBe(true);
    expect(parent.x).toBe(5);
    expect(validate('five')).toBe(false);
    expect(validate.errors).toEqual([expect.objectContaining({ message: 'must be integer' })]);
  });

  it('let the server start with a schema that does not compile, and compileAll names its route', async () => {
    const { app, compilers } = appWith({ response: { $ref: 'nowhere#/missing' } });
    await app.ready();
    expect(() => compilers.compileAll()).toThrow('the 200 response schema of POST /thing does not compile');
    // Still waiting: a second pass names it again rather than passing.
    expect(() => compilers.compileAll()).toThrow('does not compile');
  });

  it('compile each schema once: after compileAll or a first request, nothing is left to compile', async () => {
    const { app, compilers } = appWith({ body: NAMED });
    await app.ready();
    // The body's two passes (first error, all errors) and the answer's serializer.
    expect(compilers.compileAll()).toBe(3);
    expect(compilers.compileAll()).toBe(0);
    const served = appWith({ body: NAMED });
    await served.app.inject({ method: 'POST', url: '/thing', payload: {} });
    // A valid body never needed the pass that lists all errors.
    expect(served.compilers.compileAll()).toBe(1);
  });

  it('list every error of a small value, and only the first of a large one', () => {
    const compile = lazyCompilers().buildValidator({}) as unknown as (route: object) => {
      (data: unknown): boolean;
      errors?: unknown[] | null;
    };
    const validate = compile({
      schema: { type: 'array', items: { type: 'string' } },
      method: 'POST',
      url: '/x',
      httpPart: 'body',
    });
    expect(validate(['a'])).toBe(true);
    expect(validate([1, 2, 3])).toBe(false);
    expect(validate.errors).toHaveLength(3);
    expect(validate(Array.from({ length: THOROUGH_VALIDATION_MAX_VALUES }, (_, index) => index))).toBe(false);
    expect(validate.errors).toHaveLength(1);
  });
});
