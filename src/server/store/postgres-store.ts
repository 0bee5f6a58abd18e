/** The shared store: many `bulk serve` nodes on one PostgreSQL database. */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import pg from 'pg';
import type { RecordError } from '../../protocol/index.js';
import type { ResourceDef } from '../resources/resource-types.js';
import { IdempotencyConflictError, LeaseLostError, type ChunkWrite, type IdempotencyRecord, type JobEnd, type JobRecord, type JobStore, type NewJob } from './store.js';
import { toJobRecord, type JobRow } from './job-row.js';
import { migratePg } from './pg-schema.js';
import { PgRecordWriter } from './pg-record-writer.js';
import { WriterCache } from './sql-helpers.js';
import { classifyPgError, translateStoreErrors } from './store-errors.js';

const JOB_COLUMNS = 'seq, id, resource, job_type, owner, state, total_items, processed_items, success_count, error_count, unique_fields, update_fields, created_at, updated_at, started_at, completed_at, abort_requested, agg_state, aggregates, job_errors';

export interface PostgresStoreOptions {
  /** How long a claim holds a job without a chunk commit. @default 15000 */
  leaseMs?: number;
  poolSize?: number;
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
  readonly leaseMs: number;
  /** This store's lease owner name, host:pid:random (an operator can see who holds a job). */
  readonly nodeId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;

  constructor(readonly url: string, opts: PostgresStoreOptions = {}) {
    this.leaseMs = opts.leaseMs ?? 15_000;
    this.pool = new pg.Pool({ connectionString: url, max: opts.poolSize ?? 10 });
    // An idle client losing its connection must not crash the server; the next query reconnects.
    this.pool.on('error', () => undefined);
  }

  private async tx<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
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

  async createJob(job: NewJob, payload: string, idempotency?: { key: string; hash: string; response: string }): Promise<void> {
    try {
      await this.tx(async (c) => {
        await c.query(
          `INSERT INTO bulk_jobs (id, resource, job_type, owner, state, total_items, unique_fields, update_fields, created_at, updated_at)
           VALUES ($1, $2, $3, $4, 'Open', $5, $6, $7, $8, $8)`,
          [job.id, job.resource, job.jobType, job.owner, job.totalItems, job.uniqueFields ? JSON.stringify(job.uniqueFields) : null, job.updateFields ? JSON.stringify(job.updateFields) : null, job.createdAt],
        );
        await c.query('INSERT INTO bulk_job_payloads (job_id, body) VALUES ($1, $2)', [job.id, payload]);
        if (idempotency) {
          await c.query('INSERT INTO bulk_idempotency (owner, key, request_hash, job_id, created_at, response) VALUES ($1, $2, $3, $4, $5, $6)', [job.owner, idempotency.key, idempotency.hash, job.id, job.createdAt, idempotency.response]);
        }
      });
    } catch (err) {
      // The same key committed by another node meanwhile: nothing of this job was kept.
      if (idempotency && (err as { code?: string; constraint?: string }).code === '23505' && (err as { constraint?: string }).constraint === 'bulk_idempotency_pkey') {
        throw new IdempotencyConflictError('A request with this Idempotency-Key was taken meanwhile');
      }
      throw err;
    }
  }

  async findIdempotency(owner: string, key: string): Promise<IdempotencyRecord | null> {
    const { rows } = await this.pool.query<{ request_hash: string; job_id: string; response: string | null }>('SELECT request_hash, job_id, response FROM bulk_idempotency WHERE owner = $1 AND key = $2', [owner, key]);
    const row = rows[0];
    return row ? { hash: row.request_hash, jobId: row.job_id, response: row.response } : null;
  }

  async getJob(id: string): Promise<JobRecord | null> {
    const { rows } = await this.pool.query<JobRow>(`SELECT ${JOB_COLUMNS} FROM bulk_jobs WHERE id = $1`, [id]);
    return rows[0] ? toJobRecord(rows[0]) : null;
  }

  async listJobs(query: { owner: string | null; state?: string; limit: number }): Promise<JobRecord[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (query.owner !== null) {
      args.push(query.owner);
      where.push(`owner = $${args.length}`);
    }
    if (query.state) {
      args.push(query.state);
      where.push(`state = $${args.length}`);
    }
    args.push(query.limit);
    const { rows } = await this.pool.query<JobRow>(`SELECT ${JOB_COLUMNS} FROM bulk_jobs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT $${args.length}`, args);
    return rows.map(toJobRecord);
  }

  private owner(workerId: string): string {
    return `${this.nodeId}/${workerId}`;
  }

  /** The oldest Open job, or In Progress job whose lease ran out, that no one else is claiming right now. */
  async claimNext(workerId: string): Promise<JobRecord | null> {
    const { rows } = await this.pool.query<JobRow>(
      `UPDATE bulk_jobs SET lease_owner = $1, lease_until = now() + $2 * interval '1 millisecond'
       WHERE id IN (
         SELECT id FROM bulk_jobs
         WHERE state IN ('Open', 'In Progress') AND (lease_until IS NULL OR lease_until < now())
         ORDER BY seq LIMIT 1 FOR UPDATE SKIP LOCKED)
       AND (lease_until IS NULL OR lease_until < now())
       RETURNING ${JOB_COLUMNS}`,
      [this.owner(workerId), this.leaseMs],
    );
    return rows[0] ? toJobRecord(rows[0]) : null;
  }

  async loadPayload(id: string): Promise<string> {
    const { rows } = await this.pool.query<{ body: string }>('SELECT body FROM bulk_job_payloads WHERE job_id = $1', [id]);
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
      const lock = await c.query<{ state: string; lease_owner: string | null }>('SELECT state, lease_owner FROM bulk_jobs WHERE id = $1 FOR UPDATE', [job.id]);
      const held = lock.rows[0];
      if (!held || held.lease_owner !== this.owner(chunk.workerId ?? 'local') || (held.state !== 'Open' && held.state !== 'In Progress')) {
        throw new LeaseLostError(`job ${job.id}: lease lost (${held ? `${held.state}, held by ${held.lease_owner ?? 'no one'}` : 'gone'})`);
      }
      let stored = 0;
      const errors = [...chunk.invalid];
      const outcomes = await writer.writeAll(c, job.id, chunk.rows);
      chunk.rows.forEach((row, i) => {
        const outcome = outcomes[i];
        if (outcome?.stored) {
          stored++;
          chunk.onStored(row.values);
        } else if (outcome) {
          errors.push(outcome.field === undefined ? { index: row.index, error: outcome.error } : { index: row.index, field: outcome.field, error: outcome.error });
        }
      });
      if (errors.length) {
        await c.query('INSERT INTO bulk_job_errors (job_id, idx, field, error) SELECT $1, * FROM unnest($2::int[], $3::text[], $4::text[]) ON CONFLICT DO NOTHING', [
          job.id,
          errors.map((e) => e.index),
          errors.map((e) => e.field ?? null),
          errors.map((e) => e.error),
        ]);
      }
      if (chunk.start) await c.query("UPDATE bulk_jobs SET state = 'In Progress', started_at = COALESCE(started_at, $1) WHERE id = $2 AND state = 'Open'", [chunk.now, job.id]);
      await c.query(
        `UPDATE bulk_jobs SET processed_items = processed_items + $1, success_count = success_count + $2, error_count = error_count + $3,
           agg_state = $4, updated_at = $5, version = version + 1, lease_until = now() + $7 * interval '1 millisecond' WHERE id = $6`,
        [chunk.size, stored, errors.length, JSON.stringify(chunk.aggState()), chunk.now, job.id, this.leaseMs],
      );
      if (chunk.finish) await this.finishIn(c, job.id, { state: 'Job Complete', now: chunk.now, aggregates: chunk.finish(), jobErrors: null });
      return { stored, errors };
    });
  }

  async finishJob(id: string, end: JobEnd): Promise<boolean> {
    return this.tx((c) => this.finishIn(c, id, end));
  }

  private async finishIn(c: pg.PoolClient, id: string, end: JobEnd): Promise<boolean> {
    const guard = end.unstartedOnly ? "state = 'Open' AND processed_items = 0 AND (lease_until IS NULL OR lease_until < now())" : "state IN ('Open', 'In Progress')";
    const res = await c.query(
      `UPDATE bulk_jobs SET state = $1, completed_at = $2, updated_at = $2, aggregates = $3, job_errors = $4, version = version + 1, lease_owner = NULL, lease_until = NULL WHERE id = $5 AND ${guard}`,
      [end.state, end.now, end.aggregates, end.jobErrors ? JSON.stringify(end.jobErrors) : null, id],
    );
    const changed = (res.rowCount ?? 0) > 0;
    if (changed) await c.query('DELETE FROM bulk_job_payloads WHERE job_id = $1', [id]);
    return changed;
  }

  async requestAbort(id: string, now: string): Promise<void> {
    await this.pool.query('UPDATE bulk_jobs SET abort_requested = TRUE, updated_at = $1, version = version + 1 WHERE id = $2', [now, id]);
  }

  async isAbortRequested(id: string): Promise<boolean> {
    const { rows } = await this.pool.query<{ abort_requested: boolean }>('SELECT abort_requested FROM bulk_jobs WHERE id = $1', [id]);
    return rows[0]?.abort_requested === true;
  }

  async recordErrors(id: string, offset: number, limit: number): Promise<{ total: number; errors: RecordError[] }> {
    const count = await this.pool.query<{ n: string }>('SELECT COUNT(*) AS n FROM bulk_job_errors WHERE job_id = $1', [id]);
    const { rows } = await this.pool.query<{ idx: number; field: string | null; error: string }>('SELECT idx, field, error FROM bulk_job_errors WHERE job_id = $1 ORDER BY idx LIMIT $2 OFFSET $3', [id, limit, offset]);
    return { total: Number(count.rows[0]?.n ?? 0), errors: rows.map((r) => (r.field === null ? { index: r.idx, error: r.error } : { index: r.idx, field: r.field, error: r.error })) };
  }

  async queueDepth(): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>("SELECT COUNT(*) AS n FROM bulk_jobs WHERE state IN ('Open', 'In Progress')");
    return Number(rows[0]?.n ?? 0);
  }

  async expireJobs(cutoffIso: string): Promise<number> {
    return this.tx(async (c) => {
      const { rows } = await c.query<{ id: string }>("SELECT id FROM bulk_jobs WHERE state IN ('Job Complete', 'Failed', 'Aborted') AND completed_at < $1", [cutoffIso]);
      const ids = rows.map((r) => r.id);
      if (ids.length === 0) return 0;
      await c.query('DELETE FROM bulk_job_errors WHERE job_id = ANY($1)', [ids]);
      await c.query('DELETE FROM bulk_job_payloads WHERE job_id = ANY($1)', [ids]);
      await c.query('DELETE FROM bulk_idempotency WHERE job_id = ANY($1)', [ids]);
      await c.query('DELETE FROM bulk_jobs WHERE id = ANY($1)', [ids]);
      return ids.length;
    });
  }

  /**
   * Change counters of the jobs watched on this node (and, with `all`, of every unfinished or
   * recently finished job): the per-node events poller compares them between polls.
   */
  async jobVersions(ids: string[], all: boolean): Promise<Map<string, number>> {
    const sql = all
      ? "SELECT id, version FROM bulk_jobs WHERE id = ANY($1) OR state IN ('Open', 'In Progress') OR completed_at >= $2"
      : 'SELECT id, version FROM bulk_jobs WHERE id = ANY($1)';
    const args: unknown[] = all ? [ids, new Date(Date.now() - 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z')] : [ids];
    const { rows } = await this.pool.query<{ id: string; version: string }>(sql, args);
    return new Map(rows.map((r) => [r.id, Number(r.version)]));
  }

  async close(): Promise<void> {
    // A job this node held but did not finish is free for another node at once, not after its lease.
    await this.pool.query("UPDATE bulk_jobs SET lease_until = NULL WHERE lease_owner LIKE $1 AND state IN ('Open', 'In Progress')", [`${this.nodeId}/%`]).catch(() => undefined);
    await this.pool.end();
  }
}

translateStoreErrors(PostgresStore.prototype, classifyPgError);
