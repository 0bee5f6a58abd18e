// Settling a job: follow a submitted job to its final status, fetch its results, reconcile them with
// the batch, and turn them into the batch's outcome — which rows were stored, which failed (with
// their lines, or counted without them), which were never processed, or, where the server's answers
// could not be read or trusted, that the batch's fate is unconfirmed. The run applies the
// settlement; this module only decides it, by the answer table.
import { ApiError } from '../../client/api-error.js';
import type { JobApiClient } from '../../client/job-api-client.js';
import { jobRefFromId, withStatusUrls, type JobRef } from '../../client/job-ref.js';
import type { StatusResponse } from '../../protocol/index.js';
import { recordsOf, type Batch } from '../send/batch.js';
import { reconcileJob } from './reconcile-job.js';
import type { CheckpointEntry, EntryOutcome } from '../state/checkpoint.js';
import { collectJobResults, type AggregatesPolicy, type JobResults } from './job-results.js';
import type { StopDecision } from '../state/stop-policy.js';
import type { MappedRowError } from '../upload-events.js';
import { JobStalled, watchJob } from './watch-job.js';
import { answerOf, classifyAnswer } from './answer-table.js';
import { unconfirmedRowsOf } from '../state/run-outcome.js';

const FIRST_ERRORS_PER_JOB = 5;

export interface SettleOptions {
  client: JobApiClient;
  useEvents?: boolean;
  /** Ends following (the run's grace period after a stop). */
  signal: AbortSignal;
  onStatus: (status: StatusResponse) => void;
  aggregates: AggregatesPolicy;
  /** Gives up on a job whose progress has not moved for this long (--stall-timeout). */
  stallMs?: number;
  onStalling?: (stalledMs: number, stallMs: number) => void;
  /** Whether the server answered this job id for another batch of the run too: then none of its answers is trusted. */
  conflicted?: (jobId: string) => Promise<boolean>;
}

export interface SettledJob {
  kind: 'settled';
  outcome: EntryOutcome;
  /** Rows the server said failed, with the record each one was, for the failed-rows file. */
  failedRows: { error: MappedRowError; record: Record<string, unknown> | undefined }[];
  /** Rows the server counted as failed without saying which: one note stands for them all. */
  unattributed: { rows: number; note: MappedRowError } | 0;
  /** Set when the run must stop because of this job. */
  stop: StopDecision | null;
}

/** The batch's rows are with the server, or may be, and bulk could not learn what became of them. */
export interface UnconfirmedJob {
  kind: 'unconfirmed';
  rows: number;
  /** The state the server last said, if it said one. */
  serverState: string | null;
  jobErrors: string[];
  stop: StopDecision;
}

export type Settlement = SettledJob | UnconfirmedJob;

const whereOf = (jobId: string, batch: Batch) =>
  `job ${jobId} (lines ${batch.origin.firstLine}-${batch.origin.lastLine} of ${batch.origin.file})`;

function unconfirmedJob(
  batch: Batch,
  serverState: string | null,
  stop: StopDecision,
  jobErrors: string[] = [],
): UnconfirmedJob {
  return { kind: 'unconfirmed', rows: batch.origin.rows, serverState, jobErrors: [...jobErrors, stop.message], stop };
}

/** Watches a submitted job to its end and settles its rows, or says they are unconfirmed. */
export async function settleJob(
  opts: SettleOptions,
  entry: CheckpointEntry,
  batch: Batch,
  known?: JobRef,
): Promise<Settlement> {
  const { client } = opts;
  const jobId = entry.job_id as string;
  const where = whereOf(jobId, batch);
  const rows = batch.origin.rows;
  let lastState: string | null = null;
  const onStatus = (s: StatusResponse) => {
    lastState = s.state;
    opts.onStatus(s);
  };
  let status: StatusResponse;
  let ref: JobRef;
  let results: JobResults;
  try {
    ref = known ?? jobRefFromId(jobId, (p) => client.resolve(p));
    if (!known) {
      // Re-attaching by id: learn the (ext) URLs from the server's first answer.
      const first = await client.getStatus(ref);
      ref = withStatusUrls(ref, first, (p) => client.resolve(p));
      onStatus(first);
    }
    status = await watchJob(client, ref, {
      useEvents: opts.useEvents,
      onStatus,
      signal: opts.signal,
      stallMs: opts.stallMs,
      onStalling: opts.onStalling,
    });
    // Errors pages and aggregates that cannot be read are settled inside (the table's rows for
    // them); only a URL on another origin comes out of here.
    results = await collectJobResults(client, ref, status, rows, opts.aggregates, opts.signal);
  } catch (err) {
    if (err instanceof JobStalled)
      return unconfirmedJob(batch, lastState, {
        reason: 'unconfirmed',
        message: `${where}: ${err.message}; ${unconfirmedRowsOf(rows)}`,
      });
    if (!(err instanceof ApiError)) throw err;
    const rule = classifyAnswer('status', answerOf(err));
    const message =
      rule.stop === 'job-lost'
        ? `${where} is no longer known to the server; ${unconfirmedRowsOf(rows)}`
        : `${where}: ${err.message}; ${unconfirmedRowsOf(rows)}`;
    return unconfirmedJob(batch, lastState, { reason: rule.stop ?? 'unconfirmed', message });
  }
  if (await opts.conflicted?.(jobId))
    return unconfirmedJob(batch, status.state, {
      reason: 'protocol',
      message:
        `${where}: the server answered the same job id for another batch of this run, ` +
        `so none of its answers can be trusted; ${unconfirmedRowsOf(rows)}`,
    });
  return settlementOf(entry, batch, status, results);
}

/** The first few texts the server gave about a job's failure (a job error may carry an index). */
function serverWords(results: JobResults): string {
  const texts = new Set<string>(results.jobErrors);
  for (const e of results.recordErrors) {
    const text = e && typeof e === 'object' ? (e as { error?: unknown }).error : e;
    if (typeof text === 'string') texts.add(text);
    if (texts.size >= 3) break;
  }
  return [...texts].slice(0, 3).join('; ');
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
  const where = whereOf(jobId, batch);
  const reconciled = reconcileJob(origin.rows, { ...status, recordErrors: results.recordErrors });
  if (reconciled.kind === 'contradiction') {
    const words = serverWords(results);
    const ended = status.state === 'Failed' || status.state === 'Aborted';
    // A job the server ended with its own error: its words say more than "check --url".
    return unconfirmedJob(
      batch,
      status.state,
      {
        reason: ended && words ? 'job-failed' : 'protocol',
        message:
          `${where}${ended ? ` ended ${status.state}` : ''}: ${words ? `the server says "${words}"; ` : ''}` +
          `its answer cannot be reconciled with the batch (${reconciled.reason}); ` +
          `${unconfirmedRowsOf(origin.rows)}`,
      },
      results.jobErrors,
    );
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
  let unattributed: SettledJob['unattributed'] = 0;
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
    kind: 'settled',
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
