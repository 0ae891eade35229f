import AjvCompiler from '@fastify/ajv-compiler';
import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';

type ValidatorFactory = AjvCompiler.BuildCompilerFromPool;
type SerializerFactory = ReturnType<typeof SerializerSelector>;

/** What Fastify reads off a validator: Ajv's compiled function, called with its data context. */
interface Validate {
  (data: unknown, context?: object): unknown;
  errors?: unknown;
  schemaEnv?: unknown;
}

export interface LazyCompilers {
  /** For Fastify's `schemaController.compilersFactory`. */
  buildValidator: ValidatorFactory;
  buildSerializer: SerializerFactory;
  /** Compiles every validator and serializer not compiled yet; returns how many it compiled. */
  compileAll(): number;
}

const AJV_OPTIONS = {
  allErrors: true,
  removeAdditional: false,
  useDefaults: true,
  allowUnionTypes: true,
} as const;
const validatorPool = AjvCompiler();
const serializerPool = SerializerSelector();

/**
 * Fastify's schema compilers (Ajv for requests, fast-json-stringify for responses, the ones it
 * uses by default), with each route's validators and serializers compiled on first use rather
 * than when the server starts. Compiling them all was nearly all of building the server
 * (docs/performance.md), paid by every start, every worker and every test file, for routes most
 * of them never serve. The price: a schema that does not compile fails at its route's first use
 * instead of at start, so `compileAll` lets a test compile them all.
 */
export function lazyCompilers(): LazyCompilers {
  const waiting = new Set<() => unknown>();

  /** `compile` deferred to the first call of the function returned, or to compileAll. */
  function deferred<T>(what: string, compile: () => T): () => T {
    let compiled: T | undefined;
    const compileNow = () => {
      if (compiled === undefined) {
        try {
          compiled = compile();
        } catch (error) {
          throw new Error(`${what} does not compile`, { cause: error });
        }
        // Only once compiled: one that failed is still waiting, for compileAll to name.
        waiting.delete(compileNow);
      }
      return compiled;
    };
    waiting.add(compileNow);
    return compileNow;
  }

  /**
   * Two validators: query strings and path parameters arrive as text and are coerced to their
   * types; JSON bodies are typed already, and coercing them would turn `null` into `""` for a
   * nullable string.
   */
  const buildValidator: ValidatorFactory = (externalSchemas) => {
    const body = validatorPool(externalSchemas, { customOptions: { ...AJV_OPTIONS, coerceTypes: false } });
    const text = validatorPool(externalSchemas, { customOptions: { ...AJV_OPTIONS, coerceTypes: 'array' } });
    // Fastify calls a compiler with the route definition; the package's types say a bare schema.
    const compile = (route: AjvCompiler.RouteDefinition) => {
      const compiled = deferred(
        `the ${route.httpPart} schema of ${route.method} ${route.url}`,
        () => (route.httpPart === 'body' ? body(route as never) : text(route as never)) as Validate,
      );
      const validate: Validate = (data, context) => {
        const ajvValidate = compiled();
        const valid = ajvValidate(data, context);
        validate.errors = ajvValidate.errors;
        return valid;
      };
      // Fastify reads it before calling, and then passes the data's parent so that Ajv may replace
      // a coerced root value in place: it must be the compiled function's.
      Object.defineProperty(validate, 'schemaEnv', { get: () => compiled().schemaEnv });
      return validate;
    };
    return compile as unknown as ReturnType<ValidatorFactory>;
  };

  const buildSerializer: SerializerFactory = (externalSchemas, options) => {
    const compile = serializerPool(externalSchemas, options);
    return (route) => {
      const serialize = deferred(
        `the ${route.httpStatus} response schema of ${route.method} ${route.url}`,
        () => compile(route),
      );
      return (payload) => serialize()(payload);
    };
  };

  return {
    buildValidator,
    buildSerializer,
    compileAll() {
      const compiles = [...waiting];
      for (const compileNow of compiles) compileNow();
      return compiles.length;
    },
  };
}
