import { closeSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** The file in an embedded database's directory that names the one process using it. */
export const LOCK_FILE_NAME = 'regulars.lock';

/** Tries at a lock whose owner is gone or still writing its pid, before giving up. */
const ATTEMPTS = 20;
const PAUSE_BETWEEN_ATTEMPTS_MS = 50;

export class DataDirectoryLockedError extends Error {
  constructor(
    readonly dataDir: string,
    readonly ownerPid: number,
  ) {
    const lockFile = join(dataDir, LOCK_FILE_NAME);
    super(
      ownerPid === process.pid
        ? `the embedded database in ${dataDir} is already open in this process`
        : `the embedded database in ${dataDir} is in use by process ${ownerPid} (a running \`regulars serve\`?): ` +
            `one directory belongs to one process at a time. If process ${ownerPid} is not Regulars, delete ${lockFile}`,
    );
  }
}

export interface DataDirectoryLock {
  /** Removes the lock file; releasing twice does nothing. */
  release(): void;
}

/** Directories this process has locked: its own pid in a lock file is then not a leftover. */
const heldHere = new Set<string>();

/**
 * Claims dataDir for this process, or throws DataDirectoryLockedError naming the live process that
 * holds it. PGlite keeps the database in memory and writes its files as it goes; two processes on
 * one directory each see only their own changes and overwrite each other's files.
 */
export function lockDataDirectory(dataDir: string): DataDirectoryLock {
  if (heldHere.has(dataDir)) throw new DataDirectoryLockedError(dataDir, process.pid);
  const lockFile = join(dataDir, LOCK_FILE_NAME);
  for (let attempt = 1; !createLockFile(lockFile); attempt++) {
    if (attempt > ATTEMPTS) throw new Error(`could not lock ${dataDir}: ${lockFile} keeps changing`);
    const owner = readOwner(lockFile);
    if (owner !== undefined && isOtherLiveProcess(owner)) throw new DataDirectoryLockedError(dataDir, owner);
    // No pid yet: its owner created the file an instant ago and is writing it; wait, unless it never comes.
    if (owner === undefined && attempt < ATTEMPTS) pause(PAUSE_BETWEEN_ATTEMPTS_MS);
    else takeOverLeftover(lockFile, owner);
  }
  heldHere.add(dataDir);
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    heldHere.delete(dataDir);
    process.off('exit', release);
    // Someone may have deleted it by hand, as the refusal's message suggests: nothing to remove then.
    if (readOwner(lockFile) === process.pid) unlinkSync(lockFile);
  };
  // A process that exits without closing the database (an error, process.exit) leaves no lock behind.
  process.on('exit', release);
  return { release };
}

/** Creates the lock file holding this pid; false if it exists (O_EXCL makes that atomic). */
function createLockFile(lockFile: string): boolean {
  let descriptor: number;
  try {
    descriptor = openSync(lockFile, 'wx');
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return false;
    throw error;
  }
  try {
    writeSync(descriptor, `${process.pid}\n`);
  } finally {
    closeSync(descriptor);
  }
  return true;
}

/** The pid in the lock file; undefined when it is gone, empty or not a pid. */
function readOwner(lockFile: string): number | undefined {
  let content: string;
  try {
    content = readFileSync(lockFile, 'utf8');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
  const pid = Number(content.trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/**
 * Our own pid in a file this process did not write is a leftover too: a container restarted
 * gives its process the pid the last one had.
 */
function isOtherLiveProcess(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return errorCode(error) === 'EPERM';
  }
}

/**
 * Moves the leftover aside rather than deleting it: of two processes taking it over at once, only
 * one can move it. If what was moved is not the leftover that was read (another process took it
 * over meanwhile), it is put back for that process.
 */
function takeOverLeftover(lockFile: string, leftoverPid: number | undefined): void {
  const aside = `${lockFile}.${process.pid}.stale`;
  try {
    renameSync(lockFile, aside);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return;
    throw error;
  }
  if (readOwner(aside) !== leftoverPid) renameSync(aside, lockFile);
  else unlinkSync(aside);
}

function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function errorCode(error: unknown): string | undefined {
  return error instanceof Error && 'code' in error ? String(error.code) : undefined;
}
