/** The error a person can act on: a kind from the exit-code table, a one-line message, and the next step. */
import type { ErrorKind } from './exit-codes.js';

/**
 * An error a person can act on: its kind picks the exit code from the one table (exit-codes.ts),
 * its message is one line, and `next` says what to do when the table's general advice is not enough.
 */
export class BulkError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
    /** The next step, when it depends on this error (a command to run, a path to fix). */
    readonly next: string | null = null,
  ) {
    super(message);
    this.name = 'BulkError';
  }
}

/** The kind of any thrown value: a BulkError's own, else `internal` (a bug). */
export function kindOf(err: unknown): ErrorKind {
  if (err instanceof BulkError) return err.kind;
  return 'internal';
}

/** `ENOSPC: no space left on device, write` → `no space left on device (ENOSPC)`. */
export function describeFsError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (!e?.code) return err instanceof Error ? err.message : String(err);
  const text = e.message.replace(new RegExp(`^${e.code}: `), '').replace(/, \w+( '.*')?$/, '');
  return `${text} (${e.code})`;
}
