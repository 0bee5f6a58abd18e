import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import { tempDir } from '../helpers/temp.js';

const here = import.meta.dirname;

function pythonWithRequests(): boolean {
  try {
    execFileSync('python3', ['-c', 'import requests'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const hasPython = pythonWithRequests();
if (!hasPython) console.warn('guide-client tests skipped: python3 with the requests package is not installed');

const guidePath = [
  path.resolve(here, '../../../shared/seed/caller-visibility-guide.md'),
  '/work/shared/seed/caller-visibility-guide.md',
].find((p) => existsSync(p));

let server: RunningServer;
beforeAll(async () => {
  server = await startServer({ port: 0, host: '127.0.0.1', database: path.join(tempDir(), 'guide.db') });
});
afterAll(async () => server?.close());

describe("the guide's Python client, unchanged, against bulk serve", () => {
  it.skipIf(!hasPython)(
    'process_large_dataset, monitor_bulk_job and handle_job_with_retry run to completion',
    async () => {
      const out = await new Promise<string>((resolve, reject) => {
        const child = spawn('python3', [path.join(here, 'run_guide_client.py'), server.url, '60'], { cwd: here });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('close', (code) =>
          code === 0 ? resolve(stdout) : reject(new Error(`python exited ${code}: ${stderr}`)),
        );
      });
      expect(out).toContain('📦 Processing 60 items in 3 batches...');
      expect(out).toContain('🔄 Job completed successfully!');
      const result = JSON.parse(
        out
          .split('\n')
          .find((l) => l.startsWith('RESULT '))!
          .slice(7),
      );
      expect(result.results).toEqual([
        { batch: 1, success_count: 24, error_count: 1 },
        { batch: 2, success_count: 25, error_count: 0 },
        { batch: 3, success_count: 10, error_count: 0 },
      ]);
      expect(out).toContain('🔄 Job completed successfully! Processed 25 items with 1 errors');
      expect(result.monitor_state).toBe('Job Complete');
      // The two records were already stored by process_large_dataset: both are duplicates now.
      expect(result.monitor_errors).toEqual(
        [0, 1].map((index) => ({
          index,
          field: 'account_id,transaction_date,description',
          error: 'duplicate of an existing record',
        })),
      );
      expect(result.retry_state).toBe('Job Complete');
      expect(result.aggregates.aggregate_results).toEqual({
        total_amount: 0,
        average_amount: null,
        transaction_count: 2,
        successful_transactions: 0,
        failed_transactions: 2,
      });
    },
    60_000,
  );

  it.skipIf(!guidePath)("the vendored functions are still the guide's text", () => {
    const guide = readFileSync(guidePath as string, 'utf8');
    const vendored = readFileSync(path.join(here, 'guide_snippets.py'), 'utf8');
    const blocks = [...guide.matchAll(/```python\n([\s\S]*?)```/g)]
      .map((m) => m[1] as string)
      .filter((b) => /def (monitor_bulk_job|process_large_dataset|handle_job_with_retry)/.test(b));
    expect(blocks).toHaveLength(3);
    for (const b of blocks) expect(vendored).toContain(b);
  });
});
