import type Database from 'better-sqlite3';
import type { FieldType, ResourceDef } from '../resources/resource-types.js';

/** Numbered migrations, applied in order; PRAGMA user_version records how far a database is. */
const MIGRATIONS: string[] = [
  `CREATE TABLE bulk_jobs (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
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
     abort_requested INTEGER NOT NULL DEFAULT 0,
     agg_state TEXT,
     aggregates TEXT,
     job_errors TEXT
   );
   CREATE INDEX bulk_jobs_state ON bulk_jobs(state, seq);
   CREATE INDEX bulk_jobs_owner ON bulk_jobs(owner, seq);
   CREATE TABLE bulk_job_payloads (job_id TEXT PRIMARY KEY, body TEXT NOT NULL);
   CREATE TABLE bulk_job_errors (job_id TEXT NOT NULL, idx INTEGER NOT NULL, field TEXT, error TEXT NOT NULL, PRIMARY KEY (job_id, idx));
   CREATE TABLE bulk_idempotency (owner TEXT NOT NULL, key TEXT NOT NULL, request_hash TEXT NOT NULL, job_id TEXT NOT NULL, created_at TEXT NOT NULL, PRIMARY KEY (owner, key));`,
  // 2: a replay sends the first 202 body byte for byte, not a rebuilt one.
  `ALTER TABLE bulk_idempotency ADD COLUMN response TEXT;
   CREATE INDEX bulk_idempotency_job ON bulk_idempotency(job_id);`,
];

export function migrate(db: Database.Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  for (let v = current; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v] as string);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}

const SQL_TYPE: Record<FieldType, string> = { text: 'TEXT', integer: 'INTEGER', decimal: 'TEXT', boolean: 'INTEGER', date: 'TEXT', datetime: 'TEXT' };

export const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * The column order of a key's index: date and datetime fields first, the rest as declared. Bulk
 * data mostly arrives in date order, so new rows land at the end of a date-first index instead of
 * all over it. Measured on transactions at 1M rows: ~455k inserts/s date-first against ~49k
 * account-first (each commit rewrites every index page it touched). Uniqueness is the same.
 */
export function indexColumns(def: ResourceDef, key: readonly string[]): string[] {
  const isDate = (name: string) => {
    const type = def.fields.find((f) => f.name === name)?.type;
    return type === 'date' || type === 'datetime';
  };
  return [...key.filter(isDate), ...key.filter((k) => !isDate(k))];
}

/** A table per resource, named as the resource, with a unique index per declared key. Adds new fields as columns. */
export function ensureResourceTable(db: Database.Database, def: ResourceDef): void {
  const table = quoteIdent(def.name);
  const cols = def.fields.map((f) => `${quoteIdent(f.name)} ${SQL_TYPE[f.type]}`).join(', ');
  db.exec(`CREATE TABLE IF NOT EXISTS ${table} (job_id TEXT NOT NULL, job_index INTEGER NOT NULL, ${cols})`);
  const existing = new Set((db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((c) => c.name));
  for (const f of def.fields) if (!existing.has(f.name)) db.exec(`ALTER TABLE ${table} ADD COLUMN ${quoteIdent(f.name)} ${SQL_TYPE[f.type]}`);
  for (const key of def.uniqueKeys) {
    const cols = indexColumns(def, key);
    db.exec(`CREATE UNIQUE INDEX IF NOT EXISTS ${quoteIdent(`${def.name}_key_${cols.join('_')}`)} ON ${table} (${cols.map(quoteIdent).join(', ')})`);
  }
}
