/** Brings a PostgreSQL schema to the current version: the shared numbered migrations, then a table per resource. */
import type pg from 'pg';
import type { ResourceDef } from '../../resources/resource-types.js';
import { MIGRATIONS, MIGRATIONS_TABLE_SQL, statements } from './migrations/index.js';
import { addFieldSql, keyIndexSql, resourceTableSql } from './sql-helpers.js';

/** Held (per transaction) while migrating and creating resource tables, so nodes starting together take turns. */
export const MIGRATION_LOCK = 0x62756c6b; // 'bulk'

export async function migratePg(client: pg.PoolClient, resources: Iterable<ResourceDef>): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query(MIGRATIONS_TABLE_SQL);
    const done = new Set(
      (await client.query<{ version: number }>('SELECT version FROM bulk_schema_migrations')).rows.map(
        (r) => r.version,
      ),
    );
    for (const m of MIGRATIONS) {
      if (done.has(m.version)) continue;
      for (const sql of statements(m.sql('postgres'))) await client.query(sql);
      await client.query('INSERT INTO bulk_schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
        m.version,
        m.name,
        new Date().toISOString(),
      ]);
    }
    for (const def of resources) await ensurePgResourceTable(client, def);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

async function ensurePgResourceTable(client: pg.PoolClient, def: ResourceDef): Promise<void> {
  await client.query(resourceTableSql('postgres', def));
  const existing = new Set(
    (
      await client.query<{ column_name: string }>(
        'SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1',
        [def.name],
      )
    ).rows.map((r) => r.column_name),
  );
  for (const f of def.fields) if (!existing.has(f.name)) await client.query(addFieldSql('postgres', def, f));
  for (const key of def.uniqueKeys) await client.query(keyIndexSql('postgres', def, key));
}
