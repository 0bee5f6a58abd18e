import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startServer } from '../../src/server/start-server.js';
import { call } from '../helpers/http.js';
import { runCli } from '../helpers/run-cli.js';
import { sharedServer } from '../helpers/shared-server.js';

const shared = sharedServer('bulk-hints-');

const HEADER = 'account_id,amount,transaction_date,description\n';

describe('hints where they help', () => {
  it('an empty or header-only file: a warning line, exit 0', async () => {
    for (const [name, text] of [
      ['empty.csv', ''],
      ['header-only.csv', HEADER],
    ] as const) {
      const file = path.join(shared.dir, name);
      writeFileSync(file, text);
      const res = await runCli(['upload', file, '--resource', 'transactions'], { env: shared.env });
      expect(res.code, res.stderr).toBe(0);
      expect(res.stderr).toContain(`warning: no rows read from ${file}: the input is empty or has only a header row`);
    }
  });

  it('the same file twice: every row a duplicate, one line suggesting --upsert with the key fields', async () => {
    const file = path.join(shared.dir, 'twice.csv');
    writeFileSync(file, `${HEADER}1,1.10,2024-01-01,twice-1\n2,2.20,2024-01-02,twice-2\n`);
    expect((await runCli(['upload', file, '--resource', 'transactions'], { env: shared.env })).code).toBe(0);
    const again = await runCli(['upload', file, '--resource', 'transactions'], { env: shared.env });
    expect(again.code).toBe(1);
    const hints = again.stderr.split('\n').filter((l) => l.includes('hint:'));
    expect(hints).toHaveLength(1);
    expect(hints[0]).toContain('add --upsert --unique-fields account_id,transaction_date,description');
    // A run with a duplicate among other failures gets no such hint.
    writeFileSync(file, `${HEADER}1,1.10,2024-01-01,twice-1\n3,bad,2024-01-03,twice-3\n`);
    expect((await runCli(['upload', file, '--resource', 'transactions'], { env: shared.env })).stderr).not.toContain(
      'hint:',
    );
  });

  it('a re-upload where most rows are duplicates (495 of 500): the --upsert hint, with the count', async () => {
    const file = path.join(shared.dir, 'most.csv');
    const row = (i: number) => `${7000 + i},1.00,2024-02-01,most-${i}\n`;
    writeFileSync(file, HEADER + Array.from({ length: 495 }, (_, i) => row(i)).join(''));
    expect((await runCli(['upload', file, '--resource', 'transactions'], { env: shared.env })).code).toBe(0);
    writeFileSync(file, HEADER + Array.from({ length: 500 }, (_, i) => row(i)).join(''));
    const again = await runCli(['upload', file, '--resource', 'transactions'], { env: shared.env });
    expect(again.code).toBe(1);
    const hints = again.stderr.split('\n').filter((l) => l.includes('hint:'));
    expect(hints).toHaveLength(1);
    expect(hints[0]).toContain('495 of 500 rows are duplicates of stored records');
    expect(hints[0]).toContain('add --upsert --unique-fields account_id,transaction_date,description');
  });

  it('the 8-character ids printed everywhere, or any unique prefix of 8+, work with every job command', async () => {
    const job = await call(shared.server.url, 'POST', '/api/transactions/bulk/', {
      body: [{ account_id: 9, amount: '9.00', transaction_date: '2024-05-01', description: 'prefix-1' }],
    });
    const id = String(job.body.job_id);
    for (const typed of [id.slice(0, 8), id.slice(0, 13).toUpperCase()]) {
      for (const cmd of [
        ['status', typed],
        ['aggregates', typed],
        ['errors', typed],
        ['watch', typed],
        ['abort', typed],
      ]) {
        const res = await runCli([...cmd, '--json'], { env: shared.env });
        expect(res.code, `${cmd.join(' ')}: ${res.stderr}`).toBeLessThanOrEqual(1);
        expect(res.stdout, cmd.join(' ')).toContain(id);
      }
    }
    const unknown = await runCli(['errors', '00000000'], { env: shared.env });
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toContain('bulk: no job starting with 00000000');
    const short = await runCli(['status', id.slice(0, 5)], { env: shared.env });
    expect(short.code).toBe(2);
    expect(short.stderr).toContain('a job id needs at least 8 characters');
  }, 90_000); // ten CLI processes one after another

  it('an auth failure names --token-file and BULK_TOKEN_FILE', async () => {
    const { parseTokens } = await import('../../src/server/auth/tokens.js');
    const guarded = await startServer({
      port: 0,
      host: '127.0.0.1',
      database: path.join(shared.dir, 'guarded.db'),
      tokens: parseTokens('alice s3cret-token-0123456789', 'test'),
    });
    try {
      const file = path.join(shared.dir, 'auth.csv');
      writeFileSync(file, `${HEADER}1,1.10,2024-01-01,auth-1\n`);
      const up = await runCli(['upload', file, '--resource', 'transactions', '--url', guarded.url], {
        env: { BULK_STATE_DIR: shared.env.BULK_STATE_DIR },
      });
      expect(up.code).toBe(3);
      expect(up.stderr).toMatch(/--token-file.*BULK_TOKEN_FILE|BULK_TOKEN_FILE.*--token-file/);
      const st = await runCli(['jobs', '--url', guarded.url]);
      expect(st.code).toBe(3);
      expect(st.stderr).toMatch(/--token-file \/ BULK_TOKEN_FILE/);
    } finally {
      await guarded.close();
    }
  });
});
