/**
 * The SQLite store's writes of a job, in the caller's transaction: the job's row with its payload
 * and idempotency key, and a chunk (its records, errors and progress, and the job's end with the
 * last one). The store (sqlite-store.ts) runs them in its transactions.
 */
import type { RecordError } from '../../protocol/index.js';
import { refusalOf, withoutValue } from '../records/error-value.js';
import type { SqliteRecordWriter } from './sqlite-record-writer.js';
import type { SqliteAccess } from './sqlite-job-queries.js';
import type { ChunkWrite, JobEnd, NewJob } from './store.js';

/** The job's row, its payload (none for a job run at once: store.createAndRun) and its idempotency key. */
export function insertJob(
  { sql }: SqliteAccess,
  job: NewJob,
  payload: string | null,
  idempotency: { key: string; hash: string; response: string } | undefined,
): void {
  sql(
    `INSERT INTO bulk_jobs (id, resource, job_type, owner, state, total_items, unique_fields, update_fields,
       created_at, updated_at, source, run_id)
     VALUES (?, ?, ?, ?, 'Open', ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    job.id,
    job.resource,
    job.jobType,
    job.owner,
    job.totalItems,
    job.uniqueFields ? JSON.stringify(job.uniqueFields) : null,
    job.updateFields ? JSON.stringify(job.updateFields) : null,
    job.createdAt,
    job.createdAt,
    job.source ? JSON.stringify(job.source) : null,
    job.runId ?? null,
  );
  if (payload !== null) sql('INSERT INTO bulk_job_payloads (job_id, body) VALUES (?, ?)').run(job.id, payload);
  if (idempotency) {
    sql(
      `INSERT INTO bulk_idempotency (owner, key, request_hash, job_id, created_at, response)
       VALUES (?, ?, ?, ?, ?, ?)`,
    ).run(job.owner, idempotency.key, idempotency.hash, job.id, job.createdAt, idempotency.response);
  }
}

/** A chunk's records, errors and progress; `finishIn` ends the job with its last chunk. */
export function writeChunk(
  { sql }: SqliteAccess,
  writer: SqliteRecordWriter,
  chunk: ChunkWrite,
  finishIn: (id: string, end: JobEnd) => boolean,
): { stored: number; errors: RecordError[] } {
  const { job } = chunk;
  const insertError = sql(
    'INSERT OR IGNORE INTO bulk_job_errors (job_id, idx, field, error, value) VALUES (?, ?, ?, ?, ?)',
  );
  let stored = 0;
  const errors = [...chunk.invalid];
  const outcomes = writer.writeAll(job.id, chunk.rows);
  for (let r = 0; r < chunk.rows.length; r++) {
    const row = chunk.rows[r] as (typeof chunk.rows)[number];
    const outcome = outcomes[r] as (typeof outcomes)[number];
    if (outcome.stored) {
      stored++;
      chunk.onStored(row.values);
    } else errors.push(refusalOf(chunk.resource, row.index, row.values, outcome));
  }
  for (const e of errors) insertError.run(job.id, e.index, e.field ?? null, e.error, e.value ?? null);
  if (chunk.start)
    sql(
      `UPDATE bulk_jobs SET state = 'In Progress', started_at = COALESCE(started_at, ?)
       WHERE id = ? AND state = 'Open'`,
    ).run(chunk.now, job.id);
  sql(
    `UPDATE bulk_jobs SET processed_items = processed_items + ?, success_count = success_count + ?,
     error_count = error_count + ?, agg_state = ?, updated_at = ? WHERE id = ?`,
  ).run(chunk.size, stored, errors.length, JSON.stringify(chunk.aggState()), chunk.now, job.id);
  // The last chunk ends the job in the same transaction: one commit fewer per job, and no
  // moment where every record is in but the job is not final.
  if (chunk.finish)
    finishIn(job.id, { state: 'Job Complete', now: chunk.now, aggregates: chunk.finish(), jobErrors: null });
  return { stored, errors: errors.map(withoutValue) };
}
