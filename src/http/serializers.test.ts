import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { lazySerializers } from './serializers.ts';

function appWith(response: object) {
  const serializers = lazySerializers();
  const app = Fastify({
    // One route, one serializer: no HEAD twin.
    exposeHeadRoutes: false,
    schemaController: { compilersFactory: { buildSerializer: serializers.buildSerializer } },
  });
  app.get('/thing', { schema: { response: { 200: response } } }, async () => ({ name: 'Ana', secret: 'x' }));
  return { app, serializers };
}

describe('lazy response serializers', () => {
  it('serialize by the route’s schema once answered, dropping what it does not name', async () => {
    const { app, serializers } = appWith({ type: 'object', properties: { name: { type: 'string' } } });
    await app.ready();
    const response = await app.inject({ method: 'GET', url: '/thing' });
    expect(response.json()).toEqual({ name: 'Ana' });
    expect(serializers.compileAll()).toBe(0);
  });

  it('let the server start with a schema that does not compile, and compileAll names its route', async () => {
    const { app, serializers } = appWith({ $ref: 'nowhere#/missing' });
    await app.ready();
    expect(() => serializers.compileAll()).toThrow('the 200 response schema of GET /thing does not compile');
  });

  it('compile each serializer once: compileAll after it finds nothing left', async () => {
    const { app, serializers } = appWith({ type: 'object', properties: { name: { type: 'string' } } });
    await app.ready();
    expect(serializers.compileAll()).toBe(1);
    expect(serializers.compileAll()).toBe(0);
  });
});
