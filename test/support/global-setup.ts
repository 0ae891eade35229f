import { execFileSync } from 'node:child_process';

/** CLI and process-level tests run the built `regulars` binary, so build it once per run. */
export default function setup() {
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
}
