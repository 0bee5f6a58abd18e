// Partial updates: an upsert of a file with only the key columns and `category` changes the
// category of the records it names and nothing else; its one unknown key fails alone, by line,
// saying what creating a record would need. The header check, --dry-run and the server agree.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';
import { spawnServer, type ServerProcess } from '../helpers/server-process.js';
import { tempDir } from '../helpers/temp.js';

let server: ServerProcess | null = null;
afterEach(async () => {
  await server?.stop();
  server = null;
});

const UPSERT = ['--upsert', '--unique-fields', 'account_id,transaction_date,description', '--json'];

describe('a partial upsert', () => {
  it('changes only the category of existing records; the unknown key fails alone, by line', async () => {
    const dir = tempDir('bulk-partial-');
    server = await spawnServer({ dbPath: path.join(dir, 'server.db') });
    const env = { BULK_URL: server.url, BULK_STATE_DIR: path.join(dir, 'state') };
    const full = path.join(dir, 'transactions.csv');
    writeFileSync(
      full,
      'account_id,amount,transaction_date,description,category\n' +
        '1,10.00,2024-01-01,rent,home\n2,20.50,2024-01-02,lunch,food\n3,30.25,2024-01-03,train,travel\n',
    );
    expect((await runCli(['upload', full], { env })).code).toBe(0);

    const partial = path.join(dir, 'categories.csv');
    writeFileSync(
      partial,
      'account_id,transaction_date,description,category\n' +
        '1,2024-01-01,rent,housing\n9,2024-01-09,ghost,none\n3,2024-01-03,train,commute\n',
    );
    const dry = await runCli(['upload', partial, '--resource', 'transactions', '--dry-run', ...UPSERT], { env });
    expect(dry.stderr).toContain('no column for amount: rows update only the fields the file has');
    expect(JSON.parse(dry.stdout)).toMatchObject({ counts: { read: 3, failed: 0 } });

    const run = await runCli(['upload', partial, '--resource', 'transactions', ...UPSERT], { env });
    const doc = JSON.parse(run.stdout);
    expect(doc).toMatchObject({ exit_code: 1, counts: { read: 3, stored: 2, failed: 1 } });
    const failed = readFailed(dir);
    expect(failed).toContain('9,2024-01-09,ghost,none,3,');
    expect(failed).toContain('no record with this key; creating one needs amount');

    const db = new Database(server.dbPath, { readonly: true });
    try {
      expect(
        db.prepare('SELECT account_id, amount, description, category FROM transactions ORDER BY account_id').all(),
      ).toEqual([
        { account_id: 1, amount: '10.00', description: 'rent', category: 'housing' },
        { account_id: 2, amount: '20.50', description: 'lunch', category: 'food' },
        { account_id: 3, amount: '30.25', description: 'train', category: 'commute' },
      ]);
    } finally {
      db.close();
    }
  }, 60_000);
});

function readFailed(dir: string): string {
  return readFileSync(path.join(dir, 'categories.failed.csv'), 'utf8');
}
