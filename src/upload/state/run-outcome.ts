/**
 * How a run ended, as a kind of the exit-code table with the reason it stopped, from what happened to its rows. Pure.
 */
import type { ErrorKind, OutcomeKind } from '../../errors/exit-codes.js';
import type { UploadResult } from './run-result.js';

/** A run's end. Every stop carries the line that says why: the type allows no stop without one. */
export type RunEnd = { kind: OutcomeKind; message: null } | { kind: ErrorKind; message: string };

export function runOutcome(
  result: Pick<UploadResult, 'counts' | 'stop' | 'jobs'>,
  opts: { signal?: 'SIGINT' | 'SIGTERM' | null; dryRun?: boolean; noWait?: boolean },
): RunEnd {
  const { stop } = result;
  if (opts.signal === 'SIGINT') return { kind: 'interrupted', message: stop?.message ?? 'interrupted (Ctrl-C)' };
  if (opts.signal === 'SIGTERM') return { kind: 'terminated', message: stop?.message ?? 'terminated (SIGTERM)' };
  if (stop) return { kind: stop.reason, message: stop.message };
  if (result.counts.unconfirmed > 0)
    return { kind: 'unconfirmed', message: unconfirmedRows(result.counts.unconfirmed) };
  // A job that failed or was aborted leaves rows unprocessed; once a resume has sent them, the run
  // ends as a clean run would, though the history still lists that job.
  if (result.counts.unprocessed > 0) return { kind: 'job-failed', message: unfinishedJobs(result) };
  if (opts.dryRun) return { kind: result.counts.failed > 0 ? 'dry-run-rejected' : 'dry-run', message: null };
  if (opts.noWait) return { kind: 'submitted', message: null };
  return { kind: result.counts.failed > 0 ? 'rows-rejected' : 'completed', message: null };
}

/**
 * Why rows are unprocessed with no stop decided: the jobs that ended early, in the server's own words where it gave
 * any.
 */
function unfinishedJobs(result: Pick<UploadResult, 'counts' | 'jobs'>): string {
  const ended = result.jobs.filter((j) => j.unprocessed > 0);
  const first = ended[0];
  if (!first) return `${result.counts.unprocessed} rows were not processed by the server`;
  const { origin } = first;
  const why = first.jobErrors.length > 0 ? `: ${first.jobErrors.join('; ')}` : ' without saying why';
  const more = ended.length > 1 ? ` (and ${ended.length - 1} more ${ended.length === 2 ? 'job' : 'jobs'})` : '';
  return (
    `job ${first.jobId} (lines ${origin.firstLine}-${origin.lastLine} of ${origin.file}) ` +
    `ended ${first.state} with ${first.unprocessed} of ${origin.rows} rows unprocessed${why}${more}`
  );
}

/** The summary's line for rows whose fate bulk could not learn. */
export function unconfirmedRows(rows: number | string): string {
  return `${rows} unconfirmed: the server took them, its answers about them could not be read`;
}

/** "its 300 rows are unconfirmed", or "its row is unconfirmed" for a batch of one. */
export function unconfirmedRowsOf(rows: number): string {
  return rows === 1 ? 'its row is unconfirmed' : `its ${rows} rows are unconfirmed`;
}
