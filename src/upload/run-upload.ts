import { setMaxListeners } from 'node:events';
import path from 'node:path';
import { openInput } from '../input/open-input.js';
import { InputError } from '../input/input-error.js';
import type { InputFormat } from '../input/input-item.js';
import { ApiError } from '../client/api-error.js';
import type { JobApiClient } from '../client/job-api-client.js';
import { jobRefFromId, withStatusUrls, type JobRef } from '../client/job-ref.js';
import type { AggregateValue, StatusResponse } from '../protocol/index.js';
import { BatchBuilder, lineOfIndex, recordsOf, splitToFit, type Batch } from './batch.js';
import { ResumeCursor, type Checkpoint, type CheckpointEntry, type EntryOutcome } from './checkpoint.js';
import { CheckpointWriter } from './checkpoint-writer.js';
import { collectJobResults, type JobResults } from './job-results.js';
import { Semaphore } from './semaphore.js';
import { watchJob } from './watch-job.js';
import { FailedRowsSink } from './failed-rows-sink.js';
import { combineAggregates } from './combine-aggregates.js';
import { LedgerFolder, unfold, type DispatchSlot } from './ledger-fold.js';
import type { JobOutcome, MappedRowError, RunCounts, UploadEvent, UploadListener } from './upload-events.js';

export interface UploadOptions {
  files: string[];
  format?: InputFormat;
  encoding?: 'utf8' | 'utf16le' | 'latin1';
  /** Resource name; default: each file's stem (`transactions.csv` → `transactions`). */
  resource?: string;
  /** @default 5000 */
  batchSize: number;
  /** Jobs out at once. @default 4 */
  concurrency: number;
  upsert?: { uniqueFields: string[]; updateFields?: string[] };
  client: JobApiClient;
  /** The run's ledger: a fresh one, or the checkpoint of the run being resumed. */
  checkpoint: Checkpoint;
  /** Saves the ledger; absent for runs that cannot be resumed (stdin, dry run). */
  checkpointWriter?: CheckpointWriter;
  emit: UploadListener;
  /** Aborted on Ctrl-C/SIGTERM: stop reading, let requests in flight finish. */
  stopSignal?: AbortSignal;
  /** After a stop signal, how long to keep following jobs already submitted. @default 10000 */
  stopGraceMs?: number;
  /** Stop sending once this many rows failed (count) or this share of rows read (percent). */
  maxErrors?: { count?: number; percent?: number };
  /** Where failed-rows files go; default beside each input. */
  failedRowsDir?: string;
  /** A file in the run's directory naming each failed-rows file as it is chosen (resumable runs). */
  failedRowsClaims?: string;
  dryRun?: boolean;
  /** Submit only; do not wait for jobs to finish. */
  noWait?: boolean;
  useEvents?: boolean;
}

export type StopReason = 'interrupted' | 'unreachable' | 'auth' | 'protocol' | 'max-errors' | 'input' | 'job-lost' | 'unknown-resource';

export interface UploadResult {
  counts: RunCounts;
  jobs: JobOutcome[];
  /** Every job's aggregates combined, earlier runs' included. */
  aggregates: Record<string, AggregateValue>;
  /** The first row errors of the run, in the order found (at most 100). */
  firstErrors: MappedRowError[];
  failedRowsFiles: string[];
  /** Why the run stopped before the end, if it did; the first reason wins. */
  stopReason: StopReason | null;
  stopMessage: string | null;
  /** Where reading stopped early: that file's rows from this line on were not read. */
  notRead: { file: string; fromLine: number }[];
  submittedJobs: { jobId: string; batch: number; file: string; firstLine: number; lastLine: number }[];
}

const FIRST_ERRORS_KEPT = 100;
const READ_SLICE_ROWS = 500;
const FIRST_ERRORS_PER_JOB = 5;

/** The upload: files → batches → jobs → outcomes. Draws nothing; everything goes out as events. */
export async function runUpload(opts: UploadOptions): Promise<UploadResult> {
  return new UploadRun(opts).run();
}

class UploadRun {
  private readonly counts: RunCounts = { read: 0, stored: 0, failed: 0, unprocessed: 0, inFlight: 0, totalRows: null, bytesRead: 0, totalBytes: null };
  private readonly firstErrors: MappedRowError[] = [];
  private readonly liveProgress = new Map<string, { succeeded: number; failed: number }>();
  private readonly submitted: UploadResult['submittedJobs'] = [];
  private readonly notRead: UploadResult['notRead'] = [];
  private readonly sink: FailedRowsSink;
  private readonly slots: Semaphore;
  private readonly tasks = new Set<Promise<void>>();
  private readonly ledger: Checkpoint;
  private stopReason: StopReason | null = null;
  private stopMessage: string | null = null;
  private batchCount = 0;
  /** After a 413: the most rows the server took in one job. Batches are pre-split to fit. */
  private itemLimit = Number.POSITIVE_INFINITY;
  private bytesBefore = 0;
  /** Aborted a grace period after a stop signal: jobs still running stay in the checkpoint for resume. */
  private readonly followAbort = new AbortController();
  private readonly folder: LedgerFolder;
  /** Jobs this run saw finish, for the result; earlier runs' are in `earlier`. */
  private readonly sessionOutcomes: JobOutcome[] = [];
  private readonly earlier: CheckpointEntry[];

  constructor(private readonly opts: UploadOptions) {
    this.ledger = opts.checkpoint;
    this.sink = new FailedRowsSink(opts.failedRowsDir, this.ledger.failed_rows, opts.failedRowsClaims);
    this.slots = new Semaphore(Math.max(1, opts.concurrency));
    // A resumed run starts from what the checkpoint already settled.
    for (const entry of this.ledger.entries) {
      if (entry.state !== 'finished' || !entry.outcome) continue;
      this.counts.stored += entry.outcome.stored;
      this.counts.failed += entry.outcome.failed;
      for (const e of entry.outcome.first_errors) this.keepError(e);
      // Its unprocessed tail is read again and sent by this run.
      entry.outcome.unprocessed = 0;
    }
    for (const state of Object.values(this.ledger.failed_rows)) this.counts.failed += state.rejected;
    this.earlier = this.ledger.entries.filter((e) => e.state === 'finished' && e.outcome);
    this.folder = new LedgerFolder(this.ledger);
    // Every job being followed waits on this signal: with --concurrency over 10, Node warned of a leak.
    setMaxListeners(0, this.followAbort.signal);
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

  private save(): void {
    if (!this.opts.checkpointWriter) return;
    this.opts.checkpointWriter.request(() => {
      this.ledger.failed_rows = this.sink.checkpointState();
      return this.ledger;
    });
  }

  async run(): Promise<UploadResult> {
    this.counts.totalBytes = await totalSize(this.opts.files);
    let graceTimer: NodeJS.Timeout | undefined;
    const onStop = () => {
      graceTimer = setTimeout(() => this.followAbort.abort(new Error('stopped')), this.opts.stopGraceMs ?? 10_000);
    };
    this.opts.stopSignal?.addEventListener('abort', onStop, { once: true });
    // Requests end with the grace period, not at the stop signal: a first Ctrl-C stops reading and
    // lets the jobs in flight be sent, followed and settled (else they were all left unprocessed).
    this.opts.client.setHooks({ signal: this.followAbort.signal });
    try {
      for (let i = 0; i < this.opts.files.length; i++) {
        if (this.stopped) break;
        await this.readFile(this.opts.files[i] as string, i);
      }
      if (!this.stopped) this.counts.totalRows = this.counts.read;
      if (this.tasks.size > 0) this.emit({ type: 'stage', text: 'Waiting for jobs to finish…' });
      while (this.tasks.size > 0) await Promise.race(this.tasks);
    } finally {
      clearTimeout(graceTimer);
      this.opts.stopSignal?.removeEventListener('abort', onStop);
      if (this.opts.stopSignal?.aborted) this.stop('interrupted', 'interrupted');
      this.ledger.finished = !this.stopped && this.ledger.entries.every((e) => e.state === 'finished');
      this.save();
      await this.opts.checkpointWriter?.flush();
      await this.sink.close();
    }
    this.emitCounts();
    return {
      counts: { ...this.counts, inFlight: 0 },
      jobs: this.outcomes(),
      aggregates: combineAggregates([...this.earlier.map((e) => ({ aggregates: e.outcome?.aggregates ?? null, succeeded: e.outcome?.stored ?? 0 })), ...this.sessionOutcomes]),
      firstErrors: this.firstErrors,
      failedRowsFiles: this.sink.paths(),
      stopReason: this.stopReason,
      stopMessage: this.stopMessage,
      notRead: this.notRead,
      submittedJobs: this.submitted,
    };
  }

  /** Every finished job of the run, this session's and earlier ones', in input order. */
  private outcomes(): JobOutcome[] {
    const earlier = this.earlier.flatMap((e) => (e.jobs ? unfold(e) : e.job_id ? [outcomeOf(e)] : []));
    return [...earlier, ...this.sessionOutcomes].sort((a, b) => a.batch - b.batch || a.origin.firstLine - b.origin.firstLine);
  }

  private async readFile(file: string, fileIndex: number): Promise<void> {
    const source = await openInput(file, { format: this.opts.format, encoding: this.opts.encoding });
    const resource = this.opts.resource ?? resourceFromFile(file);
    const name = source.displayName;
    this.sink.describe(name, source.format, file);
    const cursor = new ResumeCursor(this.ledger.entries.filter((e) => e.file === name));
    const alreadyRejectedThrough = this.ledger.failed_rows[name]?.rejected_through_line ?? 0;
    const batchSize = this.opts.batchSize;
    // Batches are cut at fixed row ordinals of the file, so a resume rebuilds the very same line
    // ranges, and with them the same idempotency keys.
    let ordinal = 0;
    let pending = { rows: new BatchBuilder(), ordinalBatch: 0 };
    let attach: { entry: CheckpointEntry; rows: BatchBuilder } | null = null;
    const firstBatchNumber = this.batchCount;
    const flushPending = async () => {
      if (pending.rows.rows === 0) return;
      const batchNo = firstBatchNumber + pending.ordinalBatch + 1;
      this.batchCount = Math.max(this.batchCount, batchNo);
      const batch = pending.rows.build(batchNo, name);
      pending = { rows: new BatchBuilder(), ordinalBatch: pending.ordinalBatch };
      await this.dispatch(batch, resource, fileIndex, source.columns());
    };
    const flushAttach = async () => {
      if (!attach) return;
      const { entry, rows } = attach;
      attach = null;
      await this.dispatchAttach(entry, rows.build(entry.batch, name));
    };
    let lastLine = 0;
    try {
      // Read in small slices whatever the batch size: rows held in a big slice while the batch
      // waits for a slot live long enough to be promoted, and the heap grows with the batch size.
      for await (const items of source.batches(Math.min(batchSize, READ_SLICE_ROWS))) {
        for (const item of items) {
          this.counts.read++;
          lastLine = item.line;
          if (item.kind === 'rejected') {
            if (item.line <= alreadyRejectedThrough) continue;
            this.sink.setColumns(name, source.columns());
            this.sink.noteRejected(name, item.line);
            this.rowFailed({ file: name, line: item.line, field: item.field, reason: item.reason }, { raw: item.raw });
            continue;
          }
          const batchOfRow = Math.floor(ordinal / batchSize);
          ordinal++;
          const plan = cursor.classify(item.line);
          if (attach && (plan.kind !== 'attach' || plan.entry !== attach.entry)) await flushAttach();
          if (plan.kind === 'done') {
            this.folder.barrier();
            continue;
          }
          if (plan.kind === 'attach') {
            attach ??= { entry: plan.entry, rows: new BatchBuilder() };
            attach.rows.add(item.record, item.line);
            continue;
          }
          if (batchOfRow !== pending.ordinalBatch) {
            await flushPending();
            pending.ordinalBatch = batchOfRow;
          }
          pending.rows.add(item.record, item.line);
          if (pending.rows.rows >= batchSize) await flushPending();
          if (this.stopped) break;
        }
        this.counts.bytesRead = this.bytesBefore + source.bytesRead();
        this.emitCounts();
        if (this.stopped) break;
      }
      await flushAttach();
      if (this.stopped) {
        this.counts.unprocessed += pending.rows.rows;
        this.notRead.push({ file: name, fromLine: lastLine + 1 });
        return;
      }
      await flushPending();
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      // Rows read before the bad spot still go; the rest of this file is reported as not read.
      await flushAttach();
      await flushPending();
      this.notRead.push({ file: name, fromLine: (err.line ?? lastLine) + 1 });
      this.stop('input', err.message);
    } finally {
      this.bytesBefore += source.bytesRead();
      await source.close();
    }
  }

  private async dispatch(batch: Batch, resource: string, fileIndex: number, columns: string[] | null): Promise<void> {
    this.sink.setColumns(batch.origin.file, columns);
    if (this.opts.dryRun) return;
    for (const part of splitToFit(batch, this.itemLimit)) {
      const slot = this.folder.open(part.origin.file);
      await this.runInSlot(part, slot, () => this.send(part, resource, fileIndex, slot));
    }
  }

  private async dispatchAttach(entry: CheckpointEntry, batch: Batch): Promise<void> {
    if (this.opts.dryRun) return;
    const slot = this.folder.open(entry.file);
    slot.entries.push(entry);
    await this.runInSlot(batch, slot, () => this.follow(entry, batch));
  }

  /** Waits for a free slot (so reading pauses while the queue is full), then runs the job in the background. */
  private async runInSlot(batch: Batch, slot: DispatchSlot, work: () => Promise<void>): Promise<void> {
    await this.slots.acquire();
    if (this.stopped) {
      this.slots.release();
      this.counts.unprocessed += batch.origin.rows;
      slot.done = true;
      this.folder.settle();
      return;
    }
    const task: Promise<void> = work()
      .catch((err: unknown) => this.batchFailed(batch, err))
      .finally(() => {
        this.slots.release();
        this.tasks.delete(task);
        slot.done = true;
        this.folder.settle();
      });
    this.tasks.add(task);
  }

  private idempotencyKey(batch: Batch, fileIndex: number): string {
    return `${this.ledger.run_id}:${fileIndex}:${batch.origin.firstLine}-${batch.origin.lastLine}`;
  }

  private async send(batch: Batch, resource: string, fileIndex: number, slot: DispatchSlot): Promise<void> {
    let started;
    try {
      started = await this.opts.client.startJob({ resource, body: batch.body, idempotencyKey: this.idempotencyKey(batch, fileIndex), upsert: this.opts.upsert });
    } catch (err) {
      if (err instanceof ApiError && err.kind === 'too-large' && batch.origin.rows > 1) {
        const halves = splitToFit(batch, Math.ceil(batch.origin.rows / 2));
        this.itemLimit = Math.min(this.itemLimit, halves[0]?.origin.rows ?? 1);
        this.emit({ type: 'warning', text: `batch ${batch.origin.batch} is too large for the server (413): sending it in halves` });
        for (const half of halves) await this.send(half, resource, fileIndex, slot);
        return;
      }
      throw err;
    }
    const { ref, replayed } = started;
    const entry: CheckpointEntry = {
      key: this.idempotencyKey(batch, fileIndex),
      file: batch.origin.file,
      batch: batch.origin.batch,
      first_line: batch.origin.firstLine,
      last_line: batch.origin.lastLine,
      rows: batch.origin.rows,
      job_id: ref.jobId,
      state: 'submitted',
    };
    this.ledger.entries.push(entry);
    slot.entries.push(entry);
    this.save();
    this.submitted.push({ jobId: ref.jobId, batch: batch.origin.batch, file: batch.origin.file, firstLine: batch.origin.firstLine, lastLine: batch.origin.lastLine });
    this.emit({ type: 'batch-submitted', origin: batch.origin, jobId: ref.jobId, replayed });
    if (this.opts.noWait) return;
    await this.follow(entry, batch, ref);
  }

  /** Watches a submitted job to its end and settles its rows: stored, failed with their lines, or unprocessed. */
  private async follow(entry: CheckpointEntry, batch: Batch, known?: JobRef): Promise<void> {
    const { client } = this.opts;
    const jobId = entry.job_id as string;
    this.liveProgress.set(jobId, { succeeded: 0, failed: 0 });
    const onStatus = (s: StatusResponse) => {
      this.liveProgress.set(jobId, { succeeded: s.success_count ?? 0, failed: s.error_count ?? 0 });
      this.emit({ type: 'job-progress', progress: { batch: batch.origin.batch, jobId, state: s.state, total: s.total_items, processed: s.processed_items, succeeded: s.success_count, failed: s.error_count } });
      this.emitCounts();
    };
    let status: StatusResponse;
    let results: JobResults;
    try {
      let ref = known ?? jobRefFromId(jobId, (p) => client.resolve(p));
      if (!known) {
        // Re-attaching by id: learn the (ext) URLs from the server's first answer.
        const first = await client.getStatus(ref);
        ref = withStatusUrls(ref, first, (p) => client.resolve(p));
        onStatus(first);
      }
      status = await watchJob(client, ref, { useEvents: this.opts.useEvents, onStatus, signal: this.followAbort.signal });
      results = await collectJobResults(client, ref, status, this.followAbort.signal);
    } catch (err) {
      if (err instanceof ApiError && err.kind === 'not-found') {
        // The server no longer knows a job it accepted: never count it as done.
        this.finishEntry(entry, { state: 'Lost', processed: 0, processed_through_line: 0, stored: 0, failed: 0, unprocessed: batch.origin.rows, aggregates: null, first_errors: [], job_errors: [`job ${jobId} is no longer known to the server`] });
        this.stop('job-lost', `job ${jobId} (lines ${batch.origin.firstLine}-${batch.origin.lastLine} of ${batch.origin.file}) is no longer known to the server; its rows are unprocessed`);
        return;
      }
      throw err;
    } finally {
      this.liveProgress.delete(jobId);
    }
    const mapped: MappedRowError[] = [];
    const records = results.recordErrors.length > 0 ? recordsOf(batch) : [];
    for (const e of results.recordErrors) {
      const line = lineOfIndex(batch, e.index);
      if (line === null) continue;
      const error: MappedRowError = { file: batch.origin.file, line, field: e.field, reason: e.error };
      mapped.push(error);
      this.rowFailed(error, { record: records[e.index] });
    }
    const succeeded = Number(status.success_count) || 0;
    const complete = status.state === 'Job Complete';
    const processed = complete ? batch.origin.rows : Math.min(batch.origin.rows, Number(status.processed_items) || succeeded + mapped.length);
    this.finishEntry(entry, {
      state: status.state,
      processed,
      processed_through_line: processed > 0 ? (batch.lines[processed - 1] as number) : 0,
      stored: succeeded,
      failed: mapped.length,
      unprocessed: batch.origin.rows - processed,
      aggregates: results.aggregates,
      first_errors: mapped.slice(0, FIRST_ERRORS_PER_JOB),
      job_errors: results.jobErrors,
    });
  }

  private finishEntry(entry: CheckpointEntry, outcome: EntryOutcome): void {
    entry.state = 'finished';
    entry.outcome = outcome;
    this.counts.stored += outcome.stored;
    this.counts.unprocessed += outcome.unprocessed;
    this.save();
    const finished = outcomeOf(entry);
    this.sessionOutcomes.push(finished);
    this.emit({ type: 'job-finished', outcome: finished });
    this.emitCounts();
  }

  private batchFailed(batch: Batch, err: unknown): void {
    const rows = batch.origin.rows;
    if (!(err instanceof ApiError)) {
      if (this.opts.stopSignal?.aborted || this.followAbort.signal.aborted) {
        this.counts.unprocessed += rows;
        return;
      }
      throw err;
    }
    switch (err.kind) {
      case 'rejected':
        // The server refused the whole batch (400/422): its rows fail with the server's reason.
        recordsOf(batch).forEach((record, i) => this.rowFailed({ file: batch.origin.file, line: batch.lines[i] ?? 0, reason: err.message }, { record }));
        if (err.status === 422) this.stop('protocol', `${err.message} (an idempotency key was reused with another body: a bug, please report it)`);
        return;
      case 'not-found':
        this.counts.unprocessed += rows;
        this.stop(/Unknown resource/i.test(err.message) ? 'unknown-resource' : 'job-lost', err.message);
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

  private keepError(error: MappedRowError): void {
    if (this.firstErrors.length < FIRST_ERRORS_KEPT) this.firstErrors.push(error);
  }

  private rowFailed(error: MappedRowError, source: { record?: Record<string, unknown>; raw?: string }): void {
    this.counts.failed++;
    this.keepError(error);
    this.emit({ type: 'row-rejected', error });
    this.sink.write(error, source);
    const max = this.opts.maxErrors;
    if (max && !this.stopReason) {
      const overCount = max.count !== undefined && this.counts.failed > max.count;
      const overShare = max.percent !== undefined && this.counts.read > 0 && (this.counts.failed / this.counts.read) * 100 > max.percent;
      if (overCount || overShare) this.stop('max-errors', `more rows failed than --max-errors allows (${this.counts.failed} failed of ${this.counts.read} read)`);
    }
  }
}

function outcomeOf(entry: CheckpointEntry): JobOutcome {
  const o = entry.outcome as EntryOutcome;
  return {
    batch: entry.batch,
    jobId: entry.job_id ?? '',
    state: o.state === 'Lost' ? 'Failed' : o.state,
    total: entry.rows,
    processed: o.processed,
    succeeded: o.stored,
    failed: o.failed,
    origin: { batch: entry.batch, file: entry.file, firstLine: entry.first_line, lastLine: entry.last_line, rows: entry.rows },
    aggregates: o.aggregates,
    // Copied: a folded entry's list grows with the jobs folded into it.
    firstErrors: [...o.first_errors],
    jobErrors: o.job_errors,
    unprocessed: o.unprocessed,
  };
}

async function totalSize(files: string[]): Promise<number | null> {
  const { stat } = await import('node:fs/promises');
  let total = 0;
  for (const file of files) {
    if (file === '-') return null;
    try {
      total += (await stat(file)).size;
    } catch {
      return null;
    }
  }
  return total;
}

export function resourceFromFile(file: string): string {
  const base = path.basename(file);
  return base.replace(/\.(csv|json|ndjson|jsonl)$/i, '').replace(/\.failed(-\d+)?$/, '');
}
