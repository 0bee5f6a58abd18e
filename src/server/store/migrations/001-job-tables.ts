/** Migration 1: the job tables, the one definition of bulk_jobs and its companions. */
import { COLUMN, type Migration } from './migration.js';

export const jobTables: Migration = {
  version: 1,
  name: '001_job_tables',
  sql: (d) => `
CREATE TABLE IF NOT EXISTS bulk_jobs (
  seq ${COLUMN[d].serial},
  id TEXT NOT NULL UNIQUE,
  resource TEXT NOT NULL,
  job_type TEXT NOT NULL,
  owner TEXT NOT NULL DEFAULT '',
  state TEXT NOT NULL,
  total_items INTEGER NOT NULL,
  processed_items INTEGER NOT NULL DEFAULT 0,
  success_count INTEGER NOT NULL DEFAULT 0,
  error_count INTEGER NOT NULL DEFAULT 0,
  unique_fields TEXT,
  update_fields TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  started_at TEXT,
  completed_at TEXT,
  abort_requested ${COLUMN[d].flag},
  agg_state TEXT,
  aggregates TEXT,
  job_errors TEXT
);
CREATE INDEX IF NOT EXISTS bulk_jobs_state ON bulk_jobs(state, seq);
CREATE INDEX IF NOT EXISTS bulk_jobs_owner ON bulk_jobs(owner, seq);
CREATE TABLE IF NOT EXISTS bulk_job_payloads (job_id TEXT PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS bulk_job_errors (
  job_id TEXT NOT NULL, idx INTEGER NOT NULL, field TEXT, error TEXT NOT NULL, PRIMARY KEY (job_id, idx)
);
CREATE TABLE IF NOT EXISTS bulk_idempotency (
  owner TEXT NOT NULL, key TEXT NOT NULL, request_hash TEXT NOT NULL, job_id TEXT NOT NULL, created_at TEXT NOT NULL,
  PRIMARY KEY (owner, key)
)`,
};
