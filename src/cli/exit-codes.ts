/**
 * The exit codes of `bulk`: a contract with CI steps and cron jobs. The README's table and
 * test/unit/exit-codes.test.ts both follow this one module.
 */
export const ExitCode = {
  /** Every row stored. */
  Ok: 0,
  /** Finished, but some rows were rejected. */
  RowsRejected: 1,
  /** Usage or configuration error. */
  Usage: 2,
  /** Stopped early: input unreadable, auth refused, protocol broken, too many errors. */
  StoppedEarly: 3,
  /** Server unreachable, or it kept failing until the retries ran out. */
  Unreachable: 4,
  /** A bug in bulk itself. */
  Internal: 70,
  /** Interrupted by SIGINT (Ctrl-C). */
  Interrupted: 130,
  /** Terminated by SIGTERM. */
  Terminated: 143,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export const EXIT_CODE_MEANINGS: ReadonlyArray<readonly [ExitCodeValue, string]> = [
  [ExitCode.Ok, 'every row stored'],
  [ExitCode.RowsRejected, 'finished, some rows rejected (see the failed-rows file)'],
  [ExitCode.Usage, 'usage or configuration error'],
  [ExitCode.StoppedEarly, 'stopped early: input unreadable, auth refused, server broke the protocol, too many errors'],
  [ExitCode.Unreachable, 'server unreachable, or it gave up after retries'],
  [ExitCode.Internal, 'internal error in bulk'],
  [ExitCode.Interrupted, 'interrupted by SIGINT (Ctrl-C)'],
  [ExitCode.Terminated, 'terminated by SIGTERM'],
];
