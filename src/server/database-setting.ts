// Which database a server uses: the one place BULK_DB (and BULK_DATABASE_URL) are read, the default
// SQLite file, and whether a setting is a PostgreSQL URL rather than a SQLite file.
import os from 'node:os';
import path from 'node:path';

/**
 * The database a command uses: its `--db`, else `$BULK_DB`, else (for `bulk serve`, `urlVariable`)
 * `$BULK_DATABASE_URL`, else `$XDG_DATA_HOME/bulk/bulk.db`, else `~/.local/share/bulk/bulk.db`. The
 * embedded server and `bulk serve` share the default, so `bulk serve` later shows the jobs an
 * embedded upload made. A SQLite file's path, or a postgres:// URL.
 */
export function chooseDatabase(
  flag: string | null | undefined,
  env: Record<string, string | undefined> = process.env,
  opts: { urlVariable?: boolean } = {},
): string {
  const named = flag || env.BULK_DB || (opts.urlVariable ? env.BULK_DATABASE_URL : undefined);
  if (named) return named;
  const dataHome = env.XDG_DATA_HOME || path.join(os.homedir(), '.local', 'share');
  return path.join(dataHome, 'bulk', 'bulk.db');
}

/** Whether a database setting names PostgreSQL (a postgres:// or postgresql:// URL) rather than a SQLite file. */
export function isPostgresUrl(db: string): boolean {
  return /^postgres(ql)?:\/\//i.test(db);
}
