/**
 * Writes one chunk of a job's records on PostgreSQL, inside the store's chunk transaction: the
 * rows go by COPY into a staging table, then one set-based statement moves them into the
 * resource's table (an insert that clashes with nothing goes by COPY straight into it). Each
 * row's outcome is what writing the rows one by one in file order gives.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { ResourceDef, SqlValue } from '../../resources/resource-types.js';
import { fieldSqlType, quoteIdent, type WriterShape } from './sql-helpers.js';
import { DUPLICATE_RECORD, NO_RECORD } from '../../resources/refusal-reasons.js';
import type { WriteOutcome } from './sql-helpers.js';
import { copyLines, copyValue } from './pg-copy.js';
import { foldByKey, type IndexedRow } from './upsert-fold.js';
import { missingForCreate } from './sql-helpers.js';
import { PgRowByRow } from './pg-row-by-row.js';

const STORED: WriteOutcome = { stored: true };
/** Chunks written the careful way after a clash, before a plain insert is tried again. */
const CAREFUL_AFTER_CLASH = 4;

export class PgRecordWriter {
  private readonly table: string;
  private readonly stage: string;
  private readonly createStage: string;
  private readonly fieldCols: string[];
  private readonly allFields: number[];
  private readonly keyIdx: number[];
  /** Fields an upsert may change, by index; a null value leaves the stored one. */
  private readonly updatable: number[];
  private readonly probes: { label: string; idx: number[]; where: string }[];
  private readonly rowByRow: PgRowByRow;
  /** How many more chunks skip the plain insert (see insertAll). */
  private carefulChunks = 0;

  constructor(
    private readonly def: ResourceDef,
    private readonly job: WriterShape,
  ) {
    this.table = quoteIdent(def.name);
    // One staging table per resource and connection; a hash keeps the name within 63 bytes.
    this.stage = quoteIdent(`bulk_stage_${createHash('sha256').update(def.name).digest('hex').slice(0, 16)}`);
    this.fieldCols = def.fields.map((f) => quoteIdent(f.name));
    this.allFields = def.fields.map((_, i) => i);
    const stageCols = def.fields.map((f, i) => `${this.fieldCols[i]} ${fieldSqlType('postgres', f.type)}`).join(', ');
    this.createStage =
      `CREATE TEMP TABLE IF NOT EXISTS ${this.stage} (job_index INTEGER NOT NULL, ${stageCols}) ` +
      `ON COMMIT DELETE ROWS`;
    const indexOf = (name: string) => def.fields.findIndex((f) => f.name === name);
    const keys = job.uniqueFields ?? [];
    this.keyIdx = keys.map(indexOf);
    this.updatable = (job.updateFields ?? def.fields.map((f) => f.name).filter((f) => !keys.includes(f)))
      .map(indexOf)
      .filter((i) => i >= 0);
    this.probes = def.uniqueKeys.map((key) => ({
      label: key.join(','),
      idx: key.map(indexOf),
      where: key.map((k) => `t.${quoteIdent(k)} = s.${quoteIdent(k)}`).join(' AND '),
    }));
    this.rowByRow = new PgRowByRow(def, job);
  }

  /** Outcomes in the order of `rows`. */
  async writeAll(client: pg.PoolClient, jobId: string, rows: IndexedRow[]): Promise<WriteOutcome[]> {
    if (rows.length === 0) return [];
    switch (this.job.jobType) {
      case 'insert':
        return this.insertAll(client, jobId, rows);
      case 'upsert':
        return this.upsertAll(client, jobId, rows);
      case 'delete':
        return this.deleteAll(client, rows);
    }
  }

  /** Into the staging table (made on first use on this connection; it empties at every commit). */
  private async copy(client: pg.PoolClient, rows: readonly IndexedRow[], only?: number[]): Promise<void> {
    await client.query(this.createStage);
    const idx = only ?? this.allFields;
    const columns = ['job_index', ...idx.map((i) => this.fieldCols[i])].join(', ');
    await copyLines(client, this.stage, columns, linesOf(rows, idx));
  }

  /**
   * First straight into the resource's table by COPY, under a savepoint: when no row clashes (the
   * usual case) every row is stored at the database's own bulk speed (the staging table and a
   * conflict-checking INSERT cost about three times that, measured). A clash rolls back to the
   * savepoint and the chunk goes through staging, as do the next few chunks of a writer that just
   * saw one (a re-sent file clashes on every chunk). No RELEASE: the commit ends the savepoint.
   */
  private async insertAll(client: pg.PoolClient, jobId: string, rows: IndexedRow[]): Promise<WriteOutcome[]> {
    if (this.carefulChunks > 0) this.carefulChunks--;
    else {
      await client.query('SAVEPOINT bulk_direct');
      try {
        await copyLines(
          client,
          this.table,
          `job_id, job_index, ${this.fieldCols.join(', ')}`,
          linesOf(rows, this.allFields, `${copyValue(jobId)}\t`),
        );
        return rows.map(() => STORED);
      } catch (err) {
        await client.query('ROLLBACK TO SAVEPOINT bulk_direct');
        if ((err as { code?: string }).code !== '23505') throw err;
        this.carefulChunks = CAREFUL_AFTER_CLASH;
      }
    }
    await this.copy(client, rows);
    return this.insertCarefully(client, jobId, rows);
  }

  /**
   * In index order, so of two rows with one key the first is stored and the second refused, as
   * one by one. Only the refused come back; each is then matched to the key it collided with.
   */
  private async insertCarefully(client: pg.PoolClient, jobId: string, rows: IndexedRow[]): Promise<WriteOutcome[]> {
    const cols = this.fieldCols.join(', ');
    const { rows: refused } = await client.query<{ job_index: number }>(
      `WITH ins AS (
         INSERT INTO ${this.table} (job_id, job_index, ${cols})
         SELECT $1, job_index, ${cols} FROM ${this.stage} ORDER BY job_index
         ON CONFLICT DO NOTHING RETURNING job_index)
       SELECT s.job_index FROM ${this.stage} s LEFT JOIN ins USING (job_index) WHERE ins.job_index IS NULL`,
      [jobId],
    );
    if (refused.length === 0) return rows.map(() => STORED);
    const labels = await this.collisionLabels(
      client,
      jobId,
      refused.map((r) => r.job_index),
    );
    return rows.map((r) => {
      const label = labels.get(r.index);
      return label === undefined ? STORED : { stored: false, field: label, error: DUPLICATE_RECORD };
    });
  }

  /**
   * For each refused index, the first declared key it matches a record on (the first key when none
   * does). Records this chunk stored from later rows are not looked at: one by one, they were not there yet.
   */
  private async collisionLabels(
    client: pg.PoolClient,
    jobId: string,
    refused: number[],
  ): Promise<Map<number, string | undefined>> {
    const fallback = this.probes[0]?.label;
    const labels = new Map<number, string | undefined>(refused.map((i) => [i, fallback]));
    // With one key (or none) every answer is the same label: nothing to ask.
    if (this.probes.length < 2) return labels;
    let open = refused;
    for (const p of this.probes) {
      if (open.length === 0) break;
      const { rows } = await client.query<{ job_index: number }>(
        `SELECT s.job_index FROM ${this.stage} s WHERE s.job_index = ANY($1)
         AND EXISTS (SELECT 1 FROM ${this.table} t
                     WHERE ${p.where} AND NOT (t.job_id = $2 AND t.job_index > s.job_index))`,
        [open, jobId],
      );
      const hit = new Set(rows.map((r) => r.job_index));
      for (const i of hit) labels.set(i, p.label);
      open = open.filter((i) => !hit.has(i));
    }
    return labels;
  }

  /**
   * Rows repeating a key are folded in file order first (one statement may touch a row once).
   * With several unique keys, a clash on another key than the one upserted on refuses only that
   * row: the statement runs under a savepoint and a clash (or a repeat, whose middle rows could
   * clash alone) sends the chunk row by row.
   */
  private async upsertAll(client: pg.PoolClient, jobId: string, rows: IndexedRow[]): Promise<WriteOutcome[]> {
    const folded = foldByKey(rows, this.keyIdx, this.updatable);
    if (folded.repeats && this.probes.length > 1) return this.rowByRow.writeAll(client, jobId, rows);
    if (rows.some((r) => missingForCreate(this.def, this.job, r.values).length > 0))
      return this.rowByRow.writeAll(client, jobId, rows);
    await this.copy(client, folded.rows);
    const cols = this.fieldCols.join(', ');
    const sets = [
      ...this.updatable.map(
        (i) => `${this.fieldCols[i]} = COALESCE(excluded.${this.fieldCols[i]}, t.${this.fieldCols[i]})`,
      ),
      'job_id = excluded.job_id',
      'job_index = excluded.job_index',
    ];
    await client.query('SAVEPOINT bulk_set');
    try {
      await client.query(
        `INSERT INTO ${this.table} AS t (job_id, job_index, ${cols})
         SELECT $1, job_index, ${cols} FROM ${this.stage} ORDER BY job_index
         ON CONFLICT (${this.keyIdx.map((i) => this.fieldCols[i]).join(', ')}) DO UPDATE SET ${sets.join(', ')}`,
        [jobId],
      );
    } catch (err) {
      await client.query('ROLLBACK TO SAVEPOINT bulk_set');
      if ((err as { code?: string }).code !== '23505') throw err;
      return this.rowByRow.writeAll(client, jobId, rows);
    }
    return rows.map(() => STORED);
  }

  /** The first row of each key deletes its record; a later one, like a key with no record, finds none. */
  private async deleteAll(client: pg.PoolClient, rows: IndexedRow[]): Promise<WriteOutcome[]> {
    await this.copy(client, rows, this.keyIdx);
    const keys = this.keyIdx.map((i) => this.fieldCols[i]).join(', ');
    const match = this.keyIdx.map((i) => `t.${this.fieldCols[i]} = s.${this.fieldCols[i]}`).join(' AND ');
    const { rows: deleted } = await client.query<{ job_index: number }>(
      `DELETE FROM ${this.table} t
       USING (SELECT DISTINCT ON (${keys}) job_index, ${keys} FROM ${this.stage} ORDER BY ${keys}, job_index) s
       WHERE ${match} RETURNING s.job_index`,
    );
    const done = new Set(deleted.map((r) => r.job_index));
    const label = this.job.uniqueFields?.join(',');
    return rows.map((r) => (done.has(r.index) ? STORED : { stored: false, field: label, error: NO_RECORD }));
  }
}

/** COPY text lines for the rows: job_index, then the chosen fields (after a fixed prefix, such as the job id). */
function* linesOf(rows: readonly IndexedRow[], idx: readonly number[], prefix = ''): Generator<string> {
  for (const row of rows) {
    let line = prefix + String(row.index);
    for (const i of idx) line += `\t${copyValue(row.values[i] as SqlValue)}`;
    yield `${line}\n`;
  }
}
