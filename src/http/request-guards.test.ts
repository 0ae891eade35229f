import { describe, expect, it } from 'vitest';
import { nulPath } from './request-guards.ts';

describe('nulPath', () => {
  it('names the field, array index included, of the first string holding a NUL character', () => {
    const body = { documentNumber: 'T-1', lines: [{ name: 'Menu' }, { name: 'Caf\u0000e' }] };
    expect(nulPath(body, 'body')).toBe('body.lines.1.name');
  });

  it('finds a NUL character in an object key', () => {
    expect(nulPath({ metadata: { 'a\u0000b': 1 } }, 'body')).toBe('body.metadata.a\u0000b');
  });

  it('passes text without one, whatever its other control characters', () => {
    expect(nulPath({ note: 'tab\there\nline\u0001', count: 3, none: null }, 'body')).toBeUndefined();
    expect(nulPath('plain', 'params.id')).toBeUndefined();
  });
});
