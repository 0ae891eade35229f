/**
 * Money at the screen's edge: the server speaks integer minor units (cents), people type and read
 * major units ("12.50 €"). Parsing is string handling on the digits, never binary floating point.
 */

/** How many minor digits a currency has (EUR 2, JPY 0, KWD 3), as the browser's ICU knows it. */
export function minorDigits(currency: string): number {
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions()
      .maximumFractionDigits as number;
  } catch {
    return 2;
  }
}

/** "12.50", "12,5", "1 234,50", "€ 12" → minor units (1250…); null when it is not an amount. */
export function parseMoney(text: string, currency: string): number | null {
  const digits = minorDigits(currency);
  const cleaned = text.replace(/[\s\u00a0\u202f'’]/g, '').replace(/[^\d.,-]/g, '');
  const match = /^(-?)(\d*)(?:[.,](\d*))?$/.exec(
    // "1.234,50" or "1,234.50": the last separator is the decimal one, the others group thousands.
    cleaned.replace(/[.,](?=.*[.,])/g, ''),
  );
  if (!match || (match[2] === '' && !match[3])) return null;
  const [, sign, whole = '', fraction = ''] = match;
  if (fraction.length > digits) return null;
  const minor = BigInt(whole || '0') * 10n ** BigInt(digits) + BigInt(fraction.padEnd(digits, '0') || '0');
  if (minor > BigInt(Number.MAX_SAFE_INTEGER)) return null;
  return Number(sign === '-' ? -minor : minor);
}

/** Minor units as the major-unit string a form field starts with: 1250 → "12.50". */
export function minorToInput(minor: number, currency: string): string {
  const digits = minorDigits(currency);
  const sign = minor < 0 ? '-' : '';
  const text = Math.abs(minor)
    .toString()
    .padStart(digits + 1, '0');
  return digits === 0 ? sign + text : `${sign}${text.slice(0, -digits)}.${text.slice(-digits)}`;
}

/** Minor units as money in the reader's language: 1250 → "12,50 €" (es), "€12.50" (en). */
export function formatMoney(minor: number, currency: string, language: string): string {
  const digits = minorDigits(currency);
  // The string form keeps the decimal exact; Intl reads it without a binary float in between.
  const major = minorToInput(minor, currency);
  return new Intl.NumberFormat(language, {
    style: 'currency',
    currency,
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).format(major as unknown as number);
}
