import { describe, expect, it } from 'vitest';
import { isCountry, isCurrency, isTimeZone } from './locale.ts';

describe('locale codes', () => {
  it('accepts ISO 4217 currencies and rejects made-up ones', () => {
    expect(isCurrency('EUR')).toBe(true);
    expect(isCurrency('MXN')).toBe(true);
    expect(isCurrency('EURO')).toBe(false);
    expect(isCurrency('eur')).toBe(false);
  });

  it('accepts IANA time zones including UTC and rejects unknown names', () => {
    expect(isTimeZone('Europe/Madrid')).toBe(true);
    expect(isTimeZone('UTC')).toBe(true);
    expect(isTimeZone('Mars/Olympus_Mons')).toBe(false);
  });

  it('accepts upper-case ISO 3166-1 alpha-2 countries only', () => {
    expect(isCountry('ES')).toBe(true);
    expect(isCountry('es')).toBe(false);
    expect(isCountry('XX')).toBe(false);
  });
});
