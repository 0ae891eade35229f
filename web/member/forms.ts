import { ApiError } from '../shared/api/client.ts';

/**
 * A refused request's messages for a form: each field's own under it (`body.email` → `email`),
 * and what names no field of the form as one message above the button.
 */
export function refusal(
  error: unknown,
  fields: readonly string[],
): { byField: Record<string, string>; other?: string } {
  if (!(error instanceof ApiError))
    return { byField: {}, other: error instanceof Error ? error.message : String(error) };
  const byField: Record<string, string> = {};
  for (const [field, message] of Object.entries(error.fieldErrors())) {
    const known = fields.find((name) => field === name || field.startsWith(`${name}.`));
    if (known && !(known in byField)) byField[known] = message;
  }
  return Object.keys(byField).length > 0 ? { byField } : { byField, other: error.message };
}
