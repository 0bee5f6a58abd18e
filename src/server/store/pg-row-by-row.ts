/**
 * The one-row-at-a-time PostgreSQL upsert, for the rare chunk a set cannot write exactly: an
 * upsert that clashes on another unique key than the one it names (only that row is refused), or
 * one whose records leave out required fields (they update, or are refused: they cannot create).
 */
import type pg from 'pg';
import type { ResourceDef, SqlValue } from '../../resources/resource-types.js';
import { cannotCreate, missingForCreate, quoteIdent, updateColumns, type WriterShape } from './sql-helpers.js';
import { DUPLICATE_RECORD } from '../../resources/refusal-reasons.js';
import type { WriteOutcome } from './sql-helpers.js';
import type { IndexedRow } from './upsert-fold.js';

const STORED: WriteOutcome = { stored: true };

export class PgRowByRow {
  private readonly table: string;
  private readonly columns: string;
  private readonly keyProbes: { label: string; sql: string; idx: number[] }[];

  constructor(
    private readonly def: ResourceDef,
    private readonly job: WriterShape,
  ) {
    this.table = quoteIdent(def.name);
    this.columns = ['job_id', 'job_index', ...def.fields.map((f) => quoteIdent(f.name))].join(', ');
    const indexOf = (name: string) => def.fields.findIndex((f) => f.name === name);
    this.keyProbes = def.uniqueKeys.map((key) => ({
      label: key.join(','),
      idx: key.map(indexOf),
      sql: `SELECT 1 FROM ${this.table}
            WHERE ${key.map((k, i) => `${quoteIdent(k)} = $${i + 1}`).join(' AND ')} LIMIT 1`,
    }));
  }

  /** Upserts in order, each under a savepoint (a clash must not abort the chunk's transaction). */
  async writeAll(client: pg.PoolClient, jobId: string, rows: readonly IndexedRow[]): Promise<WriteOutcome[]> {
    const out: WriteOutcome[] = [];
    for (const row of rows) out.push(await this.upsert(client, jobId, row.index, row.values));
    return out;
  }

  private async upsert(client: pg.PoolClient, jobId: string, index: number, values: SqlValue[]): Promise<WriteOutcome> {
    const updated = updateColumns(this.def, this.job, values);
    const missing = missingForCreate(this.def, this.job, values);
    if (missing.length > 0) return this.updateOnly(client, jobId, index, updated, values, missing);
    const keys = (this.job.uniqueFields ?? []).map(quoteIdent).join(', ');
    const sets = [
      ...updated.map((f) => `${quoteIdent(f)} = excluded.${quoteIdent(f)}`),
      'job_id = excluded.job_id',
      'job_index = excluded.job_index',
    ];
    const placeholders = Array.from({ length: values.length + 2 }, (_, i) => `$${i + 1}`).join(', ');
    await client.query('SAVEPOINT bulk_row');
    try {
      await client.query(
        `INSERT INTO ${this.table} (${this.columns}) VALUES (${placeholders}) ` +
          `ON CONFLICT (${keys}) DO UPDATE SET ${sets.join(', ')}`,
        [jobId, index, ...values],
      );
      await client.query('RELEASE SAVEPOINT bulk_row');
      return STORED;
    } catch (err) {
      await client.query('ROLLBACK TO SAVEPOINT bulk_row');
      if ((err as { code?: string }).code === '23505') return this.duplicate(client, values);
      throw err;
    }
  }

  /** A partial record (required fields left out): it updates the record its key names, or is refused. */
  private async updateOnly(
    client: pg.PoolClient,
    jobId: string,
    index: number,
    updated: string[],
    values: SqlValue[],
    missing: string[],
  ): Promise<WriteOutcome> {
    const at = (name: string) => values[this.def.fields.findIndex((f) => f.name === name)] ?? null;
    const keys = this.job.uniqueFields ?? [];
    const params = [...updated.map(at), jobId, index, ...keys.map(at)];
    const sets = [...updated, 'job_id', 'job_index'].map((f, i) => `${quoteIdent(f)} = $${i + 1}`).join(', ');
    const match = keys.map((k, i) => `${quoteIdent(k)} = $${updated.length + 3 + i}`).join(' AND ');
    await client.query('SAVEPOINT bulk_row');
    try {
      const res = await client.query(`UPDATE ${this.table} SET ${sets} WHERE ${match}`, params);
      await client.query('RELEASE SAVEPOINT bulk_row');
      if ((res.rowCount ?? 0) > 0) return STORED;
      return { stored: false, field: keys.join(','), error: cannotCreate(missing) };
    } catch (err) {
      await client.query('ROLLBACK TO SAVEPOINT bulk_row');
      if ((err as { code?: string }).code === '23505') return this.duplicate(client, values);
      throw err;
    }
  }

  private async duplicate(client: pg.PoolClient, values: SqlValue[]): Promise<WriteOutcome> {
    for (const p of this.keyProbes) {
      if (!p.idx.every((i) => values[i] !== null && values[i] !== undefined)) continue;
      const res = await client.query(
        p.sql,
        p.idx.map((i) => values[i]),
      );
      if ((res.rowCount ?? 0) > 0) return { stored: false, field: p.label, error: DUPLICATE_RECORD };
    }
    return { stored: false, field: this.keyProbes[0]?.label, error: DUPLICATE_RECORD };
  }
}
