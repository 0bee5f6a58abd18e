// Settling a job: follow a submitted job to its final status, fetch its results, and turn them into
// the batch's outcome — which rows were stored, which failed (with their lines) and which were
// never processed. The run applies the settlement; this module only decides it.
import { ApiError } from '../client/api-error.js';
import type { JobApiClient } from '../client/job-api-client.js';
import { jobRefFromId, withStatusUrls, type JobRef } from '../client/job-ref.js';
import type { StatusResponse } from '../protocol/index.js';
import { lineOfIndex, recordsOf, type Batch } from './batch.js';
import type { CheckpointEntry, EntryOutcome } from './checkpoint.js';
import { collectJobResults, type JobResults } from './job-results.js';
import type { StopDecision } from './stop-policy.js';
import type { MappedRowError } from './upload-events.js';
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
  /** Set when the run must stop because of this job. */
  stop: StopDecision | null;
}

/** Watches a submitted job to its end and settles its rows: stored, failed with their lines, or unprocessed. */
export async function settleJob(opts: SettleOptions, entry: CheckpointEntry, batch: Batch, known?: JobRef): Promise<Settlement> {
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
    results = await collectJobResults(client, ref, status, opts.signal);
  } catch (err) {
    if (err instanceof ApiError && err.kind === 'not-found') {
      // The server no longer knows a job it accepted: never count it as done.
      return {
        outcome: { state: 'Lost', processed: 0, processed_through_line: 0, stored: 0, failed: 0, unprocessed: batch.origin.rows, aggregates: null, first_errors: [], job_errors: [`job ${jobId} is no longer known to the server`] },
        failedRows: [],
        stop: { reason: 'job-lost', message: `job ${jobId} (lines ${batch.origin.firstLine}-${batch.origin.lastLine} of ${batch.origin.file}) is no longer known to the server; its rows are unprocessed` },
      };
    }
    throw err;
  }
  const failedRows: Settlement['failedRows'] = [];
  const records = results.recordErrors.length > 0 ? recordsOf(batch) : [];
  for (const e of results.recordErrors) {
    const line = lineOfIndex(batch, e.index);
    if (line === null) continue;
    failedRows.push({ error: { file: batch.origin.file, line, field: e.field, reason: e.error }, record: records[e.index] });
  }
  const succeeded = Number(status.success_count) || 0;
  const complete = status.state === 'Job Complete';
  const processed = complete ? batch.origin.rows : Math.min(batch.origin.rows, Number(status.processed_items) || succeeded + failedRows.length);
  return {
    outcome: {
      state: status.state,
      processed,
      processed_through_line: processed > 0 ? (batch.lines[processed - 1] as number) : 0,
      stored: succeeded,
      failed: failedRows.length,
      unprocessed: batch.origin.rows - processed,
      aggregates: results.aggregates,
      first_errors: failedRows.slice(0, FIRST_ERRORS_PER_JOB).map((f) => f.error),
      job_errors: results.jobErrors,
    },
    failedRows,
    stop: null,
  };
}
