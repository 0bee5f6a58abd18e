// Two fates of a batch decided outside the job settler: a start answered with results instead of a
// job (settled where they add up to the batch, else unconfirmed), and, on a resume, whether a batch
// that stays unconfirmed after the server was asked again may be sent again.
import { ApiError } from '../../client/api-error.js';
import { recordsOf, type Batch } from './batch.js';
import type { JobClaims } from '../state/job-claims.js';
import { submittedEntry, type Checkpoint, type CheckpointEntry, type EntryOutcome } from '../state/checkpoint.js';
import type { StopDecision } from '../state/stop-policy.js';
import { judgeSyncResults } from '../settle/sync-results.js';
import type { MappedRowError } from '../upload-events.js';
import { unconfirmedRowsOf } from '../state/run-outcome.js';

export interface SyncHooks {
  failed: (rows: { error: MappedRowError; record?: Record<string, unknown> }[]) => boolean;
  finishedAtOnce: (entry: CheckpointEntry, outcome: EntryOutcome) => void;
  unconfirmed: (batch: Batch, jobId: string, serverState: string | null, stop: StopDecision) => void;
  /** A batch the server may have, with no job to ask about: a resume decides whether it goes again. */
  unanswered: (batch: Batch, stop: StopDecision) => void;
}

/** A start answered with results and no job: its rows settled from the answer where it adds up, else unconfirmed. */
export function applySyncResults(hooks: SyncHooks, batch: Batch, answer: { status: number; body: unknown }): void {
  const { origin } = batch;
  const where = `lines ${origin.firstLine}-${origin.lastLine} of ${origin.file}`;
  const verdict = judgeSyncResults(origin.rows, answer.status, answer.body);
  if (verdict.kind === 'unconfirmed')
    return hooks.unanswered(batch, {
      reason: 'unconfirmed',
      message: `${where}: ${verdict.reason}; ${unconfirmedRowsOf(origin.rows)} (the server may have stored them)`,
    });
  const records = verdict.failed.length > 0 ? recordsOf(batch) : [];
  const failedRows = verdict.failed.map((f) => ({
    error: { file: origin.file, line: batch.lines[f.index] as number, reason: f.error },
    record: records[f.index],
  }));
  if (!hooks.failed(failedRows))
    return hooks.unanswered(batch, {
      reason: 'output',
      message: `${where}: the failed rows could not be written; ${unconfirmedRowsOf(origin.rows)}`,
    });
  hooks.finishedAtOnce(submittedEntry(origin, null, ''), {
    state: 'Job Complete',
    processed: origin.rows,
    processed_through_line: origin.lastLine,
    stored: verdict.stored,
    failed: verdict.failed.length,
    unprocessed: 0,
    aggregates: null,
    first_errors: failedRows.slice(0, 5).map((f) => f.error),
    job_errors: [`handled at once by the server (HTTP ${answer.status}, no job)`],
  });
}

/**
 * Claims the job id for the batch. An id already another batch's leaves this batch unconfirmed (the
 * server has it, under a job that cannot be told apart) and the run stopping: false.
 */
export function claimJob(claims: JobClaims, hooks: Pick<SyncHooks, 'unconfirmed'>, batch: Batch, jobId: string) {
  try {
    claims.claim(jobId, batch.origin);
    return true;
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    hooks.unconfirmed(batch, jobId, null, { reason: 'protocol', message: err.message });
    return false;
  }
}

/**
 * Whether a batch still unconfirmed after asking again may go again: only where that cannot store
 * a row twice (the server showed it honours Idempotency-Key, the run upserts by a unique key, or
 * the rows carry a unique key of the resource, which refuses a second copy), or when the user said
 * so (--resend-unconfirmed). The text says which, either way.
 */
export function resendVerdict(
  batch: Batch,
  why: string,
  checkpoint: Pick<Checkpoint, 'keys_honoured'>,
  opts: { resendUnconfirmed?: boolean; upsert?: unknown; carriedKey?: readonly string[] | null },
): { resend: boolean; text: string } {
  const { origin } = batch;
  const where = `lines ${origin.firstLine}-${origin.lastLine} of ${origin.file}`;
  const because = checkpoint.keys_honoured
    ? 'this server honours Idempotency-Key, so the resend cannot store a row twice'
    : opts.upsert
      ? 'an upsert by a unique key cannot store a row twice'
      : opts.carriedKey
        ? `the rows carry the resource's unique key (${opts.carriedKey.join(', ')}), so the server refuses ` +
          'a second copy: a row it already stored comes back failed as a duplicate, never stored twice'
        : opts.resendUnconfirmed
          ? '--resend-unconfirmed was given (rows the server did store may be stored twice)'
          : null;
  if (because) return { resend: true, text: `${where} are still unconfirmed (${why}): sent again: ${because}` };
  return {
    resend: false,
    text:
      `${where} are still unconfirmed (${why}): not sent again, as this server has not shown it honours ` +
      `Idempotency-Key and a resend could store rows twice; --resend-unconfirmed sends them anyway`,
  };
}

/** Takes a re-sent batch's old entry out of the checkpoint and its slot; the slot, for the send. */
export function dropEntry<S extends { entries: CheckpointEntry[] }>(
  checkpoint: Pick<Checkpoint, 'entries'>,
  slot: S,
  entry: CheckpointEntry,
): S {
  checkpoint.entries.splice(checkpoint.entries.indexOf(entry), 1);
  slot.entries.splice(slot.entries.indexOf(entry), 1);
  return slot;
}
