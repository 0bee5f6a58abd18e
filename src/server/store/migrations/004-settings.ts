/** Migration 4: settings that belong to the database rather than to one node (retention). */
import type { Migration } from './migration.js';

export const settings: Migration = {
  version: 4,
  name: '004_settings',
  sql: () =>
    'CREATE TABLE IF NOT EXISTS bulk_settings (name TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at TEXT NOT NULL)',
};
