// Bounded polling for tests: every wait has a deadline and, when it runs out, says what it waited
// for and what it last saw. Tests wait on a condition, never on a fixed time.

export interface WaitOptions {
  /** How long to keep trying before failing. @default 20_000 */
  timeoutMs?: number;
  /** Pause between tries. @default 10 */
  intervalMs?: number;
}

/**
 * Calls `check` until it returns a value other than undefined, null or false, and returns that
 * value. Past the deadline it throws `timed out after N ms waiting for <what>`; `what` may be a
 * function, called then, so the message can name the last state seen. An error thrown by `check`
 * fails the wait at once.
 */
export async function waitUntil<T>(
  what: string | (() => string),
  check: () => T | Promise<T>,
  opts: WaitOptions = {},
): Promise<Exclude<T, undefined | null | false>> {
  const timeoutMs = opts.timeoutMs ?? 20_000;
  const intervalMs = opts.intervalMs ?? 10;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== null && value !== false) return value as Exclude<T, undefined | null | false>;
    if (Date.now() >= deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'function' ? what() : what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
