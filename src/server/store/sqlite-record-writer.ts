/** Writes one chunk's records into a resource's SQLite table with prepared statements. */
import type Database from 'better-sqlite3';
import type { ResourceDef, SqlValue } from '../../resources/resource-types.js';
import { DUPLICATE_RECORD, NO_RECORD } from '../../resources/refusal-reasons.js';
import {
  cannotCreate,
  missingForCreate,
  quoteIdent,
  updateColumns,
  type WriteOutcome,
  type WriterShape,
} from './sql-helpers.js';

const STORED: WriteOutcome = { stored: true };
/** Insert rows per statement: SQLite binds at most 32,766 parameters, and a few hundred rows amortise a call well. */
const GROUP_ROWS = 200;
/** Statement variants per writer; past this many distinct shapes the cache starts over. */
const MAX_CACHED = 256;

const isUniqueViolation = (err: unknown) => (err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE';

/**
 * Writes the records of one job into its resource's table, with prepared statements reused across
 * chunks. Runs inside the store's chunk transaction; a refused record is an outcome, not a throw.
 */
export class SqliteRecordWriter {
  private readonly table: string;
  private readonly columns: string;
  private readonly placeholders: string;
  private readonly statements = new Map<string, Database.Statement>();
  private readonly keyIdx: number[];
  private readonly keyProbes: { label: string; stmt: Database.Statement; idx: number[] }[];
  /** Runs a function under a savepoint of the chunk's transaction (better-sqlite3 nests them so). */
  private readonly inSavepoint: (fn: () => unknown) => void;

  constructor(
    private readonly db: Database.Database,
    private readonly def: ResourceDef,
    private readonly job: WriterShape,
  ) {
    this.table = quoteIdent(def.name);
    this.columns = ['job_id', 'job_index', ...def.fields.map((f) => quoteIdent(f.name))].join(', ');
    this.placeholders = def.fields.map(() => '?').join(', ');
    this.inSavepoint = db.transaction((fn: () => unknown) => void fn());
    const indexOf = (name: string) => def.fields.findIndex((f) => f.name === name);
    this.keyIdx = (job.uniqueFields ?? []).map(indexOf);
    // Which key a refused record collided with: asked only when one is refused (rare).
    this.keyProbes = def.uniqueKeys.map((key) => ({
      label: key.join(','),
      idx: key.map(indexOf),
      stmt: db.prepare(
        `SELECT 1 FROM ${this.table} WHERE ${key.map((k) => `${quoteIdent(k)} = ?`).join(' AND ')} LIMIT 1`,
      ),
    }));
  }

  /**
   * A chunk's rows in order, one outcome each. Inserts go {@link GROUP_ROWS} rows to a statement
   * (one call into SQLite instead of one per row); a group that clashes anywhere is rolled back to
   * its savepoint and written row by row, so each refused row is found exactly as alone.
   */
  writeAll(jobId: string, rows: { index: number; values: SqlValue[] }[]): WriteOutcome[] {
    if (this.job.jobType !== 'insert') return rows.map((r) => this.write(jobId, r.index, r.values));
    const out: WriteOutcome[] = [];
    for (let from = 0; from < rows.length; from += GROUP_ROWS) {
      const group = rows.slice(from, from + GROUP_ROWS);
      if (group.length > 1 && this.insertGroup(jobId, group)) for (let i = 0; i < group.length; i++) out.push(STORED);
      else for (const r of group) out.push(this.write(jobId, r.index, r.values));
    }
    return out;
  }

  /** The group in one statement under a savepoint; false (nothing kept) if any row clashes. */
  private insertGroup(jobId: string, group: { index: number; values: SqlValue[] }[]): boolean {
    const width = this.def.fields.length + 2;
    const params: SqlValue[] = new Array(group.length * width);
    let p = 0;
    for (const { index, values } of group) {
      params[p++] = jobId;
      params[p++] = index;
      for (let i = 0; i < values.length; i++) params[p++] = values[i] as SqlValue;
    }
    const stmt = this.statement(`group:${group.length}`, () => {
      const one = `(?, ?, ${this.placeholders})`;
      return `INSERT INTO ${this.table} (${this.columns}) VALUES ${Array(group.length).fill(one).join(', ')}`;
    });
    try {
      this.inSavepoint(() => stmt.run(params));
      return true;
    } catch (err) {
      if (isUniqueViolation(err)) return false;
      throw err;
    }
  }

  write(jobId: string, index: number, values: SqlValue[]): WriteOutcome {
    switch (this.job.jobType) {
      case 'delete': {
        const changes = this.statement('delete', () => this.deleteSql()).run(
          ...this.keyIdx.map((i) => values[i] ?? null),
        ).changes;
        return changes > 0 ? STORED : { stored: false, field: this.job.uniqueFields?.join(','), error: NO_RECORD };
      }
      case 'upsert': {
        // Only the fields this record supplies are updated: a field it leaves out keeps its value.
        const updated = updateColumns(this.def, this.job, values);
        const missing = missingForCreate(this.def, this.job, values);
        if (missing.length > 0) return this.updateOnly(jobId, index, updated, values, missing);
        try {
          this.statement(`upsert:${updated.join(',')}`, () => this.upsertSql(updated)).run(jobId, index, ...values);
          return STORED;
        } catch (err) {
          // A clash on another unique key than the one upserted on.
          if (isUniqueViolation(err)) return this.duplicate(values);
          throw err;
        }
      }
      case 'insert': {
        const changes = this.statement(
          'insert',
          () =>
            `INSERT INTO ${this.table} (${this.columns}) VALUES (?, ?, ${this.placeholders}) ON CONFLICT DO NOTHING`,
        ).run(jobId, index, ...values).changes;
        return changes > 0 ? STORED : this.duplicate(values);
      }
    }
  }

  /** A partial record (required fields left out): it updates the record its key names, or is refused. */
  private updateOnly(
    jobId: string,
    index: number,
    updated: string[],
    values: SqlValue[],
    missing: string[],
  ): WriteOutcome {
    const idx = updated.map((name) => this.def.fields.findIndex((f) => f.name === name));
    const sets = [...updated.map((f) => `${quoteIdent(f)} = ?`), 'job_id = ?', 'job_index = ?'].join(', ');
    const match = (this.job.uniqueFields ?? []).map((f) => `${quoteIdent(f)} = ?`).join(' AND ');
    try {
      const changes = this.statement(
        `update:${updated.join(',')}`,
        () => `UPDATE ${this.table} SET ${sets} WHERE ${match}`,
      ).run(...idx.map((i) => values[i] ?? null), jobId, index, ...this.keyIdx.map((i) => values[i] ?? null)).changes;
      if (changes > 0) return STORED;
    } catch (err) {
      if (isUniqueViolation(err)) return this.duplicate(values);
      throw err;
    }
    return { stored: false, field: this.job.uniqueFields?.join(','), error: cannotCreate(missing) };
  }

  private duplicate(values: SqlValue[]): WriteOutcome {
    const hit = this.keyProbes.find(
      (p) => p.idx.every((i) => values[i] !== null) && p.stmt.get(...p.idx.map((i) => values[i] ?? null)) !== undefined,
    );
    return { stored: false, field: (hit ?? this.keyProbes[0])?.label, error: DUPLICATE_RECORD };
  }

  private upsertSql(updated: string[]): string {
    const keys = (this.job.uniqueFields ?? []).map(quoteIdent).join(', ');
    // job_id and job_index always move to the latest writer, so a match with nothing to change still counts as stored.
    const sets = [
      ...updated.map((f) => `${quoteIdent(f)} = excluded.${quoteIdent(f)}`),
      'job_id = excluded.job_id',
      'job_index = excluded.job_index',
    ];
    return (
      `INSERT INTO ${this.table} (${this.columns}) VALUES (?, ?, ${this.placeholders}) ` +
      `ON CONFLICT (${keys}) DO UPDATE SET ${sets.join(', ')}`
    );
  }

  private deleteSql(): string {
    const match = (this.job.uniqueFields ?? []).map((f) => `${quoteIdent(f)} = ?`).join(' AND ');
    return `DELETE FROM ${this.table} WHERE ${match}`;
  }

  private statement(key: string, sql: () => string): Database.Statement {
    let stmt = this.statements.get(key);
    if (!stmt) {
      if (this.statements.size >= MAX_CACHED) this.statements.clear();
      stmt = this.db.prepare(sql());
      this.statements.set(key, stmt);
    }
    return stmt;
  }
}
