/** The end of a run, as every reporter and the JSON result see it: the run's totals and how it ended. */
import type { ErrorKind, ExitCodeValue, RunStatus } from '../errors/exit-codes.js';
import type { RunTotals } from '../upload/state/run-report.js';

export interface RunSummary extends RunTotals {
  /** completed | completed_with_errors | stopped | interrupted | unreachable | failed | dry_run | submitted */
  status: RunStatus;
  exitCode: ExitCodeValue;
  /** Why it stopped, as a kind of the exit-code table; absent when it did not stop. */
  errorKind?: ErrorKind | null;
  /** What to do next, one line. */
  next?: string | null;
}
