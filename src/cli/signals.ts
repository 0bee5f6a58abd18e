/**
 * Ctrl-C and SIGTERM for long runs. The first signal asks the run to stop gracefully (stop reading,
 * let requests in flight settle); a second one ends the process at once, with the exit code the
 * exit path gives it. That second exit is the one place besides main that ends the process: by
 * then the user has asked twice.
 */
import { setMaxListeners } from 'node:events';

export interface SignalWatch {
  readonly signal: AbortSignal;
  received(): 'SIGINT' | 'SIGTERM' | null;
  dispose(): void;
}

/** `onSecond` ends the run at once (through the exit path) and returns the exit code. */
export function watchSignals(
  onFirst: (sig: 'SIGINT' | 'SIGTERM') => void,
  onSecond: (sig: 'SIGINT' | 'SIGTERM') => number,
): SignalWatch {
  const controller = new AbortController();
  // Every request in flight listens to it: more than Node's default of 10 (--concurrency 16) is by
  // design, not the leak its warning assumes.
  setMaxListeners(0, controller.signal);
  let got: 'SIGINT' | 'SIGTERM' | null = null;
  const handler = (sig: 'SIGINT' | 'SIGTERM') => {
    if (got) process.exit(onSecond(got));
    got = sig;
    controller.abort(new Error(`received ${sig}`));
    onFirst(sig);
  };
  const onInt = () => handler('SIGINT');
  const onTerm = () => handler('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  return {
    signal: controller.signal,
    received: () => got,
    dispose: () => {
      // After a first signal the process is on its way out: a second one during the last writes
      // must still exit 130/143, not kill it by default action (no exit code at all).
      if (got) return;
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    },
  };
}
