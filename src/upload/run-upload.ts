import path from 'node:path';
import { openInput } from '../input/open-input.js';
import { InputError } from '../input/input-error.js';
import type { InputFormat } from '../input/input-item.js';
import type { AggregateValue } from '../protocol/index.js';
import { ApiError } from '../client/api-error.js';
import type { JobApiClient } from '../client/job-api-client.js';
import { halveBatch, lineOfIndex, makeBatch, type Batch } from './batch.js';
import { collectJobResults } from './job-results.js';
import { Semaphore } from './semaphore.js';
import { watchJob } from './watch-job.js';
import { FailedRowsSink } from './failed-rows-sink.js';
import type { JobOutcome, MappedRowError, RunCounts, UploadEvent, UploadListener } from './upload-events.js';

export interface UploadOptions {
  files: string[];
  format?: InputFormat;
  encoding?: 'utf8' | 'utf16le' | 'latin1';
  /** Resource name; default: each file's stem (`transactions.csv` → `transactions`). */
  resource?: string;
  /** @default 1000 */
  batchSize: number;
  /** Jobs out at once. @default 4 */
  concurrency: number;
  upsert?: { uniqueFields: string[]; updateFields?: string[] };
  client: JobApiClient;
  runId: string;
  emit: UploadListener;
  /** Aborted on Ctrl-C/SIGTERM: stop reading, let jobs in flight finish. */
  stopSignal?: AbortSignal;
  /** Stop sending once this many rows failed (count) or this share of rows read (percent). */
  maxErrors?: { count?: number; percent?: number };
  /** Where failed-rows files go; default beside each input. */
  failedRowsDir?: string;
  dryRun?: boolean;
  /** Submit only; do not wait for jobs to finish. */
  noWait?: boolean;
  useEvents?: boolean;
}

export type StopReason = 'interrupted' | 'unreachable' | 'auth' | 'protocol' | 'max-errors' | 'input' | 'job-lost' | 'unknown-resource';

export interface UploadResult {
  counts: RunCounts;
  jobs: JobOutcome[];
  /** The first row errors of the run, in the order found (at most 100). */
  firstErrors: MappedRowError[];
  failedRowsFiles: string[];
  /** Why the run stopped before the end, if it did; the first reason wins. */
  stopReason: StopReason | null;
  stopMessage: string | null;
  /** Where an input stopped being readable: the rest of that file was not read. */
  notRead: { file: string; fromLine: number }[];
  submittedJobs: { jobId: string; batch: number; file: string; firstLine: number; lastLine: number }[];
}

const FIRST_ERRORS_KEPT = 100;
const FIRST_ERRORS_PER_JOB = 5;

/** The upload: files → batches → jobs → outcomes. Draws nothing; everything goes out as events. */
export async function runUpload(opts: UploadOptions): Promise<UploadResult> {
  return new UploadRun(opts).run();
}

class UploadRun {
  private readonly counts: RunCounts = { read: 0, stored: 0, failed: 0, unprocessed: 0, inFlight: 0, totalRows: null, bytesRead: 0, totalBytes: null };
  private readonly jobs: JobOutcome[] = [];
  private readonly firstErrors: MappedRowError[] = [];
  private readonly liveProgress = new Map<string, { succeeded: number; failed: number }>();
  private readonly submitted: UploadResult['submittedJobs'] = [];
  private readonly notRead: UploadResult['notRead'] = [];
  private readonly sink: FailedRowsSink;
  private readonly slots: Semaphore;
  private readonly tasks = new Set<Promise<void>>();
  private stopReason: StopReason | null = null;
  private stopMessage: string | null = null;
  private batchNumber = 0;
  /** Lowered after a 413, so later batches fit without a round trip. */
  private batchSize: number;
  private bytesBefore = 0;

  constructor(private readonly opts: UploadOptions) {
    this.sink = new FailedRowsSink(opts.failedRowsDir);
    this.slots = new Semaphore(Math.max(1, opts.concurrency));
    this.batchSize = opts.batchSize;
  }

  private emit(event: UploadEvent): void {
    this.opts.emit(event);
  }

  private emitCounts(): void {
    let liveStored = 0;
    let liveFailed = 0;
    for (const p of this.liveProgress.values()) {
      liveStored += p.succeeded;
      liveFailed += p.failed;
    }
    this.emit({
      type: 'counts',
      counts: { ...this.counts, stored: this.counts.stored + liveStored, failed: this.counts.failed + liveFailed, inFlight: this.slots.inUse },
    });
  }

  private stop(reason: StopReason, message: string): void {
    if (!this.stopReason) {
      this.stopReason = reason;
      this.stopMessage = message;
    }
  }

  private get stopped(): boolean {
    return this.stopReason !== null || Boolean(this.opts.stopSignal?.aborted);
  }

  async run(): Promise<UploadResult> {
    const sizes = await this.totalSize();
    this.counts.totalBytes = sizes;
    try {
      for (const file of this.opts.files) {
        if (this.stopped) break;
        await this.readFile(file);
      }
      if (!this.stopped) this.counts.totalRows = this.counts.read;
      if (this.tasks.size > 0) this.emit({ type: 'stage', text: 'Waiting for jobs to finish…' });
      while (this.tasks.size > 0) await Promise.race(this.tasks);
    } finally {
      await this.sink.close();
    }
    if (this.opts.stopSignal?.aborted) this.stop('interrupted', 'interrupted');
    this.emitCounts();
    return {
      counts: { ...this.counts, inFlight: 0 },
      jobs: this.jobs.sort((a, b) => a.batch - b.batch || a.origin.firstLine - b.origin.firstLine),
      firstErrors: this.firstErrors,
      failedRowsFiles: this.sink.paths(),
      stopReason: this.stopReason,
      stopMessage: this.stopMessage,
      notRead: this.notRead,
      submittedJobs: this.submitted,
    };
  }

  private async totalSize(): Promise<number | null> {
    const { stat } = await import('node:fs/promises');
    let total = 0;
    for (const file of this.opts.files) {
      if (file === '-') return null;
      try {
        total += (await stat(file)).size;
      } catch {
        return null;
      }
    }
    return total;
  }

  private async readFile(file: string): Promise<void> {
    const source = await openInput(file, { format: this.opts.format, encoding: this.opts.encoding });
    const resource = this.opts.resource ?? resourceFromFile(file);
    const displayName = source.displayName;
    this.sink.describe(displayName, source.format, file);
    let records: Record<string, unknown>[] = [];
    let lines: number[] = [];
    try {
      for await (const items of source.batches(this.batchSize)) {
        for (const item of items) {
          this.counts.read++;
          if (item.kind === 'row') {
            records.push(item.record);
            lines.push(item.line);
          } else {
            this.sink.setColumns(displayName, source.columns());
            this.rowFailed({ file: displayName, line: item.line, field: item.field, reason: item.reason }, { raw: item.raw });
          }
          if (records.length >= this.batchSize) {
            await this.dispatch(makeBatch(++this.batchNumber, displayName, records, lines), resource, source.columns());
            records = [];
            lines = [];
          }
          if (this.stopped) break;
        }
        this.counts.bytesRead = this.bytesBefore + source.bytesRead();
        this.emitCounts();
        if (this.stopped) break;
      }
      if (this.stopped) {
        if (records.length > 0) this.counts.unprocessed += records.length;
        this.notRead.push({ file: displayName, fromLine: (lines[lines.length - 1] ?? 0) + 1 });
        return;
      }
      if (records.length > 0) await this.dispatch(makeBatch(++this.batchNumber, displayName, records, lines), resource, source.columns());
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      // Rows already read stay queued; the rest of this file is reported as not read.
      if (records.length > 0) await this.dispatch(makeBatch(++this.batchNumber, displayName, records, lines), resource, source.columns());
      this.notRead.push({ file: displayName, fromLine: (err.line ?? 0) + 1 });
      this.stop('input', err.message);
    } finally {
      this.bytesBefore += source.bytesRead();
      await source.close();
    }
  }

  private async dispatch(batch: Batch, resource: string, columns: string[] | null): Promise<void> {
    this.sink.setColumns(batch.origin.file, columns);
    if (this.opts.dryRun) return;
    await this.slots.acquire();
    if (this.stopped) {
      this.slots.release();
      this.counts.unprocessed += batch.records.length;
      return;
    }
    const task = this.send(batch, resource)
      .catch((err: unknown) => this.batchFailed(batch, err))
      .finally(() => {
        this.slots.release();
        this.tasks.delete(task);
      });
    this.tasks.add(task);
  }

  private idempotencyKey(batch: Batch): string {
    return `${this.opts.runId}.${batch.origin.batch}.${batch.origin.firstLine}-${batch.origin.lastLine}`;
  }

  private async send(batch: Batch, resource: string): Promise<void> {
    const { client } = this.opts;
    let started;
    try {
      started = await client.startJob({ resource, body: JSON.stringify(batch.records), idempotencyKey: this.idempotencyKey(batch), upsert: this.opts.upsert });
    } catch (err) {
      if (err instanceof ApiError && err.kind === 'too-large' && batch.records.length > 1) {
        const [a, b] = halveBatch(batch);
        this.batchSize = Math.max(1, Math.min(this.batchSize, a.records.length));
        this.emit({ type: 'warning', text: `batch ${batch.origin.batch} too large for the server (413); sending it as two of ${a.records.length} and ${b.records.length} rows` });
        await this.send(a, resource);
        await this.send(b, resource);
        return;
      }
      throw err;
    }
    const { ref, replayed } = started;
    this.submitted.push({ jobId: ref.jobId, batch: batch.origin.batch, file: batch.origin.file, firstLine: batch.origin.firstLine, lastLine: batch.origin.lastLine });
    this.emit({ type: 'batch-submitted', origin: batch.origin, jobId: ref.jobId, replayed });
    if (this.opts.noWait) {
      this.counts.unprocessed += 0;
      return;
    }
    this.liveProgress.set(ref.jobId, { succeeded: 0, failed: 0 });
    let status;
    try {
      status = await watchJob(client, ref, {
        useEvents: this.opts.useEvents,
        onStatus: (s) => {
          this.liveProgress.set(ref.jobId, { succeeded: s.success_count ?? 0, failed: s.error_count ?? 0 });
          this.emit({
            type: 'job-progress',
            progress: { batch: batch.origin.batch, jobId: ref.jobId, state: s.state, total: s.total_items, processed: s.processed_items, succeeded: s.success_count, failed: s.error_count },
          });
          this.emitCounts();
        },
      });
    } finally {
      this.liveProgress.delete(ref.jobId);
    }
    const results = await collectJobResults(client, ref, status);
    const mapped: MappedRowError[] = [];
    for (const e of results.recordErrors) {
      const line = lineOfIndex(batch, e.index);
      if (line === null) continue;
      const error: MappedRowError = { file: batch.origin.file, line, field: e.field, reason: e.error };
      mapped.push(error);
      this.rowFailed(error, { record: batch.records[e.index] });
    }
    const succeeded = Number(status.success_count) || 0;
    const processed = Math.min(batch.records.length, Number(status.processed_items) || succeeded + mapped.length);
    const unprocessed = status.state === 'Job Complete' ? 0 : Math.max(0, batch.records.length - processed);
    this.counts.stored += succeeded;
    this.counts.unprocessed += unprocessed;
    const outcome: JobOutcome = {
      batch: batch.origin.batch,
      jobId: ref.jobId,
      state: status.state,
      total: batch.records.length,
      processed,
      succeeded,
      failed: mapped.length,
      origin: batch.origin,
      aggregates: results.aggregates as Record<string, AggregateValue> | null,
      firstErrors: mapped.slice(0, FIRST_ERRORS_PER_JOB),
      jobErrors: results.jobErrors,
      unprocessed,
    };
    this.jobs.push(outcome);
    this.emit({ type: 'job-finished', outcome });
    this.emitCounts();
  }

  private batchFailed(batch: Batch, err: unknown): void {
    if (!(err instanceof ApiError)) {
      if (this.opts.stopSignal?.aborted) {
        this.counts.unprocessed += batch.records.length;
        return;
      }
      throw err;
    }
    const rows = batch.records.length;
    switch (err.kind) {
      case 'rejected':
        // The server refused the whole batch (400/422): its rows fail with the server's reason.
        batch.records.forEach((record, i) => this.rowFailed({ file: batch.origin.file, line: batch.lines[i] ?? 0, reason: err.message }, { record }));
        return;
      case 'not-found':
        this.counts.unprocessed += rows;
        if (/Unknown resource/i.test(err.message)) this.stop('unknown-resource', err.message);
        else this.stop('job-lost', `${err.message}: lines ${batch.origin.firstLine}-${batch.origin.lastLine} of ${batch.origin.file} are unprocessed`);
        return;
      case 'auth':
        this.counts.unprocessed += rows;
        this.stop('auth', err.message);
        return;
      case 'unreachable':
        this.counts.unprocessed += rows;
        this.stop('unreachable', err.message);
        return;
      default:
        this.counts.unprocessed += rows;
        this.stop('protocol', err.message);
    }
  }

  private rowFailed(error: MappedRowError, source: { record?: Record<string, unknown>; raw?: string }): void {
    this.counts.failed++;
    if (this.firstErrors.length < FIRST_ERRORS_KEPT) this.firstErrors.push(error);
    this.emit({ type: 'row-rejected', error });
    this.sink.write(error, source);
    const max = this.opts.maxErrors;
    if (max && !this.stopReason) {
      const overCount = max.count !== undefined && this.counts.failed > max.count;
      const overShare = max.percent !== undefined && this.counts.read > 0 && (this.counts.failed / this.counts.read) * 100 > max.percent;
      if (overCount || overShare) this.stop('max-errors', `more rows failed than --max-errors allows (${this.counts.failed} failed)`);
    }
  }
}

export function resourceFromFile(file: string): string {
  const base = path.basename(file);
  return base.replace(/\.(csv|json|ndjson|jsonl)$/i, '').replace(/\.failed(-\d+)?$/, '');
}
