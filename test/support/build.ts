import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * Vitest global setup: build `dist/` once, before any test file runs. Tests that run the
 * `regulars` binary as a user would (serve, worker, points process, ledger verify) need it, and
 * building it from several test files at once would have them overwrite each other's output.
 * The same build as `npm start`'s: it skips compiling when dist/ is newer than every source.
 */
export default function buildOnce() {
  execFileSync('npm', ['run', '--silent', 'build'], {
    cwd: join(import.meta.dirname, '..', '..'),
    stdio: 'inherit',
  });
}
