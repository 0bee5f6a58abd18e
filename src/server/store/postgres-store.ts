/** The shared store: many `bulk serve` nodes on one PostgreSQL database. */
import pg from 'pg';
import type { RecordError } from '../../protocol/index.js';
import type { ResourceDef, SqlValue } from '../../resources/resource-types.js';
import {
  DEFAULT_LEASE_MS,
  IdempotencyConflictError,
  LeaseLostError,
  type ChunkWrite,
  type ClaimedJob,
  type IdempotencyRecord,
  type JobCount,
  type JobEnd,
  type JobRecord,
  type JobStore,
  type NewJob,
  type StoredRecordError,
} from './store.js';
import { RunQueries } from './run-queries.js';
import { withoutValue, writtenValue } from './error-value.js';
import { toJobRecord, type JobRow } from './job-row.js';
import * as q from './pg-job-queries.js';
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
  /** Errors classified here: the run queries are a property, not a method translateStoreErrors wraps. */
  readonly runs = new RunQueries(
    'postgres',
    async (sql, args) =>
      (await this.pool.query(sql, args).catch((err: unknown) => Promise.reject(classifyPgError(err)))).rows,
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
      application_name: opts.applicationName ?? 'bulk serve',
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
      await this.tx(async (c) => {
        await c.query(
          `INSERT INTO bulk_jobs (id, resource, job_type, owner, state, total_items, unique_fields, update_fields, created_at, updated_at, source, lease_owner, lease_until, run_id)
           VALUES ($1, $2, $3, $4, 'Open', $5, $6, $7, $8, $8, $9, $10, CASE WHEN $10::text IS NULL THEN NULL ELSE now() + $11 * interval '1 millisecond' END, $12)`,
          [
            job.id,
            job.resource,
            job.jobType,
            job.owner,
            job.totalItems,
            job.uniqueFields ? JSON.stringify(job.uniqueFields) : null,
            job.updateFields ? JSON.stringify(job.updateFields) : null,
            job.createdAt,
            job.source ? JSON.stringify(job.source) : null,
            job.runner ? this.owner(job.runner) : null,
            this.leaseMs,
            job.runId ?? null,
          ],
        );
        await c.query('INSERT INTO bulk_job_payloads (job_id, body) VALUES ($1, $2)', [job.id, payload]);
        if (idempotency) {
          await c.query(
            'INSERT INTO bulk_idempotency (owner, key, request_hash, job_id, created_at, response) VALUES ($1, $2, $3, $4, $5, $6)',
            [job.owner, idempotency.key, idempotency.hash, job.id, job.createdAt, idempotency.response],
          );
        }
      });
    } catch (err) {
      // The same key committed by another node meanwhile: nothing of this job was kept.
      if (
        idempotency &&
        (err as { code?: string; constraint?: string }).code === '23505' &&
        (err as { constraint?: string }).constraint === 'bulk_idempotency_pkey'
      ) {
        throw new IdempotencyConflictError('A request with this Idempotency-Key was taken meanwhile');
      }
      throw err;
    }
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
    const claimable = `j.state IN ('Open', 'In Progress') AND (j.lease_until IS NULL OR j.lease_until < now() OR j.lease_owner = $1)`;
    const args: unknown[] = [me, this.leaseMs, this.nodeId];
    if (owner !== undefined) args.push(owner);
    const { rows } = await this.pool.query<
      JobRow & { prev_state: string; prev_owner: string | null; prev_node: string | null }
    >(
      `WITH pick AS (
         SELECT j.id, j.state AS prev_state, j.lease_owner AS prev_owner, j.node AS prev_node FROM bulk_jobs j
         WHERE ${claimable} ${owner !== undefined ? 'AND j.owner = $4' : ''}
         ORDER BY j.seq LIMIT 1 FOR UPDATE SKIP LOCKED)
       UPDATE bulk_jobs j SET lease_owner = $1, lease_until = now() + $2 * interval '1 millisecond', node = $3, version = j.version + 1
       FROM pick WHERE j.id = pick.id AND ${claimable}
       RETURNING ${q.jobColumns('j')}, pick.prev_state, pick.prev_owner, pick.prev_node`,
      args,
    );
    const row = rows[0];
    if (!row) return null;
    const takeover = row.prev_state === 'In Progress' && row.prev_owner !== me;
    return { ...toJobRecord(row), takenOverFrom: takeover ? (row.prev_node ?? row.prev_owner ?? 'unknown') : null };
  }

  async claimableOwners(): Promise<string[]> {
    return q.claimableOwners(this.pool, this.nodeId);
  }

  async renewLease(jobId: string, workerId: string): Promise<boolean> {
    const res = await this.pool.query(
      "UPDATE bulk_jobs SET lease_until = now() + $3 * interval '1 millisecond' WHERE id = $1 AND lease_owner = $2 AND state IN ('Open', 'In Progress')",
      [jobId, this.owner(workerId), this.leaseMs],
    );
    return (res.rowCount ?? 0) > 0;
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
    const { job, resource } = chunk;
    const writer = this.writers.get(resource, job);
    return this.tx(async (c) => {
      const lock = await c.query<{ state: string; lease_owner: string | null }>(
        'SELECT state, lease_owner FROM bulk_jobs WHERE id = $1 FOR UPDATE',
        [job.id],
      );
      const held = lock.rows[0];
      if (
        !held ||
        held.lease_owner !== this.owner(chunk.workerId ?? 'local') ||
        (held.state !== 'Open' && held.state !== 'In Progress')
      ) {
        throw new LeaseLostError(
          `job ${job.id}: lease lost (${held ? `${held.state}, held by ${held.lease_owner ?? 'no one'}` : 'gone'})`,
        );
      }
      let stored = 0;
      const errors: StoredRecordError[] = [...chunk.invalid];
      const outcomes = await writer.writeAll(c, job.id, chunk.rows);
      chunk.rows.forEach((row, i) => {
        const outcome = outcomes[i];
        if (outcome?.stored) {
          stored++;
          chunk.onStored(row.values);
        } else if (outcome) {
          const value = writtenValue(resource, row.values, outcome.field);
          errors.push(
            outcome.field === undefined
              ? { index: row.index, error: outcome.error, value }
              : { index: row.index, field: outcome.field, error: outcome.error, value },
          );
        }
      });
      if (errors.length) {
        await c.query(
          'INSERT INTO bulk_job_errors (job_id, idx, field, error, value) SELECT $1, * FROM unnest($2::int[], $3::text[], $4::text[], $5::text[]) ON CONFLICT DO NOTHING',
          [
            job.id,
            errors.map((e) => e.index),
            errors.map((e) => e.field ?? null),
            errors.map((e) => e.error),
            errors.map((e) => e.value ?? null),
          ],
        );
      }
      if (chunk.start)
        await c.query(
          "UPDATE bulk_jobs SET state = 'In Progress', started_at = COALESCE(started_at, $1) WHERE id = $2 AND state = 'Open'",
          [chunk.now, job.id],
        );
      await c.query(
        `UPDATE bulk_jobs SET processed_items = processed_items + $1, success_count = success_count + $2, error_count = error_count + $3,
           agg_state = $4, updated_at = $5, version = version + 1, lease_until = now() + $7 * interval '1 millisecond' WHERE id = $6`,
        [chunk.size, stored, errors.length, JSON.stringify(chunk.aggState()), chunk.now, job.id, this.leaseMs],
      );
      if (chunk.finish)
        await this.finishIn(c, job.id, {
          state: 'Job Complete',
          now: chunk.now,
          aggregates: chunk.finish(),
          jobErrors: null,
        });
      return { stored, errors: errors.map(withoutValue) };
    });
  }

  async finishJob(id: string, end: JobEnd): Promise<boolean> {
    return this.tx((c) => this.finishIn(c, id, end));
  }

  private async finishIn(c: pg.PoolClient, id: string, end: JobEnd): Promise<boolean> {
    // A job only reserved for the node that received it (leased at creation, never claimed: no node yet) is not running.
    const guard = end.unstartedOnly
      ? "state = 'Open' AND processed_items = 0 AND (lease_until IS NULL OR lease_until < now() OR node IS NULL)"
      : "state IN ('Open', 'In Progress')";
    const res = await c.query(
      `UPDATE bulk_jobs SET state = $1, completed_at = $2, updated_at = $2, aggregates = $3, job_errors = $4, version = version + 1, lease_owner = NULL, lease_until = NULL WHERE id = $5 AND ${guard}`,
      [end.state, end.now, end.aggregates, end.jobErrors ? JSON.stringify(end.jobErrors) : null, id],
    );
    const changed = (res.rowCount ?? 0) > 0;
    if (changed) await c.query('DELETE FROM bulk_job_payloads WHERE job_id = $1', [id]);
    return changed;
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
    return this.tx(async (c) => {
      const { rows } = await c.query<{ id: string }>(
        "SELECT id FROM bulk_jobs WHERE state IN ('Job Complete', 'Failed', 'Aborted') AND completed_at < $1",
        [cutoffIso],
      );
      const ids = rows.map((r) => r.id);
      if (ids.length === 0) return 0;
      await c.query('DELETE FROM bulk_job_errors WHERE job_id = ANY($1)', [ids]);
      await c.query('DELETE FROM bulk_job_payloads WHERE job_id = ANY($1)', [ids]);
      await c.query('DELETE FROM bulk_idempotency WHERE job_id = ANY($1)', [ids]);
      await c.query('DELETE FROM bulk_jobs WHERE id = ANY($1)', [ids]);
      return ids.length;
    });
  }

  async jobVersions(ids: string[], all: boolean): Promise<Map<string, number>> {
    return q.jobVersions(this.pool, ids, all);
  }

  async close(): Promise<void> {
    // A job this node held but did not finish is free for another node at once, not after its lease.
    await this.pool
      .query("UPDATE bulk_jobs SET lease_until = NULL WHERE lease_owner LIKE $1 AND state IN ('Open', 'In Progress')", [
        `${this.nodeId}/%`,
      ])
      .catch(() => undefined);
    await this.pool.end();
  }
}

translateStoreErrors(PostgresStore.prototype, classifyPgError);
