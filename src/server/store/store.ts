/** The job store interface both databases implement, and the records it deals in. */
import type { JobState, JobType, RecordError } from '../../protocol/index.js';
import type { AggregateState } from '../resources/aggregates.js';
import type { ResourceDef, SqlValue } from '../../resources/resource-types.js';
import type { JobSource } from '../../protocol/job-source.js';
import type { ErrorCursor, ReasonCount, RunCursor, RunErrorRecord, RunRecord } from './run-records.js';

export interface JobRecord {
  id: string;
  seq: number;
  resource: string;
  jobType: JobType;
  /** The token name that made it; '' when the server has no tokens. */
  owner: string;
  state: JobState;
  totalItems: number;
  processedItems: number;
  successCount: number;
  errorCount: number;
  uniqueFields: string[] | null;
  updateFields: string[] | null;
  createdAt: string;
  updatedAt: string;
  startedAt: string | null;
  completedAt: string | null;
  abortRequested: boolean;
  aggState: AggregateState | null;
  /** aggregate_results as JSON text (exact decimals), once final. */
  aggregates: string | null;
  jobErrors: string[] | null;
  /** The node running the job now, or the last one that did (null before any claimed it). */
  node: string | null;
  /** Where its rows came from, when the client said (ext). */
  source?: JobSource | null;
  /** The run it belongs to, when the client said (ext Bulk-Run header). */
  runId?: string | null;
  /** Running, but its node stopped renewing the lease: another node takes it over shortly. */
  awaitingTakeover: boolean;
}

/** A job a worker has just claimed. */
export interface ClaimedJob extends JobRecord {
  /**
   * The node that had claimed it (running or not yet started) and stopped without letting it go:
   * a dead or stalled node, or an earlier run of this one that was killed. Else null.
   */
  takenOverFrom: string | null;
  /** The node that had claimed it and let it go on a graceful stop (releaseJobs), else null. */
  handedOverFrom: string | null;
}

/**
 * Who had a job before this claim, and how they let it go. A lease owner with no lease end is a
 * graceful release (releaseJobs clears only the end); one whose lease ran out, or a job left
 * claimed by an earlier run of a lease-less store, is a takeover. A job only reserved for the node
 * that accepted it (no node has claimed it yet) is neither: its reservation lapses under a backlog
 * too, and any node may run it then.
 */
export function handoverOf(
  prev: { node: string | null; released: boolean },
  nodeId: string,
): Pick<ClaimedJob, 'takenOverFrom' | 'handedOverFrom'> {
  const from = prev.node !== null && prev.node !== nodeId;
  return {
    takenOverFrom: from && !prev.released ? prev.node : null,
    handedOverFrom: from && prev.released ? prev.node : null,
  };
}

/** Jobs counted by state and owner (metrics, admission). */
export interface JobCount {
  state: JobState;
  owner: string;
  n: number;
}

export interface NewJob {
  id: string;
  resource: string;
  jobType: JobType;
  owner: string;
  totalItems: number;
  uniqueFields: string[] | null;
  updateFields: string[] | null;
  createdAt: string;
  /** Where its rows came from, when the client said (ext). */
  source?: JobSource | null;
  /** The run it belongs to, when the client said (ext Bulk-Run header). */
  runId?: string | null;
  /**
   * The worker of this node that holds the job's parsed records. A store that leases leases the
   * job to it at creation, so the job runs where its records already are (no reload, no second
   * parse); another node takes it only once that lease lapses, as after any lost node.
   */
  runner?: string;
}

/** An idempotency key as kept with its job: the request's hash and the exact 202 body first sent. */
export interface IdempotencyRecord {
  hash: string;
  jobId: string;
  /** The first 202 body, as sent; null for keys stored before it was kept. */
  response: string | null;
}

/** How a job ends. */
export interface JobEnd {
  state: JobState;
  now: string;
  /** aggregate_results JSON text, or null when the job has none. */
  aggregates: string | null;
  jobErrors: string[] | null;
  /** Only if no chunk of it has run yet (an abort of a queued job). */
  unstartedOnly?: boolean;
}

/** A record error as kept: with the offending value, cut short (error-value.ts), when there is one. */
export type StoredRecordError = RecordError & { value?: string | null };

/** One chunk of a job, validated: rows to write by their index in the job, and rows already refused. */
export interface ChunkWrite {
  job: JobRecord;
  resource: ResourceDef;
  rows: { index: number; values: SqlValue[] }[];
  invalid: StoredRecordError[];
  /** How many items this chunk covers (rows + invalid). */
  size: number;
  /** Called for each row actually written, inside the transaction, to feed the aggregates. */
  onStored: (values: SqlValue[]) => void;
  /** The aggregate state after this chunk, committed with it. */
  aggState: () => AggregateState;
  now: string;
  /** First chunk of an Open job: it becomes In Progress in the same transaction. */
  start?: boolean;
  /** Last chunk: the job ends `Job Complete` in the same transaction, with these aggregates. */
  finish?: () => string;
  /** The worker that claimed the job (a shared store checks its lease is still this worker's). */
  workerId?: string;
}

/**
 * Everything the server keeps, behind one interface so routes and the worker never know the
 * database: SQLite (one node) or PostgreSQL (many nodes sharing the work).
 */
export interface JobStore {
  readonly kind: 'sqlite' | 'postgres';
  /** This server's node id: stamped on the jobs it claims, and its leases' owner. */
  readonly nodeId: string;
  init(resources: Map<string, ResourceDef>): Promise<void>;
  /** The job, its payload and its idempotency key (with the 202 body), committed together before the 202 goes out. */
  createJob(job: NewJob, payload: string, idempotency?: { key: string; hash: string; response: string }): Promise<void>;
  /**
   * A job the node takes at once, in the request that brings it: its row, its idempotency key and
   * its one chunk (every record; `finish` set) commit in one transaction, so it is `Job Complete`
   * at its first status and no payload is kept. A crash before the commit leaves nothing: the
   * client's keyed retry sends it again. Throws IdempotencyConflictError as createJob does.
   */
  createAndRun(
    job: NewJob,
    chunk: ChunkWrite,
    idempotency?: { key: string; hash: string; response: string },
  ): Promise<{ stored: number; errors: RecordError[] }>;
  findIdempotency(owner: string, key: string): Promise<IdempotencyRecord | null>;
  getJob(id: string): Promise<JobRecord | null>;
  /** `idPrefix`: only jobs whose id starts with it (hex digits and dashes only). */
  listJobs(query: { owner: string | null; state?: string; limit: number; idPrefix?: string }): Promise<JobRecord[]>;
  /**
   * The oldest job (of `owner`, when given) that is Open or In Progress and not held by someone else; this node's own
   * worker may take back its own.
   */
  claimNext(workerId: string, owner?: string): Promise<ClaimedJob | null>;
  /** Owners with a job to claim, the one waiting longest first. */
  claimableOwners(): Promise<string[]>;
  loadPayload(id: string): Promise<string>;
  /** Writes a chunk's records and errors and moves the job's counters, in one transaction. */
  commitChunk(chunk: ChunkWrite): Promise<{ stored: number; errors: RecordError[] }>;
  /** Ends a job that is not final yet; false when it already was (or, with unstartedOnly, had started). */
  finishJob(id: string, end: JobEnd): Promise<boolean>;
  requestAbort(id: string, now: string): Promise<void>;
  isAbortRequested(id: string): Promise<boolean>;
  recordErrors(id: string, offset: number, limit: number): Promise<{ total: number; errors: RecordError[] }>;
  /** (ext) Which of these rows' keys (the values of `keyFields`) name a record of the resource now. Reads only. */
  existingKeys(
    def: ResourceDef,
    keyFields: readonly string[],
    rows: readonly { index: number; values: SqlValue[] }[],
  ): Promise<Set<number>>;
  /** Open and running jobs, of one owner when given. */
  queueDepth(owner?: string): Promise<number>;
  jobCounts(): Promise<JobCount[]>;
  /** A setting of the database (shared by every node on it), or null. */
  getSetting(name: string): Promise<string | null>;
  setSetting(name: string, value: string, now: string): Promise<void>;
  /** Forgets finished jobs completed before the cutoff: their errors, payloads and keys. Records stay. */
  expireJobs(cutoffIso: string): Promise<number>;
  close(): Promise<void>;
  /**
   * Optional capability of a store many nodes share: the change counters of the given jobs (and,
   * with `all`, of every unfinished or recently finished one), so a node can tell its event
   * streams about jobs another node runs. Absent: every change happens on this node.
   */
  jobVersions?(ids: string[], all: boolean): Promise<Map<string, number>>;
  /** Optional capability (ext): runs, the jobs grouped by their Bulk-Run header (run-queries.ts). */
  readonly runs?: RunReader;
  /**
   * Lets go of every unfinished job this node has claimed, so the next claim (another node, or
   * this one restarted) continues it at once and knows it was handed over, not taken over. Called
   * on a graceful stop; returns the jobs released.
   */
  releaseJobs(): Promise<string[]>;
  /** Optional capability of a leasing store: extends the worker's lease; false when it is no longer the worker's. */
  renewLease?(jobId: string, workerId: string): Promise<boolean>;
}

/** How long a claim holds a job without a heartbeat before another node may take it over (PostgreSQL). */
export const DEFAULT_LEASE_MS = 5_000;

/** The job-level error an aborted job ends with. */
export const ABORTED = 'Job aborted on request';

/**
 * A chunk commit found the job's lease held by another worker (or the job final): the work is rolled back and the job
 * dropped.
 */
export class LeaseLostError extends Error {}

/** Another request with the same Idempotency-Key committed first (a shared store, another node). */
export class IdempotencyConflictError extends Error {}

/** Runs (ext): reads of the jobs grouped by their Bulk-Run header, always within one owner, paged by key. */
export interface RunReader {
  listRuns(owner: string, limit: number, before?: RunCursor, idPrefix?: string): Promise<RunRecord[]>;
  getRun(owner: string, runId: string): Promise<RunRecord | null>;
  runJobs(
    owner: string,
    runId: string,
    opts: { limit: number; afterSeq?: number; unfinishedOnly?: boolean },
  ): Promise<JobRecord[]>;
  jobsBefore(owner: string, opts: { limit: number; beforeSeq?: number; state?: string }): Promise<JobRecord[]>;
  errors(
    owner: string,
    of: { runId: string } | { jobId: string },
    opts: { limit: number; after?: ErrorCursor },
  ): Promise<RunErrorRecord[]>;
  reasons(owner: string, runId: string, limit: number): Promise<ReasonCount[]>;
  /** The owner's jobs by state, and the rows stored and failed by jobs changed since `sinceIso`. */
  overview(
    owner: string,
    sinceIso: string,
  ): Promise<{ byState: Record<string, number>; stored: number; failed: number }>;
}
