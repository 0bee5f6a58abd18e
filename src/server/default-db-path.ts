// Where the database is when none is given, and whether a database setting is a PostgreSQL URL
// rather than a SQLite file.
import os from 'node:os';
import path from 'node:path';

/**
 * Where the embedded server and `bulk serve` keep their database unless told otherwise:
 * `$BULK_DB`, else `$XDG_DATA_HOME/bulk/bulk.db`, else `~/.local/share/bulk/bulk.db`. Both commands
 * share it, so `bulk serve` later shows the jobs an embedded upload made.
 */
export function defaultDbPath(env: Record<string, string | undefined> = process.env): string {
  if (env.BULK_DB) return env.BULK_DB;
  const dataHome = env.XDG_DATA_HOME || path.join(os.homedir(), '.local', 'share');
  return path.join(dataHome, 'bulk', 'bulk.db');
}

/** Whether a database setting names PostgreSQL (a postgres:// or postgresql:// URL) rather than a SQLite file. */
export function isPostgresUrl(db: string): boolean {
  return /^postgres(ql)?:\/\//i.test(db);
}
