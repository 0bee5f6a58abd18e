/**
 * stdout and stderr that cannot take a run down. The first error on a stream (EPIPE when its
 * reader went away, EIO when its terminal did) stops every later write to that stream, and the
 * upload goes on to its true exit code. Installed once, on the process's own streams, so commander,
 * the reporters, the exit path and Node's warnings are all covered and none can bypass it.
 */
import type { Writable } from 'node:stream';

const GUARDED = Symbol.for('bulk.safe-stdio');

type WriteFn = Writable['write'];

export function guardStream(stream: Writable): void {
  const marked = stream as Writable & { [GUARDED]?: boolean };
  if (marked[GUARDED]) return;
  marked[GUARDED] = true;
  let failed = false;
  // An 'error' with no listener is an uncaught exception: that is how an EPIPE on stderr ended runs.
  stream.on('error', () => {
    failed = true;
  });
  const original = stream.write.bind(stream) as (...args: unknown[]) => boolean;
  const write = (...args: unknown[]): boolean => {
    if (!failed && !stream.destroyed) {
      try {
        return original(...args);
      } catch {
        failed = true;
      }
    }
    // Dropped: a caller waiting for its callback must still hear back.
    const callback = args.find((a): a is (err?: Error | null) => void => typeof a === 'function');
    if (callback) process.nextTick(callback);
    return true;
  };
  stream.write = write as WriteFn;
}

/** Guards the process's stdout and stderr. */
export function guardStdio(): void {
  guardStream(process.stdout);
  guardStream(process.stderr);
}
