// Which batch each job id of a run belongs to: the one place a start response becomes a job of this
// run. A server that answers one job id for two different batches has conflated them, and counting
// that job for both would count rows it never stored; an idempotent replay of the same batch (the
// same file and lines, under the same key) legitimately answers the same id again.
import { ApiError } from '../../client/api-error.js';
import type { CheckpointEntry } from './checkpoint.js';

interface Claim {
  file: string;
  firstLine: number;
  lastLine: number;
}

const sameBatch = (a: Claim, b: Claim) => a.file === b.file && a.firstLine === b.firstLine && a.lastLine === b.lastLine;
const describe = (c: Claim) => `lines ${c.firstLine}-${c.lastLine} of ${c.file}`;

export class JobClaims {
  private readonly owners = new Map<string, Claim>();
  /** Ids answered for two batches: nothing the server says about them is trusted, for either batch. */
  private readonly conflicts = new Set<string>();

  /** The claims of a checkpoint's entries, folded ones included: a resume holds the run's earlier jobs to them. */
  constructor(entries: readonly CheckpointEntry[]) {
    for (const e of entries) {
      if (e.jobs)
        for (const [jobId, , firstLine, lastLine] of e.jobs)
          this.owners.set(jobId, { file: e.file, firstLine, lastLine });
      else if (e.job_id) this.owners.set(e.job_id, { file: e.file, firstLine: e.first_line, lastLine: e.last_line });
    }
  }

  /** Claims `jobId` for the batch; an ApiError('protocol') when the id already belongs to another batch of the run. */
  claim(jobId: string, batch: Claim): void {
    const owner = this.owners.get(jobId);
    if (owner && !sameBatch(owner, batch)) {
      this.conflicts.add(jobId);
      throw new ApiError(
        'protocol',
        `the server answered job id ${jobId} for ${describe(batch)}, ` +
          `but that id is already the job of ${describe(owner)}: ` +
          `a job id belongs to one batch; the rows of both are unconfirmed`,
      );
    }
    this.owners.set(jobId, batch);
  }

  /** Whether `jobId` was answered for two batches of the run. */
  conflicted(jobId: string): boolean {
    return this.conflicts.has(jobId);
  }
}
