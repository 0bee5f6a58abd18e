/**
 * Keeps SQLite's write-ahead log from holding the data. SQLite checkpoints on its own only past
 * wal_autocheckpoint pages (about 40 MB here), passively, and never shrinks the file: on a small
 * disk the WAL took all the space while the database stayed empty. After each write this checks
 * the WAL's size against a share of the disk's free space (and, when a job ends, a small fixed
 * size) and, past it, checkpoints with TRUNCATE: the pages move into the database and the WAL
 * file goes back to zero bytes.
 */
import { statfsSync, statSync } from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';

/** Never let the WAL grow past this, whatever the free space (SQLite's own threshold here). */
const MAX_WAL_BYTES = 40 * 1024 * 1024;
/** Below this, no checkpoint for space: it would cost more than it frees. */
const MIN_WAL_BYTES = 1024 * 1024;
/** The WAL's share of the space left on its disk before it is checkpointed. */
const FREE_SHARE = 1 / 4;
/** When a job ends, the database should hold its rows: a WAL larger than this is checkpointed then. */
const END_OF_JOB_BYTES = 4 * 1024 * 1024;
/** The store's busy timeout, put back after a checkpoint that does not wait. */
const BUSY_TIMEOUT_MS = 5000;
/** Free space is asked of the filesystem at most this often. */
const STATFS_EVERY_MS = 1000;

export class WalKeeper {
  private readonly walPath: string;
  private free = Number.POSITIVE_INFINITY;
  private freeAt = 0;
  /** Checkpoints run so far (for tests and the debug log). */
  checkpoints = 0;

  constructor(
    private readonly db: Database.Database,
    private readonly dbPath: string,
    private readonly busyTimeoutMs: number,
  ) {
    this.walPath = `${dbPath}-wal`;
  }

  /** After a write, committed or not: `jobEnded` when it finished a job; `diskFull` when it failed for space. */
  afterWrite(opts: { jobEnded?: boolean; diskFull?: boolean } = {}): void {
    if (this.dbPath === ':memory:') return;
    const wal = sizeOf(this.walPath);
    // Out of space, a checkpoint may still free some: the WAL keeps every version of a page, the database one.
    const limit = opts.diskFull ? 0 : opts.jobEnded ? Math.min(END_OF_JOB_BYTES, this.limit()) : this.limit();
    if (wal > limit) this.checkpoint();
  }

  /** The WAL size past which it is checkpointed: a share of the free space, within fixed bounds. */
  limit(): number {
    const now = Date.now();
    if (now - this.freeAt >= STATFS_EVERY_MS) {
      this.freeAt = now;
      try {
        const fs = statfsSync(path.dirname(path.resolve(this.dbPath)));
        this.free = fs.bavail * fs.bsize;
      } catch {
        this.free = Number.POSITIVE_INFINITY;
      }
    }
    return Math.max(MIN_WAL_BYTES, Math.min(MAX_WAL_BYTES, this.free * FREE_SHARE));
  }

  /**
   * TRUNCATE waits for readers; another process reading (an admin's sqlite3 shell) must not stall
   * this one's event loop for the busy timeout, so it does not wait: a checkpoint that cannot
   * finish now is tried again after the next write.
   */
  checkpoint(): void {
    this.db.pragma('busy_timeout = 0');
    try {
      this.db.pragma('wal_checkpoint(TRUNCATE)');
      this.checkpoints++;
    } catch {
      // Busy, or no room to grow the database: the WAL stays as it is until the next try.
    } finally {
      this.db.pragma(`busy_timeout = ${this.busyTimeoutMs}`);
    }
  }
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/** The store (a SqliteStore) as the wrapper below reaches it: its connection and its path. */
interface WalOwner {
  db: Database.Database;
  dbPath: string;
}

const keepers = new WeakMap<object, WalKeeper>();

/**
 * Wraps the writes of a store class (before its errors are translated, so a full disk is still
 * SQLITE_FULL here): after each, committed or refused for space, the store's keeper looks at the
 * WAL. Kept out of the store's methods so they stay about their SQL; the keeper is made on the
 * first write, from the store's connection and path.
 */
export function keepWalAfterWrites(proto: object): void {
  const writes: Record<string, (args: unknown[]) => boolean> = {
    createJob: () => false,
    commitChunk: (args) => (args[0] as { finish?: unknown }).finish !== undefined,
    finishJob: () => true,
  };
  for (const [name, endsJob] of Object.entries(writes)) {
    const original = (proto as Record<string, (...a: unknown[]) => Promise<unknown>>)[name] as (
      ...a: unknown[]
    ) => Promise<unknown>;
    (proto as Record<string, unknown>)[name] = async function (this: WalOwner, ...args: unknown[]) {
      let keeper = keepers.get(this);
      if (!keeper) keepers.set(this, (keeper = new WalKeeper(this.db, this.dbPath, BUSY_TIMEOUT_MS)));
      try {
        const result = await original.apply(this, args);
        keeper.afterWrite({ jobEnded: endsJob(args) });
        return result;
      } catch (err) {
        if ((err as { code?: unknown }).code === 'SQLITE_FULL') keeper.afterWrite({ diskFull: true });
        throw err;
      }
    };
  }
}
