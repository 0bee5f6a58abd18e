/**
 * Runs queued jobs, fairly between owners: each owner (token) with work gets a lane of its own, up
 * to `lanes` at once, and lanes take turns chunk by chunk, so one token's burst never holds
 * another's job behind it. A lane that loses the database lets its job go and claims it again
 * after a bounded backoff; the job continues from its last committed chunk and never fails for it.
 */
import { RateHistory } from '../observe/rate-history.js';
import type { JobEvents } from '../job-events.js';
import type { ServerLogger } from '../observe/server-log.js';
import type { ServerMetrics } from '../observe/server-metrics.js';
import type { ResourceDef } from '../../resources/resource-types.js';
import { isStoreTransient } from '../store/store-errors.js';
import { DEFAULT_LEASE_MS, type JobStore } from '../store/store.js';
import { runJob, type RunnerDeps } from './job-runner.js';
import type { RecordSource } from '../records/json-records.js';
import { AtOnce } from './run-at-once.js';
import { backoffMs, laneWorkerId } from './lane-ids.js';

export { backoffMs, laneWorkerId };

export interface WorkerOptions {
  store: JobStore;
  resources: Map<string, ResourceDef>;
  events: JobEvents;
  log: ServerLogger;
  metrics?: ServerMetrics;
  /** Records per transaction, fixed. Absent: sized from the measured speed (see {@link JobWorker.chunkRows}). */
  chunkSize?: number;
  /** Owners whose jobs run side by side. @default 4 */
  lanes?: number;
  /** How long a lease lasts; the heartbeat renews it three times as often. @default DEFAULT_LEASE_MS */
  leaseMs?: number;
  /**
   * Awaited at every chunk boundary, before the worker looks for an abort and takes the next
   * chunk. A seam for tests (hold a job mid-way) and embedders (throttling); absent, no cost.
   */
  beforeChunk?: (job: { id: string; processedItems: number }) => Promise<void> | void;
}

export class JobWorker {
  /** Measured throughput, for estimates and chunk sizes. */
  rowsPerSecond = 20_000;
  /** Rows per 5 s per token over the last minutes (the jobs page's chart). */
  readonly rates = new RateHistory();
  private stopping = false;
  private running: Promise<void> | null = null;
  private readonly sleepers = new Set<() => void>();
  private readonly lanes = new Map<string, Promise<void>>();
  /** Owners with work but no lane (all lanes busy): a lane ends after its job so they get a turn. */
  private waiting = false;
  /**
   * Records the HTTP side already parsed, so the worker need not load and parse the stored body again; with their owner
   * and when they were kept.
   */
  private readonly parsed = new Map<string, { records: RecordSource; owner: string; keptAt: number }>();
  /** Incremented per kept source: orders keeps against a lane's claims without a clock. */
  private keeps = 0;
  private heldBytes = 0;
  private readonly atOnce: AtOnce;
  /** Owners whose lane is backing off after a store error. */
  private readonly storeWaits = new Set<string>();
  private readonly deps: RunnerDeps;

  constructor(private readonly opts: WorkerOptions) {
    this.deps = {
      store: opts.store,
      resources: opts.resources,
      events: opts.events,
      log: opts.log,
      metrics: opts.metrics,
      beforeChunk: opts.beforeChunk,
      heartbeatMs: Math.max(100, Math.floor((opts.leaseMs ?? DEFAULT_LEASE_MS) / 3)),
      chunkRows: () => this.chunkRows(),
      measured: (size, seconds, owner) => {
        this.rates.note(owner, size);
        // A tiny chunk (the tail of a job, a 3-row job) is mostly commit cost: it would drag the estimate down.
        if (seconds > 0 && size >= MIN_CHUNK_ROWS) {
          this.rowsPerSecond = Math.round(0.8 * this.rowsPerSecond + 0.2 * (size / seconds));
          this.atOnce.timed = true;
        }
      },
      stopping: () => this.stopping,
      takeRecords: (id) => this.takeParsed(id),
      keepRecords: (id, records, owner) => this.keep(id, records, owner),
    };
    this.atOnce = new AtOnce(this.deps, opts);
  }

  start(): void {
    this.running ??= this.dispatch();
  }

  /** A new job arrived: stop waiting. With its parsed records, when memory allows. */
  notify(jobId?: string, records?: RecordSource, owner = ''): void {
    if (jobId && records) this.keep(jobId, records, owner);
    this.wake();
  }

  /** A job ended without running (aborted while queued): drop the records held for it. */
  forget(jobId: string): void {
    this.takeParsed(jobId);
  }

  /** Whether a new job of `items` records can run at once, in the request that brings it (run-at-once.ts). */
  takesAtOnce(items: number): boolean {
    return !this.stopping && this.atOnce.takes(items, this.lanes.size, this.chunkRows());
  }

  runAtOnce(...args: Parameters<AtOnce['run']>): Promise<void> {
    return this.atOnce.run(...args);
  }

  /** Finishes the chunk in hand in every lane, then stops. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake();
    await this.running;
  }

  /**
   * Rows for the next chunk: about {@link CHUNK_TARGET_MS} of work at the measured speed. Each
   * commit costs a WAL write and an fsync, so small chunks spend much of the server's time
   * committing; a tenth of a second per chunk still moves a progress bar smoothly and answers an
   * abort at once.
   */
  private chunkRows(): number {
    if (this.opts.chunkSize !== undefined) return this.opts.chunkSize;
    return Math.max(
      MIN_CHUNK_ROWS,
      Math.min(MAX_CHUNK_ROWS, Math.round((this.rowsPerSecond * CHUNK_TARGET_MS) / 1000)),
    );
  }

  private keep(jobId: string, records: RecordSource, owner: string): void {
    if (this.parsed.has(jobId) || this.heldBytes + records.heldBytes > MAX_HELD_BYTES) return;
    this.parsed.set(jobId, { records, owner, keptAt: ++this.keeps });
    this.heldBytes += records.heldBytes;
    this.showHeld();
  }

  private showHeld(): void {
    this.opts.metrics?.heldJobs.set(this.parsed.size);
    this.opts.metrics?.heldBytes.set(this.heldBytes);
  }

  private takeParsed(jobId: string): RecordSource | undefined {
    const held = this.parsed.get(jobId);
    if (held) {
      this.parsed.delete(jobId);
      this.heldBytes -= held.records.heldBytes;
      this.showHeld();
    }
    return held?.records;
  }

  /**
   * Records of an owner's jobs kept up to `upTo`, dropped once this node has no claimable job of that
   * owner: those jobs ended without running here (aborted from another node) or went to another
   * node after their lease lapsed. Kept, they would hold the budget for good.
   */
  private dropHeld(owner: string, upTo: number): void {
    for (const [id, held] of this.parsed) if (held.owner === owner && held.keptAt <= upTo) this.takeParsed(id);
  }

  /** Finds owners with work and gives each a lane, while lanes are free. */
  private async dispatch(): Promise<void> {
    let failures = 0;
    const maxLanes = this.opts.lanes ?? 4;
    while (!this.stopping) {
      let owners: string[] = [];
      try {
        owners = await this.opts.store.claimableOwners();
        failures = 0;
      } catch (err) {
        failures++;
        // Store health logs the outage once; this is the detail of each try.
        this.opts.log.debug({ err: (err as Error).message, failures }, 'worker could not read the queue');
        await this.pause(backoffMs(failures));
        continue;
      }
      const idle = owners.filter((o) => !this.lanes.has(o));
      this.waiting = idle.length > 0 && this.lanes.size + idle.length > maxLanes;
      for (const owner of idle) {
        if (this.lanes.size >= maxLanes) break;
        const lane = this.lane(owner).finally(() => {
          this.lanes.delete(owner);
          this.storeWaits.delete(owner);
          this.wake();
        });
        this.lanes.set(owner, lane);
      }
      await this.pause(IDLE_POLL_MS);
    }
    await Promise.all(this.lanes.values());
  }

  /** One owner's jobs, one at a time, oldest first. */
  private async lane(owner: string): Promise<void> {
    const workerId = laneWorkerId(owner);
    let failures = 0;
    while (!this.stopping) {
      let outcome;
      try {
        const keptBefore = this.keeps;
        const job = await this.opts.store.claimNext(workerId, owner);
        if (!job) {
          this.dropHeld(owner, keptBefore);
          return;
        }
        // A node that died or stalled with the job claimed (running or not yet started) is trouble; a
        // graceful release (a rolling restart) is not, and has its own line, never the takeover alert.
        if (job.takenOverFrom) {
          this.opts.metrics?.takeovers.inc();
          this.opts.log.warn(
            { job_id: job.id, from_node: job.takenOverFrom, state: job.state, processed: job.processedItems },
            'job taken over',
          );
        } else if (job.handedOverFrom)
          this.opts.log.info(
            { job_id: job.id, from_node: job.handedOverFrom, processed: job.processedItems },
            'job handed over',
          );
        this.opts.log.info(
          {
            job_id: job.id,
            owner,
            resource: job.resource,
            job_type: job.jobType,
            items: job.totalItems,
            processed: job.processedItems,
          },
          'job claimed',
        );
        outcome = await runJob(this.deps, job, workerId);
      } catch (err) {
        if (!isStoreTransient(err)) {
          this.opts.log.error({ err: err as Error, owner }, 'worker lane failed');
          return;
        }
        outcome = 'store-error';
      }
      if (outcome === 'store-error') {
        failures++;
        this.storeWaits.add(owner);
        // Store health logs the outage once at warn and its end at info; each retry is detail.
        this.opts.log.debug(
          { owner, failures },
          'database busy or unavailable; the job continues from its last committed chunk once it is back',
        );
        await this.pause(backoffMs(failures));
      } else {
        failures = 0;
        this.storeWaits.delete(owner);
        if (this.waiting) return;
      }
    }
  }

  /** Whether a lane is waiting to retry after a store error (its retries show when the store writes again). */
  waitingOnStore(): boolean {
    return this.storeWaits.size > 0;
  }

  private async pause(ms: number): Promise<void> {
    if (this.stopping) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.sleepers.add(done);
    });
  }

  /** Every lane and the dispatcher that is waiting looks again now. */
  private wake(): void {
    for (const done of [...this.sleepers]) done();
  }
}

/** How long one chunk's transaction should take when the size is not fixed. */
const CHUNK_TARGET_MS = 100;
const MIN_CHUNK_ROWS = 500;
const MAX_CHUNK_ROWS = 20_000;
/** Parsed records held for queued jobs, across all of them (beyond it, a job reads its stored body). */
const MAX_HELD_BYTES = 128 * 1024 * 1024;
/** How often an idle worker looks for work (a new job on this node wakes it at once). */
const IDLE_POLL_MS = 500;
