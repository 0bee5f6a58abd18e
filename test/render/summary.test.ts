import { describe, expect, it } from 'vitest';
import { summaryLines } from '../../src/render/summary.js';
import { colorOn, summary } from './fixtures.js';

describe('summaryLines', () => {
  it('says how the run went: rows, jobs, time, speed, aggregates, why, resume, failed rows last', () => {
    expect(summaryLines(summary(), { grouped: true })).toEqual([
      'Stopped early (exit 3)',
      '  rows: 2,001 read, 1,393 stored, 8 failed, 600 unprocessed',
      '  jobs: 2, elapsed 1m 33s, 1,234,567 rows/s',
      '  aggregates: total_amount=150000.00 average_amount=150.00 by_status={ok:3,late:2}',
      '  why: job of batch 4 was aborted',
      '  resume with: bulk upload --resume 20261128T140305Z-3f9a2c',
      '  failed rows: transactions.failed-20261128T140305Z-3f9a2c.csv',
    ]);
  });

  it('leaves digits ungrouped for logs', () => {
    const lines = summaryLines(summary());
    expect(lines[2]).toBe('  jobs: 2, elapsed 1m 33s, 1234567 rows/s');
  });

  it('says nothing it has nothing to say about', () => {
    const lines = summaryLines(
      summary({
        status: 'completed',
        exitCode: 0,
        counts: { read: 10, stored: 10, failed: 0, unprocessed: 0 },
        aggregates: {},
        failedRowsFile: null,
        resumeCommand: null,
        message: 'ignored when complete',
        elapsedMs: 850,
      }),
    );
    expect(lines).toEqual([
      'Done: every row stored (exit 0)',
      '  rows: 10 read, 10 stored, 0 failed, 0 unprocessed',
      '  jobs: 2, elapsed 850ms, 1234567 rows/s',
    ]);
  });

  it('names where reading stopped', () => {
    const lines = summaryLines(summary({ notRead: [{ file: 'b.csv', fromLine: 5001 }] }));
    expect(lines).toContain('  not read: b.csv from line 5001');
    expect(lines.at(-1)).toMatch(/^ {2}failed rows: /);
  });

  it('wraps long aggregates to the width, and keeps the failed-rows path whole', () => {
    const aggregates = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`aggregate_number_${i}`, i * 1000.5]));
    const path = `/very/long/path/${'x'.repeat(80)}.failed.csv`;
    const lines = summaryLines(summary({ aggregates, failedRowsFile: path }), { width: 60 });
    const aggLines = lines.slice(
      lines.findIndex((l) => l.startsWith('  aggregates:')),
      lines.findIndex((l) => l.startsWith('  why:')),
    );
    expect(aggLines.length).toBeGreaterThan(3);
    for (const l of aggLines) expect(l.length).toBeLessThan(60);
    expect(aggLines.slice(1).every((l) => l.startsWith('      aggregate_number_'))).toBe(true);
    expect(lines.slice(-2)).toEqual(['  failed rows:', `      ${path}`]);
  });

  it('colours only when given a colour chalk', () => {
    expect(summaryLines(summary()).join('\n')).not.toContain('\u001b');
    const coloured = summaryLines(summary(), { chalk: colorOn.chalk });
    expect(coloured[0]).toBe('\u001b[31mStopped early (exit 3)\u001b[39m');
    expect(coloured.at(-1)).toContain('\u001b[1mtransactions.failed');
  });
});
