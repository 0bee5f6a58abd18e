/** Every schema migration, in order, for both databases. A new one is a numbered file added here. */
import { jobTables } from './001-job-tables.js';
import { idempotencyResponse } from './002-idempotency-response.js';
import { jobLeases } from './003-job-leases.js';
import { settings } from './004-settings.js';
import { payloadCompression } from './005-payload-compression.js';
import { jobSource } from './006-job-source.js';
import { runs } from './007-runs.js';
import type { Migration } from './migration.js';

export type { Migration } from './migration.js';

export const MIGRATIONS: readonly Migration[] = [
  jobTables,
  idempotencyResponse,
  jobLeases,
  settings,
  payloadCompression,
  jobSource,
  runs,
];

/** The table that records which migrations a database has run (both databases). */
export const MIGRATIONS_TABLE_SQL =
  'CREATE TABLE IF NOT EXISTS bulk_schema_migrations ' +
  '(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)';

/** The statements of a migration one by one (drivers differ on running several at once). */
export function statements(sql: string): string[] {
  return sql
    .split(/;\s*\n|;\s*$/)
    .map((s) => s.trim())
    .filter(Boolean);
}
