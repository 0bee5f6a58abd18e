import { ExitCode, type ExitCodeValue } from '../cli/exit-codes.js';
import type { UploadResult } from './run-result.js';
import type { StopReason } from './stop-policy.js';

export type RunStatus = 'completed' | 'completed_with_errors' | 'stopped' | 'interrupted' | 'unreachable' | 'failed' | 'dry_run' | 'submitted';

/** The exit code a CI step can trust, from what happened to the rows. Pure. */
export function runOutcome(result: Pick<UploadResult, 'counts' | 'stopReason' | 'jobs'>, opts: { signal?: 'SIGINT' | 'SIGTERM' | null; dryRun?: boolean; noWait?: boolean }): { status: RunStatus; exitCode: ExitCodeValue } {
  if (opts.signal === 'SIGINT') return { status: 'interrupted', exitCode: ExitCode.Interrupted };
  if (opts.signal === 'SIGTERM') return { status: 'interrupted', exitCode: ExitCode.Terminated };
  const reason: StopReason | null = result.stopReason;
  if (reason === 'unreachable') return { status: 'unreachable', exitCode: ExitCode.Unreachable };
  if (reason) return { status: 'stopped', exitCode: ExitCode.StoppedEarly };
  // A job that failed or was aborted leaves rows unprocessed; once a resume has sent them, the run
  // ends as a clean run would, though the history still lists that job.
  if (result.counts.unprocessed > 0) return { status: 'stopped', exitCode: ExitCode.StoppedEarly };
  if (opts.dryRun) return { status: 'dry_run', exitCode: result.counts.failed > 0 ? ExitCode.RowsRejected : ExitCode.Ok };
  if (opts.noWait) return { status: 'submitted', exitCode: ExitCode.Ok };
  if (result.counts.failed > 0) return { status: 'completed_with_errors', exitCode: ExitCode.RowsRejected };
  return { status: 'completed', exitCode: ExitCode.Ok };
}
