/** The embedded store: one SQLite file, one node. */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { RecordError } from '../../protocol/index.js';
import type { ResourceDef, SqlValue } from '../../resources/resource-types.js';
import {
  type ChunkWrite,
  type ClaimedJob,
  type IdempotencyRecord,
  type JobCount,
  type JobEnd,
  type JobRecord,
  type JobStore,
  type NewJob,
} from './store.js';
import { classified, RunQueries } from './run-queries.js';
import { ensureResourceTable, migrateSqlite } from './sqlite-schema.js';
import { SqliteRecordWriter } from './sqlite-record-writer.js';
import { WriterCache } from './sql-helpers.js';
import * as q from './sqlite-job-queries.js';
import { classifySqliteError, translateStoreErrors } from './store-errors.js';
import { keepWalAfterWrites } from './sqlite-wal.js';
import { newNodeId } from '../observe/node-id.js';

/** SQLite's page cache, in KiB (its default is 2000). */
const CACHE_KIB = 32 * 1024;
/** WAL pages between automatic checkpoints (its default is 1000, about 4 MB). */
const CHECKPOINT_PAGES = 10_000;

/**
 * The embedded store: one SQLite file in WAL mode with synchronous=FULL, so a job acknowledged
 * with 202 survives a power loss, and each chunk commits its records with the job's progress.
 */
export class SqliteStore implements JobStore {
  readonly kind = 'sqlite' as const;
  readonly db: Database.Database;
  private readonly writers = new WriterCache((def, job) => new SqliteRecordWriter(this.db, def, job));
  private readonly statements = new Map<string, Database.Statement>();
  readonly runs = new RunQueries(
    'sqlite',
    classified((q, a) => this.db.prepare(q).all(...a), classifySqliteError),
  );

  /**
   * Prepared once, reused: the same statements run for every chunk, and preparing is parse and plan work on that hot
   * path. An arrow, so the queries (sqlite-job-queries.ts) can take it on its own.
   */
  readonly sql = (text: string): Database.Statement => {
    let stmt = this.statements.get(text);
    if (!stmt) {
      stmt = this.db.prepare(text);
      this.statements.set(text, stmt);
    }
    return stmt;
  };

  constructor(
    readonly dbPath: string,
    readonly nodeId: string = newNodeId(),
  ) {
    if (dbPath !== ':memory:') mkdirSync(path.dirname(path.resolve(dbPath)), { recursive: true });
    this.db = new Database(dbPath);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    this.db.pragma('foreign_keys = ON');
    // A resource's unique index is written in key order, which for rows arriving in random key
    // order touches pages all over it: with SQLite's default 2 MB page cache those pages are read
    // back and written out again chunk after chunk (random-order inserts cost 1.7x the server CPU,
    // measured at 300k rows). 32 MB of cache and a WAL checkpoint every ~40 MB instead of ~4 MB
    // keep the hot pages in memory between commits; durability is unchanged (synchronous=FULL).
    this.db.pragma(`cache_size = -${CACHE_KIB}`);
    this.db.pragma(`wal_autocheckpoint = ${CHECKPOINT_PAGES}`);
    const mode = String(this.db.pragma('journal_mode', { simple: true }));
    const sync = Number(this.db.pragma('synchronous', { simple: true }));
    // Checked rather than assumed: a filesystem that refuses WAL must not silently weaken durability.
    if (dbPath !== ':memory:' && (mode !== 'wal' || sync !== 2)) {
      throw new Error(
        `${dbPath}: SQLite is in journal_mode=${mode}, synchronous=${sync}; bulk serve needs WAL with synchronous=FULL`,
      );
    }
    migrateSqlite(this.db);
  }

  async init(resources: Map<string, ResourceDef>): Promise<void> {
    for (const def of resources.values()) ensureResourceTable(this.db, def);
  }

  async createJob(
    job: NewJob,
    payload: string,
    idempotency?: { key: string; hash: string; response: string },
  ): Promise<void> {
    this.db.transaction(() => q.insertJob(this, job, payload, idempotency)).immediate();
  }

  async createAndRun(
    job: NewJob,
    chunk: ChunkWrite,
    idempotency?: { key: string; hash: string; response: string },
  ): Promise<{ stored: number; errors: RecordError[] }> {
    return this.db
      .transaction(() => {
        q.insertJob(this, job, null, idempotency);
        this.sql('UPDATE bulk_jobs SET node = ? WHERE id = ?').run(this.nodeId, job.id);
        return this.writeChunk(chunk);
      })
      .immediate();
  }

  async findIdempotency(owner: string, key: string): Promise<IdempotencyRecord | null> {
    return q.findIdempotency(this, owner, key);
  }

  async getJob(id: string): Promise<JobRecord | null> {
    return q.getJob(this, id);
  }

  async listJobs(query: {
    owner: string | null;
    state?: string;
    limit: number;
    idPrefix?: string;
  }): Promise<JobRecord[]> {
    return q.listJobs(this, query);
  }

  /** See q.claimJob: the oldest unfinished job, stamped with this node; another run's is a takeover or hand-over. */
  async claimNext(_workerId: string, owner?: string): Promise<ClaimedJob | null> {
    return q.claimJob(this, this.nodeId, owner);
  }

  async releaseJobs(): Promise<string[]> {
    return q.releaseJobs(this, this.nodeId);
  }

  async claimableOwners(): Promise<string[]> {
    return q.claimableOwners(this);
  }

  async loadPayload(id: string): Promise<string> {
    const row = this.sql('SELECT body FROM bulk_job_payloads WHERE job_id = ?').get(id) as { body: string } | undefined;
    if (!row) throw new Error(`payload of job ${id} is missing`);
    return row.body;
  }

  async commitChunk(chunk: ChunkWrite): Promise<{ stored: number; errors: RecordError[] }> {
    // IMMEDIATE: the write lock is taken (waiting out busy_timeout) before anything is read, so a lock held elsewhere
    // is a clean SQLITE_BUSY, never a stale snapshot.
    return this.db.transaction(() => this.writeChunk(chunk)).immediate();
  }

  private writeChunk(chunk: ChunkWrite): { stored: number; errors: RecordError[] } {
    const writer = this.writers.get(chunk.resource, chunk.job);
    return q.writeChunk(this, writer, chunk, (id, end) => this.finishInTransaction(id, end));
  }

  async finishJob(id: string, end: JobEnd): Promise<boolean> {
    return this.db.transaction(() => this.finishInTransaction(id, end)).immediate();
  }

  /** Ends a job that is not final yet; a final job is never changed again. */
  private finishInTransaction(id: string, end: JobEnd): boolean {
    const guard = end.unstartedOnly ? "state = 'Open' AND processed_items = 0" : "state IN ('Open', 'In Progress')";
    const changed = this.sql(
      `UPDATE bulk_jobs SET state = ?, completed_at = ?, updated_at = ?, aggregates = ?, job_errors = ?
       WHERE id = ? AND ${guard}`,
    ).run(
      end.state,
      end.now,
      end.now,
      end.aggregates,
      end.jobErrors ? JSON.stringify(end.jobErrors) : null,
      id,
    ).changes;
    // The records are in their tables now; the request body is no longer needed.
    if (changed > 0) this.sql('DELETE FROM bulk_job_payloads WHERE job_id = ?').run(id);
    return changed > 0;
  }

  async requestAbort(id: string, now: string): Promise<void> {
    this.db.prepare('UPDATE bulk_jobs SET abort_requested = 1, updated_at = ? WHERE id = ?').run(now, id);
  }

  async isAbortRequested(id: string): Promise<boolean> {
    return q.isAbortRequested(this, id);
  }

  async recordErrors(id: string, offset: number, limit: number): Promise<{ total: number; errors: RecordError[] }> {
    return q.recordErrors(this, id, offset, limit);
  }

  async existingKeys(
    def: ResourceDef,
    keyFields: readonly string[],
    rows: readonly { index: number; values: SqlValue[] }[],
  ): Promise<Set<number>> {
    return q.existingKeys(this, def, keyFields, rows);
  }

  async queueDepth(owner?: string): Promise<number> {
    return q.queueDepth(this, owner);
  }

  async jobCounts(): Promise<JobCount[]> {
    return q.jobCounts(this);
  }

  async getSetting(name: string): Promise<string | null> {
    return q.getSetting(this, name);
  }

  async setSetting(name: string, value: string, now: string): Promise<void> {
    q.setSetting(this, name, value, now);
  }

  async expireJobs(cutoffIso: string): Promise<number> {
    return this.db
      .transaction(() => {
        const ids = (
          this.db
            .prepare(
              "SELECT id FROM bulk_jobs WHERE state IN ('Job Complete', 'Failed', 'Aborted') AND completed_at < ?",
            )
            .all(cutoffIso) as { id: string }[]
        ).map((r) => r.id);
        for (const id of ids) {
          this.db.prepare('DELETE FROM bulk_job_errors WHERE job_id = ?').run(id);
          this.db.prepare('DELETE FROM bulk_job_payloads WHERE job_id = ?').run(id);
          this.db.prepare('DELETE FROM bulk_idempotency WHERE job_id = ?').run(id);
          this.db.prepare('DELETE FROM bulk_jobs WHERE id = ?').run(id);
        }
        return ids.length;
      })
      .immediate();
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

keepWalAfterWrites(SqliteStore.prototype);
translateStoreErrors(SqliteStore.prototype, classifySqliteError);
