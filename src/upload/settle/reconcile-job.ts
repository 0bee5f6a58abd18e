// Reconciling one job: the server's final answer (counts, record errors, job-level errors) checked
// against the batch that was sent, before anything is counted, printed or saved. Every row of the
// batch ends in exactly one of stored, failed (attributed to a row, or not) and unprocessed — or the
// answer contradicts itself and none of the batch counts as stored. Pure.
import type { StatusResponse } from '../../protocol/index.js';

/** What the server said about a finished job. Fields are as received: nothing is trusted yet. */
export interface JobAnswer {
  state: StatusResponse['state'];
  total_items: unknown;
  processed_items: unknown;
  success_count: unknown;
  error_count: unknown;
  /** Every record error the server gave (the status's and the errors pages'), entries as received. */
  recordErrors: unknown[];
}

export interface AttributedError {
  index: number;
  field?: string;
  error: string;
}

export type Reconciliation =
  | {
      kind: 'settled';
      /** Rows the server processed, a prefix of the batch. */
      processed: number;
      stored: number;
      /** Failed rows the server named, each once, in index order. */
      attributed: AttributedError[];
      /** Failed rows the server counted without saying which. */
      unattributed: number;
      unprocessed: number;
    }
  | { kind: 'contradiction'; reason: string };

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** Checks a final answer against the batch's `rows`; see the module comment. */
export function reconcileJob(rows: number, answer: JobAnswer): Reconciliation {
  const contradiction = (reason: string): Reconciliation => ({ kind: 'contradiction', reason });
  const { total_items: total, success_count: stored, error_count: failed } = answer;
  if (!isCount(total) || total !== rows)
    return contradiction(`total_items is ${show(total)}, the batch had ${rows} rows`);
  if (!isCount(stored)) return contradiction(`success_count is ${show(stored)}`);
  if (!isCount(failed)) return contradiction(`error_count is ${show(failed)}`);
  if (stored > rows) return contradiction(`success_count ${stored} is more than the ${rows} rows sent`);
  const complete = answer.state === 'Job Complete';
  const claimed = answer.processed_items;
  let processed: number;
  if (complete) {
    if (claimed !== undefined && claimed !== rows)
      return contradiction(`the job is complete but processed_items is ${show(claimed)} of ${rows}`);
    processed = rows;
  } else if (isCount(claimed)) {
    if (claimed > rows) return contradiction(`processed_items ${claimed} is more than the ${rows} rows sent`);
    processed = claimed;
  } else {
    // Guide servers need not count a job that stopped: what it stored and rejected is what it processed.
    processed = stored + failed;
  }
  if (stored + failed !== processed) {
    return contradiction(
      `success_count ${stored} + error_count ${failed} ≠ ${processed} ` +
        `rows processed${complete ? ' (the job is complete)' : ''}`,
    );
  }
  const attributed: AttributedError[] = [];
  const seen = new Set<number>();
  for (const entry of answer.recordErrors) {
    if (typeof entry !== 'object' || entry === null) continue;
    const { index, field, error } = entry as { index?: unknown; field?: unknown; error?: unknown };
    // A job-level error (index null or absent) names no row: the failure stays unattributed.
    if (index === null || index === undefined) continue;
    if (typeof index !== 'number' || !Number.isInteger(index))
      return contradiction(`an error's index is ${show(index)}, not a row position`);
    if (index < 0 || index >= processed)
      return contradiction(`an error names index ${index}, outside the ${processed} rows processed`);
    if (seen.has(index)) return contradiction(`index ${index} is listed as failed twice`);
    seen.add(index);
    attributed.push({
      index,
      ...(typeof field === 'string' ? { field } : {}),
      error: typeof error === 'string' ? error : 'failed (the server gave no reason)',
    });
  }
  if (attributed.length > failed)
    return contradiction(`${attributed.length} rows are listed as failed but error_count is ${failed}`);
  attributed.sort((a, b) => a.index - b.index);
  return {
    kind: 'settled',
    processed,
    stored,
    attributed,
    unattributed: failed - attributed.length,
    unprocessed: rows - processed,
  };
}

function show(v: unknown): string {
  const text = JSON.stringify(v);
  return text === undefined ? 'missing' : text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
