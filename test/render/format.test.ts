import { describe, expect, it } from 'vitest';
import {
  asciiPunctuation,
  errorLine,
  formatAggregates,
  groupDigits,
  humanMs,
  humanSeconds,
  shortId,
} from '../../src/render/format.js';
import { breakWords, fitParts } from '../../src/render/fit-parts.js';
import { estimateProgress } from '../../src/render/progress-estimate.js';
import { counts } from './fixtures.js';

describe('text helpers', () => {
  it('writes durations for people', () => {
    expect(humanMs(850)).toBe('850ms');
    expect(humanMs(5640)).toBe('5.6s');
    expect(humanMs(42_000)).toBe('42s');
    expect(humanMs(93_400)).toBe('1m 33s');
    expect(humanMs(7_530_000)).toBe('2h 05m');
    expect(humanSeconds(0)).toBe('0s');
    expect(humanSeconds(65)).toBe('1m 05s');
    expect(humanSeconds(Number.NaN)).toBe('-');
  });

  it('groups thousands', () => {
    expect(groupDigits(0)).toBe('0');
    expect(groupDigits(999)).toBe('999');
    expect(groupDigits(1000)).toBe('1,000');
    expect(groupDigits(1234567.6)).toBe('1,234,568');
  });

  it('formats row errors and ids', () => {
    expect(
      errorLine({ file: 'transactions.csv', line: 2417, field: 'amount', reason: 'must be a decimal number' }),
    ).toBe('transactions.csv:2417 amount: must be a decimal number');
    expect(errorLine({ file: 'a.ndjson', line: 3, reason: 'not JSON' })).toBe('a.ndjson:3 not JSON');
    expect(shortId('1a2b3c4d-5e6f-4a1b-9c2d-000000000003')).toBe('1a2b3c4d');
    expect(asciiPunctuation('Waiting for jobs to finish… lines 2–3 → job')).toBe(
      'Waiting for jobs to finish... lines 2-3 -> job',
    );
  });

  it('fits parts to a width: optional parts go lowest rank first, the rest wrap whole at part and word boundaries', () => {
    const parts = [
      { text: 'batch 3' },
      { text: 'lines 2–5001' },
      { text: 'job 1a2b3c4d', dropRank: 1 },
      { text: '1.2s', dropRank: 2 },
    ];
    expect(fitParts(parts, 80)).toEqual(['batch 3  lines 2–5001  job 1a2b3c4d  1.2s']);
    expect(fitParts(parts, 30)).toEqual(['batch 3  lines 2–5001  1.2s']);
    expect(fitParts(parts, 20)).toEqual(['batch 3', '  lines 2–5001']);
    expect(fitParts([{ text: 'aaaa bbbb cccc dddd eeee ffff' }], 15, { indent: '  ' })).toEqual([
      'aaaa bbbb cccc',
      '  dddd eeee',
      '  ffff',
    ]);
    expect(breakWords('  why: it stopped early', 12, 12)).toEqual(['  why: it', 'stopped', 'early']);
  });
});

describe('estimateProgress', () => {
  it('uses the row total once the input has been read', () => {
    const p = estimateProgress(counts({ read: 300_000, stored: 11_995, failed: 5, totalRows: 300_000 }), 4000);
    expect(p).toMatchObject({
      done: 12_000,
      total: 300_000,
      estimated: false,
      fraction: 0.04,
      rowsPerSecond: 3000,
      failed: 5,
    });
    expect(p.etaMs).toBe(96_000);
  });

  it('estimates the total from the share of bytes read until then', () => {
    const p = estimateProgress(counts({ read: 2000, stored: 500, bytesRead: 100_000, totalBytes: 400_000 }), 1000);
    expect(p).toMatchObject({ total: 8000, estimated: true, fraction: 0.0625, etaMs: 15_000 });
  });

  it('shows no estimated total before 5% of the bytes are read, and a steady one after (two significant digits)', () => {
    const early = estimateProgress(counts({ read: 880, stored: 0, bytesRead: 4_000, totalBytes: 100_000 }), 1000);
    expect(early).toMatchObject({ total: null, fraction: null, etaMs: null });
    // ~200,046 and ~199,316 from one frame to the next: the same ~200,000.
    const a = estimateProgress(counts({ read: 100_023, bytesRead: 50_000, totalBytes: 100_000 }), 1000);
    const b = estimateProgress(counts({ read: 119_589, bytesRead: 60_000, totalBytes: 100_000 }), 1200);
    expect([a.total, b.total]).toEqual([200_000, 200_000]);
    expect(a.estimated).toBe(true);
  });

  it('has no fraction or ETA for input of unknown size', () => {
    const p = estimateProgress(counts({ read: 10, stored: 10, totalBytes: null }), 1000);
    expect(p).toMatchObject({ total: null, fraction: null, etaMs: null, rowsPerSecond: 10 });
  });

  it('has no ETA before anything is done, nor after everything is', () => {
    expect(estimateProgress(counts({ read: 100, totalRows: 100 }), 1000).etaMs).toBeNull();
    expect(estimateProgress(counts({ read: 100, stored: 100, totalRows: 100 }), 1000)).toMatchObject({
      fraction: 1,
      etaMs: null,
    });
    expect(estimateProgress(counts({ read: 0, totalRows: 0 }), 0)).toMatchObject({ fraction: 1, rowsPerSecond: 0 });
  });
});

describe('formatAggregates', () => {
  it('prints k=v pairs, count-by objects in braces', () => {
    expect(
      formatAggregates({
        total_amount: '150000.00',
        average_amount: 150,
        by_status: { a: 3, b: 2 },
        none: null,
        name: 'ACME Corp',
      }),
    ).toBe('total_amount=150000.00 average_amount=150.00 by_status={a:3,b:2} none=- name="ACME Corp"');
    // Numbers are printed at the scale of the values they came with, not as JSON left them.
    expect(
      formatAggregates({ total_amount: 24977, average_amount: 4995.4, min_amount: 10.25, transaction_count: 5 }),
    ).toBe('total_amount=24977 average_amount=4995.40 min_amount=10.25 transaction_count=5');
    expect(formatAggregates({ total_amount: 1484382220.2, average_amount: 4998.53, transaction_count: 300000 })).toBe(
      'total_amount=1484382220.20 average_amount=4998.53 transaction_count=300000',
    );
    expect(formatAggregates(null)).toBe('');
    expect(formatAggregates({})).toBe('');
  });
});
