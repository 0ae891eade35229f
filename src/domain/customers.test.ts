import { describe, expect, it } from 'vitest';
import {
  birthDateProblem,
  CODE_ALPHABET,
  emailKey,
  formatLabels,
  isLanguage,
  needsDefaultCountry,
  normalizePhone,
  parseBoolean,
  parseLabels,
  randomCode,
} from './customers.ts';

describe('phone normalization', () => {
  it.each([
    ['+34 666 666 666', 'ES', '+34666666666'],
    ['0034666666666', 'ES', '+34666666666'],
    ['666666666', 'ES', '+34666666666'],
    ['666-66-66-66', 'ES', '+34666666666'],
    ['(+34) 666.666.666', 'ES', '+34666666666'],
    ['06 12 34 56 78', 'FR', '+33612345678'],
    ['+1 202 555 0143', 'ES', '+12025550143'],
    ['+34 666 666 666', undefined, '+34666666666'],
  ])('reads %s (default country %s) as %s', (raw, country, expected) => {
    expect(normalizePhone(raw, country)).toBe(expected);
  });

  it.each([['12'], ['abc666666666'], ['666666666x'], ['+34 123'], ['']])('refuses %j', (raw) => {
    expect(normalizePhone(raw, 'ES')).toBeUndefined();
  });

  it('needs the organization’s country only for numbers without a +', () => {
    expect(needsDefaultCountry('666 666 666')).toBe(true);
    expect(needsDefaultCountry('0034666666666')).toBe(true);
    expect(needsDefaultCountry('+34666666666')).toBe(false);
    expect(needsDefaultCountry('(+34) 666 666 666')).toBe(false);
    expect(needsDefaultCountry('bruce@wayne.example')).toBe(false);
  });
});

describe('generated codes', () => {
  it('use only characters nobody confuses, at the asked length', () => {
    expect(CODE_ALPHABET).not.toMatch(/[01ILOU]/);
    for (let i = 0; i < 200; i++) {
      expect(randomCode(10)).toMatch(new RegExp(`^[${CODE_ALPHABET}]{10}$`));
    }
  });

  it('draw every character from the random source', () => {
    let next = 0;
    expect(randomCode(4, () => next++)).toBe('2345');
  });
});

describe('member fields', () => {
  it('compares emails without case or surrounding spaces', () => {
    expect(emailKey('  Bruce@Wayne.Example ')).toBe('bruce@wayne.example');
  });

  it('accepts real past birth dates only', () => {
    const now = new Date('2026-11-21T12:00:00Z');
    expect(birthDateProblem('1990-01-01', now)).toBeUndefined();
    expect(birthDateProblem('2026-11-22', now)).toBeUndefined(); // already the 22nd somewhere
    expect(birthDateProblem('2026-11-24', now)).toMatch(/future/);
    expect(birthDateProblem('1990-02-30', now)).toMatch(/YYYY-MM-DD/);
    expect(birthDateProblem('1899-12-31', now)).toMatch(/1900/);
  });

  it('knows ISO 639-1 languages', () => {
    expect(isLanguage('es')).toBe(true);
    expect(isLanguage('ca')).toBe(true);
    expect(isLanguage('xx')).toBe(false);
    expect(isLanguage('ES')).toBe(false);
  });

  it('reads and writes labels the Open Loyalty way, key:value;key', () => {
    const labels = parseLabels('vip:gold; team ;note:a:b');
    expect(labels).toEqual([
      { key: 'vip', value: 'gold' },
      { key: 'team', value: '' },
      { key: 'note', value: 'a:b' },
    ]);
    expect(formatLabels(labels!)).toBe('vip:gold;team;note:a:b');
    expect(parseLabels(':value')).toBeUndefined();
  });

  it('reads spreadsheet booleans', () => {
    expect(['true', '1', 'YES', 'sí'].map(parseBoolean)).toEqual([true, true, true, true]);
    expect(['false', '0', 'no'].map(parseBoolean)).toEqual([false, false, false]);
    expect(parseBoolean('maybe')).toBeUndefined();
  });
});
