import fs from 'node:fs';
import path from 'node:path';

/**
 * PGlite must have exactly one owner per data directory: a second process would corrupt it.
 * The lock file holds the owner's pid; a lock left by a dead process is taken over.
 */
export class DataDirInUse extends Error {
  constructor(readonly dataDir: string, readonly pid: number) {
    super(
      `The data directory ${dataDir} is already in use by process ${pid}. ` +
        'Stop that Shipgate process, or set SHIPGATE_DATA_DIR to another directory.',
    );
    this.name = 'DataDirInUse';
  }
}

export interface DataDirLock {
  release(): void;
}

export function lockDataDir(dataDir: string): DataDirLock {
  fs.mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, 'shipgate.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
      return { release: () => releaseIfOwned(file) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number.parseInt(readOrEmpty(file), 10);
      if (Number.isInteger(owner) && owner !== process.pid && isAlive(owner)) throw new DataDirInUse(dataDir, owner);
      if (owner === process.pid) throw new DataDirInUse(dataDir, owner);
      fs.rmSync(file, { force: true }); // stale: its owner died without cleaning up
    }
  }
  throw new Error(`Could not lock the data directory ${dataDir}`);
}

function readOrEmpty(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function releaseIfOwned(file: string): void {
  if (readOrEmpty(file) === String(process.pid)) fs.rmSync(file, { force: true });
}
