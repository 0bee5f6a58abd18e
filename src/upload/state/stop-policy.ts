// The stop policy: pure decisions of when a run stops sending and why (a failed request's kind,
// the --max-errors limits). The run applies them; nothing here does I/O.
import type { ApiError } from '../../client/api-error.js';
import { BulkError } from '../../errors/bulk-error.js';
import { answerOf, classifyAnswer, type AnswerStop } from '../settle/answer-table.js';

export type StopReason = AnswerStop | 'interrupted' | 'max-errors' | 'input' | 'job-failed' | 'output';

export interface StopDecision {
  reason: StopReason;
  message: string;
}

/** What becomes of a batch whose job could not be started or followed, and whether the run stops. */
export interface BatchFailure {
  /**
   * `failed`: the server refused the rows themselves (each fails with the message); `unconfirmed`:
   * it may have taken them; else they stay unprocessed.
   */
  rows: 'failed' | 'unprocessed' | 'unconfirmed';
  stop: StopDecision | null;
}

export function batchFailure(err: ApiError): BatchFailure {
  const rule = classifyAnswer('start', answerOf(err));
  if (rule.rows === 'split')
    // Only a single row is refused as too large (a larger batch is split): nothing smaller can go.
    return { rows: 'unprocessed', stop: { reason: 'protocol', message: err.message } };
  const rows = rule.rows === 'failed' ? 'failed' : rule.rows === 'unconfirmed' ? 'unconfirmed' : 'unprocessed';
  if (!rule.stop) return { rows, stop: null };
  let message = err.message;
  if (rule.stop === 'auth') message = `${message} (give the API token with --token-file or BULK_TOKEN_FILE)`;
  if (err.status === 422)
    message = `${message} (an idempotency key was reused with another body: a bug, please report it)`;
  return { rows, stop: { reason: rule.stop, message } };
}

/** The stop for a failed write to the failed-rows file or the checkpoint; anything else is rethrown. */
export function outputStop(err: unknown): StopDecision {
  if (err instanceof BulkError && err.kind === 'output') return { reason: 'output', message: err.message };
  throw err;
}

export interface MaxErrors {
  count?: number;
  percent?: number;
}

/** The --max-errors stop, once more rows failed than the count or the share of rows read allows. */
export function maxErrorsStop(max: MaxErrors | undefined, failed: number, read: number): StopDecision | null {
  if (!max) return null;
  const overCount = max.count !== undefined && failed > max.count;
  const overShare = max.percent !== undefined && read > 0 && (failed / read) * 100 > max.percent;
  if (!overCount && !overShare) return null;
  return { reason: 'max-errors', message: maxErrorsMessage(max, failed, read) };
}

function maxErrorsMessage(max: MaxErrors, failed: number, read: number): string {
  const limit = [max.count, max.percent === undefined ? undefined : `${max.percent}%`].filter((x) => x !== undefined);
  return `more rows failed than --max-errors ${limit.join(' / ')} allows (${failed} failed of ${read} read)`;
}

/**
 * The stop as the run's last tally says it: jobs in flight when --max-errors tripped still settle,
 * so the counts at that instant are not the run's, and a message must not contradict its summary.
 */
export function stopWithFinalCounts(
  stop: StopDecision | null,
  max: MaxErrors | undefined,
  counts: { failed: number; read: number },
): StopDecision | null {
  if (!stop || stop.reason !== 'max-errors' || !max) return stop;
  return { ...stop, message: maxErrorsMessage(max, counts.failed, counts.read) };
}

/** The run's stop: the first decision wins, later ones are ignored. */
export class StopLatch {
  decision: StopDecision | null = null;

  set(decision: StopDecision | null): void {
    if (decision && !this.decision) this.decision = decision;
  }

  /**
   * Runs a write to the failed-rows file; a failed one (ENOSPC, EACCES, EIO) latches the `output` stop and returns
   * false.
   */
  recorded(write: () => void): boolean {
    try {
      write();
      return true;
    } catch (err) {
      this.set(outputStop(err));
      return false;
    }
  }
}
