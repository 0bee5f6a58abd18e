// The run result: what an upload returns once it ends, assembled from the checkpoint's entries
// (earlier runs' and this one's) so a resumed run reports the whole run, not only its own part.
import type { AggregateValue } from '../../protocol/index.js';
import type { CheckpointEntry, EntryOutcome } from './checkpoint.js';
import { mergeStates, stateOf, valuesOf } from '../aggregates/aggregate-state.js';
import { entryAggregateState, unfold } from './checkpoint-fold.js';
import type { RunTally } from './run-tally.js';
import type { StopDecision } from './stop-policy.js';
import type { JobOutcome, MappedRowError, RunCounts } from '../upload-events.js';

export interface UploadResult {
  counts: RunCounts;
  jobs: JobOutcome[];
  /** Every job's aggregates combined, earlier runs' included. */
  aggregates: Record<string, AggregateValue>;
  /** The first row errors of the run, in the order found (at most 100). */
  firstErrors: MappedRowError[];
  failedRowsFiles: string[];
  /** Why the run stopped before the end, if it did; the first reason wins. */
  stop: StopDecision | null;
  /** Where reading stopped early: that file's rows from this line on were not read. */
  notRead: { file: string; fromLine: number }[];
  submittedJobs: { jobId: string; batch: number; file: string; firstLine: number; lastLine: number }[];
}

/** The result of a run that has ended, from its tally and the jobs of this session and earlier ones. */
export function assembleResult(run: {
  tally: RunTally;
  earlier: readonly CheckpointEntry[];
  sessionOutcomes: readonly JobOutcome[];
  failedRowsFiles: string[];
  stop: StopDecision | null;
  notRead: UploadResult['notRead'];
  submitted: UploadResult['submittedJobs'];
}): UploadResult {
  return {
    counts: { ...run.tally.counts, inFlight: 0 },
    jobs: runOutcomes(run.earlier, run.sessionOutcomes),
    aggregates: runAggregates(run.earlier, run.sessionOutcomes),
    firstErrors: run.tally.firstErrors,
    failedRowsFiles: run.failedRowsFiles,
    stop: run.stop,
    notRead: run.notRead,
    submittedJobs: run.submitted,
  };
}

/** Every finished job of the run, earlier runs' and this session's, in input order. */
export function runOutcomes(earlier: readonly CheckpointEntry[], session: readonly JobOutcome[]): JobOutcome[] {
  const before = earlier.flatMap((e) => (e.jobs ? unfold(e) : e.job_id ? [outcomeOf(e)] : []));
  return [...before, ...session].sort((a, b) => a.batch - b.batch || a.origin.firstLine - b.origin.firstLine);
}

/** The aggregates of every stored row of the run: earlier runs' entries and this session's jobs. */
export function runAggregates(
  earlier: readonly CheckpointEntry[],
  session: readonly JobOutcome[],
): Record<string, AggregateValue> {
  const state = [...earlier.map(entryAggregateState), ...session.map((j) => stateOf(j.aggregates, j.succeeded))].reduce(
    mergeStates,
    {},
  );
  return valuesOf(state);
}

export function outcomeOf(entry: CheckpointEntry): JobOutcome {
  const o = entry.outcome as EntryOutcome;
  return {
    batch: entry.batch,
    jobId: entry.job_id ?? '',
    state: o.state === 'Lost' || o.state === 'Unreconciled' ? 'Failed' : o.state,
    total: entry.rows,
    processed: o.processed,
    succeeded: o.stored,
    failed: o.failed,
    origin: {
      batch: entry.batch,
      file: entry.file,
      firstLine: entry.first_line,
      lastLine: entry.last_line,
      rows: entry.rows,
    },
    aggregates: o.aggregates,
    // Copied: a folded entry's list grows with the jobs folded into it.
    firstErrors: [...o.first_errors],
    jobErrors: o.job_errors,
    unprocessed: o.unprocessed,
  };
}

/** A job whose fate bulk could not learn: every row of its batch unconfirmed, with the server's last word. */
export function unconfirmedOutcome(
  origin: JobOutcome['origin'],
  jobId: string,
  serverState: string | null,
  jobErrors: string[],
): JobOutcome {
  return {
    batch: origin.batch,
    jobId,
    // Not a state the server gave: bulk's view that the job did not complete as far as it knows.
    state: 'Failed',
    total: origin.rows,
    processed: 0,
    succeeded: 0,
    failed: 0,
    origin,
    aggregates: null,
    firstErrors: [],
    jobErrors,
    unprocessed: 0,
    unconfirmed: origin.rows,
    verdict: 'unconfirmed',
    serverState,
  };
}
