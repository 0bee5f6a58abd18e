import { describe, expect, it } from 'vitest';
import { jobBarLine, jobsProgress, overallFrame, retryText } from '../../src/render/tty-lines.js';
import { estimateProgress } from '../../src/render/progress-estimate.js';
import { colorOff, counts } from './fixtures.js';

const chalk = colorOff.chalk;
const line = (
  p: Parameters<typeof overallFrame>[0],
  width = 120,
  hiddenJobs = 0,
  extra: { waiting?: string; ended?: string } = {},
) => overallFrame(p, { hiddenJobs, chalk, width, ...extra }).lines;

describe('tty lines', () => {
  it('shows an exact total, an estimated one with ~, or none', () => {
    const exact = estimateProgress(counts({ read: 300_000, stored: 12_000, totalRows: 300_000 }), 4000);
    expect(line(exact)).toEqual([
      `█${'░'.repeat(23)}   4% | 12,000/300,000 rows | 3,000 rows/s | ETA 1m 36s | 0 failed`,
    ]);
    const estimated = estimateProgress(
      counts({ read: 2000, stored: 1000, failed: 3, bytesRead: 100_000, totalBytes: 400_000 }),
      1000,
    );
    expect(line(estimated, 120, 2)[0]).toMatch(
      / 12% \| 1,003\/~8,000 rows \| 1,003 rows\/s \| ETA 7s \| 3 failed \| \+2 more jobs$/,
    );
    const unknown = estimateProgress(counts({ read: 10, stored: 10, totalBytes: null }), 1000);
    expect(line(unknown)).toEqual([`${'░'.repeat(24)} | 10 rows | 10 rows/s | ETA - | 0 failed`]);
    expect(line(null)).toEqual([`${'░'.repeat(8)}  starting…`]);
  });

  it('shrinks the bar, not the numbers, on a narrow terminal', () => {
    const p = estimateProgress(counts({ read: 300_000, stored: 150_000, totalRows: 300_000 }), 4000);
    const [l] = line(p, 80);
    expect(l).toHaveLength(79);
    expect(l).toMatch(/^█{8}░{7} {2}50% \| 150,000\/300,000 rows/);
  });

  it('drops the job count, then the rate; the bar goes last, the ETA and failures moving to a line of their own, at 120, 80, 60 and 40 columns', () => {
    const p = estimateProgress(counts({ read: 300_000, stored: 101_782, failed: 1_028, totalRows: 300_000 }), 33_000);
    expect(line(p, 120, 3)).toEqual([
      `${'█'.repeat(8)}${'░'.repeat(16)}  34% | 102,810/300,000 rows | 3,115 rows/s | ETA 1m 03s | 1,028 failed | +3 more jobs`,
    ]);
    expect(overallFrame(p, { hiddenJobs: 3, chalk, width: 120 }).roomy).toBe(true);
    expect(line(p, 80, 3)).toEqual([
      `${'█'.repeat(3)}${'░'.repeat(5)}  34% | 102,810/300,000 rows | 3,115 rows/s | ETA 1m 03s | 1,028 failed`,
    ]);
    expect(overallFrame(p, { hiddenJobs: 3, chalk, width: 80 }).roomy).toBe(false);
    expect(line(p, 60, 3)).toEqual([
      `${'█'.repeat(6)}${'░'.repeat(12)}  34% | 102,810/300,000 rows | ETA 1m 03s`,
      '  1,028 failed',
    ]);
    expect(line(p, 40, 3)).toEqual([
      `${'█'.repeat(4)}${'░'.repeat(7)}  34% | 102,810/300,000 rows`,
      '  ETA 1m 03s | 1,028 failed',
    ]);
    for (const w of [40, 60, 80, 120]) for (const l of line(p, w, 3)) expect(l.length).toBeLessThan(w);
  });

  it('shows a retry in place of the ETA, wrapped whole when narrow', () => {
    const p = estimateProgress(counts({ read: 5000, totalRows: 300 }), 4000);
    const waiting = retryText(
      { attempt: 3, reason: 'connect ECONNREFUSED 127.0.0.1:9', at: 12_000, givesUpAt: 10_000 + 292_000 },
      10_000,
    );
    expect(waiting).toBe('server unreachable, retry 3 in 2 s, gives up in 4:52');
    expect(line(p, 120, 0, { waiting })[0]).toContain('| server unreachable, retry 3 in 2 s, gives up in 4:52 |');
    const narrow = line(p, 40, 0, { waiting });
    expect(narrow.join(' ')).toContain('server unreachable, retry 3 in 2 s,');
    for (const l of narrow) expect(l.length).toBeLessThan(40);
    expect(retryText({ attempt: 1, reason: 'HTTP 503', at: 0, givesUpAt: null }, 10)).toBe(
      'server answered HTTP 503, retry 1 now',
    );
  });

  it('draws a job bar, or nothing when it would not fit', () => {
    expect(
      jobBarLine({ batch: 3, jobId: '1a2b3c4d-xxxx', total: 1000, processed: 500, failed: 3, queued: false }, chalk),
    ).toBe(`  batch 3  1a2b3c4d  ${'█'.repeat(8)}${'░'.repeat(8)}  500/1,000  3 failed`);
    expect(jobBarLine({ batch: 4, jobId: 'ffff0000', total: 1000, processed: 0, failed: 0, queued: true }, chalk)).toBe(
      `  batch 4  ffff0000  ${'░'.repeat(16)}  0/1,000  queued`,
    );
    expect(
      jobBarLine({ batch: 4, jobId: 'ffff0000', total: 1000, processed: 0, failed: 0, queued: true }, chalk, 40),
    ).toBeNull();
  });

  it('sums watched jobs', () => {
    expect(jobsProgress([], 1000)).toBeNull();
    expect(
      jobsProgress(
        [
          { batch: 1, jobId: 'a', total: 100, processed: 50, failed: 1, queued: false },
          { batch: 2, jobId: 'b', total: 100, processed: 0, failed: 0, queued: true },
        ],
        1000,
      ),
    ).toMatchObject({
      done: 50,
      total: 200,
      fraction: 0.25,
      rowsPerSecond: 50,
      etaMs: 3000,
      failed: 1,
    });
  });
});
