import type { BatchOrigin, MappedRowError } from '../upload/upload-events.js';

/** Rows rejected before reaching a job (unparseable, or a batch the server refused) shown as they happen. */
export const REJECTED_SHOWN = 5;

/**
 * Decides which `row-rejected` events to print. A job's own record errors also arrive as
 * `row-rejected`, just before its `job-finished`, and are shown under the job's line: those are
 * the ones inside a batch that was submitted and has not finished yet. The rest (parse errors,
 * refused batches) have no job line to hang from: the first few are printed as they come.
 */
export class RejectedRows {
  private readonly running = new Map<string, BatchOrigin>();
  private shown = 0;

  submitted(jobId: string, origin: BatchOrigin): void {
    this.running.set(jobId, origin);
  }

  finished(jobId: string): void {
    this.running.delete(jobId);
  }

  /** `show` it, `note` that more go to the file (once), or `skip` it. */
  admit(e: MappedRowError): 'show' | 'note' | 'skip' {
    for (const o of this.running.values()) if (o.file === e.file && e.line >= o.firstLine && e.line <= o.lastLine) return 'skip';
    this.shown++;
    if (this.shown <= REJECTED_SHOWN) return 'show';
    return this.shown === REJECTED_SHOWN + 1 ? 'note' : 'skip';
  }
}
