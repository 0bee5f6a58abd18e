// Which batch each job id of a run belongs to: the one place a start response becomes a job of this
// run. A server that answers one job id for two different batches has conflated them, and counting
// that job for both would count rows it never stored; an idempotent replay of the same batch (the
// same file and lines, under the same key) legitimately answers the same id again. The first
// answer to arrive is not the first job made: a start still in flight when an id was claimed (its
// answer lost and retried, say) may be the batch the server made that id for, so an id is one
// batch's only once every start that was in flight at its claim has been answered.
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
  /** Start requests not yet answered (or given up). */
  private readonly inFlight = new Set<Promise<unknown>>();
  /** Per claimed id, the starts that were in flight when it was claimed. */
  private readonly contenders = new Map<string, Promise<unknown>[]>();

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
    if (this.inFlight.size > 0) this.contenders.set(jobId, [...this.inFlight]);
  }

  /** Holds a start request as in flight until it is answered or given up. */
  starting<T>(start: Promise<T>): Promise<T> {
    const done = start.then(
      () => undefined,
      () => undefined,
    );
    this.inFlight.add(done);
    void done.then(() => this.inFlight.delete(done));
    return start;
  }

  /**
   * Whether `jobId` was answered for two batches of the run, known once every start that was in
   * flight at its claim has been answered (each is bounded by the client's timeouts).
   */
  async disputed(jobId: string): Promise<boolean> {
    const contenders = this.contenders.get(jobId);
    if (contenders?.length) {
      await Promise.all(contenders);
      // An answered start claims its id in the microtasks right after its answer: let them run.
      await new Promise((resolve) => setImmediate(resolve));
    }
    this.contenders.delete(jobId);
    return this.conflicts.has(jobId);
  }
}
