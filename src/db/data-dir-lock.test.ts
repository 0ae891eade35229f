import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from './connection.ts';
import { DataDirectoryLockedError, LOCK_FILE_NAME, lockDataDirectory } from './data-dir-lock.ts';

const dirs: string[] = [];
const children: ChildProcess[] = [];
const releases: Array<() => void> = [];

afterEach(() => {
  for (const release of releases.splice(0)) release();
  for (const child of children.splice(0)) child.kill('SIGKILL');
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir() {
  const dir = mkdtempSync(join(tmpdir(), 'regulars-lock-'));
  dirs.push(dir);
  return dir;
}

function lock(dir: string) {
  const held = lockDataDirectory(dir);
  releases.push(held.release);
  return held;
}

/** A process that stays alive until the test ends. */
function liveProcess(): number {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  children.push(child);
  return child.pid!;
}

/** The pid of a process that has already exited. */
async function goneProcess(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await new Promise((resolve) => child.on('exit', resolve));
  return child.pid!;
}

const lockFileOf = (dir: string) => join(dir, LOCK_FILE_NAME);

describe('the data directory lock', () => {
  it('writes this process id into the lock file and removes the file on release', () => {
    const dir = tempDir();
    const held = lock(dir);
    expect(readFileSync(lockFileOf(dir), 'utf8')).toBe(`${process.pid}\n`);
    held.release();
    expect(existsSync(lockFileOf(dir))).toBe(false);
    lock(dir);
  });

  it('refuses a directory a live process holds, naming the process and the directory', () => {
    const dir = tempDir();
    const owner = liveProcess();
    writeFileSync(lockFileOf(dir), `${owner}\n`);
    expect(() => lock(dir)).toThrow(DataDirectoryLockedError);
    expect(() => lock(dir)).toThrow(`the embedded database in ${dir} is in use by process ${owner}`);
    expect(readFileSync(lockFileOf(dir), 'utf8')).toBe(`${owner}\n`);
  });

  it('takes over a lock left by a process that is gone', async () => {
    const dir = tempDir();
    writeFileSync(lockFileOf(dir), `${await goneProcess()}\n`);
    lock(dir);
    expect(readFileSync(lockFileOf(dir), 'utf8')).toBe(`${process.pid}\n`);
  });

  it('takes over a lock holding its own process id that it did not take, as after a container restart', () => {
    const dir = tempDir();
    writeFileSync(lockFileOf(dir), `${process.pid}\n`);
    lock(dir);
    expect(readFileSync(lockFileOf(dir), 'utf8')).toBe(`${process.pid}\n`);
  });

  it('takes over a lock file that never got a process id, after waiting for it', () => {
    const dir = tempDir();
    writeFileSync(lockFileOf(dir), '');
    lock(dir);
    expect(readFileSync(lockFileOf(dir), 'utf8')).toBe(`${process.pid}\n`);
  });

  it('refuses to lock a directory twice in one process', () => {
    const dir = tempDir();
    lock(dir);
    expect(() => lock(dir)).toThrow('is already open in this process');
  });

  it('leaves a lock file another process wrote after this one was deleted by hand', () => {
    const dir = tempDir();
    const held = lock(dir);
    const owner = liveProcess();
    writeFileSync(lockFileOf(dir), `${owner}\n`);
    held.release();
    expect(readFileSync(lockFileOf(dir), 'utf8')).toBe(`${owner}\n`);
  });
});

describe('the embedded database', () => {
  it('holds its directory while open and lets it go when closed', { timeout: 120_000 }, async () => {
    const dir = join(tempDir(), 'data');
    const first = await openDatabase({ dataDir: dir });
    await expect(openDatabase({ dataDir: dir })).rejects.toThrow(DataDirectoryLockedError);
    await first.close();
    expect(existsSync(lockFileOf(dir))).toBe(false);
    const second = await openDatabase({ dataDir: dir });
    await second.close();
  });
});
