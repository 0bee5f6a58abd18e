import { appendFileSync, mkdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';

/** The PostgreSQL the tests use: BULK_TEST_PG_URL, or the local one (trust auth, database test). */
export const PG_BASE_URL = process.env.BULK_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Whether PostgreSQL answers; asked once per test file, at collection time (top-level await). */
export async function pgReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: PG_BASE_URL, connectionTimeoutMillis: 2000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Says why PostgreSQL tests skip; under CI, also records it so `.ci/run` fails rather than pass quietly. */
export function reportPgSkip(what: string): void {
  const line = `${what}: PostgreSQL not reachable at ${PG_BASE_URL}; skipped`;
  console.warn(line);
  if (process.env.CI) {
    const dir = path.resolve(import.meta.dirname, '../../test-artifacts');
    mkdirSync(dir, { recursive: true });
    appendFileSync(path.join(dir, 'skips-required.txt'), `${line}\n`);
  }
}

/** A fresh schema of its own (parallel test files never collide); `url` selects it through search_path. */
export async function createTestSchema(): Promise<{ url: string; schema: string; drop: () => Promise<void> }> {
  const schema = `bulk_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_BASE_URL });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  const sep = PG_BASE_URL.includes('?') ? '&' : '?';
  const url = `${PG_BASE_URL}${sep}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  return {
    url,
    schema,
    drop: async () => {
      const c = new pg.Client({ connectionString: PG_BASE_URL });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await c.end();
    },
  };
}
