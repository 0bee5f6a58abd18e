// A start whose answer was lost, on a server that describes its resource (with a unique key) but
// says nothing of replaying Idempotency-Key: the run leaves the batch unconfirmed, and the resume
// sends it again because its rows carry the key (a second copy would be refused, never stored).
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { HONEST, startFakeJobServer, startOtherOrigin } from '../helpers/fake-job-server.js';
import { runCli } from '../helpers/run-cli.js';
import { tempDir } from '../helpers/temp.js';

describe('a lost start, resumed', () => {
  it('rows that carry the resource unique key are sent again on resume, saying why', async () => {
    const other = await startOtherOrigin();
    const fake = await startFakeJobServer([{ ...HONEST, resetStart: 'after' }, HONEST], other.url, {
      csvBodies: true,
      keys: 'silent',
    });
    try {
      const dir = tempDir('bulk-lost-start-');
      const input = path.join(dir, 'transactions.csv');
      const rows = Array.from({ length: 4 }, (_, i) => `${1000 + i},${i}.50,2024-03-01,row-${i},test`);
      writeFileSync(input, ['account_id,amount,transaction_date,description,category', ...rows, ''].join('\n'));
      const env = { BULK_STATE_DIR: path.join(dir, 'state') };
      const args = ['--url', fake.url, '--json', '--batch-size', '4'];
      const first = await runCli(['upload', input, ...args], { env, cwd: dir });
      const doc = JSON.parse(first.stdout);
      expect(doc.counts).toMatchObject({ read: 4, stored: 0, unconfirmed: 4 });
      expect(first.code).toBe(3);
      expect(fake.jobs).toHaveLength(1);
      const again = await runCli([...doc.resume_command.split(' ').slice(1), '--json'], { env, cwd: dir });
      expect(again.stderr).toMatch(
        /lines 2-5 of \S+ are still unconfirmed \(no answer to its start could be read\): sent again: the rows carry the resource's unique key \(account_id, transaction_date, description\)/,
      );
      const resumed = JSON.parse(again.stdout);
      expect(resumed.counts).toMatchObject({ read: 4, stored: 4, unconfirmed: 0 });
      expect(again.code).toBe(0);
      // The fake replays keys (it only never said so): the resend is the same job, each row once.
      expect(fake.jobs).toHaveLength(1);
    } finally {
      await fake.close();
      await other.close();
    }
  }, 60_000);
});
