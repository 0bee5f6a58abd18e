import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatSourceHeader, parseSourceHeader } from '../../src/protocol/job-source.js';
import { call, tx, waitForFinal } from '../helpers/http.js';
import { runCli } from '../helpers/run-cli.js';
import { sharedServer } from '../helpers/shared-server.js';

const shared = sharedServer('bulk-source-');

describe("where a job's rows came from (Bulk-Source, ext)", () => {
  it('round-trips a file name and line range; anything else is ignored, never an error', () => {
    expect(parseSourceHeader(formatSourceHeader('transactions.csv', 2, 5001))).toEqual({
      file: 'transactions.csv',
      first_line: 2,
      last_line: 5001,
    });
    expect(parseSourceHeader(formatSourceHeader('a:b c%.csv', 7, 7))).toEqual({
      file: 'a:b c%.csv',
      first_line: 7,
      last_line: 7,
    });
    for (const bad of [
      undefined,
      '',
      'x.csv',
      'x.csv:5-2',
      'x.csv:a-b',
      '%E0%A4%A:1-2',
      `${'x'.repeat(2000)}:1-2`,
      'a%0Ab:1-2',
    ])
      expect(parseSourceHeader(bad), String(bad)).toBeNull();
  });

  it('the server keeps it and returns it in the status; without the header, null', async () => {
    const withSource = await call(shared.server.url, 'POST', '/api/transactions/bulk/', {
      body: [tx(1, { description: 'source-1' })],
      headers: { 'bulk-source': 'transactions.csv:2-2' },
    });
    const id = String(withSource.body.job_id);
    const status = await waitForFinal(shared.server.url, id);
    expect(status.source).toEqual({ file: 'transactions.csv', first_line: 2, last_line: 2 });
    const without = await call(shared.server.url, 'POST', '/api/transactions/bulk/', {
      body: [tx(2, { description: 'source-2' })],
    });
    expect((await waitForFinal(shared.server.url, String(without.body.job_id))).source).toBeNull();
  });

  it("bulk upload sends each batch's file name (not its path) and line range", async () => {
    const file = path.join(shared.dir, 'lines.csv');
    writeFileSync(
      file,
      `account_id,amount,transaction_date,description\n${Array.from({ length: 5 }, (_, i) => `${i},1.00,2024-06-01,src-${i}`).join('\n')}\n`,
    );
    const up = JSON.parse(
      (await runCli(['upload', file, '--resource', 'transactions', '--batch-size', '3', '--json'], { env: shared.env }))
        .stdout,
    );
    const sources = [];
    for (const job of up.jobs)
      sources.push((await call(shared.server.url, 'GET', `/api/jobs/${job.id}/status/`)).body.source);
    expect(sources).toEqual([
      { file: 'lines.csv', first_line: 2, last_line: 4 },
      { file: 'lines.csv', first_line: 5, last_line: 6 },
    ]);
  });
});
