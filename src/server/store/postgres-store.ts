/** The shared store: many `bulk serve` nodes on one PostgreSQL database. */
import pg from 'pg';
import type { RecordError } from '../../protocol/index.js';
import type { ResourceDef, SqlValue } from '../../resources/resource-types.js';
import {
  DEFAULT_LEASE_MS,
  type ChunkWrite,
  type ClaimedJob,
  type IdempotencyRecord,
  type JobCount,
  type JobEnd,
  type JobRecord,
  type JobStore,
  type NewJob,
  handoverOf,
} from './store.js';
import { classified, RunQueries } from './run-queries.js';
import { refusalOf, withoutValue } from '../records/error-value.js';
import { toJobRecord } from './job-row.js';
import * as q from './pg-job-queries.js';
import * as w from './pg-job-writes.js';
import { newNodeId } from '../observe/node-id.js';
import { migratePg } from './pg-schema.js';
import { PgRecordWriter } from './pg-record-writer.js';
import { WriterCache } from './sql-helpers.js';
import { classifyPgError, isStoreTransient, translateStoreErrors } from './store-errors.js';

export interface PostgresStoreOptions {
  /** How long a claim holds a job without a heartbeat. @default DEFAULT_LEASE_MS */
  leaseMs?: number;
  poolSize?: number;
  /** This server's node id (the lease owner's prefix). */
  nodeId?: string;
  /** Shown in pg_stat_activity, so an operator (or a test) can tell this server's connections apart. */
  applicationName?: string;
}

/**
 * The shared store: many `bulk serve` nodes on one PostgreSQL. A worker claims a job with a row
 * lock that skips locked rows plus a lease (lease_owner, lease_until); every chunk commit checks
 * the lease is still this worker's and renews it, in the transaction that writes the records, so
 * a node killed mid-job loses the job to another node after the lease and no record is written twice.
 */
export class PostgresStore implements JobStore {
  readonly kind = 'postgres' as const;
  private readonly pool: pg.Pool;
  private readonly writers = new WriterCache((def, job) => new PgRecordWriter(def, job));
  readonly runs = new RunQueries(
    'postgres',
    classified(async (sql, args) => (await this.pool.query(sql, args)).rows, classifyPgError),
    q.jobColumns(),
  );

  readonly leaseMs: number;
  /** host:pid:start; leases are owned by `${nodeId}/${workerId}` (an operator can see who holds a job). */
  readonly nodeId: string;

  constructor(
    readonly url: string,
    opts: PostgresStoreOptions = {},
  ) {
    this.leaseMs = opts.leaseMs ?? DEFAULT_LEASE_MS;
    this.nodeId = opts.nodeId ?? newNodeId();
    this.pool = new pg.Pool({
      connectionString: url,
      max: opts.poolSize ?? 10,
      // pg_stat_activity shows which node a connection is (PostgreSQL keeps the first 63 bytes).
      application_name: opts.applicationName ?? `bulk serve ${this.nodeId}`.slice(0, 63),
      connectionTimeoutMillis: 10_000,
    });
    // A connection ended under the server (a restart, pg_terminate_backend) is reported on the pool
    // for idle clients and on the client itself while checked out: neither may crash the node. The
    // query in flight fails with it, and the caller (worker, route) retries once the store is back.
    this.pool.on('error', () => undefined);
    this.pool.on('connect', (client) => client.on('error', () => undefined));
  }

  private async tx<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      // A lost connection cannot roll back (the server already did) and must not go back to the pool.
      if (isStoreTransient(classifyPgError(err))) broken = err as Error;
      else await client.query('ROLLBACK').catch((again: Error) => (broken = again));
      throw err;
    } finally {
      client.release(broken);
    }
  }

  async init(resources: Map<string, ResourceDef>): Promise<void> {
    const client = await this.pool.connect();
    try {
      await migratePg(client, resources.values());
    } finally {
      client.release();
    }
  }

  async createJob(
    job: NewJob,
    payload: string,
    idempotency?: { key: string; hash: string; response: string },
  ): Promise<void> {
    try {
      await this.tx((c) => w.insertJob(c, job, payload, this.leaseOf(job), idempotency));
    } catch (err) {
      throw w.idempotencyConflict(err, Boolean(idempotency)) ?? err;
    }
  }

  async createAndRun(
    job: NewJob,
    chunk: ChunkWrite,
    idempotency?: { key: string; hash: string; response: string },
  ): Promise<{ stored: number; errors: RecordError[] }> {
    try {
      return await this.tx(async (c) => {
        await w.insertJob(c, job, null, this.leaseOf(job), idempotency);
        await c.query('UPDATE bulk_jobs SET node = $1 WHERE id = $2', [this.nodeId, job.id]);
        return this.writeChunk(c, chunk);
      });
    } catch (err) {
      throw w.idempotencyConflict(err, Boolean(idempotency)) ?? err;
    }
  }

  /** A new job is leased to the lane that holds its records. */
  private leaseOf(job: NewJob): { owner: string | null; ms: number } {
    return { owner: job.runner ? this.owner(job.runner) : null, ms: this.leaseMs };
  }

  async findIdempotency(owner: string, key: string): Promise<IdempotencyRecord | null> {
    const { rows } = await this.pool.query<{ request_hash: string; job_id: string; response: string | null }>(
      'SELECT request_hash, job_id, response FROM bulk_idempotency WHERE owner = $1 AND key = $2',
      [owner, key],
    );
    const row = rows[0];
    return row ? { hash: row.request_hash, jobId: row.job_id, response: row.response } : null;
  }

  async getJob(id: string): Promise<JobRecord | null> {
    return q.getJob(this.pool, id);
  }

  async listJobs(query: {
    owner: string | null;
    state?: string;
    limit: number;
    idPrefix?: string;
  }): Promise<JobRecord[]> {
    return q.listJobs(this.pool, query);
  }

  private owner(workerId: string): string {
    return `${this.nodeId}/${workerId}`;
  }

  /**
   * The oldest unfinished job (of `owner`) no live lease holds, or one this worker's own lease
   * still holds (it let go after a lost connection). Reports who ran it before when it was In
   * Progress under another owner: a takeover.
   */
  async claimNext(workerId: string, owner?: string): Promise<ClaimedJob | null> {
    const me = this.owner(workerId);
    const row = await w.claimJob(this.pool, { me, ms: this.leaseMs, nodeId: this.nodeId }, owner);
    if (!row) return null;
    return { ...toJobRecord(row), ...handoverOf({ node: row.prev_node, released: row.prev_released }, this.nodeId) };
  }

  async claimableOwners(): Promise<string[]> {
    return q.claimableOwners(this.pool, this.nodeId);
  }

  async renewLease(jobId: string, workerId: string): Promise<boolean> {
    return w.renewLease(this.pool, jobId, this.owner(workerId), this.leaseMs);
  }

  async loadPayload(id: string): Promise<string> {
    const { rows } = await this.pool.query<{ body: string }>('SELECT body FROM bulk_job_payloads WHERE job_id = $1', [
      id,
    ]);
    if (!rows[0]) throw new Error(`payload of job ${id} is missing`);
    return rows[0].body;
  }

  /**
   * Records, errors, progress and the lease renewal in one transaction. It starts by locking the
   * job row and checking the lease is still this node's: if another node took the job over, the
   * chunk is rolled back and LeaseLostError tells the worker to drop the job.
   */
  async commitChunk(chunk: ChunkWrite): Promise<{ stored: number; errors: RecordError[] }> {
    return this.tx((c) => this.writeChunk(c, chunk));
  }

  private async writeChunk(c: pg.PoolClient, chunk: ChunkWrite): Promise<{ stored: number; errors: RecordError[] }> {
    const { job, resource } = chunk;
    const writer = this.writers.get(resource, job);
    await w.lockLeased(c, job.id, this.owner(chunk.workerId ?? 'local'));
    let stored = 0;
    const errors = [...chunk.invalid];
    const outcomes = await writer.writeAll(c, job.id, chunk.rows);
    chunk.rows.forEach((row, i) => {
      const outcome = outcomes[i];
      if (outcome?.stored) {
        stored++;
        chunk.onStored(row.values);
      } else if (outcome) errors.push(refusalOf(resource, row.index, row.values, outcome));
    });
    await w.writeChunkProgress(c, chunk, { stored, errors }, this.leaseMs);
    if (chunk.finish)
      await w.finishJobIn(c, job.id, {
        state: 'Job Complete',
        now: chunk.now,
        aggregates: chunk.finish(),
        jobErrors: null,
      });
    return { stored, errors: errors.map(withoutValue) };
  }

  async finishJob(id: string, end: JobEnd): Promise<boolean> {
    return this.tx((c) => w.finishJobIn(c, id, end));
  }

  async requestAbort(id: string, now: string): Promise<void> {
    await this.pool.query(
      'UPDATE bulk_jobs SET abort_requested = TRUE, updated_at = $1, version = version + 1 WHERE id = $2',
      [now, id],
    );
  }

  async isAbortRequested(id: string): Promise<boolean> {
    const { rows } = await this.pool.query<{ abort_requested: boolean }>(
      'SELECT abort_requested FROM bulk_jobs WHERE id = $1',
      [id],
    );
    return rows[0]?.abort_requested === true;
  }

  async existingKeys(
    def: ResourceDef,
    keyFields: readonly string[],
    rows: readonly { index: number; values: SqlValue[] }[],
  ): Promise<Set<number>> {
    return q.existingKeys(this.pool, def, keyFields, rows);
  }

  async recordErrors(id: string, offset: number, limit: number): Promise<{ total: number; errors: RecordError[] }> {
    return q.recordErrors(this.pool, id, offset, limit);
  }

  async queueDepth(owner?: string): Promise<number> {
    return q.queueDepth(this.pool, owner);
  }

  async jobCounts(): Promise<JobCount[]> {
    return q.jobCounts(this.pool);
  }

  async getSetting(name: string): Promise<string | null> {
    return q.getSetting(this.pool, name);
  }

  async setSetting(name: string, value: string, now: string): Promise<void> {
    return q.setSetting(this.pool, name, value, now);
  }

  async expireJobs(cutoffIso: string): Promise<number> {
    return this.tx((c) => w.expireJobsIn(c, cutoffIso));
  }

  async jobVersions(ids: string[], all: boolean): Promise<Map<string, number>> {
    return q.jobVersions(this.pool, ids, all);
  }

  async releaseJobs(): Promise<string[]> {
    return w.releaseLeases(this.pool, this.nodeId);
  }

  async close(): Promise<void> {
    // A job this node held but did not finish is free for another node at once, not after its lease.
    await w.releaseLeases(this.pool, this.nodeId).catch(() => undefined);
    await this.pool.end();
  }
}

translateStoreErrors(PostgresStore.prototype, classifyPgError);
