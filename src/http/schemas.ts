import { type TSchema, Type } from 'typebox';

/** Building blocks shared by every route contract. */

export const Uuid = (description: string) =>
  Type.String({ format: 'uuid', description, examples: ['01936f4e-8b1a-7c3d-9e2f-1a2b3c4d5e6f'] });

export const IdParams = Type.Object({ id: Uuid('Id of the resource') });

export const Timestamp = (description: string) =>
  Type.String({ format: 'date-time', description, examples: ['2026-11-21T18:30:00.000Z'] });

/** How many times something may happen (a limit): stored as a 32-bit integer, so at most 10^9. */
export const Times = (description: string) =>
  Type.Integer({ minimum: 1, maximum: 1_000_000_000, description });

export const ProblemSchema = Type.Object(
  {
    type: Type.String({ description: 'URI naming the problem type' }),
    title: Type.String({ description: 'Short human-readable summary of the problem type' }),
    status: Type.Integer({ description: 'HTTP status code' }),
    code: Type.String({ description: 'Stable machine-readable error code', examples: ['validation_failed'] }),
    detail: Type.String({ description: 'What went wrong in this request' }),
    instance: Type.Optional(Type.String({ description: 'The request path' })),
    errors: Type.Optional(
      Type.Array(
        Type.Object({
          path: Type.String({ description: 'The failing field', examples: ['body.email'] }),
          message: Type.String({ description: 'Why it failed' }),
        }),
        { description: 'The failing fields, one entry each, at most 20' },
      ),
    ),
    errorsNotListed: Type.Optional(
      Type.Integer({ description: 'How many more fields failed than `errors` lists', examples: [3] }),
    ),
  },
  { $id: 'Problem', description: 'RFC 9457 problem details' },
);

/** Documented error responses, added to a route's `response` map. */
export function errorResponses(...statuses: number[]): Record<number, TSchema> {
  return Object.fromEntries(statuses.map((status) => [status, Type.Ref('Problem')]));
}

/**
 * `if type = X then …` for each X, for bodies whose shape depends on their `type`: Ajv reports
 * precise field paths and OpenAPI 3.1 documents the schema as it is. Goes in an `allOf`.
 */
export function whenType<T extends string>(types: readonly T[], then: (type: T) => object) {
  return types.map((type) => ({
    if: { properties: { type: { const: type } }, required: ['type'] },
    // biome-ignore lint/suspicious/noThenProperty: a JSON Schema if/then, never awaited
    then: then(type),
  }));
}
