import { isSupportedCountry } from 'libphonenumber-js';

const CURRENCIES = new Set(Intl.supportedValuesOf('currency'));

/** ISO 4217 code known to this runtime's ICU data (EUR, USD, MXN…). */
export function isCurrency(code: string): boolean {
  return CURRENCIES.has(code);
}

/** An IANA time zone name (`Europe/Madrid`), including aliases such as `UTC`. */
export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** ISO 3166-1 alpha-2 code of a country whose phone numbers we can read (it is used for exactly that). */
export function isCountry(code: string): boolean {
  return /^[A-Z]{2}$/.test(code) && isSupportedCountry(code);
}
