// A delete dry run's question to the server (ext): what would a delete job with this batch do now?
// The answer goes through the same reconciliation as a finished job's, so a server's count is only
// believed when it adds up against the batch; rows it names get their file lines, as a job's would.
import type { JobApiClient } from '../../client/job-api-client.js';
import { ApiError } from '../../client/api-error.js';
import { halveBatch, recordsOf, type Batch } from '../send/batch.js';
import { reconcileJob } from '../settle/reconcile-job.js';
import type { MappedRowError } from '../upload-events.js';

export interface DeletePrediction {
  /** Rows whose key names a record that the delete would remove. */
  matched: number;
  /** Rows the delete would fail, with why, for the failed-rows file. */
  failedRows: { error: MappedRowError; record: Record<string, unknown> | undefined }[];
}

/** A reconciliation's reason, in the words of the match answer rather than a job's. */
function inMatchWords(reason: string): string {
  return reason
    .replaceAll('success_count', 'matched_items')
    .replaceAll('error_count', 'the number of errors')
    .replaceAll(' (the job is complete)', '')
    .replaceAll('the job is complete but processed_items', 'total_items');
}

/** Why the server's answer is not used: it does not offer the question, or its answer does not add up. */
export type NoPrediction = { unavailable: string };

export async function predictDeletes(
  client: JobApiClient,
  resource: string,
  uniqueFields: string[],
  batch: Batch,
): Promise<DeletePrediction | NoPrediction> {
  const asked = await client.matchDeletes(resource, uniqueFields, batch.body);
  if (!asked.offered) return { unavailable: 'the server does not offer a count of the records a delete would remove' };
  const answer = asked.answer ?? {};
  const errors: unknown[] = Array.isArray(answer.errors) ? answer.errors : [];
  const reconciled = reconcileJob(batch.origin.rows, {
    state: 'Job Complete',
    total_items: answer.total_items,
    processed_items: answer.total_items,
    success_count: answer.matched_items,
    error_count: errors.length,
    recordErrors: errors,
  });
  if (reconciled.kind === 'contradiction')
    return { unavailable: `the server's count does not add up (${inMatchWords(reconciled.reason)})` };
  if (reconciled.unattributed > 0) return { unavailable: "the server's count names no row for some of its errors" };
  const records = reconciled.attributed.length > 0 ? recordsOf(batch) : [];
  const failedRows = reconciled.attributed.map((e) => ({
    error: {
      file: batch.origin.file,
      line: batch.lines[e.index] as number,
      ...(e.field === undefined ? {} : { field: e.field }),
      reason: e.error,
    },
    record: records[e.index],
  }));
  return { matched: reconciled.stored, failedRows };
}

/**
 * A dry run's batches: nothing is sent to be written. For a delete, each batch's keys are matched
 * by the server (ext) where it can say: rows it says the job would fail are failed rows now, with
 * their lines and reasons, and the rest count as rows the delete would remove. Where it cannot say
 * (a guide-only server, an answer that does not add up), the run says so once and the count is
 * unknown; the client-side check still ran.
 */
export class DryRunBatches {
  /** The key the server is asked about; null when it is not asked (not a delete, or it cannot say). */
  private asking: string[] | null;

  constructor(
    private readonly run: {
      client: JobApiClient;
      uniqueFields: string[] | null;
      counts: { wouldDelete?: number };
      warn: (text: string) => void;
      /** Writes failed rows and counts them; false when they could not be written (the run stops). */
      failed: (rows: DeletePrediction['failedRows']) => boolean;
      notSettled: (rows: number) => void;
    },
  ) {
    this.asking = run.uniqueFields;
    if (this.asking) run.counts.wouldDelete = 0;
  }

  async settle(batch: Batch, resource: string): Promise<void> {
    if (!this.asking) return this.run.notSettled(batch.origin.rows);
    let predicted: DeletePrediction | NoPrediction;
    try {
      predicted = await predictDeletes(this.run.client, resource, this.asking, batch);
    } catch (err) {
      // Too large for the server (413): asked in halves, as the delete jobs themselves would be sent.
      if (!(err instanceof ApiError && err.kind === 'too-large' && batch.origin.rows > 1)) throw err;
      for (const half of halveBatch(batch)) await this.settle(half, resource);
      return;
    }
    if ('unavailable' in predicted) {
      this.asking = null;
      this.run.counts.wouldDelete = undefined;
      this.run.warn(
        `${predicted.unavailable}: how many records the delete would remove ` +
          `is not known (the client-side check still ran)`,
      );
      return this.run.notSettled(batch.origin.rows);
    }
    if (!this.run.failed(predicted.failedRows)) return this.run.notSettled(batch.origin.rows);
    if (this.run.counts.wouldDelete !== undefined) this.run.counts.wouldDelete += predicted.matched;
    this.run.notSettled(batch.origin.rows - predicted.failedRows.length);
  }
}
