/**
 * The PostgreSQL store's reads that change nothing (listing, counting, errors, change counters,
 * settings): plain queries on the pool, kept apart from the claim and commit logic.
 */
import type pg from 'pg';
import type { RecordError } from '../../protocol/index.js';
import { isoAt } from '../clock.js';
import { toJobRecord, type JobRow } from './job-row.js';
import type { JobCount, JobRecord } from './store.js';
import type { FieldDef, ResourceDef, SqlValue } from '../../resources/resource-types.js';
import { fieldSqlType, quoteIdent } from './sql-helpers.js';

const UNFINISHED = "state IN ('Open', 'In Progress')";

/** A job's columns as JobRow wants them; `awaiting_takeover` is computed against the database's clock. */
export function jobColumns(alias = ''): string {
  const a = alias ? `${alias}.` : '';
  const plain = [
    'seq',
    'id',
    'resource',
    'job_type',
    'owner',
    'state',
    'total_items',
    'processed_items',
    'success_count',
    'error_count',
    'unique_fields',
    'update_fields',
    'created_at',
    'updated_at',
    'started_at',
    'completed_at',
    'abort_requested',
    'agg_state',
    'aggregates',
    'job_errors',
    'node',
    'source',
    'run_id',
  ];
  const awaiting = `(${a}state = 'In Progress' AND (${a}lease_until IS NULL OR ${a}lease_until < now()))`;
  return `${plain.map((c) => a + c).join(', ')}, ${awaiting} AS awaiting_takeover`;
}

export async function getJob(pool: pg.Pool, id: string): Promise<JobRecord | null> {
  const { rows } = await pool.query<JobRow>(`SELECT ${jobColumns()} FROM bulk_jobs WHERE id = $1`, [id]);
  return rows[0] ? toJobRecord(rows[0]) : null;
}

export async function listJobs(
  pool: pg.Pool,
  query: { owner: string | null; state?: string; limit: number; idPrefix?: string },
): Promise<JobRecord[]> {
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
  if (query.idPrefix) {
    args.push(`${query.idPrefix}%`);
    where.push(`id LIKE $${args.length}`);
  }
  args.push(query.limit);
  const { rows } = await pool.query<JobRow>(
    `SELECT ${jobColumns()} FROM bulk_jobs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ` +
      `ORDER BY seq DESC LIMIT $${args.length}`,
    args,
  );
  return rows.map(toJobRecord);
}

export async function recordErrors(
  pool: pg.Pool,
  id: string,
  offset: number,
  limit: number,
): Promise<{ total: number; errors: RecordError[] }> {
  const count = await pool.query<{ n: string }>('SELECT COUNT(*) AS n FROM bulk_job_errors WHERE job_id = $1', [id]);
  const { rows } = await pool.query<{ idx: number; field: string | null; error: string }>(
    'SELECT idx, field, error FROM bulk_job_errors WHERE job_id = $1 ORDER BY idx LIMIT $2 OFFSET $3',
    [id, limit, offset],
  );
  return {
    total: Number(count.rows[0]?.n ?? 0),
    errors: rows.map((r) =>
      r.field === null ? { index: r.idx, error: r.error } : { index: r.idx, field: r.field, error: r.error },
    ),
  };
}

export async function queueDepth(pool: pg.Pool, owner?: string): Promise<number> {
  const { rows } =
    owner === undefined
      ? await pool.query<{ n: string }>(`SELECT COUNT(*) AS n FROM bulk_jobs WHERE ${UNFINISHED}`)
      : await pool.query<{ n: string }>(`SELECT COUNT(*) AS n FROM bulk_jobs WHERE owner = $1 AND ${UNFINISHED}`, [
          owner,
        ]);
  return Number(rows[0]?.n ?? 0);
}

export async function jobCounts(pool: pg.Pool): Promise<JobCount[]> {
  const { rows } = await pool.query<{ state: JobCount['state']; owner: string; n: string }>(
    'SELECT state, owner, COUNT(*) AS n FROM bulk_jobs GROUP BY state, owner',
  );
  return rows.map((r) => ({ state: r.state, owner: r.owner, n: Number(r.n) }));
}

/** Owners with a job no live lease holds (or held by this node's own workers), the one waiting longest first. */
/** Which rows' keys name a record: the keys go as one array per field, matched in one query. */
export async function existingKeys(
  pool: pg.Pool,
  def: ResourceDef,
  keyFields: readonly string[],
  rows: readonly { index: number; values: SqlValue[] }[],
): Promise<Set<number>> {
  if (rows.length === 0) return new Set();
  const fields = keyFields.map((k) => def.fields.find((f) => f.name === k) as FieldDef);
  const idx = fields.map((f) => def.fields.indexOf(f));
  const cols = fields.map((f, i) => `$${i + 2}::${fieldSqlType('postgres', f.type)}[]`).join(', ');
  const match = keyFields.map((k, i) => `t.${quoteIdent(k)} = s.k${i}`).join(' AND ');
  const { rows: found } = await pool.query<{ i: number }>(
    `SELECT s.i FROM unnest($1::int[], ${cols}) AS s(i, ${keyFields.map((_, i) => `k${i}`).join(', ')}) ` +
      `WHERE EXISTS (SELECT 1 FROM ${quoteIdent(def.name)} t WHERE ${match})`,
    [rows.map((r) => r.index), ...idx.map((i) => rows.map((r) => r.values[i] ?? null))],
  );
  return new Set(found.map((r) => r.i));
}

export async function claimableOwners(pool: pg.Pool, nodeId: string): Promise<string[]> {
  const { rows } = await pool.query<{ owner: string }>(
    `SELECT owner FROM bulk_jobs
     WHERE ${UNFINISHED} AND (lease_until IS NULL OR lease_until < now() OR starts_with(lease_owner, $1))
     GROUP BY owner ORDER BY MIN(seq)`,
    [`${nodeId}/`],
  );
  return rows.map((r) => r.owner);
}

/**
 * Change counters of the jobs watched on this node (and, with `all`, of every unfinished or
 * recently finished job): the per-node events poller compares them between polls.
 */
export async function jobVersions(pool: pg.Pool, ids: string[], all: boolean): Promise<Map<string, number>> {
  const sql = all
    ? `SELECT id, version FROM bulk_jobs WHERE id = ANY($1) OR ${UNFINISHED} OR completed_at >= $2`
    : 'SELECT id, version FROM bulk_jobs WHERE id = ANY($1)';
  const args: unknown[] = all ? [ids, isoAt(Date.now() - 60_000)] : [ids];
  const { rows } = await pool.query<{ id: string; version: string }>(sql, args);
  return new Map(rows.map((r) => [r.id, Number(r.version)]));
}

export async function getSetting(pool: pg.Pool, name: string): Promise<string | null> {
  const { rows } = await pool.query<{ value: string }>('SELECT value FROM bulk_settings WHERE name = $1', [name]);
  return rows[0]?.value ?? null;
}

export async function setSetting(pool: pg.Pool, name: string, value: string, now: string): Promise<void> {
  await pool.query(
    `INSERT INTO bulk_settings (name, value, updated_at) VALUES ($1, $2, $3)
     ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
    [name, value, now],
  );
}
