import AjvCompiler from '@fastify/ajv-compiler';
import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';
import { countedValues } from './request-guards.ts';

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
  removeAdditional: false,
  useDefaults: true,
  allowUnionTypes: true,
} as const;
/**
 * A failing value is validated again for the whole list of its errors only when it holds at most
 * this many values. Ajv's allErrors reports every branch of every union for every item: a 400 KB
 * body of 200,000 wrong array items made 6.6 million errors and ran the heap out. This many values
 * at most (a long ticket's lines included) keeps the second pass within a few milliseconds.
 */
export const THOROUGH_VALIDATION_MAX_VALUES = 1000;
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
   * nullable string. Each validates in two passes: a first that stops at the first error (a valid
   * request never pays for more), then, for a small value only, one that lists every error.
   * The pools are looked up on first use too: each lookup serializes the external schemas.
   */
  const buildValidator: ValidatorFactory = (externalSchemas) => {
    const pool = (coerceTypes: false | 'array', allErrors: boolean) =>
      once(() =>
        validatorPool(externalSchemas, { customOptions: { ...AJV_OPTIONS, coerceTypes, allErrors } }),
      );
    const pools = {
      body: { firstError: pool(false, false), allErrors: pool(false, true) },
      text: { firstError: pool('array', false), allErrors: pool('array', true) },
    };
    // Fastify calls a compiler with the route definition; the package's types say a bare schema.
    const compile = (route: AjvCompiler.RouteDefinition) => {
      const passes = route.httpPart === 'body' ? pools.body : pools.text;
      const what = `the ${route.httpPart} schema of ${route.method} ${route.url}`;
      const firstError = deferred(what, () => passes.firstError()(route as never) as Validate);
      const allErrors = deferred(what, () => passes.allErrors()(route as never) as Validate);
      const validate: Validate = (data, context) => {
        const fast = firstError();
        if (fast(data, context)) {
          validate.errors = null;
          return true;
        }
        const values = countedValues(data);
        const small =
          values === undefined
            ? holdsAtMost(data, THOROUGH_VALIDATION_MAX_VALUES)
            : values <= THOROUGH_VALIDATION_MAX_VALUES;
        const listing = small ? allErrors() : fast;
        if (listing !== fast) listing(data, context);
        validate.errors = listing.errors;
        return false;
      };
      // Fastify reads it before calling, and then passes the data's parent so that Ajv may replace
      // a coerced root value in place: it must be the compiled function's.
      Object.defineProperty(validate, 'schemaEnv', { get: () => firstError().schemaEnv });
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

/** Whether value, counting itself and everything inside it, is at most `limit` values. */
function holdsAtMost(value: unknown, limit: number): boolean {
  const stack: unknown[] = [value];
  let counted = 1;
  while (stack.length > 0) {
    const next = stack.pop();
    if (next === null || typeof next !== 'object') continue;
    const children = Object.values(next);
    counted += children.length;
    if (counted > limit) return false;
    for (const child of children) stack.push(child);
  }
  return true;
}

/** fn's value, computed on the first call only. */
function once<T>(fn: () => T): () => T {
  let value: { computed: T } | undefined;
  return () => {
    value ??= { computed: fn() };
    return value.computed;
  };
}
