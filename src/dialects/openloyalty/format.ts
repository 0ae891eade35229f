import { currencyExponent } from '../../domain/money.ts';
import { fromLocal, toLocal } from '../../domain/zoned-time.ts';
import { validationFailed } from '../../errors.ts';

/**
 * Open Loyalty's scalars: dates as `2016-08-08T10:53:14+0200` in the store's time zone, money as
 * decimal numbers of the currency (`grossValue: 1500.00`), flags as `1`/`0`. Pure.
 */

const pad = (value: number, width = 2) => String(value).padStart(width, '0');

/** `2016-08-08T10:53:14+0200`: the wall clock in `timeZone` and its UTC offset, as OL prints dates. */
export function olDate(instant: Date, timeZone: string): string {
  const local = toLocal(instant, timeZone);
  const wall = Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute, local.second);
  const offset = Math.round((wall - Math.floor(instant.getTime() / 1000) * 1000) / 60_000);
  const sign = offset < 0 ? '-' : '+';
  const magnitude = Math.abs(offset);
  return (
    `${pad(local.year, 4)}-${pad(local.month)}-${pad(local.day)}T${pad(local.hour)}:${pad(local.minute)}:` +
    `${pad(local.second)}${sign}${pad(Math.floor(magnitude / 60))}${pad(magnitude % 60)}`
  );
}

const LOCAL = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?$/;

/**
 * A date OL's forms take: `2019-02-20 09:28` (the store's wall clock), a bare date, or ISO 8601
 * with an offset (`2022-02-20T09:45:04+0100`, what simulate's example sends).
 */
export function parseOlDate(value: string, timeZone: string, path: string): Date {
  const text = value.trim();
  const local = LOCAL.exec(text);
  if (local) {
    const [, year, month, day, hour = '0', minute = '0', second = '0'] = local;
    const parts = { year: +year!, month: +month!, day: +day!, hour: +hour, minute: +minute, second: +second };
    const instant = fromLocal({ ...parts, millisecond: 0 }, timeZone);
    if (!Number.isNaN(instant.getTime()) && parts.month >= 1 && parts.month <= 12 && parts.day <= 31)
      return instant;
  }
  // A `+` sent unescaped in a form (as curl -d does with simulate's example) arrives as a space.
  const iso = text.replace(/ (\d{2}:?\d{2})$/, '+$1');
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(iso)) {
    const instant = new Date(iso.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
    if (!Number.isNaN(instant.getTime())) return instant;
  }
  throw validationFailed(path, 'is not a valid date');
}

/** An amount in minor units as OL's decimal number (1500 cents → 15). */
export function olMoney(minor: number, currency: string): number {
  return minor / 10 ** currencyExponent(currency);
}

/** OL's decimal (`1500.00`, or a JSON number) in minor units, exactly; more decimals than the currency has are refused. */
export function toMinor(value: string | number, currency: string, path: string): number {
  const text = String(value).trim();
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text);
  if (!match) throw validationFailed(path, 'is not a valid amount');
  const [, sign, whole, rawFraction = ''] = match;
  const exponent = currencyExponent(currency);
  const fraction = rawFraction.replace(/0+$/, '');
  if (fraction.length > exponent) throw validationFailed(path, `has more than ${exponent} decimals`);
  const minor = Number(
    BigInt(whole!) * 10n ** BigInt(exponent) + BigInt(fraction.padEnd(exponent, '0') || '0'),
  );
  if (!Number.isSafeInteger(minor)) throw validationFailed(path, 'is too large');
  return sign === '-' ? -minor : minor;
}

/** OL's flags: `1`, `true` (and JSON true) are set; `0`, `false`, empty are not. */
export function isSet(flag: boolean | number | string | undefined): boolean {
  return flag === true || flag === 1 || flag === '1' || flag === 'true';
}

/** `"15.00%"`: a percentage as OL prints a level's reward, from hundredths of a percent. */
export function olPercent(hundredthsOfPercent: number): string {
  return `${(hundredthsOfPercent / 100).toFixed(2)}%`;
}

let countryCodes: Map<string, string> | undefined;

/**
 * OL stores the country as typed (`Poland` in its register example, `PL` in others); Regulars
 * keeps ISO 3166 codes. A code stays; an English country name becomes its code; anything else is
 * undefined (the caller leaves the country out).
 */
export function countryCode(value: string): string | undefined {
  const text = value.trim();
  if (/^[A-Za-z]{2}$/.test(text)) return text.toUpperCase();
  if (!countryCodes) {
    const names = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });
    countryCodes = new Map();
    for (let a = 65; a <= 90; a++) {
      for (let b = 65; b <= 90; b++) {
        const code = String.fromCharCode(a, b);
        const name = names.of(code);
        if (name) countryCodes.set(name.toLowerCase(), code);
      }
    }
  }
  return countryCodes.get(text.toLowerCase());
}

/** OL's customer labels: `key1:val1;key2:val2` (a key alone has an empty value). */
export function parseLabelString(text: string): { key: string; value: string }[] {
  return text
    .split(';')
    .map((pair) => pair.trim())
    .filter((pair) => pair !== '')
    .map((pair) => {
      const colon = pair.indexOf(':');
      return colon === -1
        ? { key: pair, value: '' }
        : { key: pair.slice(0, colon).trim(), value: pair.slice(colon + 1).trim() };
    });
}
