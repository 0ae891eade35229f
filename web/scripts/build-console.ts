import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'vite';

/**
 * `npm run build:web`: builds the console with Vite, unless dist/console is newer than every file
 * under web/ (as `tsc -b` skips an up-to-date dist/): the test suite's global setup runs
 * `npm run build` before every run and should not pay for an unchanged console.
 */
const webDir = join(import.meta.dirname, '..');
const built = join(webDir, '..', 'dist', 'console', 'index.html');

function newestChange(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'e2e' || entry.name === 'scripts') continue;
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestChange(path) : statSync(path).mtimeMs);
  }
  return newest;
}

if (
  !process.argv.includes('--force') &&
  existsSync(built) &&
  statSync(built).mtimeMs > newestChange(webDir)
) {
  process.stdout.write('console build is up to date (dist/console)\n');
} else {
  await build({ configFile: join(webDir, 'vite.config.ts'), logLevel: 'warn' });
  process.stdout.write('console built into dist/console\n');
}
