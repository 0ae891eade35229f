import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MEMBER_FIRST_LOAD_BUDGET, memberFirstLoad } from '../web/scripts/member-bundle-size.ts';
import { en as consoleWords } from '../web/shared/i18n/en.ts';

const MEMBER_BUILD = join(import.meta.dirname, '..', 'dist', 'member');

// The global setup has just run `npm run build`: dist/member is this checkout's build.
describe('the member pages’ first load on a phone', () => {
  it('is at most 150 KB of JavaScript gzipped, and carries none of the console’s words', () => {
    const { files, gzipBytes } = memberFirstLoad(MEMBER_BUILD);
    expect(files.length).toBeGreaterThan(0);
    expect(gzipBytes).toBeLessThanOrEqual(MEMBER_FIRST_LOAD_BUDGET);
    const code = files.map((file) => readFileSync(join(MEMBER_BUILD, file), 'utf8')).join('\n');
    expect(code).not.toContain(consoleWords.common.readOnly);
  });
});
