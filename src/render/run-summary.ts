import type { ExitCodeValue } from '../cli/exit-codes.js';
import type { AggregateValue } from '../protocol/index.js';
import type { RunStatus } from '../upload/run-outcome.js';

/** The end of a run, as every reporter and the JSON result see it. */
export interface RunSummary {
  /** completed | completed_with_errors | stopped | interrupted | unreachable | failed | dry_run | submitted */
  status: RunStatus;
  exitCode: ExitCodeValue;
  counts: { read: number; stored: number; failed: number; unprocessed: number };
  jobs: number;
  elapsedMs: number;
  rowsPerSecond: number;
  /** Combined across jobs (combineAggregates). */
  aggregates: Record<string, AggregateValue>;
  failedRowsFile: string | null;
  /** The exact command that continues this run, when it can be resumed. */
  resumeCommand: string | null;
  /** Why the run stopped, when it did not complete. */
  message?: string;
  /** Where reading stopped early, per file. */
  notRead?: { file: string; fromLine: number }[];
}
