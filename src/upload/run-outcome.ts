/** How a run ended, as a kind of the exit-code table, from what happened to its rows. Pure. */
import type { EndKind } from '../errors/exit-codes.js';
import type { UploadResult } from './run-result.js';
import type { StopReason } from './stop-policy.js';

export function runOutcome(result: Pick<UploadResult, 'counts' | 'stopReason'>, opts: { signal?: 'SIGINT' | 'SIGTERM' | null; dryRun?: boolean; noWait?: boolean }): EndKind {
  if (opts.signal === 'SIGINT') return 'interrupted';
  if (opts.signal === 'SIGTERM') return 'terminated';
  const reason: StopReason | null = result.stopReason;
  if (reason) return reason;
  // A job that failed or was aborted leaves rows unprocessed; once a resume has sent them, the run
  // ends as a clean run would, though the history still lists that job.
  if (result.counts.unprocessed > 0) return 'job-failed';
  if (opts.dryRun) return result.counts.failed > 0 ? 'dry-run-rejected' : 'dry-run';
  if (opts.noWait) return 'submitted';
  if (result.counts.failed > 0) return 'rows-rejected';
  return 'completed';
}
