import { readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killStartedProcesses, PROCESS_TEST_TIMEOUT_MS, runProcess } from './support/processes.ts';
import {
  cleanEnv,
  databaseEnv,
  removeTempDirs,
  type ServeProcess,
  startServe,
  tempDir,
} from './support/serve.ts';

/**
 * The README's shell examples, run as written against a real `regulars serve` (a fresh embedded
 * database, or the suite's PostgreSQL with TEST_DATABASE_URL), so that a reader who pastes them
 * into a terminal gets what the README says.
 *
 * The conventions the README follows for this test:
 * - Every ```sh block runs, top to bottom, each in its own `bash` with `set -euo pipefail`, as if
 *   pasted into one terminal: what a block `export`s (MASTER, KEY, LOCATION, CUSTOMER…) and the
 *   functions it defines (`json`), the blocks after it see. Variables that a block sets without
 *   `export` stay in it, so a block that captures a value for a later one must export it.
 * - A block that is not meant to run here (installing, starting a server, the test suite itself)
 *   has, on the line right before its fence, `<!-- readme-test: skip, <why> -->`. The reason is
 *   required; MAX_SKIPPED_BLOCKS keeps the count small.
 * - `localhost:8080` is the only thing changed: it becomes the test server's address.
 * - Every curl call must answer a 2xx, or exactly the status that a `# → NNN …` comment written
 *   under it (before the next call) documents. `curl` is wrapped to record each answer's status;
 *   the calls are matched in order to the curl commands of the block's text.
 * - Blocks run in a temporary directory in which `test` is the checkout's test/, so fixture paths
 *   (`@test/fixtures/…`) read as from a checkout and the files examples write stay out of it.
 *
 * One server for the whole file. On a busy 2-core machine the file took 28 s on the embedded
 * database and 18 s on PostgreSQL (the server's start, then 1–3 s a block): cheap enough to run on
 * all three of CI's passes like any other test.
 */

const README = join(import.meta.dirname, '..', 'README.md');
const TEST_DIR = import.meta.dirname;
const MASTER_KEY = 'rgm_readme_examples_master_key_0000';
/** Installing, starting, PostgreSQL setup, the suite itself: what a test server cannot run. */
const MAX_SKIPPED_BLOCKS = 4;
const SKIP_MARKER = /^<!-- readme-test: skip, (.+\S) -->$/;

interface ShellBlock {
  /** Line of the opening fence, 1-based, as an editor shows it. */
  line: number;
  heading: string;
  code: string;
  skipReason: string | null;
}

function shellBlocks(markdown: string): ShellBlock[] {
  const lines = markdown.split('\n');
  const blocks: ShellBlock[] = [];
  let heading = '(top)';
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] as string;
    if (/^#{1,6} /.test(line)) heading = line.replace(/^#+ /, '');
    const fence = /^```(\w*)/.exec(line);
    if (!fence) continue;
    const end = lines.findIndex((candidate, at) => at > index && candidate.startsWith('```'));
    if (end === -1) throw new Error(`README.md line ${index + 1}: a fence that never closes`);
    if (['sh', 'bash', 'shell'].includes(fence[1] as string)) {
      const skip = SKIP_MARKER.exec(lines[index - 1] ?? '');
      blocks.push({
        line: index + 1,
        heading,
        code: lines.slice(index + 1, end).join('\n'),
        skipReason: skip ? (skip[1] as string) : null,
      });
    }
    index = end;
  }
  return blocks;
}

interface CurlCall {
  /** The curl command's first line, to name it in a failure. */
  text: string;
  /** The status a `# → NNN` comment under it documents, else any 2xx. */
  documentedStatus: number | null;
}

/** The curl commands of a block's text, in order, each with the status documented under it. */
function curlCalls(code: string): CurlCall[] {
  const calls: CurlCall[] = [];
  for (const line of code.split('\n')) {
    const comment = /^\s*#/.test(line);
    const documented = /^\s*# → (\d{3})\b/.exec(line);
    const last = calls.at(-1);
    if (documented && last && last.documentedStatus === null) last.documentedStatus = Number(documented[1]);
    if (comment) continue;
    for (const _ of line.matchAll(/(?:^|[\s($|;&])curl\s/g))
      calls.push({ text: line.trim(), documentedStatus: null });
  }
  return calls;
}

/**
 * Runs before each block: the exports of the blocks before it, then curl wrapped so that each call
 * appends its answer's status (000 when there was none) to the block's statuses file.
 */
const PRELUDE = String.raw`set -euo pipefail
# Not exported, so not saved with the block's exports; $(…) subshells see them all the same.
readme_state=$1 readme_statuses=$2
cd "$3"
source "$readme_state"
# What the block exported and the functions it defined, for the blocks after it, even when it fails.
trap '{ export -p; declare -f; } > "$readme_state"' EXIT
curl() {
  local headers exit_code=0
  headers=$(mktemp)
  command curl --dump-header "$headers" "$@" || exit_code=$?
  awk '/^HTTP\//{status=$2} END{print status ? status : "000"}' "$headers" >> "$readme_statuses"
  rm -f "$headers"
  return "$exit_code"
}
`;

const blocks = shellBlocks(readFileSync(README, 'utf8'));
const skipped = blocks.filter((block) => block.skipReason !== null);

let server: ServeProcess;
let workDir: string;
let statePath: string;

beforeAll(async () => {
  server = await startServe({ ...databaseEnv(), REGULARS_MASTER_KEY: MASTER_KEY, WEBHOOKS_WORKER: 'false' });
  workDir = tempDir();
  symlinkSync(TEST_DIR, join(workDir, 'test'));
  statePath = join(workDir, '.readme-state.sh');
  writeFileSync(statePath, '');
}, PROCESS_TEST_TIMEOUT_MS);

afterAll(async () => {
  await killStartedProcesses();
  removeTempDirs();
});

describe('README shell examples', () => {
  it('marks few blocks as not run, each with its reason', () => {
    expect(blocks.length).toBeGreaterThan(MAX_SKIPPED_BLOCKS);
    expect(skipped.length).toBeLessThanOrEqual(MAX_SKIPPED_BLOCKS);
  });

  for (const block of blocks) {
    const name = `README.md line ${block.line} (${block.heading})`;
    // Not a skipped test: a block marked so is not one (the test above counts them and their reasons).
    if (block.skipReason !== null) continue;
    it(`${name} runs as written, every call answering as documented`, async () => {
      const statusesPath = join(workDir, `.statuses-${block.line}`);
      writeFileSync(statusesPath, '');
      const address = new URL(server.url).host;
      const script = PRELUDE + block.code.replaceAll('localhost:8080', address);
      const result = await runProcess(
        'bash',
        ['-c', script, 'readme-block', statePath, statusesPath, workDir],
        cleanEnv({ REGULARS_MASTER_KEY: MASTER_KEY }),
      );
      const statuses = readFileSync(statusesPath, 'utf8').split('\n').filter(Boolean).map(Number);
      const calls = curlCalls(block.code);
      const answered = calls.map((call, at) => `${call.text} → ${statuses[at] ?? 'never called'}`);
      const expected = calls.map((call, at) => {
        const status = statuses[at];
        const any2xx = status !== undefined && status >= 200 && status < 300;
        return `${call.text} → ${call.documentedStatus ?? (any2xx ? status : '2xx')}`;
      });
      const output = `stdout:\n${result.stdout.slice(-3000)}\nstderr:\n${result.stderr.slice(-3000)}`;
      expect(answered, output).toEqual(expected);
      expect(statuses.length, `curl ran ${statuses.length} times for ${calls.length} commands`).toBe(
        calls.length,
      );
      expect(result.code, output).toBe(0);
    });
  }
});
