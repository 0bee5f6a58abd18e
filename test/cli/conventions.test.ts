import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeStatus, remainingText } from '../../src/cli/job-actions.js';
import { jobsTable } from '../../src/render/jobs-table.js';
import { humanDuration } from '../../src/server/job-view.js';
import { BIN, runCli } from '../helpers/run-cli.js';
import { sharedServer } from '../helpers/shared-server.js';

const shared = sharedServer('bulk-conventions-');

/** What bash completion offers after these words, from the script `bulk completion bash` prints. */
function bashOffers(words: string[]): string[] {
  const script = execFileSync(process.execPath, [BIN, 'completion', 'bash'], {
    encoding: 'utf8',
    input: '',
    timeout: 20_000,
  });
  const quoted = words.map((w) => `'${w}'`).join(' ');
  const res = spawnSync(
    'bash',
    [
      '-c',
      `${script}\nCOMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}; _bulk; printf '%s\\n' "\${COMPREPLY[@]}"`,
    ],
    { encoding: 'utf8', input: '', timeout: 20_000 },
  );
  return res.stdout.split('\n').filter(Boolean);
}

function inTerminal(command: string, extraEnv: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qec', command, '/dev/null'], {
      env: { ...process.env, ...extraEnv },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.on('error', reject);
    child.on('close', () => resolve(out));
    child.stdin.end();
  });
}

describe('CLI conventions', () => {
  it('top-level --help leads with examples', async () => {
    const res = await runCli(['--help']);
    expect(res.code).toBe(0);
    expect(res.stdout.trimStart().startsWith('Examples:')).toBe(true);
    expect(res.stdout).toContain('$ bulk upload transactions.csv');
  });

  it('completion offers every command, help and completion, and the values of --format, --encoding, --resource and --state', () => {
    expect(bashOffers(['bulk', ''])).toEqual(
      expect.arrayContaining(['upload', 'status', 'jobs', 'completion', 'help']),
    );
    expect(bashOffers(['bulk', 'upload', '--format', ''])).toEqual(['csv', 'json', 'ndjson']);
    expect(bashOffers(['bulk', 'upload', '--encoding', ''])).toEqual(
      expect.arrayContaining(['utf-8', 'utf-16le', 'utf-16be', 'windows-1252', 'iso-8859-15']),
    );
    expect(bashOffers(['bulk', 'upload', '--resource', ''])).toEqual(['transactions']);
    expect(bashOffers(['bulk', 'jobs', '--state', ''])).toContain('In Progress');
    expect(bashOffers(['bulk', 'completion', ''])).toEqual(['bash', 'zsh', 'fish']);
    expect(bashOffers(['bulk', 'help', 'up'])).toEqual(['upload']);
    for (const shell of ['zsh', 'fish']) {
      const text = execFileSync(process.execPath, [BIN, 'completion', shell], {
        encoding: 'utf8',
        input: '',
        timeout: 20_000,
      });
      expect(text, shell).toMatch(/csv json ndjson/);
      expect(text, shell).toMatch(/\bhelp\b/);
      expect(text, shell).toMatch(/bash zsh fish/);
    }
  });

  it('bulk jobs: a header row and aligned columns on a terminal; plain TSV without header off one', async () => {
    const file = path.join(shared.dir, 'jobs.csv');
    writeFileSync(
      file,
      'account_id,amount,transaction_date,description\n1,4990.80,2024-01-01,conv-1\n2,5000.00,2024-01-02,conv-2\n',
    );
    const up = JSON.parse(
      (await runCli(['upload', file, '--resource', 'transactions', '--json'], { env: shared.env })).stdout,
    );
    const id = up.jobs[0].id as string;
    const piped = await runCli(['jobs'], { env: shared.env });
    expect(piped.stdout.split('\n')[0]).toMatch(new RegExp(`^${id}\\t`));
    // A real terminal, through script(1); spawned, not spawnSync: the server answers from this process.
    const tty = await inTerminal(`${process.execPath} ${BIN} jobs`, shared.env);
    const lines = tty.replace(/\r/g, '').split('\n');
    expect(lines[0]).toBe('JOB       STATE         TYPE    RESOURCE      ROWS  STORED  FAILED  CREATED');
    expect(lines[1]).toMatch(
      new RegExp(`^${id.slice(0, 8)}  Job Complete  insert  transactions  +2/2  +2  +0  \\d{4}-`),
    );
    expect(jobsTable([])).toEqual(['JOB  STATE  TYPE  RESOURCE  ROWS  STORED  FAILED  CREATED']);
  });

  it('aggregates are printed with the scale of the values they came from', async () => {
    const list = JSON.parse((await runCli(['jobs', '--json', '--limit', '1'], { env: shared.env })).stdout);
    const res = await runCli(['aggregates', list.jobs[0].job_id], { env: shared.env });
    expect(res.stdout).toContain('average_amount\t4995.40\n');
    expect(res.stdout).toContain('total_amount\t9990.80\n');
    expect(res.stdout).toContain('transaction_count\t2\n');
  });

  it('durations are worded naturally', () => {
    expect(remainingText('less than a second')).toBe('less than a second remaining');
    expect(remainingText('2 minutes')).toBe('about 2 minutes remaining');
    expect(humanDuration(1)).toBe('1 second');
    expect(humanDuration(120)).toBe('2 minutes');
    expect(humanDuration(30)).toBe('30 seconds');
    const status = {
      job_id: 'x',
      state: 'In Progress',
      status: 'processing',
      message: 'm',
      processed_items: 1,
      total_items: 2,
      success_count: 1,
      error_count: 0,
      percentage: 50,
      estimated_remaining: 'less than a second',
      errors: null,
    } as unknown as Parameters<typeof describeStatus>[0];
    expect(describeStatus(status).join('\n')).toContain('  less than a second remaining');
    expect(describeStatus(status).join('\n')).not.toContain('about less');
  });
});
