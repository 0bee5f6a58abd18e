import type pg from 'pg';
import type { FieldType, ResourceDef } from '../resources/resource-types.js';
import * as m001 from './pg-migrations/001-init.js';
import { indexColumns, quoteIdent } from './sqlite-schema.js';

/** Numbered migrations, in order; bulk_schema_migrations records which ran. Append, never edit. */
export const PG_MIGRATIONS: { version: number; name: string; sql: string }[] = [{ version: 1, name: m001.name, sql: m001.sql }];

/** Held (per transaction) while migrating and creating resource tables, so nodes starting together take turns. */
export const MIGRATION_LOCK = 0x62756c6b; // 'bulk'

export async function migratePg(client: pg.PoolClient, resources: Iterable<ResourceDef>): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query('CREATE TABLE IF NOT EXISTS bulk_schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())');
    const done = new Set((await client.query<{ version: number }>('SELECT version FROM bulk_schema_migrations')).rows.map((r) => r.version));
    for (const m of PG_MIGRATIONS) {
      if (done.has(m.version)) continue;
      await client.query(m.sql);
      await client.query('INSERT INTO bulk_schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
    }
    for (const def of resources) await ensurePgResourceTable(client, def);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/** As for SQLite: decimals stay TEXT (exact), booleans 0/1. */
const PG_TYPE: Record<FieldType, string> = { text: 'TEXT', integer: 'BIGINT', decimal: 'TEXT', boolean: 'INTEGER', date: 'TEXT', datetime: 'TEXT' };

/** A table per resource with a unique index per declared key (date columns first); adds new fields as columns. */
async function ensurePgResourceTable(client: pg.PoolClient, def: ResourceDef): Promise<void> {
  const table = quoteIdent(def.name);
  const cols = def.fields.map((f) => `${quoteIdent(f.name)} ${PG_TYPE[f.type]}`).join(', ');
  await client.query(`CREATE TABLE IF NOT EXISTS ${table} (job_id TEXT NOT NULL, job_index INTEGER NOT NULL, ${cols})`);
  const existing = new Set(
    (await client.query<{ column_name: string }>('SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1', [def.name])).rows.map((r) => r.column_name),
  );
  for (const f of def.fields) if (!existing.has(f.name)) await client.query(`ALTER TABLE ${table} ADD COLUMN ${quoteIdent(f.name)} ${PG_TYPE[f.type]}`);
  for (const key of def.uniqueKeys) {
    const keyCols = indexColumns(def, key);
    await client.query(`CREATE UNIQUE INDEX IF NOT EXISTS ${quoteIdent(`${def.name}_key_${keyCols.join('_')}`.slice(0, 63))} ON ${table} (${keyCols.map(quoteIdent).join(', ')})`);
  }
}
