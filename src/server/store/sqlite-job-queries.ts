/**
 * The SQLite store's reads that change nothing (listing, counting, errors, key probes, idempotency
 * keys), its settings, the claim with its hand-over mark, and a job's writes (its row, a chunk):
 * plain statements on the store's prepared-statement cache, run in the store's transactions.
 */
import type Database from 'better-sqlite3';
import type { RecordError } from '../../protocol/index.js';
import type { ResourceDef, SqlValue } from '../../resources/resource-types.js';
import { toJobRecord, type JobRow } from './job-row.js';
import { refusalOf, withoutValue } from '../records/error-value.js';
import type { SqliteRecordWriter } from './sqlite-record-writer.js';
import { quoteIdent } from './sql-helpers.js';
import {
  handoverOf,
  type ChunkWrite,
  type ClaimedJob,
  type IdempotencyRecord,
  type JobCount,
  type JobEnd,
  type JobRecord,
  type NewJob,
} from './store.js';

export const UNFINISHED = "state IN ('Open', 'In Progress')";

/**
 * One node, so no leases: the oldest unfinished job (of the owner), stamped with this node. A job
 * another run of the server had claimed is a takeover, or a hand-over if that run released it.
 */
export function claimJob({ sql }: SqliteAccess, nodeId: string, owner?: string): ClaimedJob | null {
  const row = (
    owner === undefined
      ? sql(`SELECT * FROM bulk_jobs WHERE ${UNFINISHED} ORDER BY seq LIMIT 1`).get()
      : sql(`SELECT * FROM bulk_jobs WHERE owner = ? AND ${UNFINISHED} ORDER BY seq LIMIT 1`).get(owner)
  ) as (JobRow & { lease_owner: string | null }) | undefined;
  if (!row) return null;
  sql('UPDATE bulk_jobs SET node = ?, lease_owner = NULL WHERE id = ?').run(nodeId, row.id);
  const prev = { node: row.node, released: row.lease_owner !== null };
  return { ...toJobRecord({ ...row, node: nodeId }), ...handoverOf(prev, nodeId) };
}

/**
 * Marks the unfinished jobs this node claimed as let go on a graceful stop: without leases, a lease
 * owner on such a job is the mark (see handoverOf).
 */
export function releaseJobs({ db }: SqliteAccess, nodeId: string): string[] {
  const rows = db
    .prepare(
      `UPDATE bulk_jobs SET lease_owner = node WHERE node = ? AND lease_owner IS NULL AND ${UNFINISHED} RETURNING id`,
    )
    .all(nodeId) as { id: string }[];
  return rows.map((r) => r.id);
}

/** The store's database and its prepared-once statements. */
export interface SqliteAccess {
  db: Database.Database;
  sql(text: string): Database.Statement;
}

export function findIdempotency({ sql }: SqliteAccess, owner: string, key: string): IdempotencyRecord | null {
  const row = sql('SELECT request_hash, job_id, response FROM bulk_idempotency WHERE owner = ? AND key = ?').get(
    owner,
    key,
  ) as { request_hash: string; job_id: string; response: string | null } | undefined;
  return row ? { hash: row.request_hash, jobId: row.job_id, response: row.response } : null;
}

export function getJob({ sql }: SqliteAccess, id: string): JobRecord | null {
  const row = sql('SELECT * FROM bulk_jobs WHERE id = ?').get(id) as JobRow | undefined;
  return row ? toJobRecord(row) : null;
}

export function listJobs(
  { db }: SqliteAccess,
  query: { owner: string | null; state?: string; limit: number; idPrefix?: string },
): JobRecord[] {
  const where: string[] = [];
  const args: unknown[] = [];
  if (query.owner !== null) {
    where.push('owner = ?');
    args.push(query.owner);
  }
  if (query.state) {
    where.push('state = ?');
    args.push(query.state);
  }
  if (query.idPrefix) {
    where.push('id LIKE ?');
    args.push(`${query.idPrefix}%`);
  }
  const sql = `SELECT * FROM bulk_jobs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT ?`;
  return (db.prepare(sql).all(...args, query.limit) as JobRow[]).map(toJobRecord);
}

export function claimableOwners({ sql }: SqliteAccess): string[] {
  const rows = sql(`SELECT owner FROM bulk_jobs WHERE ${UNFINISHED} GROUP BY owner ORDER BY MIN(seq)`).all() as {
    owner: string;
  }[];
  return rows.map((r) => r.owner);
}

export function isAbortRequested({ sql }: SqliteAccess, id: string): boolean {
  const row = sql('SELECT abort_requested FROM bulk_jobs WHERE id = ?').get(id) as
    { abort_requested: number } | undefined;
  return row?.abort_requested === 1;
}

export function recordErrors(
  { db, sql }: SqliteAccess,
  id: string,
  offset: number,
  limit: number,
): { total: number; errors: RecordError[] } {
  const total = (sql('SELECT COUNT(*) AS n FROM bulk_job_errors WHERE job_id = ?').get(id) as { n: number }).n;
  const rows = db
    .prepare('SELECT idx, field, error FROM bulk_job_errors WHERE job_id = ? ORDER BY idx LIMIT ? OFFSET ?')
    .all(id, limit, offset) as { idx: number; field: string | null; error: string }[];
  return {
    total,
    errors: rows.map((r) =>
      r.field === null ? { index: r.idx, error: r.error } : { index: r.idx, field: r.field, error: r.error },
    ),
  };
}

export function existingKeys(
  { sql }: SqliteAccess,
  def: ResourceDef,
  keyFields: readonly string[],
  rows: readonly { index: number; values: SqlValue[] }[],
): Set<number> {
  const idx = keyFields.map((k) => def.fields.findIndex((f) => f.name === k));
  const match = keyFields.map((k) => `${quoteIdent(k)} = ?`).join(' AND ');
  const probe = sql(`SELECT 1 FROM ${quoteIdent(def.name)} WHERE ${match} LIMIT 1`);
  return new Set(
    rows.filter((r) => probe.get(...idx.map((i) => r.values[i] ?? null)) !== undefined).map((r) => r.index),
  );
}

export function queueDepth({ sql }: SqliteAccess, owner?: string): number {
  const row =
    owner === undefined
      ? sql(`SELECT COUNT(*) AS n FROM bulk_jobs WHERE ${UNFINISHED}`).get()
      : sql(`SELECT COUNT(*) AS n FROM bulk_jobs WHERE owner = ? AND ${UNFINISHED}`).get(owner);
  return (row as { n: number }).n;
}

export function jobCounts({ sql }: SqliteAccess): JobCount[] {
  return sql('SELECT state, owner, COUNT(*) AS n FROM bulk_jobs GROUP BY state, owner').all() as JobCount[];
}

export function getSetting({ sql }: SqliteAccess, name: string): string | null {
  const row = sql('SELECT value FROM bulk_settings WHERE name = ?').get(name) as { value: string } | undefined;
  return row?.value ?? null;
}

export function setSetting({ sql }: SqliteAccess, name: string, value: string, now: string): void {
  sql(
    `INSERT INTO bulk_settings (name, value, updated_at) VALUES (?, ?, ?)
     ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
  ).run(name, value, now);
}

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
