import { defineConfig } from 'vitest/config';

/**
 * `npm run test:browser`: the console's journeys in a real Chromium (web/e2e/), against a real
 * `regulars serve` on the embedded database (or TEST_DATABASE_URL's server). Kept apart from
 * `npm test`, and run once by .ci/run.
 */
export default defineConfig({
  test: {
    include: ['web/e2e/**/*.e2e.ts'],
    globalSetup: ['test/support/build.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 240_000,
  },
});
