/**
 * The PostgreSQL store's statements that change a job: create it, claim it under a lease, renew or
 * release leases, write a chunk's progress, finish and expire jobs. The store (postgres-store.ts)
 * runs them in its transactions and makes the lease checks around them.
 */
import type pg from 'pg';
import type { JobRow } from './job-row.js';
import { jobColumns } from './pg-job-queries.js';
import {
  IdempotencyConflictError,
  LeaseLostError,
  type ChunkWrite,
  type JobEnd,
  type NewJob,
  type StoredRecordError,
} from './store.js';

const UNFINISHED = "state IN ('Open', 'In Progress')";
/** Now plus a lease's length in milliseconds, for a statement whose lease length is parameter `$n`. */
const leaseEnd = (n: number) => `now() + $${n} * interval '1 millisecond'`;

/** The job's row, its payload (none for a job run at once: store.createAndRun) and its idempotency key. */
export async function insertJob(
  c: pg.PoolClient,
  job: NewJob,
  payload: string | null,
  lease: { owner: string | null; ms: number },
  idempotency?: { key: string; hash: string; response: string },
): Promise<void> {
  await c.query(
    `INSERT INTO bulk_jobs (id, resource, job_type, owner, state, total_items, unique_fields, update_fields,
       created_at, updated_at, source, lease_owner, lease_until, run_id)
     VALUES ($1, $2, $3, $4, 'Open', $5, $6, $7, $8, $8, $9, $10,
       CASE WHEN $10::text IS NULL THEN NULL ELSE ${leaseEnd(11)} END, $12)`,
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
      lease.owner,
      lease.ms,
      job.runId ?? null,
    ],
  );
  if (payload !== null)
    await c.query('INSERT INTO bulk_job_payloads (job_id, body) VALUES ($1, $2)', [job.id, payload]);
  if (idempotency) {
    await c.query(
      `INSERT INTO bulk_idempotency (owner, key, request_hash, job_id, created_at, response)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [job.owner, idempotency.key, idempotency.hash, job.id, job.createdAt, idempotency.response],
    );
  }
}

export type ClaimedRow = JobRow & {
  prev_state: string;
  prev_owner: string | null;
  prev_node: string | null;
  prev_released: boolean;
};

/**
 * Leases the oldest unfinished job (of `owner`) no live lease holds, or one `me` still holds, to
 * `me`; with what it was before, so the caller can tell a takeover.
 */
export async function claimJob(
  pool: pg.Pool,
  lease: { me: string; ms: number; nodeId: string },
  owner?: string,
): Promise<ClaimedRow | undefined> {
  const claimable = `j.${UNFINISHED} AND (j.lease_until IS NULL OR j.lease_until < now() OR j.lease_owner = $1)`;
  const args: unknown[] = [lease.me, lease.ms, lease.nodeId];
  if (owner !== undefined) args.push(owner);
  const { rows } = await pool.query<ClaimedRow>(
    `WITH pick AS (
       SELECT j.id, j.state AS prev_state, j.lease_owner AS prev_owner, j.node AS prev_node,
         (j.lease_owner IS NOT NULL AND j.lease_until IS NULL) AS prev_released FROM bulk_jobs j
       WHERE ${claimable} ${owner !== undefined ? 'AND j.owner = $4' : ''}
       ORDER BY j.seq LIMIT 1 FOR UPDATE SKIP LOCKED)
     UPDATE bulk_jobs j SET lease_owner = $1, lease_until = ${leaseEnd(2)}, node = $3, version = j.version + 1
     FROM pick WHERE j.id = pick.id AND ${claimable}
     RETURNING ${jobColumns('j')}, pick.prev_state, pick.prev_owner, pick.prev_node, pick.prev_released`,
    args,
  );
  return rows[0];
}

export async function renewLease(pool: pg.Pool, jobId: string, owner: string, ms: number): Promise<boolean> {
  const res = await pool.query(
    `UPDATE bulk_jobs SET lease_until = ${leaseEnd(3)} WHERE id = $1 AND lease_owner = $2 AND ${UNFINISHED}`,
    [jobId, owner, ms],
  );
  return (res.rowCount ?? 0) > 0;
}

/** Frees at once every unfinished job a node's workers hold, instead of after their leases. */
export async function releaseLeases(pool: pg.Pool, nodeId: string): Promise<string[]> {
  // The owner stays: a lease owner without a lease end is how the next claim tells a release.
  const { rows } = await pool.query<{ id: string }>(
    `UPDATE bulk_jobs SET lease_until = NULL, version = version + 1
     WHERE lease_owner LIKE $1 AND lease_until IS NOT NULL AND ${UNFINISHED} RETURNING id`,
    [`${nodeId}/%`],
  );
  return rows.map((r) => r.id);
}

/** A chunk's record errors, its start and its progress (renewing the lease), in the caller's transaction. */
export async function writeChunkProgress(
  c: pg.PoolClient,
  chunk: ChunkWrite,
  result: { stored: number; errors: StoredRecordError[] },
  leaseMs: number,
): Promise<void> {
  const { job } = chunk;
  const { stored, errors } = result;
  if (errors.length) {
    await c.query(
      `INSERT INTO bulk_job_errors (job_id, idx, field, error, value)
       SELECT $1, * FROM unnest($2::int[], $3::text[], $4::text[], $5::text[]) ON CONFLICT DO NOTHING`,
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
      `UPDATE bulk_jobs SET state = 'In Progress', started_at = COALESCE(started_at, $1)
       WHERE id = $2 AND state = 'Open'`,
      [chunk.now, job.id],
    );
  await c.query(
    `UPDATE bulk_jobs SET processed_items = processed_items + $1, success_count = success_count + $2,
       error_count = error_count + $3, agg_state = $4, updated_at = $5, version = version + 1,
       lease_until = ${leaseEnd(7)} WHERE id = $6`,
    [chunk.size, stored, errors.length, JSON.stringify(chunk.aggState()), chunk.now, job.id, leaseMs],
  );
}

/** Ends a job that is not final yet, in the caller's transaction; a final job is never changed again. */
export async function finishJobIn(c: pg.PoolClient, id: string, end: JobEnd): Promise<boolean> {
  // A job only reserved for the node that received it (leased at creation, never claimed: no node
  // yet) is not running.
  const guard = end.unstartedOnly
    ? "state = 'Open' AND processed_items = 0 AND (lease_until IS NULL OR lease_until < now() OR node IS NULL)"
    : UNFINISHED;
  const res = await c.query(
    `UPDATE bulk_jobs SET state = $1, completed_at = $2, updated_at = $2, aggregates = $3, job_errors = $4,
       version = version + 1, lease_owner = NULL, lease_until = NULL
     WHERE id = $5 AND ${guard}`,
    [end.state, end.now, end.aggregates, end.jobErrors ? JSON.stringify(end.jobErrors) : null, id],
  );
  const changed = (res.rowCount ?? 0) > 0;
  if (changed) await c.query('DELETE FROM bulk_job_payloads WHERE job_id = $1', [id]);
  return changed;
}

/** Deletes the jobs that ended before the cutoff, with their errors, payloads and idempotency keys. */
export async function expireJobsIn(c: pg.PoolClient, cutoffIso: string): Promise<number> {
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
}

/** The same key committed by another node meanwhile (nothing of this job was kept): the error to throw, else null. */
export function idempotencyConflict(err: unknown, keyed: boolean): IdempotencyConflictError | null {
  const e = err as { code?: string; constraint?: string };
  return keyed && e.code === '23505' && e.constraint === 'bulk_idempotency_pkey'
    ? new IdempotencyConflictError('A request with this Idempotency-Key was taken meanwhile')
    : null;
}

/** Locks the job row for a chunk; LeaseLostError if `leaseOwner` no longer holds the unfinished job. */
export async function lockLeased(c: pg.PoolClient, jobId: string, leaseOwner: string): Promise<void> {
  const lock = await c.query<{ state: string; lease_owner: string | null }>(
    'SELECT state, lease_owner FROM bulk_jobs WHERE id = $1 FOR UPDATE',
    [jobId],
  );
  const held = lock.rows[0];
  if (!held || held.lease_owner !== leaseOwner || (held.state !== 'Open' && held.state !== 'In Progress')) {
    throw new LeaseLostError(
      `job ${jobId}: lease lost (${held ? `${held.state}, held by ${held.lease_owner ?? 'no one'}` : 'gone'})`,
    );
  }
}
