import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'vite';

/**
 * `npm run build:web`: builds the web apps with Vite (the console into dist/console, the member
 * pages into dist/member), each unless its build is newer than every file under web/ (as `tsc -b`
 * skips an up-to-date dist/): the test suite's global setup runs `npm run build` before every run
 * and should not pay for unchanged apps.
 */
const webDir = join(import.meta.dirname, '..');
const apps = [
  { name: 'console', config: 'vite.config.ts' },
  { name: 'member pages', config: 'vite.member.config.ts', dir: 'member' },
];

function newestChange(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'e2e' || entry.name === 'scripts') continue;
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestChange(path) : statSync(path).mtimeMs);
  }
  return newest;
}

// What users get, whoever runs it: a test run's NODE_ENV=test would build React's development code.
process.env.NODE_ENV = 'production';
const newest = newestChange(webDir);
for (const app of apps) {
  const out = join('dist', app.dir ?? 'console');
  const built = join(webDir, '..', out, 'index.html');
  if (!process.argv.includes('--force') && existsSync(built) && statSync(built).mtimeMs > newest) {
    process.stdout.write(`${app.name} build is up to date (${out})\n`);
    continue;
  }
  await build({ configFile: join(webDir, app.config), logLevel: 'warn' });
  process.stdout.write(`${app.name} built into ${out}\n`);
}
