/**
 * One live process per run. A run or resume holds `lock` in the run's directory, naming its pid;
 * a second one (two cron jobs resuming the same run) is refused naming the holder, and a lock left
 * by a process that is gone (kill -9, a crash) is taken over.
 */
import { hostname } from 'node:os';
import { linkSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BulkError, describeFsError } from '../../errors/bulk-error.js';

interface LockHolder {
  pid: number;
  host: string;
  started_at: string;
}

export interface RunLock {
  readonly path: string;
  release(): void;
}

const TAKEOVER_TRIES = 5;

function readHolder(file: string): LockHolder | null {
  try {
    const h = JSON.parse(readFileSync(file, 'utf8')) as LockHolder;
    return Number.isInteger(h.pid) ? h : null;
  } catch {
    // Unreadable or torn (a kill between create and write cannot happen with link, but a hand edit can).
    return null;
  }
}

/** Whether the holder may still be running: another host's process cannot be checked, so it counts as alive. */
function alive(holder: LockHolder): boolean {
  if (holder.host !== hostname()) return true;
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the run's lock, or throws a `locked` BulkError naming the live holder. */
export function lockRun(runDir: string, runId: string): RunLock {
  const file = path.join(runDir, 'lock');
  const mine: LockHolder = { pid: process.pid, host: hostname(), started_at: new Date().toISOString() };
  const temp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(temp, JSON.stringify(mine));
  } catch (err) {
    throw new BulkError(
      'output-folder',
      `cannot write in the run directory ${runDir}: ${describeFsError(err)}`,
      'BULK_STATE_DIR chooses another place for runs',
    );
  }
  try {
    for (let attempt = 0; attempt < TAKEOVER_TRIES; attempt++) {
      try {
        // link() fails if the lock exists: taking it is one atomic step.
        linkSync(temp, file);
        const release = () => {
          process.off('exit', release);
          if (readHolder(file)?.pid === process.pid) unlinkOrKeep(file);
        };
        process.on('exit', release);
        return { path: file, release };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST')
          throw new BulkError('output-folder', `cannot lock run ${runId} (${file}): ${describeFsError(err)}`);
      }
      const holder = readHolder(file);
      if (holder && alive(holder)) {
        throw new BulkError(
          'locked',
          `run ${runId} is in use by process ${holder.pid}${holder.host !== mine.host ? ` on ${holder.host}` : ''} ` +
            `(since ${holder.started_at})`,
          `wait for process ${holder.pid} to end, or stop it; its lock is ${file}`,
        );
      }
      takeOverStale(file, holder);
    }
    throw new BulkError(
      'locked',
      `run ${runId}: could not take the lock ${file} from processes that keep replacing it`,
    );
  } finally {
    unlinkOrKeep(temp);
  }
}

/**
 * Moves a dead holder's lock aside. Two processes may race for the same stale lock: if what was
 * moved is not the dead holder's (the other process took the lock in between), it goes back.
 */
function takeOverStale(file: string, seen: LockHolder | null): void {
  const aside = `${file}.stale.${process.pid}`;
  try {
    renameSync(file, aside);
  } catch {
    return; // Someone else moved it first: try again from the top.
  }
  const moved = readHolder(aside);
  if (moved && seen && moved.pid !== seen.pid && alive(moved)) {
    try {
      linkSync(aside, file);
    } catch {
      // The lock was taken again meanwhile; the next attempt sees that holder.
    }
  }
  unlinkOrKeep(aside);
}

function unlinkOrKeep(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // Already gone.
  }
}
