// Settling a job: follow a submitted job to its final status, fetch its results, reconcile them with
// the batch, and turn them into the batch's outcome — which rows were stored, which failed (with
// their lines, or counted without them) and which were never processed. The run applies the
// settlement; this module only decides it.
import { ApiError } from '../../client/api-error.js';
import type { JobApiClient } from '../../client/job-api-client.js';
import { jobRefFromId, withStatusUrls, type JobRef } from '../../client/job-ref.js';
import type { StatusResponse } from '../../protocol/index.js';
import { recordsOf, type Batch } from '../send/batch.js';
import { reconcileJob } from './reconcile-job.js';
import type { CheckpointEntry, EntryOutcome } from '../state/checkpoint.js';
import { collectJobResults, type JobResults } from './job-results.js';
import type { StopDecision } from '../state/stop-policy.js';
import type { MappedRowError } from '../upload-events.js';
import { watchJob } from './watch-job.js';

const FIRST_ERRORS_PER_JOB = 5;

export interface SettleOptions {
  client: JobApiClient;
  useEvents?: boolean;
  /** Ends following (the run's grace period after a stop). */
  signal: AbortSignal;
  onStatus: (status: StatusResponse) => void;
}

export interface Settlement {
  outcome: EntryOutcome;
  /** Rows the server said failed, with the record each one was, for the failed-rows file. */
  failedRows: { error: MappedRowError; record: Record<string, unknown> | undefined }[];
  /** Rows the server counted as failed without saying which: one note stands for them all. */
  unattributed: { rows: number; note: MappedRowError } | 0;
  /** Set when the run must stop because of this job. */
  stop: StopDecision | null;
}

/** Watches a submitted job to its end and settles its rows: stored, failed with their lines, or unprocessed. */
export async function settleJob(
  opts: SettleOptions,
  entry: CheckpointEntry,
  batch: Batch,
  known?: JobRef,
): Promise<Settlement> {
  const { client } = opts;
  const jobId = entry.job_id as string;
  let status: StatusResponse;
  let results: JobResults;
  try {
    let ref = known ?? jobRefFromId(jobId, (p) => client.resolve(p));
    if (!known) {
      // Re-attaching by id: learn the (ext) URLs from the server's first answer.
      const first = await client.getStatus(ref);
      ref = withStatusUrls(ref, first, (p) => client.resolve(p));
      opts.onStatus(first);
    }
    status = await watchJob(client, ref, { useEvents: opts.useEvents, onStatus: opts.onStatus, signal: opts.signal });
    results = await collectJobResults(client, ref, status, batch.origin.rows, opts.signal);
  } catch (err) {
    if (err instanceof ApiError && err.kind === 'not-found') {
      // The server no longer knows a job it accepted: never count it as done.
      return {
        outcome: unsettled('Lost', batch.origin.rows, `job ${jobId} is no longer known to the server`),
        failedRows: [],
        unattributed: 0,
        stop: {
          reason: 'job-lost',
          message:
            `job ${jobId} (lines ${batch.origin.firstLine}-${batch.origin.lastLine} of ${batch.origin.file}) ` +
            `is no longer known to the server; its rows are unprocessed`,
        },
      };
    }
    throw err;
  }
  return settlementOf(entry, batch, status, results);
}

/** The one place a job's answer becomes counted rows: reconciled against the batch first. */
export function settlementOf(
  entry: CheckpointEntry,
  batch: Batch,
  status: StatusResponse,
  results: JobResults,
): Settlement {
  const jobId = entry.job_id as string;
  const { origin } = batch;
  const where = `job ${jobId} (lines ${origin.firstLine}-${origin.lastLine} of ${origin.file})`;
  const reconciled = reconcileJob(origin.rows, { ...status, recordErrors: results.recordErrors });
  if (reconciled.kind === 'contradiction') {
    return {
      outcome: unsettled(
        'Unreconciled',
        origin.rows,
        `the server's answer for job ${jobId} cannot be reconciled with its batch: ${reconciled.reason}`,
      ),
      failedRows: [],
      unattributed: 0,
      stop: {
        reason: 'protocol',
        message:
          `${where}: the server's answer cannot be reconciled with the batch ` +
          `(${reconciled.reason}); its ${origin.rows} rows are unprocessed`,
      },
    };
  }
  const records = reconciled.attributed.length > 0 ? recordsOf(batch) : [];
  const failedRows = reconciled.attributed.map((e) => ({
    error: {
      file: origin.file,
      line: batch.lines[e.index] as number,
      ...(e.field === undefined ? {} : { field: e.field }),
      reason: e.error,
    },
    record: records[e.index],
  }));
  const jobErrors = [...results.jobErrors];
  let unattributed: Settlement['unattributed'] = 0;
  if (reconciled.unattributed > 0) {
    const n = reconciled.unattributed;
    const reason =
      `${n} ${n === 1 ? 'row' : 'rows'} of ${where} failed; the server ` +
      `did not say which rows (see: bulk errors ${jobId})`;
    jobErrors.push(reason);
    unattributed = { rows: n, note: { file: origin.file, line: origin.firstLine, reason } };
  }
  const { processed } = reconciled;
  const firstErrors = failedRows.slice(0, FIRST_ERRORS_PER_JOB).map((f) => f.error);
  if (unattributed) firstErrors.push(unattributed.note);
  return {
    outcome: {
      state: status.state,
      processed,
      processed_through_line: processed > 0 ? (batch.lines[processed - 1] as number) : 0,
      stored: reconciled.stored,
      failed: failedRows.length + reconciled.unattributed,
      unprocessed: reconciled.unprocessed,
      // Aggregates are over the rows a job stored: none counted as stored, none combined.
      aggregates: reconciled.stored > 0 ? results.aggregates : null,
      first_errors: firstErrors,
      job_errors: jobErrors,
    },
    failedRows,
    unattributed,
    stop: null,
  };
}

/** An outcome with every row of the batch unprocessed: a resume sends them again. */
function unsettled(state: 'Lost' | 'Unreconciled', rows: number, why: string): EntryOutcome {
  return {
    state,
    processed: 0,
    processed_through_line: 0,
    stored: 0,
    failed: 0,
    unprocessed: rows,
    aggregates: null,
    first_errors: [],
    job_errors: [why],
  };
}
