import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateApiTypes } from '../web/scripts/api-types.ts';

describe("the console's typed API client", () => {
  it("matches the server's OpenAPI document (run `npm run web:api-types` when it does not)", async () => {
    const checkedIn = readFileSync(
      join(import.meta.dirname, '..', 'web', 'shared', 'api', 'schema.ts'),
      'utf8',
    );
    const current = await generateApiTypes();
    // Compared whole, but reported by the first differing line: a 640 KB diff helps nobody.
    const checkedInLines = checkedIn.split('\n');
    const currentLines = current.split('\n');
    const first = currentLines.findIndex((line, index) => line !== checkedInLines[index]);
    expect(
      first === -1 && checkedInLines.length === currentLines.length
        ? 'in step'
        : `web/shared/api/schema.ts is stale from line ${first + 1}: ${currentLines[first] ?? '(end)'}`,
    ).toBe('in step');
  });
});
