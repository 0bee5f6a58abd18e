/**
 * The Prometheus series of one server instance (its own Registry, so two servers in one process
 * never mix counts). Counters move where things happen; job and queue gauges are read from the
 * store when scraped, so every node reports the whole database the same way.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { JOB_STATES } from '../../protocol/index.js';
import { isStoreTransient, StoreBusyError } from '../store/store-errors.js';
import type { JobCount } from '../store/store.js';

/** The `kind` label of bulk_store_errors_total. */
export const STORE_ERROR_KINDS = ['busy', 'unavailable', 'disk_full', 'read_only'] as const;

export class ServerMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'bulk_http_requests_total',
    help: 'HTTP requests answered, by route, method and status',
    labelNames: ['route', 'method', 'status'],
    registers: [this.registry],
  });
  readonly requestSeconds = new Histogram({
    name: 'bulk_http_request_duration_seconds',
    help: 'Time to answer an HTTP request (event streams: until they end)',
    labelNames: ['route'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly jobs = new Gauge({
    name: 'bulk_jobs',
    help: 'Jobs in the database, by state',
    labelNames: ['state'],
    registers: [this.registry],
  });
  readonly queueDepth = new Gauge({
    name: 'bulk_queue_depth',
    help: 'Open and running jobs, by the token (name) that made them',
    labelNames: ['token'],
    registers: [this.registry],
  });
  readonly rowsStored = new Counter({
    name: 'bulk_rows_stored_total',
    help: 'Records this node stored',
    registers: [this.registry],
  });
  readonly rowsFailed = new Counter({
    name: 'bulk_rows_failed_total',
    help: 'Records this node refused (invalid, duplicate, no such key)',
    registers: [this.registry],
  });
  readonly chunkSeconds = new Histogram({
    name: 'bulk_chunk_commit_seconds',
    help: 'Time to validate and commit one chunk of a job',
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly storeErrors = new Counter({
    name: 'bulk_store_errors_total',
    help: 'Store calls that failed, by kind (busy: locked; unavailable; disk_full; read_only)',
    labelNames: ['kind'],
    registers: [this.registry],
  });
  readonly storeWritable = new Gauge({
    name: 'bulk_store_writable',
    help: '1 while the store writes, 0 from its first failed call until a write succeeds again',
    registers: [this.registry],
  });
  readonly heldJobs = new Gauge({
    name: 'bulk_held_job_bodies',
    help: 'Queued jobs whose parsed records this node holds in memory (it runs them without reloading their bodies)',
    registers: [this.registry],
  });
  readonly heldBytes = new Gauge({
    name: 'bulk_held_job_bytes',
    help: 'Approximate memory those held records take (bounded by the worker)',
    registers: [this.registry],
  });
  readonly takeovers = new Counter({
    name: 'bulk_lease_takeovers_total',
    help: 'Jobs this node took over from a node (or an earlier run of itself) that stopped without letting them go',
    registers: [this.registry],
  });
  readonly releases = new Counter({
    name: 'bulk_lease_releases_total',
    help: 'Unfinished jobs this node let go on a graceful stop, for another node (or its next run) to continue',
    registers: [this.registry],
  });

  constructor(defaults = true) {
    // Present at 0 from the start: an alert on rate() or on a missing series needs a sample before the first error.
    for (const kind of STORE_ERROR_KINDS) this.storeErrors.inc({ kind }, 0);
    // Process memory, CPU and event-loop lag: what an operator looks at first when a node misbehaves.
    if (defaults) collectDefaultMetrics({ register: this.registry, prefix: 'bulk_' });
  }

  storeError(err: unknown): void {
    this.storeErrors.inc({ kind: storeErrorKind(err) });
  }

  /**
   * Sets the job gauges from one count by state and owner; every state appears, zero or not, and
   * every configured token's queue (`-` without tokens), so a quiet tenant reads 0, not nothing.
   */
  setJobCounts(counts: JobCount[], tokenNames: readonly string[] = []): void {
    this.jobs.reset();
    this.queueDepth.reset();
    for (const state of JOB_STATES) this.jobs.set({ state }, 0);
    for (const token of tokenNames.length > 0 ? tokenNames : ['-']) this.queueDepth.set({ token }, 0);
    for (const c of counts) {
      this.jobs.inc({ state: c.state }, c.n);
      if (c.state === 'Open' || c.state === 'In Progress') this.queueDepth.inc({ token: c.owner || '-' }, c.n);
    }
  }
}

function storeErrorKind(err: unknown): (typeof STORE_ERROR_KINDS)[number] | 'other' {
  if (err instanceof StoreBusyError) return 'busy';
  if (!isStoreTransient(err)) return 'other';
  return err.trouble === 'disk-full' ? 'disk_full' : err.trouble === 'read-only' ? 'read_only' : 'unavailable';
}
