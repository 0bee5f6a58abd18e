import { describe, expect, it } from 'vitest';
import { jobBarLine, jobsProgress, overallLine } from '../../src/render/tty-lines.js';
import { estimateProgress } from '../../src/render/progress-estimate.js';
import { colorOff, counts } from './fixtures.js';

const chalk = colorOff.chalk;

describe('tty lines', () => {
  it('shows an exact total, an estimated one with ~, or none', () => {
    const exact = estimateProgress(counts({ read: 300_000, stored: 12_000, totalRows: 300_000 }), 4000);
    expect(overallLine(exact, { hiddenJobs: 0, chalk, width: 120 })).toBe(`█${'░'.repeat(23)}   4% | 12,000/300,000 rows | 3,000 rows/s | ETA 1m 36s | 0 failed`);
    const estimated = estimateProgress(counts({ read: 2000, stored: 1000, failed: 3, bytesRead: 100_000, totalBytes: 400_000 }), 1000);
    expect(overallLine(estimated, { hiddenJobs: 2, chalk, width: 120 })).toMatch(/ 12% \| 1,003\/~8,000 rows \| 1,003 rows\/s \| ETA 7s \| 3 failed \| \+2 more jobs$/);
    const unknown = estimateProgress(counts({ read: 10, stored: 10, totalBytes: null }), 1000);
    expect(overallLine(unknown, { hiddenJobs: 0, chalk, width: 120 })).toBe(`${'░'.repeat(24)} | 10 rows | 10 rows/s | ETA - | 0 failed`);
    expect(overallLine(null, { hiddenJobs: 0, chalk, width: 120 })).toBe(`${'░'.repeat(24)}  starting…`);
  });

  it('shrinks the bar, not the numbers, on a narrow terminal', () => {
    const p = estimateProgress(counts({ read: 300_000, stored: 150_000, totalRows: 300_000 }), 4000);
    const line = overallLine(p, { hiddenJobs: 0, chalk, width: 80 });
    expect(line.length).toBe(79);
    expect(line).toMatch(/^█{8}░{7} {2}50% \| 150,000\/300,000 rows/);
  });

  it('draws a job bar', () => {
    expect(jobBarLine({ batch: 3, jobId: '1a2b3c4d-xxxx', total: 1000, processed: 500, failed: 3, queued: false }, chalk)).toBe(`  batch 3  1a2b3c4d  ${'█'.repeat(8)}${'░'.repeat(8)}  500/1,000  3 failed`);
    expect(jobBarLine({ batch: 4, jobId: 'ffff0000', total: 1000, processed: 0, failed: 0, queued: true }, chalk)).toBe(`  batch 4  ffff0000  ${'░'.repeat(16)}  0/1,000  queued`);
  });

  it('sums watched jobs', () => {
    expect(jobsProgress([], 1000)).toBeNull();
    expect(jobsProgress([{ batch: 1, jobId: 'a', total: 100, processed: 50, failed: 1, queued: false }, { batch: 2, jobId: 'b', total: 100, processed: 0, failed: 0, queued: true }], 1000)).toMatchObject({
      done: 50,
      total: 200,
      fraction: 0.25,
      rowsPerSecond: 50,
      etaMs: 3000,
      failed: 1,
    });
  });
});
