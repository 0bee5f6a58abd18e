// The run's tally: rows read, stored, failed, unprocessed and unconfirmed, the first row errors, and
// the live progress of jobs still running. A resumed run starts from what its checkpoint already settled.
import type { Checkpoint } from './checkpoint.js';
import type { MappedRowError, RunCounts } from '../upload-events.js';

const FIRST_ERRORS_KEPT = 100;

export class RunTally {
  readonly counts: RunCounts = {
    read: 0,
    stored: 0,
    failed: 0,
    unprocessed: 0,
    unconfirmed: 0,
    inFlight: 0,
    totalRows: null,
    bytesRead: 0,
    totalBytes: null,
  };
  /** The first row errors of the run, in the order found. */
  readonly firstErrors: MappedRowError[] = [];
  private unsettled = 0;
  private readonly live = new Map<string, { succeeded: number; failed: number }>();

  /** Counts what the checkpoint's finished entries and rejected rows already settled. */
  static resuming(checkpoint: Checkpoint): RunTally {
    const tally = new RunTally();
    // Rows an earlier run settled count as read now: reading may stop before it reaches them again.
    for (const entry of checkpoint.entries) {
      if (entry.state !== 'finished' || !entry.outcome) continue;
      tally.counts.read += entry.outcome.state === 'Job Complete' ? entry.rows : entry.outcome.processed;
      tally.counts.stored += entry.outcome.stored;
      tally.counts.failed += entry.outcome.failed;
      for (const e of entry.outcome.first_errors) tally.keepError(e);
      // Its unprocessed tail is read again and sent by this run.
      entry.outcome.unprocessed = 0;
    }
    for (const state of Object.values(checkpoint.failed_rows)) {
      tally.counts.read += state.rejected;
      tally.counts.failed += state.rejected;
    }
    return tally;
  }

  /** Rows the server counted as failed without naming them: one note stands for them all. */
  failedUnattributed(rows: number, note: MappedRowError): void {
    this.counts.failed += rows;
    this.keepError(note);
  }

  /**
   * Rows of a batch the server took (or may have taken) whose fate bulk could not learn. Never
   * stored, failed or unprocessed: a resume asks the server about them again before re-sending.
   */
  unconfirmed(rows: number): void {
    this.counts.unconfirmed += rows;
  }

  /** Rows read but not meant to be settled by this run: a dry run's, or jobs left to run (--no-wait). */
  notSettled(rows: number): void {
    this.unsettled += rows;
  }

  /**
   * Every row read is stored, failed, unprocessed or unconfirmed (or deliberately left unsettled).
   * Anything else is a bug in bulk: the run ends as an internal error rather than print counts that
   * lose rows.
   */
  checkBalance(): void {
    const { read, stored, failed, unprocessed, unconfirmed } = this.counts;
    if (read === stored + failed + unprocessed + unconfirmed + this.unsettled) return;
    const notSettled = this.unsettled ? ` + ${this.unsettled} not settled` : '';
    throw new Error(
      `the run's accounting does not add up: ${read} read ≠ ${stored} stored + ${failed} failed + ` +
        `${unprocessed} unprocessed + ${unconfirmed} unconfirmed${notSettled}`,
    );
  }

  keepError(error: MappedRowError): void {
    if (this.firstErrors.length < FIRST_ERRORS_KEPT) this.firstErrors.push(error);
  }

  /**
   * A job's counts so far, shown live until the job is settled. Shown only, never counted: a job's
   * rows are counted once its final answer is reconciled, so a count beyond the batch is cut here.
   */
  setLive(jobId: string, status: { success_count?: unknown; error_count?: unknown }, rows: number): void {
    this.live.set(jobId, {
      succeeded: clampCount(status.success_count, rows),
      failed: clampCount(status.error_count, rows),
    });
  }

  endLive(jobId: string): void {
    this.live.delete(jobId);
  }

  /** Settled counts plus live ones of jobs still running. */
  snapshot(inFlight: number): RunCounts {
    let liveStored = 0;
    let liveFailed = 0;
    for (const p of this.live.values()) {
      liveStored += p.succeeded;
      liveFailed += p.failed;
    }
    return {
      ...this.counts,
      stored: this.counts.stored + liveStored,
      failed: this.counts.failed + liveFailed,
      inFlight,
    };
  }
}

function clampCount(value: unknown, rows: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? Math.min(rows, Math.max(0, Math.floor(value))) : 0;
}
