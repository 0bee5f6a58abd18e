/** Migration 1: the job tables. Kept as a TS string module so `npm run build` ships it in dist. */
export const name = '001_init';
export const sql = `
CREATE TABLE bulk_jobs (
  seq BIGSERIAL PRIMARY KEY,
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
  abort_requested BOOLEAN NOT NULL DEFAULT FALSE,
  agg_state TEXT,
  aggregates TEXT,
  job_errors TEXT,
  lease_owner TEXT,
  lease_until TIMESTAMPTZ,
  version BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX bulk_jobs_state ON bulk_jobs(state, seq);
CREATE INDEX bulk_jobs_owner ON bulk_jobs(owner, seq);
CREATE TABLE bulk_job_payloads (job_id TEXT PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE bulk_job_errors (job_id TEXT NOT NULL, idx INTEGER NOT NULL, field TEXT, error TEXT NOT NULL, PRIMARY KEY (job_id, idx));
CREATE TABLE bulk_idempotency (
  owner TEXT NOT NULL,
  key TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  job_id TEXT NOT NULL,
  created_at TEXT NOT NULL,
  response TEXT,
  PRIMARY KEY (owner, key)
);
CREATE INDEX bulk_idempotency_job ON bulk_idempotency(job_id);
`;
