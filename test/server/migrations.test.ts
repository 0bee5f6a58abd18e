import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { loadResources } from '../../src/server/resources/load-resources.js';
import { MIGRATIONS } from '../../src/server/store/migrations/index.js';
import { PostgresStore } from '../../src/server/store/postgres-store.js';
import { SqliteStore } from '../../src/server/store/sqlite-store.js';
import { createTestSchema, pgReachable, reportPgSkip } from '../helpers/pg.js';
import { tempDir } from '../helpers/temp.js';

const pgUp = await pgReachable();
if (!pgUp) reportPgSkip('migrations (PostgreSQL)');
const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

const ALL = MIGRATIONS.map((m) => m.version);
const JOB_COLUMNS = ['seq', 'id', 'state', 'lease_owner', 'lease_until', 'version', 'node'];

/** The job tables exactly as SQLite databases of the previous release have them (user_version 2). */
const OLD_SQLITE = `CREATE TABLE bulk_jobs (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, resource TEXT NOT NULL, job_type TEXT NOT NULL, owner TEXT NOT NULL DEFAULT '', state TEXT NOT NULL, total_items INTEGER NOT NULL, processed_items INTEGER NOT NULL DEFAULT 0, success_count INTEGER NOT NULL DEFAULT 0, error_count INTEGER NOT NULL DEFAULT 0, unique_fields TEXT, update_fields TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, started_at TEXT, completed_at TEXT, abort_requested INTEGER NOT NULL DEFAULT 0, agg_state TEXT, aggregates TEXT, job_errors TEXT);
CREATE INDEX bulk_jobs_state ON bulk_jobs(state, seq);
CREATE INDEX bulk_jobs_owner ON bulk_jobs(owner, seq);
CREATE TABLE bulk_job_payloads (job_id TEXT PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE bulk_job_errors (job_id TEXT NOT NULL, idx INTEGER NOT NULL, field TEXT, error TEXT NOT NULL, PRIMARY KEY (job_id, idx));
CREATE TABLE bulk_idempotency (owner TEXT NOT NULL, key TEXT NOT NULL, request_hash TEXT NOT NULL, job_id TEXT NOT NULL, created_at TEXT NOT NULL, PRIMARY KEY (owner, key));
ALTER TABLE bulk_idempotency ADD COLUMN response TEXT;
CREATE INDEX bulk_idempotency_job ON bulk_idempotency(job_id);
INSERT INTO bulk_jobs (id, resource, job_type, state, total_items, created_at, updated_at) VALUES ('kept', 'transactions', 'insert', 'Job Complete', 1, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z');
PRAGMA user_version = 2;`;

describe('one numbered migration scheme for both databases', () => {
  it('a new SQLite database runs every migration once; reopening runs none', async () => {
    const file = path.join(tempDir(), 'new.db');
    await new SqliteStore(file).close();
    await new SqliteStore(file).close();
    const db = new Database(file);
    expect(
      (db.prepare('SELECT version FROM bulk_schema_migrations ORDER BY version').all() as { version: number }[]).map(
        (r) => r.version,
      ),
    ).toEqual(ALL);
    expect((db.prepare('PRAGMA table_info(bulk_jobs)').all() as { name: string }[]).map((c) => c.name)).toEqual(
      expect.arrayContaining(JOB_COLUMNS),
    );
    db.close();
  });

  it('a SQLite database of the previous release (counted in user_version) keeps its jobs and gets the later migrations', async () => {
    const file = path.join(tempDir(), 'old.db');
    const old = new Database(file);
    old.exec(OLD_SQLITE);
    old.close();
    const store = new SqliteStore(file);
    expect((await store.getJob('kept'))?.state).toBe('Job Complete');
    await store.close();
    const db = new Database(file);
    expect(
      (db.prepare('SELECT version FROM bulk_schema_migrations ORDER BY version').all() as { version: number }[]).map(
        (r) => r.version,
      ),
    ).toEqual(ALL);
    expect((db.prepare('PRAGMA table_info(bulk_jobs)').all() as { name: string }[]).map((c) => c.name)).toEqual(
      expect.arrayContaining(JOB_COLUMNS),
    );
    expect(db.pragma('user_version', { simple: true })).toBe(ALL.length);
    db.close();
  });

  it.skipIf(!pgUp)(
    'a PostgreSQL schema of the previous release (its own 001_init) gets the later migrations, none twice',
    async () => {
      const schema = await createTestSchema();
      cleanups.push(schema.drop);
      const c = new pg.Client({ connectionString: schema.url });
      await c.connect();
      cleanups.push(() => c.end());
      // The previous release's PostgreSQL schema: every column already, recorded as version 1.
      await c.query(`CREATE TABLE bulk_schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now());
      CREATE TABLE bulk_jobs (seq BIGSERIAL PRIMARY KEY, id TEXT NOT NULL UNIQUE, resource TEXT NOT NULL, job_type TEXT NOT NULL, owner TEXT NOT NULL DEFAULT '', state TEXT NOT NULL, total_items INTEGER NOT NULL, processed_items INTEGER NOT NULL DEFAULT 0, success_count INTEGER NOT NULL DEFAULT 0, error_count INTEGER NOT NULL DEFAULT 0, unique_fields TEXT, update_fields TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, started_at TEXT, completed_at TEXT, abort_requested BOOLEAN NOT NULL DEFAULT FALSE, agg_state TEXT, aggregates TEXT, job_errors TEXT, lease_owner TEXT, lease_until TIMESTAMPTZ, version BIGINT NOT NULL DEFAULT 0);
      CREATE INDEX bulk_jobs_state ON bulk_jobs(state, seq);
      CREATE TABLE bulk_job_payloads (job_id TEXT PRIMARY KEY, body TEXT NOT NULL);
      CREATE TABLE bulk_job_errors (job_id TEXT NOT NULL, idx INTEGER NOT NULL, field TEXT, error TEXT NOT NULL, PRIMARY KEY (job_id, idx));
      CREATE TABLE bulk_idempotency (owner TEXT NOT NULL, key TEXT NOT NULL, request_hash TEXT NOT NULL, job_id TEXT NOT NULL, created_at TEXT NOT NULL, response TEXT, PRIMARY KEY (owner, key));
      CREATE INDEX bulk_idempotency_job ON bulk_idempotency(job_id);
      INSERT INTO bulk_schema_migrations (version, name) VALUES (1, '001_init');`);
      const store = new PostgresStore(schema.url);
      await store.init(loadResources());
      await store.close();
      expect(
        (await c.query('SELECT version FROM bulk_schema_migrations ORDER BY version')).rows.map(
          (r: { version: number }) => r.version,
        ),
      ).toEqual(ALL);
      const cols = (
        await c.query(
          "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'bulk_jobs'",
        )
      ).rows.map((r: { column_name: string }) => r.column_name);
      expect(cols).toEqual(expect.arrayContaining(JOB_COLUMNS));
    },
  );
});
