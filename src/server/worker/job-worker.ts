import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { RecordError } from '../../protocol/index.js';
import { AggregateAccumulator } from '../resources/aggregates.js';
import type { ResourceDef, SqlValue } from '../resources/resource-types.js';
import { validateRecord } from '../resources/validate-record.js';
import type { JobEvents } from '../job-events.js';
import { nowIso } from '../clock.js';
import { ABORTED, LeaseLostError, type JobRecord, type JobStore } from '../store/store.js';

export interface WorkerOptions {
  store: JobStore;
  resources: Map<string, ResourceDef>;
  events: JobEvents;
  /** Records per transaction, fixed. Absent: sized from the measured speed (see {@link chunkRows}). */
  chunkSize?: number;
  log?: (line: string) => void;
  workerId?: string;
  /**
   * Awaited at every chunk boundary, before the worker looks for an abort and takes the next
   * chunk. A seam for tests (hold a job mid-way) and embedders (throttling); absent, no cost.
   */
  beforeChunk?: (job: { id: string; processedItems: number }) => Promise<void> | void;
}

/**
 * Runs queued jobs one at a time, in order of arrival. Each chunk of records commits together with
 * the job's progress and aggregate state, so a restart resumes exactly where the data is.
 */
export class JobWorker {
  private stopping = false;
  private running: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private readonly chunkSize: number | undefined;
  /** Measured throughput, for estimates and chunk sizes. */
  rowsPerSecond = 20_000;
  /** Records the HTTP side already parsed, so the worker need not parse the stored body again. */
  private readonly parsed = new Map<string, unknown[]>();
  private parsedRecords = 0;

  constructor(private readonly opts: WorkerOptions) {
    this.chunkSize = opts.chunkSize;
  }

  start(): void {
    this.running ??= this.loop();
  }

  /** A new job arrived: stop waiting. With its parsed records, when memory allows. */
  notify(jobId?: string, records?: unknown[]): void {
    if (jobId && records && this.parsedRecords + records.length <= 500_000) {
      this.parsed.set(jobId, records);
      this.parsedRecords += records.length;
    }
    this.wake?.();
  }

  /** A job ended without running (aborted while queued): drop the records held for it. */
  forget(jobId: string): void {
    this.takeParsed(jobId);
  }

  private takeParsed(jobId: string): unknown[] | undefined {
    const records = this.parsed.get(jobId);
    if (records) {
      this.parsed.delete(jobId);
      this.parsedRecords -= records.length;
    }
    return records;
  }

  /**
   * Rows for the next chunk: about {@link CHUNK_TARGET_MS} of work at the measured speed. Each
   * commit costs a WAL write and an fsync, and 1000-row chunks spent a sixth of the server's time
   * committing; a tenth of a second per chunk still moves a progress bar smoothly and answers an
   * abort at once.
   */
  private chunkRows(): number {
    if (this.chunkSize !== undefined) return this.chunkSize;
    return Math.max(MIN_CHUNK_ROWS, Math.min(MAX_CHUNK_ROWS, Math.round((this.rowsPerSecond * CHUNK_TARGET_MS) / 1000)));
  }

  /** Finishes the chunk in hand, then stops. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.notify();
    await this.running;
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      let job: JobRecord | null = null;
      try {
        job = await this.opts.store.claimNext(this.opts.workerId ?? 'local');
      } catch (err) {
        this.opts.log?.(JSON.stringify({ level: 'error', msg: 'worker could not read the queue', error: (err as Error).message }));
      }
      if (!job) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 500);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wake = null;
        continue;
      }
      await this.run(job);
    }
  }

  private async run(job: JobRecord): Promise<void> {
    const { store, events } = this.opts;
    const resource = this.opts.resources.get(job.resource);
    try {
      if (!resource) throw new Error(`resource ${job.resource} is no longer configured`);
      let starting = job.state === 'Open';
      const records = this.takeParsed(job.id) ?? (JSON.parse(await store.loadPayload(job.id)) as unknown[]);
      const agg = new AggregateAccumulator(resource, job.aggState ?? undefined);
      const validate = recordValidator(resource, job);
      let processed = job.processedItems;
      if (processed >= records.length) {
        await store.finishJob(job.id, { state: 'Job Complete', now: nowIso(), aggregates: agg.resultsJson(), jobErrors: null });
        events.changed(job.id);
        return;
      }
      while (processed < records.length) {
        if (this.stopping) return;
        await this.opts.beforeChunk?.({ id: job.id, processedItems: processed });
        if (this.stopping) return;
        if (await store.isAbortRequested(job.id)) {
          // The records already stored keep their results, and their aggregates.
          await store.finishJob(job.id, { state: 'Aborted', now: nowIso(), aggregates: agg.resultsJson(), jobErrors: [ABORTED] });
          events.changed(job.id);
          return;
        }
        const started = performance.now();
        const end = Math.min(records.length, processed + this.chunkRows());
        const rows: { index: number; values: SqlValue[] }[] = [];
        const invalid: RecordError[] = [];
        for (let i = processed; i < end; i++) {
          const v = validate(records[i]);
          if (v.ok) rows.push({ index: i, values: v.values });
          else invalid.push(v.field ? { index: i, field: v.field, error: v.error } : { index: i, error: v.error });
        }
        const size = end - processed;
        const storedBefore = agg.state.stored;
        await store.commitChunk({
          job,
          resource,
          rows,
          invalid,
          size,
          onStored: (values) => agg.addStored(values),
          aggState: () => {
            agg.addProcessed(size, size - (agg.state.stored - storedBefore));
            return agg.snapshot();
          },
          now: nowIso(),
          start: starting,
          finish: end === records.length ? () => agg.resultsJson() : undefined,
          workerId: this.opts.workerId ?? 'local',
        });
        starting = false;
        processed = end;
        const seconds = (performance.now() - started) / 1000;
        // A tiny chunk (the tail of a job, a 3-row job) is mostly commit cost: it would drag the estimate down.
        if (seconds > 0 && size >= MIN_CHUNK_ROWS) this.rowsPerSecond = Math.round(0.8 * this.rowsPerSecond + 0.2 * (size / seconds));
        events.changed(job.id);
        await yieldToLoop();
      }
    } catch (err) {
      if (err instanceof LeaseLostError) {
        // Another node holds the job now (this one was too slow, or paused): its chunk rolled back; drop the job.
        this.opts.log?.(JSON.stringify({ level: 'warn', msg: 'job taken over by another node', job_id: job.id, error: err.message }));
        return;
      }
      const error = err as Error;
      this.opts.log?.(JSON.stringify({ level: 'error', msg: 'job failed', job_id: job.id, error: error.message }));
      try {
        await store.finishJob(job.id, { state: 'Failed', now: nowIso(), aggregates: null, jobErrors: [`Job could not finish: ${error.message}`] });
      } catch (again) {
        // The store itself is failing: leave the job as it is; it resumes when the store is back.
        this.opts.log?.(JSON.stringify({ level: 'error', msg: 'could not record the failure', job_id: job.id, error: (again as Error).message }));
        await new Promise((r) => setTimeout(r, 1000));
      }
      events.changed(job.id);
    }
  }
}

/** How long one chunk's transaction should take when the size is not fixed. */
const CHUNK_TARGET_MS = 100;
const MIN_CHUNK_ROWS = 500;
const MAX_CHUNK_ROWS = 20_000;

type Validate = (record: unknown) => ReturnType<typeof validateRecord>;

/**
 * How a job checks its records, decided once per job. An upsert's key fields are required (a
 * record without its key could match nothing and would be inserted as a near-duplicate); a
 * delete's records need only their key.
 */
export function recordValidator(resource: ResourceDef, job: Pick<JobRecord, 'jobType' | 'uniqueFields'>): Validate {
  const fieldNames = new Set(resource.fields.map((f) => f.name));
  if (job.jobType === 'insert') return (record) => validateRecord(resource, fieldNames, record);
  const keys = new Set(job.uniqueFields ?? []);
  const keyed: ResourceDef = { ...resource, fields: resource.fields.map((f) => (keys.has(f.name) ? { ...f, required: true } : f)) };
  if (job.jobType === 'upsert') return (record) => validateRecord(keyed, fieldNames, record);
  const keyOnly: ResourceDef = { ...keyed, fields: keyed.fields.map((f) => (keys.has(f.name) ? f : { ...f, required: false })) };
  return (record) => {
    if (!record || typeof record !== 'object' || Array.isArray(record)) return { ok: false, error: 'must be a JSON object' };
    const obj = record as Record<string, unknown>;
    const partial: Record<string, unknown> = {};
    for (const k of keys) partial[k] = obj[k];
    return validateRecord(keyOnly, fieldNames, partial);
  };
}
