/**
 * Runs (ext): the jobs one upload started, grouped by their Bulk-Run header. Read-only queries
 * written once for both databases (`?` placeholders, numbered for PostgreSQL), each paged by a
 * key (never an offset) and always within one owner, as jobs are.
 */
import type { JobSource } from '../../protocol/job-source.js';
import { toJobRecord, type JobRow } from './job-row.js';
import type { ErrorCursor, ReasonCount, RunCursor, RunErrorRecord, RunRecord } from './run-records.js';
import type { Dialect } from './sql-helpers.js';
import type { JobRecord, RunReader } from './store.js';

export type { ErrorCursor, ReasonCount, RunCursor, RunErrorRecord, RunRecord } from './run-records.js';

/** Runs a query and returns its rows: the one thing a store hands this module. */
export type SqlAll = (sql: string, args: unknown[]) => Promise<unknown[]>;

/**
 * The store's query with its errors classified as its methods' are (the run queries are a
 * property, which translateStoreErrors does not wrap).
 */
export function classified(
  all: (sql: string, args: unknown[]) => unknown[] | Promise<unknown[]>,
  classify: (err: unknown) => unknown,
): SqlAll {
  return async (sql, args) => {
    try {
      return await all(sql, args);
    } catch (err) {
      throw classify(err);
    }
  };
}

const SUMS = `COUNT(*) AS jobs, SUM(total_items) AS total_items, SUM(processed_items) AS processed_items,
  SUM(success_count) AS success_count, SUM(error_count) AS error_count,
  SUM(CASE WHEN job_type = 'insert' THEN success_count ELSE 0 END) AS created,
  SUM(CASE WHEN job_type = 'upsert' THEN success_count ELSE 0 END) AS updated,
  SUM(CASE WHEN job_type = 'delete' THEN success_count ELSE 0 END) AS deleted,
  SUM(CASE WHEN state IN ('Open', 'In Progress') THEN 1 ELSE 0 END) AS unfinished_jobs,
  SUM(CASE WHEN state = 'Failed' THEN 1 ELSE 0 END) AS failed_jobs,
  SUM(CASE WHEN state = 'Aborted' THEN 1 ELSE 0 END) AS aborted_jobs,
  MIN(created_at) AS first_at, MAX(updated_at) AS last_at`;

type Row = Record<string, unknown>;
const num = (v: unknown) => Number(v ?? 0);

export class RunQueries implements RunReader {
  private readonly fileExpr: string;

  constructor(
    private readonly dialect: Dialect,
    private readonly all: SqlAll,
    /** The job columns JobRow wants (PostgreSQL computes awaiting_takeover). */
    private readonly jobColumns = '*',
  ) {
    this.fileExpr = dialect === 'postgres' ? "(source::json->>'file')" : "json_extract(source, '$.file')";
  }

  private query(sql: string, args: unknown[]): Promise<Row[]> {
    let n = 0;
    const text = this.dialect === 'postgres' ? sql.replace(/\?/g, () => `$${++n}`) : sql;
    return this.all(text, args) as Promise<Row[]>;
  }

  /** The owner's runs, newest first (by their first job), after `before` when given. */
  async listRuns(owner: string, limit: number, before?: RunCursor, idPrefix?: string): Promise<RunRecord[]> {
    const args: unknown[] = [owner];
    let where = 'owner = ? AND run_id IS NOT NULL';
    if (idPrefix) {
      where += ' AND run_id LIKE ?';
      args.push(`${idPrefix.replace(/[%_\\]/g, '')}%`);
    }
    let having = '';
    if (before) {
      having = 'HAVING MIN(created_at) < ? OR (MIN(created_at) = ? AND run_id < ?)';
      args.push(before.firstAt, before.firstAt, before.runId);
    }
    const rows = await this.query(
      `SELECT run_id, ${SUMS} FROM bulk_jobs WHERE ${where} GROUP BY run_id ${having}
       ORDER BY first_at DESC, run_id DESC LIMIT ?`,
      [...args, limit],
    );
    return this.withFiles(owner, rows);
  }

  async getRun(owner: string, runId: string): Promise<RunRecord | null> {
    const rows = await this.query(
      `SELECT run_id, ${SUMS} FROM bulk_jobs WHERE owner = ? AND run_id = ? GROUP BY run_id`,
      [owner, runId],
    );
    return (await this.withFiles(owner, rows))[0] ?? null;
  }

  private async withFiles(owner: string, rows: Row[]): Promise<RunRecord[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => String(r.run_id));
    const marks = ids.map(() => '?').join(', ');
    const names = await this.query(
      `SELECT run_id, ${this.fileExpr} AS file, resource, MIN(seq) AS first_seq FROM bulk_jobs
       WHERE owner = ? AND run_id IN (${marks}) GROUP BY run_id, ${this.fileExpr}, resource ORDER BY first_seq`,
      [owner, ...ids],
    );
    return rows.map((r) => {
      const mine = names.filter((n) => n.run_id === r.run_id);
      const distinct = (key: string) => [...new Set(mine.map((n) => n[key]).filter((v) => typeof v === 'string'))];
      return {
        runId: String(r.run_id),
        jobs: num(r.jobs),
        files: distinct('file') as string[],
        resources: distinct('resource') as string[],
        totalItems: num(r.total_items),
        processedItems: num(r.processed_items),
        successCount: num(r.success_count),
        errorCount: num(r.error_count),
        created: num(r.created),
        updated: num(r.updated),
        deleted: num(r.deleted),
        unfinishedJobs: num(r.unfinished_jobs),
        failedJobs: num(r.failed_jobs),
        abortedJobs: num(r.aborted_jobs),
        firstAt: String(r.first_at),
        lastAt: String(r.last_at),
      };
    });
  }

  /** A run's jobs in the order they were made (batch order), after job `afterSeq` when given. */
  async runJobs(
    owner: string,
    runId: string,
    opts: { limit: number; afterSeq?: number; unfinishedOnly?: boolean },
  ): Promise<JobRecord[]> {
    const args: unknown[] = [owner, runId];
    let where = 'owner = ? AND run_id = ?';
    if (opts.afterSeq !== undefined) {
      where += ' AND seq > ?';
      args.push(opts.afterSeq);
    }
    if (opts.unfinishedOnly) where += " AND state IN ('Open', 'In Progress')";
    const rows = await this.query(`SELECT ${this.jobColumns} FROM bulk_jobs WHERE ${where} ORDER BY seq LIMIT ?`, [
      ...args,
      opts.limit,
    ]);
    return (rows as unknown as JobRow[]).map(toJobRecord);
  }

  /** The owner's jobs newest first, before job `beforeSeq` when given (the jobs list's keyset page). */
  async jobsBefore(owner: string, opts: { limit: number; beforeSeq?: number; state?: string }): Promise<JobRecord[]> {
    const args: unknown[] = [owner];
    let where = 'owner = ?';
    if (opts.beforeSeq !== undefined) {
      where += ' AND seq < ?';
      args.push(opts.beforeSeq);
    }
    if (opts.state) {
      where += ' AND state = ?';
      args.push(opts.state);
    }
    const rows = await this.query(`SELECT ${this.jobColumns} FROM bulk_jobs WHERE ${where} ORDER BY seq DESC LIMIT ?`, [
      ...args,
      opts.limit,
    ]);
    return (rows as unknown as JobRow[]).map(toJobRecord);
  }

  /** The record errors of a run (or of one job), in job then item order, after `after` when given. */
  async errors(
    owner: string,
    of: { runId: string } | { jobId: string },
    opts: { limit: number; after?: ErrorCursor },
  ): Promise<RunErrorRecord[]> {
    const args: unknown[] = [owner];
    let where = 'j.owner = ?';
    if ('runId' in of) {
      where += ' AND j.run_id = ?';
      args.push(of.runId);
    } else {
      where += ' AND j.id = ?';
      args.push(of.jobId);
    }
    if (opts.after) {
      where += ' AND (j.seq > ? OR (j.seq = ? AND e.idx > ?))';
      args.push(opts.after.seq, opts.after.seq, opts.after.index);
    }
    const rows = await this.query(
      `SELECT j.id AS job_id, j.seq, j.source, j.total_items, e.idx, e.field, e.error, e.value
       FROM bulk_job_errors e JOIN bulk_jobs j ON j.id = e.job_id WHERE ${where} ORDER BY j.seq, e.idx LIMIT ?`,
      [...args, opts.limit],
    );
    return rows.map(errorRecord);
  }

  async overview(owner: string, sinceIso: string) {
    const states = await this.query('SELECT state, COUNT(*) AS n FROM bulk_jobs WHERE owner = ? GROUP BY state', [
      owner,
    ]);
    const recent = await this.query(
      `SELECT SUM(success_count) AS stored, SUM(error_count) AS failed FROM bulk_jobs
       WHERE owner = ? AND updated_at >= ?`,
      [owner, sinceIso],
    );
    return {
      byState: Object.fromEntries(states.map((r) => [String(r.state), num(r.n)])),
      stored: num(recent[0]?.stored),
      failed: num(recent[0]?.failed),
    };
  }

  /** A run's record errors counted by field and reason, the largest first, each with its first row. */
  async reasons(owner: string, runId: string, limit: number): Promise<ReasonCount[]> {
    const groups = await this.query(
      `SELECT e.field, e.error, COUNT(*) AS n FROM bulk_job_errors e JOIN bulk_jobs j ON j.id = e.job_id
       WHERE j.owner = ? AND j.run_id = ? GROUP BY e.field, e.error ORDER BY n DESC, e.error LIMIT ?`,
      [owner, runId, limit],
    );
    const out: ReasonCount[] = [];
    for (const g of groups) {
      const first = await this.query(
        `SELECT j.id AS job_id, j.seq, j.source, j.total_items, e.idx, e.field, e.error, e.value
         FROM bulk_job_errors e JOIN bulk_jobs j ON j.id = e.job_id
         WHERE j.owner = ? AND j.run_id = ? AND COALESCE(e.field, '') = ? AND e.error = ?
         ORDER BY j.seq, e.idx LIMIT 1`,
        [owner, runId, g.field ?? '', g.error],
      );
      out.push({
        field: (g.field as string | null) ?? null,
        error: String(g.error),
        count: num(g.n),
        first: first[0] ? errorRecord(first[0]) : null,
      });
    }
    return out;
  }
}

function errorRecord(r: Row): RunErrorRecord {
  return {
    jobId: String(r.job_id),
    seq: num(r.seq),
    index: num(r.idx),
    field: (r.field as string | null) ?? null,
    error: String(r.error),
    value: (r.value as string | null) ?? null,
    source: typeof r.source === 'string' ? (JSON.parse(r.source) as JobSource) : null,
    totalItems: num(r.total_items),
  };
}

/**
 * The input line of a job's item: exact when the job's line range holds one line per item (each
 * row on its own line), else null (quoted line breaks: the range is all the server knows).
 */
export function lineOf(source: JobSource | null, totalItems: number, index: number): number | null {
  if (!source) return null;
  const lines = source.last_line - source.first_line + 1;
  return lines === totalItems ? source.first_line + index : null;
}
