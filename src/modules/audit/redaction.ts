/**
 * What the audit log never keeps: key material, password hashes, tokens, one-time and voucher
 * codes, webhook secrets and the headers sent with deliveries (they carry vendors' tokens).
 * A field is recognized by its name wherever it sits (`config.code`, `previousSecret`), so a
 * secret added to a table later is kept out as long as its name says what it is.
 */
export const REDACTED = '[redacted]';

/** Field names (lowercase, `_` removed) that are secrets themselves. */
const SECRET_NAMES = new Set(['code', 'codes', 'pin', 'otp', 'totp', 'headers', 'cookie']);
/** Parts of a name that make it a secret: `keyHash`, `cardToken`, `passwordHash`, `apiKey`. */
const SECRET_PARTS = ['secret', 'password', 'token', 'hash', 'apikey', 'authorization'];

export function isSecretField(name: string): boolean {
  const normalized = name.toLowerCase().replaceAll('_', '');
  return SECRET_NAMES.has(normalized) || SECRET_PARTS.some((part) => normalized.includes(part));
}

function redactValue(value: unknown, depth: number): unknown {
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => redactValue(item, depth + 1));
  return Object.fromEntries(
    Object.entries(value).map(([name, inner]) => [
      name,
      isSecretField(name) ? REDACTED : redactValue(inner, depth + 1),
    ]),
  );
}

function isFieldChange(value: unknown): value is { before: unknown; after: unknown } {
  return typeof value === 'object' && value !== null && 'before' in value && 'after' in value;
}

/**
 * The changes with every secret replaced by `[redacted]`: a secret field that changed still
 * shows that it did (`{ secret: { before: '[redacted]', after: '[redacted]' } }`).
 */
export function redactChanges(changes: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(changes).map(([name, value]) => {
      if (!isSecretField(name)) return [name, redactValue(value, 0)];
      return [name, isFieldChange(value) ? { before: REDACTED, after: REDACTED } : REDACTED];
    }),
  );
}
