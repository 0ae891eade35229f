import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';

type SerializerFactory = ReturnType<typeof SerializerSelector>;

export interface LazySerializers {
  /** For Fastify's `schemaController.compilersFactory.buildSerializer`. */
  buildSerializer: SerializerFactory;
  /** Compiles every serializer not compiled yet; returns how many it compiled. */
  compileAll(): number;
}

/**
 * Response serializers compiled on a route's first answer rather than when the server starts.
 * Compiling every route's response schemas (fast-json-stringify, the compiler Fastify uses by
 * default) was half of building the server (docs/performance.md), paid by every start, every
 * worker and every test file for routes most of them never answer. The price: a schema that does
 * not compile would fail at its route's first answer instead of at start, so `compileAll` lets a
 * test compile them all.
 */
export function lazySerializers(): LazySerializers {
  const pool = SerializerSelector();
  const waiting = new Set<() => void>();

  const buildSerializer: SerializerFactory = (externalSchemas, options) => {
    const compile = pool(externalSchemas, options);
    return (route) => {
      let serialize: ReturnType<typeof compile> | undefined;
      const compileNow = () => {
        waiting.delete(compileNow);
        try {
          serialize = compile(route);
        } catch (error) {
          throw new Error(
            `the ${route.httpStatus} response schema of ${route.method} ${route.url} does not compile`,
            { cause: error },
          );
        }
        return serialize;
      };
      waiting.add(compileNow);
      return (payload) => (serialize ?? compileNow())(payload);
    };
  };

  return {
    buildSerializer,
    compileAll() {
      const compiles = [...waiting];
      for (const compileNow of compiles) compileNow();
      return compiles.length;
    },
  };
}
