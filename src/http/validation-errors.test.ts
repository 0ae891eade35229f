import { describe, expect, it } from 'vitest';
import { type AjvError, fieldErrors, MAX_LISTED_FIELD_ERRORS, summary } from './validation-errors.ts';

const error = (instancePath: string, keyword: string, params: Record<string, unknown> = {}): AjvError => ({
  instancePath,
  keyword,
  params,
});

describe('fieldErrors', () => {
  it('says a nullable field’s failure once, in words', () => {
    const listed = fieldErrors(
      [
        error('/firstName', 'type', { type: 'string' }),
        error('/firstName', 'type', { type: 'null' }),
        error('/firstName', 'anyOf'),
      ],
      'body',
    );
    expect(listed).toEqual({
      errors: [{ path: 'body.firstName', message: 'must be a string or null' }],
      notListed: 0,
    });
  });

  it('names the rule a value of the right type broke, not the branches it did not take', () => {
    const listed = fieldErrors(
      [
        error('/address/city', 'maxLength', { limit: 100 }),
        error('/address/city', 'type', { type: 'null' }),
        error('/address/city', 'anyOf'),
        error('/address', 'type', { type: 'null' }),
        error('/address', 'anyOf'),
      ],
      'body',
    );
    expect(listed.errors).toEqual([
      { path: 'body.address.city', message: 'must be at most 100 characters long' },
    ]);
  });

  it('lists the accepted values of a union of constants', () => {
    const listed = fieldErrors(
      [
        error('/tier', 'const', { allowedValue: 'gold' }),
        error('/tier', 'const', { allowedValue: 'silver' }),
        error('/tier', 'anyOf'),
      ],
      'querystring',
    );
    expect(listed.errors).toEqual([{ path: 'query.tier', message: 'must be one of: "gold", "silver"' }]);
  });

  it('names a missing field by its own path', () => {
    const listed = fieldErrors([error('/lines/0', 'required', { missingProperty: 'total' })], 'body');
    expect(listed.errors).toEqual([{ path: 'body.lines.0.total', message: 'is required' }]);
  });

  it('lists at most 20 fields and counts the rest', () => {
    const many = Array.from({ length: 50 }, (_, index) =>
      error(`/skus/${index}`, 'type', { type: 'string' }),
    );
    const listed = fieldErrors(many, 'body');
    expect(listed.errors).toHaveLength(MAX_LISTED_FIELD_ERRORS);
    expect(listed.notListed).toBe(30);
    expect(summary(listed)).toMatch(/^body\.skus\.0 must be a string; .*; and 30 more fields$/);
  });
});
