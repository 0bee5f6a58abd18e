/** Migration 2: a replay sends the first 202 body byte for byte, not a rebuilt one. */
import { addColumn, type Migration } from './migration.js';

export const idempotencyResponse: Migration = {
  version: 2,
  name: '002_idempotency_response',
  sql: (d) => `${addColumn(d, 'bulk_idempotency', 'response TEXT')};
CREATE INDEX IF NOT EXISTS bulk_idempotency_job ON bulk_idempotency(job_id)`,
};
