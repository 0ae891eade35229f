/** Money typed at the till ("12.5", "12,50", "3") in minor units, without binary floating point; null when it is not money. */
export function parseMoney(text: string): number | null {
  const match = /^(\d{1,7})(?:[.,](\d{1,2}))?$/.exec(text.trim());
  if (!match) return null;
  const whole = Number(match[1]);
  const cents = Number((match[2] ?? '').padEnd(2, '0'));
  return whole * 100 + cents;
}

/** Minor units as the cashier reads them (1250 → "12.50", or "12,50" in es/fr), from integers only. */
export function formatMoney(minor: number, language: string): string {
  const sign = minor < 0 ? '−' : '';
  const absolute = Math.abs(minor);
  const whole = new Intl.NumberFormat(language).format(Math.trunc(absolute / 100));
  const separator = new Intl.NumberFormat(language)
    .formatToParts(1.5)
    .find((part) => part.type === 'decimal')?.value;
  return `${sign}${whole}${separator ?? '.'}${String(absolute % 100).padStart(2, '0')}`;
}
