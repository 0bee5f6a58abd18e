/**
 * A job that cannot move because its server's store cannot write (a full disk, a read-only
 * database: the status says so in `store_trouble`) is a failing server, bounded like any failing
 * request by --deadline: once the server has said so for that long, the watch gives up with the
 * reason, and the job's rows stay unprocessed for a resume (the job itself continues on the server
 * once it can write, and the resume re-attaches to it).
 */
import { storeTroubleText, type StatusResponse } from '../../protocol/index.js';
import { ApiError } from '../../client/api-error.js';

export class StoreStall {
  private since: number | null = null;

  constructor(
    private readonly jobId: string,
    private readonly limitMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether the last status said the server cannot write. */
  get troubled(): boolean {
    return this.since !== null;
  }

  /** Notes a status; throws once the server has said for `limitMs` that it cannot write. */
  see(status: StatusResponse): void {
    const trouble = typeof status.store_trouble === 'string' ? status.store_trouble : null;
    if (trouble === null) {
      this.since = null;
      return;
    }
    this.since ??= this.now();
    const waited = this.now() - this.since;
    if (waited >= this.limitMs)
      throw new ApiError(
        'unreachable',
        `job ${this.jobId}: ${storeTroubleText(trouble)}; the job made no progress for ` +
          `${Math.round(waited / 1000)} s (--deadline) and continues on the server once it can write`,
      );
  }
}
