import { Writable } from 'node:stream';
import readline from 'node:readline';
import { resolveColor } from '../../src/render/color.js';
import type { RunSummary } from '../../src/render/run-summary.js';
import type {
  BatchOrigin,
  JobOutcome,
  MappedRowError,
  RunCounts,
  UploadEvent,
} from '../../src/upload/upload-events.js';

/** Collects everything written; looks like a terminal when asked to. */
export class CaptureStream extends Writable {
  text = '';
  isTTY: boolean;
  columns: number;
  rows: number;

  constructor(opts: { tty?: boolean; columns?: number; rows?: number } = {}) {
    super({ decodeStrings: false });
    this.isTTY = opts.tty ?? false;
    this.columns = opts.columns ?? 100;
    this.rows = opts.rows ?? 30;
  }

  override _write(chunk: unknown, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.text += String(chunk);
    cb();
  }

  // What ora uses on a tty.WriteStream.
  cursorTo(x: number, y?: number | (() => void)): boolean {
    return readline.cursorTo(this, x, typeof y === 'number' ? y : undefined);
  }
  moveCursor(dx: number, dy: number): boolean {
    return readline.moveCursor(this, dx, dy);
  }
  clearLine(dir: -1 | 0 | 1): boolean {
    return readline.clearLine(this, dir);
  }
  clearScreenDown(): boolean {
    return readline.clearScreenDown(this);
  }
}

// eslint-disable-next-line no-control-regex -- stripping terminal codes to read what a person sees
const ESCAPES = /\x1b\[[0-9;?]*[A-Za-z]|\x1b[78]/g;

export function visibleText(raw: string): string {
  return raw.replace(ESCAPES, '');
}

export const FILE = 'transactions.csv';
export const NOW = new Date('2026-11-28T14:03:05.123Z');
export const colorOn = resolveColor({ env: { FORCE_COLOR: '3' }, stream: { isTTY: true } });
export const colorOff = resolveColor({ flag: false, env: {}, stream: { isTTY: true } });

export function origin(batch: number, rows = 1000): BatchOrigin {
  const firstLine = 2 + (batch - 1) * 1000;
  return { batch, file: FILE, firstLine, lastLine: firstLine + rows - 1, rows };
}

export function jobId(batch: number): string {
  return `${(0x1a2b3c4d + batch - 3).toString(16)}-5e6f-4a1b-9c2d-00000000000${batch}`;
}

export function rowError(line: number, field: string | undefined, reason: string): MappedRowError {
  return { file: FILE, line, ...(field ? { field } : {}), reason };
}

export function counts(over: Partial<RunCounts> = {}): RunCounts {
  return {
    read: 0,
    stored: 0,
    failed: 0,
    unprocessed: 0,
    unconfirmed: 0,
    inFlight: 0,
    totalRows: null,
    bytesRead: 0,
    totalBytes: 400_000,
    ...over,
  };
}

export function outcome(batch: number, over: Partial<JobOutcome> = {}): JobOutcome {
  return {
    batch,
    jobId: jobId(batch),
    state: 'Job Complete',
    total: 1000,
    processed: 1000,
    succeeded: 1000,
    failed: 0,
    origin: origin(batch),
    aggregates: { total_amount: '150000.00', average_amount: '150.00' },
    firstErrors: [],
    jobErrors: [],
    unprocessed: 0,
    ...over,
  };
}

/** Batch 3 rejects 7 rows (5 errors listed), batch 4 is aborted half way; a parse error and the usual chatter. */
export const batch3 = outcome(3, {
  succeeded: 993,
  failed: 7,
  aggregates: { total_amount: '150000.00', average_amount: '150.00' },
  firstErrors: [
    rowError(2417, 'amount', 'must be a decimal number'),
    rowError(2418, 'transaction_date', 'must be a date'),
    rowError(2500, undefined, 'row has 3 fields, expected 4'),
    rowError(2600, 'amount', 'must be a decimal number'),
    rowError(2700, 'amount', 'must be a decimal number'),
  ],
});
export const batch4 = outcome(4, {
  state: 'Aborted',
  processed: 400,
  succeeded: 400,
  unprocessed: 600,
  aggregates: null,
  jobErrors: ['Job aborted on request'],
});

export function scriptedRun(): UploadEvent[] {
  return [
    {
      type: 'run-start',
      runId: '20261128T140305Z-3f9a2c',
      files: [FILE],
      url: 'http://127.0.0.1:8000',
      embedded: false,
      batchSize: 1000,
      concurrency: 2,
    },
    { type: 'stage', text: 'Reading transactions.csv…' },
    { type: 'counts', counts: counts({ read: 2000, bytesRead: 160_000 }) },
    { type: 'http', method: 'POST', url: 'http://127.0.0.1:8000/api/transactions/bulk/?x=1', status: 202, ms: 12.4 },
    { type: 'batch-submitted', origin: origin(3), jobId: jobId(3), replayed: false },
    { type: 'batch-submitted', origin: origin(4), jobId: jobId(4), replayed: true },
    { type: 'retry', what: 'start job', attempt: 2, delayMs: 1000, reason: 'HTTP 502' },
    { type: 'row-rejected', error: rowError(4005, undefined, 'unclosed quote') },
    {
      type: 'job-progress',
      progress: {
        batch: 3,
        jobId: jobId(3),
        state: 'In Progress',
        total: 1000,
        processed: 500,
        succeeded: 497,
        failed: 3,
      },
    },
    {
      type: 'job-progress',
      progress: { batch: 4, jobId: jobId(4), state: 'Open', total: 1000, processed: 0, succeeded: 0, failed: 0 },
    },
    { type: 'counts', counts: counts({ read: 2000, stored: 497, failed: 4, bytesRead: 160_000 }) },
    // The job's own record errors come as row-rejected too, just before job-finished: not printed twice.
    ...batch3.firstErrors.map((error): UploadEvent => ({ type: 'row-rejected', error })),
    { type: 'job-finished', outcome: batch3 },
    { type: 'warning', text: 'job of batch 4 was aborted by someone else' },
    { type: 'job-finished', outcome: batch4 },
    {
      type: 'counts',
      counts: counts({ read: 2001, stored: 1393, failed: 8, unprocessed: 600, totalRows: 2001, bytesRead: 400_000 }),
    },
  ];
}

export function summary(over: Partial<RunSummary> = {}): RunSummary {
  return {
    status: 'stopped',
    exitCode: 3,
    counts: { read: 2001, stored: 1393, failed: 8, unprocessed: 600 },
    jobs: 2,
    elapsedMs: 93_400,
    rowsPerSecond: 1234567,
    aggregates: { total_amount: '150000.00', average_amount: '150.00', by_status: { ok: 3, late: 2 } },
    failedRowsFile: 'transactions.failed-20261128T140305Z-3f9a2c.csv',
    resumeCommand: 'bulk upload --resume 20261128T140305Z-3f9a2c',
    message: 'job of batch 4 was aborted',
    ...over,
  };
}
