/**
 * The run's ledger: what became of its rows and jobs as the send learns it. Failed rows are written
 * to their file before they are counted, submitted and finished jobs go into the checkpoint (saved
 * after each), and the stop their outcomes call for is latched. The send (send-files.ts) decides
 * when; this records it.
 */
import { ApiError } from '../../client/api-error.js';
import { recordsOf, type Batch } from '../send/batch.js';
import type { BatchOrigin, JobOutcome, MappedRowError, RunCounts, UploadEvent } from '../upload-events.js';
import { submittedEntry, type Checkpoint, type CheckpointEntry, type EntryOutcome } from './checkpoint.js';
import type { CheckpointWriter } from './checkpoint-writer.js';
import { FailedRowsFiles, type FailedSource } from './failed-rows-files.js';
import { assembleResult, outcomeOf, unconfirmedOutcome, type UploadResult } from './run-result.js';
import { RunTally } from './run-tally.js';
import { unconfirmedRowsOf } from './run-outcome.js';
import type { SettledJob } from '../settle/settle-job.js';
import {
  batchFailure,
  maxErrorsStop,
  outputStop,
  StopLatch,
  stopWithFinalCounts,
  type MaxErrors,
  type StopDecision,
} from './stop-policy.js';

export interface LedgerOptions {
  checkpoint: Checkpoint;
  /** Saves the checkpoint; absent for runs that cannot be resumed (a dry run). */
  checkpointWriter?: CheckpointWriter;
  failedRowsDir?: string;
  failedRowsClaims?: string;
  maxErrors?: MaxErrors;
  emit: (event: UploadEvent) => void;
  /** Jobs in flight now, for the counts' snapshot. */
  inFlight: () => number;
}

/** A failed row as the ledger records it: its error, and the record or raw text to write back out. */
export type FailedRow = { error: MappedRowError } & FailedSource;

export class RunLedger {
  readonly tally: RunTally;
  readonly counts: RunCounts;
  readonly failedRows: FailedRowsFiles;
  readonly stopLatch = new StopLatch();
  readonly submitted: UploadResult['submittedJobs'] = [];
  readonly notRead: UploadResult['notRead'] = [];
  /** Jobs this run saw finish, for the result; earlier runs' are in `earlier`. */
  private readonly sessionOutcomes: JobOutcome[] = [];
  private readonly earlier: CheckpointEntry[];
  private readonly checkpoint: Checkpoint;

  constructor(private readonly opts: LedgerOptions) {
    this.checkpoint = opts.checkpoint;
    this.failedRows = new FailedRowsFiles(opts.failedRowsDir, this.checkpoint.failed_rows, opts.failedRowsClaims);
    this.tally = RunTally.resuming(this.checkpoint);
    this.counts = this.tally.counts;
    this.earlier = this.checkpoint.entries.filter((e) => e.state === 'finished' && e.outcome);
  }

  emit(event: UploadEvent): void {
    this.opts.emit(event);
  }

  emitCounts(): void {
    this.emit({ type: 'counts', counts: this.tally.snapshot(this.opts.inFlight()) });
  }

  /** Whether the run stops. A checkpoint that cannot be saved stops it: going on would store rows no record names. */
  stopDecided(): boolean {
    const failure = this.opts.checkpointWriter?.failure();
    if (failure) this.stopLatch.set(outputStop(failure));
    return this.stopLatch.decision !== null;
  }

  save(): void {
    if (!this.opts.checkpointWriter) return;
    this.opts.checkpointWriter.request(() => {
      this.checkpoint.failed_rows = this.failedRows.checkpointState();
      return this.checkpoint;
    });
  }

  /** A job the server accepted: into the checkpoint (saved) and the run's list, and out as an event. */
  submittedEntry(origin: BatchOrigin, jobId: string, key: string, replayed: boolean): CheckpointEntry {
    const entry = submittedEntry(origin, jobId, key);
    this.checkpoint.entries.push(entry);
    this.save();
    const { file, batch, firstLine, lastLine } = origin;
    this.submitted.push({ jobId, batch, file, firstLine, lastLine });
    this.emit({ type: 'batch-submitted', origin, jobId, replayed });
    return entry;
  }

  finishEntry(entry: CheckpointEntry, outcome: EntryOutcome): void {
    entry.state = 'finished';
    entry.outcome = outcome;
    this.counts.stored += outcome.stored;
    this.counts.unprocessed += outcome.unprocessed;
    this.save();
    const finished = outcomeOf(entry);
    this.sessionOutcomes.push(finished);
    this.emit({ type: 'job-finished', outcome: finished });
    this.emitCounts();
  }

  /**
   * A batch the server has (or may have) whose fate is not known: counted unconfirmed, listed with
   * its job, and its checkpoint entry (if any) left for the resume to ask about again.
   */
  unconfirmed(
    batch: Batch,
    jobId: string,
    serverState: string | null,
    stop: StopDecision | null,
    jobErrors: string[] = stop ? [stop.message] : [],
  ): void {
    this.tally.unconfirmed(batch.origin.rows);
    const outcome = unconfirmedOutcome(batch.origin, jobId, serverState, jobErrors);
    this.sessionOutcomes.push(outcome);
    this.emit({ type: 'job-finished', outcome });
    this.stopLatch.set(stop);
    this.emitCounts();
  }

  /** A resume's batch with no job whose answer was lost, not sent again: its entry stays for the next. */
  stillUnanswered(batch: Batch, why: string): void {
    const { file, firstLine, lastLine, rows } = batch.origin;
    const message = `lines ${firstLine}-${lastLine} of ${file}: ${why}; ${unconfirmedRowsOf(rows)}`;
    this.unconfirmed(batch, '', null, { reason: 'unconfirmed', message });
  }

  /** A followed job's settlement, recorded: its failed rows written first, then its entry finished. */
  settled(batch: Batch, entry: CheckpointEntry, settled: SettledJob): void {
    // A job whose failed rows cannot all be recorded is not finished: its rows are unconfirmed, and
    // the resume re-attaches to it.
    if (!this.failed(settled.failedRows)) return this.unconfirmed(batch, entry.job_id ?? '', null, null);
    if (settled.unattributed) {
      // Its note is among the job's errors, which every reporter prints with the job.
      this.tally.failedUnattributed(settled.unattributed.rows, settled.unattributed.note);
      this.maxErrorsCheck();
    }
    this.finishEntry(entry, settled.outcome);
    this.stopLatch.set(settled.stop);
  }

  /** A batch handled at once by the server (no job): into the checkpoint as finished. */
  finishedAtOnce(entry: CheckpointEntry, outcome: EntryOutcome): void {
    this.checkpoint.entries.push(entry);
    this.finishEntry(entry, outcome);
  }

  /** A batch whose job could not be started or followed; `stopping`: the run was told to stop. */
  batchFailed(batch: Batch, err: unknown, stopping: boolean): void {
    if (!(err instanceof ApiError)) {
      if (!stopping) throw err;
      this.counts.unprocessed += batch.origin.rows;
      return;
    }
    const failure = batchFailure(err);
    const rows =
      failure.rows === 'failed'
        ? recordsOf(batch).map((record, i) => ({
            record,
            error: { file: batch.origin.file, line: batch.lines[i] ?? 0, reason: err.message },
          }))
        : null;
    if (failure.rows === 'unconfirmed') {
      const { file, firstLine, lastLine, rows: n } = batch.origin;
      const message = `lines ${firstLine}-${lastLine} of ${file}: ${err.message}; ${unconfirmedRowsOf(n)}`;
      return this.unanswered(batch, { reason: failure.stop?.reason ?? 'unconfirmed', message });
    }
    if (!rows || !this.failed(rows)) this.counts.unprocessed += batch.origin.rows;
    this.stopLatch.set(failure.stop);
  }

  /**
   * A batch sent whose answer was lost or could not be read, with no job to ask about: counted
   * unconfirmed, and into the checkpoint without a job id, so that a resume sends it again only
   * where that cannot store its rows twice (resendVerdict).
   */
  unanswered(batch: Batch, stop: StopDecision): void {
    this.checkpoint.entries.push(submittedEntry(batch.origin, null, ''));
    this.save();
    this.unconfirmed(batch, '', null, stop);
  }

  /**
   * Failed rows: written first, counted once all are on disk; a failed write (ENOSPC, EACCES, EIO)
   * stops the run and counts none.
   */
  failed(given: FailedRow[]): boolean {
    const rows = given.map((r) => ({ ...r, error: this.failedRows.withOrigin(r.error) }));
    if (!this.stopLatch.recorded(() => rows.forEach((r) => this.failedRows.write(r.error, r)))) return false;
    for (const { error } of rows) {
      this.counts.failed++;
      this.tally.keepError(error);
      this.emit({ type: 'row-rejected', error });
    }
    this.maxErrorsCheck();
    return true;
  }

  /** Applies --max-errors to the counts as they stand. */
  maxErrorsCheck(): void {
    this.stopLatch.set(maxErrorsStop(this.opts.maxErrors, this.counts.failed, this.counts.read));
  }

  /**
   * The last save and the last write; either can fail too, and the run then ends stopped on its last good checkpoint.
   */
  async close(finished: boolean): Promise<void> {
    this.checkpoint.finished = finished;
    this.save();
    await Promise.resolve(this.opts.checkpointWriter?.flush())
      .then(() => this.failedRows.close())
      .catch((err: unknown) => this.stopLatch.set(outputStop(err)));
  }

  /** The run's result, once its accounting is checked (before its counts are printed or returned). */
  result(): UploadResult {
    this.tally.checkBalance();
    this.emitCounts();
    const { tally, earlier, sessionOutcomes, notRead, submitted } = this;
    return assembleResult({
      tally,
      earlier,
      sessionOutcomes,
      notRead,
      submitted,
      failedRowsFiles: this.failedRows.paths(),
      stop: stopWithFinalCounts(this.stopLatch.decision, this.opts.maxErrors, this.counts),
    });
  }
}
