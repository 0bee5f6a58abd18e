import type { ExitCodeValue } from '../cli/exit-codes.js';
import type { AggregateValue } from '../protocol/index.js';
import type { RunStatus } from '../upload/run-outcome.js';

/** The end of a run, as every reporter and the JSON result see it. */
export interface RunSummary {
  status: RunStatus | 'failed';
  exitCode: ExitCodeValue;
  counts: { read: number; stored: number; failed: number; unprocessed: number };
  jobs: number;
  elapsedMs: number;
  rowsPerSecond: number;
  aggregates: Record<string, AggregateValue>;
  failedRowsFile: string | null;
  resumeCommand: string | null;
  message?: string;
  /** Where reading stopped early, per file. */
  notRead?: { file: string; fromLine: number }[];
}
