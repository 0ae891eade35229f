import { describe, expect, it } from 'vitest';
import { formatMoney, minorToInput, parseMoney } from '../web/shared/i18n/money.ts';

describe('the console reads and writes money in major units', () => {
  it('parses what people type into exact minor units, without floating point', () => {
    expect(parseMoney('12.50', 'EUR')).toBe(1250);
    expect(parseMoney('12,5', 'EUR')).toBe(1250);
    expect(parseMoney('0.29', 'EUR')).toBe(29);
    expect(parseMoney('1.234,56 €', 'EUR')).toBe(123456);
    expect(parseMoney('1,234.56', 'USD')).toBe(123456);
    expect(parseMoney('12', 'EUR')).toBe(1200);
    expect(parseMoney('.5', 'EUR')).toBe(50);
    expect(parseMoney('1500', 'JPY')).toBe(1500);
    expect(parseMoney('1.250', 'KWD')).toBe(1250);
  });

  it('refuses what is not an amount, or has more decimals than the currency', () => {
    expect(parseMoney('', 'EUR')).toBeNull();
    expect(parseMoney('abc', 'EUR')).toBeNull();
    expect(parseMoney('12.505', 'EUR')).toBeNull();
    expect(parseMoney('12.5', 'JPY')).toBeNull();
    expect(parseMoney('99999999999999999', 'EUR')).toBeNull();
  });

  it('writes minor units back as the amount a field starts with, and formats them per language', () => {
    expect(minorToInput(1250, 'EUR')).toBe('12.50');
    expect(minorToInput(5, 'EUR')).toBe('0.05');
    expect(minorToInput(-5, 'EUR')).toBe('-0.05');
    expect(minorToInput(1500, 'JPY')).toBe('1500');
    expect(formatMoney(123456, 'EUR', 'en')).toBe('€1,234.56');
    expect(formatMoney(1250, 'EUR', 'es').replace(/\s/g, ' ')).toBe('12,50 €');
    expect(formatMoney(1250, 'EUR', 'fr').replace(/\s/g, ' ')).toBe('12,50 €');
  });
});
