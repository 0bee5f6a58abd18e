/**
 * A job run in the request that brings it, when its node can take it at once: its records are
 * checked and written, and the job created and ended, in one transaction (store.createAndRun).
 * The body is never stored and read back, so each row is parsed once and written once. The 202
 * is the guide's; the job is `Job Complete` at its first status. A crash before the commit
 * leaves nothing, and the client's keyed retry sends the job again.
 */
import { nowIso } from '../clock.js';
import type { RecordSource } from '../records/json-records.js';
import { AggregateAccumulator } from '../resources/aggregates.js';
import type { JobRecord, NewJob } from '../store/store.js';
import type { RunnerDeps } from './job-runner.js';
import { validatedChunk } from './job-runner.js';
import { columnValidator, recordValidator } from './record-validator.js';
import { isCsvSource } from '../records/csv-records.js';

export type AtOnceDeps = Pick<RunnerDeps, 'store' | 'resources' | 'events' | 'log' | 'metrics' | 'measured'>;

/** The most rows a job run at once may have once the node knows its speed, whatever a chunk holds. */
const AT_ONCE_ROWS = 10_000;

/** When a node takes a job at once, and the jobs it is running so (each takes a lane's place). */
export class AtOnce {
  private running = 0;
  /** Whether a chunk of a useful size has been timed (the node's speed is a guess before). */
  timed = false;

  constructor(
    private readonly deps: AtOnceDeps,
    private readonly opts: { lanes?: number; chunkSize?: number; beforeChunk?: unknown },
  ) {}

  /**
   * A job of `items` records, whose owner has no job waiting (the caller checks): taken when a
   * lane is free, nothing holds jobs at chunk boundaries (`beforeChunk`: tests, throttling), and
   * it is no bigger than a chunk; once the node has timed one, a client's batch (5,000 rows by
   * default) up to AT_ONCE_ROWS too.
   */
  takes(items: number, lanesBusy: number, chunkRows: number): boolean {
    const most = this.opts.chunkSize ?? (this.timed ? Math.max(chunkRows, AT_ONCE_ROWS) : chunkRows);
    return lanesBusy + this.running < (this.opts.lanes ?? 4) && !this.opts.beforeChunk && items <= most;
  }

  /** Runs the job whole in one transaction; throws, with nothing committed, where that fails. */
  async run(
    job: NewJob,
    records: RecordSource,
    idempotency: { key: string; hash: string; response: string } | undefined,
  ): Promise<void> {
    this.running++;
    try {
      await runAtOnce(this.deps, job, records, idempotency);
    } finally {
      this.running--;
    }
  }
}

/** The job as a worker would have claimed it: Open, nothing processed, on this node. */
function asClaimed(job: NewJob, node: string): JobRecord {
  return {
    ...job,
    seq: 0,
    state: 'Open',
    processedItems: 0,
    successCount: 0,
    errorCount: 0,
    updatedAt: job.createdAt,
    startedAt: null,
    completedAt: null,
    abortRequested: false,
    aggState: null,
    aggregates: null,
    jobErrors: null,
    node,
    awaitingTakeover: false,
  };
}

/** Creates and runs the job whole; throws what createAndRun throws, with nothing committed. */
export async function runAtOnce(
  deps: AtOnceDeps,
  job: NewJob,
  records: RecordSource,
  idempotency: { key: string; hash: string; response: string } | undefined,
): Promise<void> {
  const started = performance.now();
  const resource = deps.resources.get(job.resource);
  if (!resource) throw new Error(`resource ${job.resource} is not configured`);
  const claimed = asClaimed(job, deps.store.nodeId);
  const agg = new AggregateAccumulator(resource);
  const byColumn = isCsvSource(records) ? columnValidator(resource, claimed, records.columns) : null;
  const { rows, invalid } = validatedChunk(records, recordValidator(resource, claimed), 0, records.length, byColumn);
  const size = records.length;
  const result = await deps.store.createAndRun(
    job,
    {
      job: claimed,
      resource,
      rows,
      invalid,
      size,
      onStored: (values) => agg.addStored(values),
      aggState: () => {
        agg.addProcessed(size, size - agg.state.stored);
        return agg.snapshot();
      },
      now: nowIso(),
      start: true,
      finish: () => agg.resultsJson(),
      workerId: job.runner,
    },
    idempotency,
  );
  const seconds = (performance.now() - started) / 1000;
  deps.measured(size, seconds, job.owner);
  deps.metrics?.chunkSeconds.observe(seconds);
  deps.metrics?.rowsStored.inc(result.stored);
  deps.metrics?.rowsFailed.inc(result.errors.length);
  deps.log
    .child({ job_id: job.id })
    .info(
      { state: 'Job Complete', items: size, stored: result.stored, seconds: Math.round(seconds * 1000) / 1000 },
      'job finished',
    );
}
