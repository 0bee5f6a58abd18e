/** Brings a SQLite database to the current schema: the shared numbered migrations, then a table per resource. */
import type Database from 'better-sqlite3';
import type { ResourceDef } from '../../resources/resource-types.js';
import { MIGRATIONS, MIGRATIONS_TABLE_SQL, statements } from './migrations/index.js';
import { addFieldSql, keyIndexSql, quoteIdent, resourceTableSql } from './sql-helpers.js';

export function migrateSqlite(db: Database.Database): void {
  db.transaction(() => {
    db.exec(MIGRATIONS_TABLE_SQL);
    const done = new Set(
      (db.prepare('SELECT version FROM bulk_schema_migrations').all() as { version: number }[]).map((r) => r.version),
    );
    // Databases made before the numbering was shared counted their migrations in user_version.
    const counted = db.pragma('user_version', { simple: true }) as number;
    if (done.size === 0 && counted > 0) for (const m of MIGRATIONS.slice(0, counted)) done.add(m.version);
    for (const m of MIGRATIONS) {
      if (done.has(m.version)) continue;
      for (const sql of statements(m.sql('sqlite'))) db.exec(sql);
      done.add(m.version);
    }
    const record = db.prepare(
      'INSERT OR IGNORE INTO bulk_schema_migrations (version, name, applied_at) VALUES (?, ?, ?)',
    );
    for (const m of MIGRATIONS) if (done.has(m.version)) record.run(m.version, m.name, new Date().toISOString());
    // Kept counting too: an older bulk opening this file sees it is up to date rather than remake tables.
    db.pragma(`user_version = ${done.size}`);
  }).immediate();
}

/** A table per resource, named as the resource, with a unique index per declared key. Adds new fields as columns. */
export function ensureResourceTable(db: Database.Database, def: ResourceDef): void {
  db.exec(resourceTableSql('sqlite', def));
  const existing = new Set(
    (db.prepare(`PRAGMA table_info(${quoteIdent(def.name)})`).all() as { name: string }[]).map((c) => c.name),
  );
  for (const f of def.fields) if (!existing.has(f.name)) db.exec(addFieldSql('sqlite', def, f));
  for (const key of def.uniqueKeys) db.exec(keyIndexSql('sqlite', def, key));
}
