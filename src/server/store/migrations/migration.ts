/** The shape of one numbered schema migration, written once for both databases. */
import type { Dialect } from '../sql-helpers.js';

export interface Migration {
  /** Applied in this order; bulk_schema_migrations records which ran. Append, never edit. */
  version: number;
  name: string;
  /** The statements for this database, separated by semicolons. */
  sql(dialect: Dialect): string;
}

/** Column types that differ between the two databases. */
export const COLUMN = {
  sqlite: {
    serial: 'INTEGER PRIMARY KEY AUTOINCREMENT',
    flag: 'INTEGER NOT NULL DEFAULT 0',
    instant: 'TEXT',
    counter: 'INTEGER NOT NULL DEFAULT 0',
  },
  postgres: {
    serial: 'BIGSERIAL PRIMARY KEY',
    flag: 'BOOLEAN NOT NULL DEFAULT FALSE',
    instant: 'TIMESTAMPTZ',
    counter: 'BIGINT NOT NULL DEFAULT 0',
  },
} as const satisfies Record<Dialect, Record<string, string>>;

/**
 * `ADD COLUMN` that a database which already has the column (PostgreSQL ones made before numbering was shared) skips.
 */
export function addColumn(dialect: Dialect, table: string, column: string): string {
  return `ALTER TABLE ${table} ADD COLUMN ${dialect === 'postgres' ? 'IF NOT EXISTS ' : ''}${column}`;
}
