/** Writes one chunk's records into a resource's PostgreSQL table. */
import type pg from 'pg';
import type { ResourceDef, SqlValue } from '../resources/resource-types.js';
import { quoteIdent, updateColumns, type WriterShape } from './sql-helpers.js';
import type { WriteOutcome } from './sqlite-record-writer.js';

/** PostgreSQL allows 65535 parameters per statement; a batch stays well under. */
const MAX_PARAMS = 30_000;

/**
 * Writes one chunk of a job's records inside the store's chunk transaction (same rules as the
 * SQLite writer). Inserts go as multi-row `INSERT … ON CONFLICT DO NOTHING RETURNING job_index`;
 * upserts row by row under a savepoint (a clash on another key must not abort the transaction).
 */
export class PgRecordWriter {
  private readonly table: string;
  private readonly columns: string;
  private readonly keyIdx: number[];
  private readonly keyProbes: { label: string; sql: string; idx: number[] }[];

  constructor(
    private readonly def: ResourceDef,
    private readonly job: WriterShape,
  ) {
    this.table = quoteIdent(def.name);
    this.columns = ['job_id', 'job_index', ...def.fields.map((f) => quoteIdent(f.name))].join(', ');
    const indexOf = (name: string) => def.fields.findIndex((f) => f.name === name);
    this.keyIdx = (job.uniqueFields ?? []).map(indexOf);
    this.keyProbes = def.uniqueKeys.map((key) => ({
      label: key.join(','),
      idx: key.map(indexOf),
      sql: `SELECT 1 FROM ${this.table} WHERE ${key.map((k, i) => `${quoteIdent(k)} = $${i + 1}`).join(' AND ')} LIMIT 1`,
    }));
  }

  /** Outcomes in the order of `rows`. */
  async writeAll(client: pg.PoolClient, jobId: string, rows: { index: number; values: SqlValue[] }[]): Promise<WriteOutcome[]> {
    if (this.job.jobType === 'insert') return this.insertAll(client, jobId, rows);
    const out: WriteOutcome[] = [];
    for (const row of rows) out.push(this.job.jobType === 'delete' ? await this.delete(client, row.values) : await this.upsert(client, jobId, row.index, row.values));
    return out;
  }

  private async insertAll(client: pg.PoolClient, jobId: string, rows: { index: number; values: SqlValue[] }[]): Promise<WriteOutcome[]> {
    const width = this.def.fields.length + 2;
    const perBatch = Math.max(1, Math.floor(MAX_PARAMS / width));
    const stored = new Set<number>();
    for (let start = 0; start < rows.length; start += perBatch) {
      const batch = rows.slice(start, start + perBatch);
      const params: unknown[] = [];
      const tuples: string[] = [];
      for (const row of batch) {
        const base = params.length;
        params.push(jobId, row.index, ...row.values);
        tuples.push(`(${Array.from({ length: width }, (_, i) => `$${base + i + 1}`).join(', ')})`);
      }
      // Multi-row VALUES insert in order, so the first of two equal keys in a chunk wins, as in SQLite.
      const res = await client.query<{ job_index: number }>(`INSERT INTO ${this.table} (${this.columns}) VALUES ${tuples.join(', ')} ON CONFLICT DO NOTHING RETURNING job_index`, params);
      for (const r of res.rows) stored.add(r.job_index);
    }
    const out: WriteOutcome[] = [];
    for (const row of rows) out.push(stored.has(row.index) ? STORED : await this.duplicate(client, row.values));
    return out;
  }

  private async delete(client: pg.PoolClient, values: SqlValue[]): Promise<WriteOutcome> {
    const where = (this.job.uniqueFields ?? []).map((f, i) => `${quoteIdent(f)} = $${i + 1}`).join(' AND ');
    const res = await client.query(`DELETE FROM ${this.table} WHERE ${where}`, this.keyIdx.map((i) => values[i] ?? null));
    return (res.rowCount ?? 0) > 0 ? STORED : { stored: false, field: this.job.uniqueFields?.join(','), error: 'no record with this key' };
  }

  private async upsert(client: pg.PoolClient, jobId: string, index: number, values: SqlValue[]): Promise<WriteOutcome> {
    const updated = updateColumns(this.def, this.job, values);
    const keys = (this.job.uniqueFields ?? []).map(quoteIdent).join(', ');
    const sets = [...updated.map((f) => `${quoteIdent(f)} = excluded.${quoteIdent(f)}`), 'job_id = excluded.job_id', 'job_index = excluded.job_index'];
    const placeholders = Array.from({ length: values.length + 2 }, (_, i) => `$${i + 1}`).join(', ');
    await client.query('SAVEPOINT bulk_row');
    try {
      await client.query(`INSERT INTO ${this.table} (${this.columns}) VALUES (${placeholders}) ON CONFLICT (${keys}) DO UPDATE SET ${sets.join(', ')}`, [jobId, index, ...values]);
      await client.query('RELEASE SAVEPOINT bulk_row');
      return STORED;
    } catch (err) {
      await client.query('ROLLBACK TO SAVEPOINT bulk_row');
      // A clash on another unique key than the one upserted on.
      if ((err as { code?: string }).code === '23505') return this.duplicate(client, values);
      throw err;
    }
  }

  private async duplicate(client: pg.PoolClient, values: SqlValue[]): Promise<WriteOutcome> {
    for (const p of this.keyProbes) {
      if (!p.idx.every((i) => values[i] !== null && values[i] !== undefined)) continue;
      const res = await client.query(p.sql, p.idx.map((i) => values[i]));
      if ((res.rowCount ?? 0) > 0) return { stored: false, field: p.label, error: 'duplicate of an existing record' };
    }
    return { stored: false, field: this.keyProbes[0]?.label, error: 'duplicate of an existing record' };
  }
}

const STORED: WriteOutcome = { stored: true };
