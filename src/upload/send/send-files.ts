// Sending a run's files: files → batches → jobs → outcomes. Owns the run's counts, slots and
// checkpoint entries, and applies what the batcher, the job settler and the stop policy decide.
// runUpload (run-upload.ts) prepares the run and calls it. Draws nothing: everything goes out as events.
import { setMaxListeners } from 'node:events';
import { withStdinSpool } from './stdin-spool.js';
import type { InputRejected } from '../../input/input-item.js';
import { ApiError } from '../../client/api-error.js';
import type { JobRef } from '../../client/job-ref.js';
import type { StatusResponse } from '../../protocol/index.js';
import { recordsOf, splitToFit, type Batch } from './batch.js';
import { type Checkpoint, type CheckpointEntry, type EntryOutcome } from '../state/checkpoint.js';
import { Semaphore } from './semaphore.js';
import { FailedRowsFiles } from '../state/failed-rows-files.js';
import { InputPlanner } from './input-planner.js';
import { JobClaims } from '../state/job-claims.js';
import { CheckpointFolder, type DispatchSlot } from '../state/checkpoint-fold.js';
import { batchInput, resumePlan } from './batcher.js';
import { submitBatch } from './submit-batch.js';
import { settleJob, type Settlement } from '../settle/settle-job.js';
import { AggregatesPolicy } from '../settle/job-results.js';
import { applySyncResults, resendVerdict } from './job-fates.js';
import { batchFailure, maxErrorsStop, outputStop, StopLatch, type StopDecision } from '../state/stop-policy.js';
import { assembleResult, outcomeOf, unconfirmedOutcome, type UploadResult } from '../state/run-result.js';
import type { UploadOptions } from '../plan/upload-options.js';
import { resourceFromFile, totalSize } from '../plan/upload-inputs.js';
import { RunTally } from '../state/run-tally.js';
import { DryRunBatches } from '../plan/predict-deletes.js';
import type { JobOutcome, MappedRowError, RunCounts, UploadEvent } from '../upload-events.js';

export async function sendFiles(opts: UploadOptions): Promise<UploadResult> {
  // Every named file's header is checked against its resource before the run starts.
  const planner = new InputPlanner({
    ...opts,
    resourceOf: (file) => opts.resource ?? resourceFromFile(file),
    notice: (text) => opts.emit({ type: 'warning', text }),
  });
  await planner.prepare(opts.client, opts.files);
  return new UploadRun(opts, planner).run();
}

class UploadRun {
  private readonly tally: RunTally;
  private readonly counts: RunCounts;
  private readonly submitted: UploadResult['submittedJobs'] = [];
  private readonly notRead: UploadResult['notRead'] = [];
  private readonly failedRows: FailedRowsFiles;
  private readonly slots: Semaphore;
  private readonly tasks = new Set<Promise<void>>();
  private readonly checkpoint: Checkpoint;
  private readonly claims: JobClaims;
  private readonly stopLatch = new StopLatch();
  private batchCount = 0;
  /** After a 413: the most rows the server took in one job. Batches are pre-split to fit. */
  private itemLimit = Number.POSITIVE_INFINITY;
  private bytesBefore = 0;
  /** Aborted a grace period after a stop signal: jobs still running stay in the checkpoint for resume. */
  private readonly followAbort = new AbortController();
  /** Jobs accepted and being followed: after a stop, only these are waited for. */ private following = 0;
  private readonly folder: CheckpointFolder;
  /** Jobs this run saw finish, for the result; earlier runs' are in `earlier`. */
  private readonly sessionOutcomes: JobOutcome[] = [];
  private readonly earlier: CheckpointEntry[];
  private readonly dryRun: DryRunBatches;
  private readonly aggregates = new AggregatesPolicy((text) => this.emit({ type: 'warning', text }));

  constructor(
    private readonly opts: UploadOptions,
    private readonly planner: InputPlanner,
  ) {
    this.checkpoint = opts.checkpoint;
    this.failedRows = new FailedRowsFiles(opts.failedRowsDir, this.checkpoint.failed_rows, opts.failedRowsClaims);
    this.slots = new Semaphore(
      opts.concurrencyLimit ? () => Math.min(opts.concurrency, opts.concurrencyLimit?.current ?? 1) : opts.concurrency,
    );
    this.tally = RunTally.resuming(this.checkpoint);
    this.counts = this.tally.counts;
    this.earlier = this.checkpoint.entries.filter((e) => e.state === 'finished' && e.outcome);
    this.folder = new CheckpointFolder(this.checkpoint);
    this.claims = new JobClaims(this.checkpoint.entries);
    this.dryRun = new DryRunBatches({
      client: opts.client,
      uniqueFields: (opts.dryRun && opts.delete?.uniqueFields) || null,
      counts: this.counts,
      warn: (text) => this.emit({ type: 'warning', text }),
      failed: (rows) => this.failed(rows),
      notSettled: (n) => this.tally.notSettled(n),
    });
    // Every job being followed waits on this signal: over Node's 10 listeners is by design, not a leak.
    setMaxListeners(0, this.followAbort.signal);
  }

  private emit(event: UploadEvent): void {
    this.opts.emit(event);
  }
  private emitCounts(): void {
    this.emit({ type: 'counts', counts: this.tally.snapshot(this.slots.inUse) });
  }

  private get stopped(): boolean {
    // A checkpoint that cannot be saved stops the run: going on would store rows no record names.
    if (this.opts.checkpointWriter?.failure()) this.stopLatch.set(outputStop(this.opts.checkpointWriter.failure()));
    return this.stopLatch.decision !== null || Boolean(this.opts.stopSignal?.aborted);
  }

  private save(): void {
    if (!this.opts.checkpointWriter) return;
    this.opts.checkpointWriter.request(() => {
      this.checkpoint.failed_rows = this.failedRows.checkpointState();
      return this.checkpoint;
    });
  }

  async run(): Promise<UploadResult> {
    this.counts.totalBytes = await totalSize(this.opts.files);
    let graceTimer: NodeJS.Timeout | undefined;
    const onStop = () => {
      // Nothing accepted to wait for (a send retried in vain, say): end now, not after the grace.
      if (this.following === 0) this.followAbort.abort(new Error('stopped'));
      else graceTimer = setTimeout(() => this.followAbort.abort(new Error('stopped')), this.opts.stopGraceMs ?? 10_000);
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
      if (this.opts.stopSignal?.aborted) this.stopLatch.set({ reason: 'interrupted', message: 'interrupted' });
      this.checkpoint.finished = !this.stopped && this.checkpoint.entries.every((e) => e.state === 'finished');
      this.save();
      // The last save and the last write can fail too: the run then ends stopped, on the last good checkpoint.
      await Promise.resolve(this.opts.checkpointWriter?.flush())
        .then(() => this.failedRows.close())
        .catch((err: unknown) => this.stopLatch.set(outputStop(err)));
    }
    // The one check of the run's accounting, before its counts are printed or returned.
    this.tally.checkBalance();
    this.emitCounts();
    const { tally, earlier, sessionOutcomes, notRead, submitted } = this;
    return assembleResult({
      tally,
      earlier,
      sessionOutcomes,
      notRead,
      submitted,
      failedRowsFiles: this.failedRows.paths(),
      stop: this.stopLatch.decision,
    });
  }

  private async readFile(file: string, fileIndex: number): Promise<void> {
    const { opened, source, spool } = await this.planner.open(file, fileIndex, this.failedRows);
    const readBefore = this.counts.read;
    const resource = this.opts.resource ?? resourceFromFile(file);
    const name = opened.displayName;
    try {
      const batched = await batchInput(
        source,
        {
          name,
          batchSize: this.opts.batchSize,
          firstBatchNumber: this.batchCount,
          ...resumePlan(this.checkpoint, name),
        },
        {
          stopped: () => this.stopped,
          rowRead: () => void this.counts.read++,
          rowRejected: (item: InputRejected) => {
            this.failedRows.setColumns(name, source.columns());
            // Not in the failed-rows file, so not failed: unprocessed, and read again by the resume.
            if (
              !this.failed([
                {
                  error: { file: name, line: item.line, field: item.field, reason: item.reason },
                  raw: item.raw,
                  record: item.record,
                },
              ])
            )
              return void this.counts.unprocessed++;
            this.failedRows.noteRejected(name, item.line);
          },
          rowDone: () => this.folder.barrier(),
          dispatch: (batch) => this.dispatch(batch, resource, fileIndex, source.columns()),
          attach: (entry, batch) => this.dispatchAttach(entry, batch, resource, fileIndex),
          progress: (bytesRead) => void ((this.counts.bytesRead = this.bytesBefore + bytesRead), this.emitCounts()),
        },
      );
      const end = withStdinSpool(batched, spool, this.counts.read - readBefore);
      this.batchCount = end.lastBatchNumber;
      this.counts.read += end.keptUnread;
      this.counts.unprocessed += end.unsentRows + end.keptUnread;
      if (end.notReadFrom !== null) this.notRead.push({ file: name, fromLine: end.notReadFrom });
      if (end.stopMessage) this.stopLatch.set({ reason: 'input', message: end.stopMessage });
    } finally {
      this.bytesBefore += source.bytesRead();
      await source.close();
    }
  }

  private async dispatch(batch: Batch, resource: string, fileIndex: number, columns: string[] | null): Promise<void> {
    this.failedRows.setColumns(batch.origin.file, columns);
    if (this.opts.dryRun) return this.dryRun.settle(batch, resource);
    for (const part of splitToFit(batch, this.itemLimit)) {
      const slot = this.folder.open(part.origin.file);
      await this.runInSlot(part, slot, () => this.send(part, resource, fileIndex, slot));
    }
  }

  /** A job an earlier run left unconfirmed or unfinished: asked about again; re-sent only where that cannot store twice. */
  private async dispatchAttach(entry: CheckpointEntry, batch: Batch, resource: string, fileIndex: number) {
    if (this.opts.dryRun) return this.tally.notSettled(batch.origin.rows);
    const slot = this.folder.open(entry.file);
    slot.entries.push(entry);
    const resend = async (why: string) => {
      const verdict = resendVerdict(batch, why, this.checkpoint, this.opts);
      this.emit({ type: 'warning', text: verdict.text });
      if (!verdict.resend) return false;
      this.checkpoint.entries.splice(this.checkpoint.entries.indexOf(entry), 1);
      slot.entries.splice(slot.entries.indexOf(entry), 1);
      await this.send(batch, resource, fileIndex, slot);
      return true;
    };
    await this.runInSlot(batch, slot, () => this.follow(entry, batch, undefined, resend));
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
    return `${this.checkpoint.run_id}:${fileIndex}:${batch.origin.firstLine}-${batch.origin.lastLine}`;
  }

  private async send(batch: Batch, resource: string, fileIndex: number, slot: DispatchSlot): Promise<void> {
    await submitBatch(
      {
        client: this.opts.client,
        resource,
        upsert: this.opts.upsert,
        delete: this.opts.delete,
        keyOf: (part) => this.idempotencyKey(part, fileIndex),
        onTooLarge: (big, rows) => {
          this.itemLimit = Math.min(this.itemLimit, rows);
          this.emit({
            type: 'warning',
            text: `batch ${big.origin.batch} is too large for the server (413): sending it in halves`,
          });
        },
        onResults: (part, answer) => applySyncResults(this.syncHooks(), part, answer),
        onStarted: async (part, { ref, replayed, key, keyHonoured }) => {
          const { origin } = part;
          if (keyHonoured) this.checkpoint.keys_honoured = true;
          try {
            this.claims.claim(ref.jobId, origin);
          } catch (err) {
            // An id already another batch's: the server has this batch, under a job that cannot be told apart.
            if (!(err instanceof ApiError)) throw err;
            return this.unconfirmed(part, ref.jobId, null, { reason: 'protocol', message: err.message });
          }
          const entry: CheckpointEntry = {
            key,
            file: origin.file,
            batch: origin.batch,
            first_line: origin.firstLine,
            last_line: origin.lastLine,
            rows: origin.rows,
            job_id: ref.jobId,
            state: 'submitted',
          };
          this.checkpoint.entries.push(entry);
          slot.entries.push(entry);
          this.save();
          this.submitted.push({
            jobId: ref.jobId,
            batch: origin.batch,
            file: origin.file,
            firstLine: origin.firstLine,
            lastLine: origin.lastLine,
          });
          this.emit({ type: 'batch-submitted', origin, jobId: ref.jobId, replayed });
          if (this.opts.noWait) this.tally.notSettled(origin.rows);
          else await this.follow(entry, part, ref);
        },
      },
      batch,
    );
  }

  /**
   * Follows a submitted job to its end and applies its settlement: stored, failed with their lines,
   * unprocessed, or unconfirmed. `resend` (a resume) may send a batch that stays unconfirmed again.
   */
  private async follow(
    entry: CheckpointEntry,
    batch: Batch,
    known?: JobRef,
    resend?: (why: string) => Promise<boolean>,
  ): Promise<void> {
    const jobId = entry.job_id as string;
    this.following++;
    this.tally.setLive(jobId, {}, batch.origin.rows);
    let awaitingTakeover = false;
    const onStatus = (s: StatusResponse) => {
      this.tally.setLive(jobId, s, batch.origin.rows);
      // A stalled bar alone would not tell the user why: say once that the job's node is gone.
      if (s.awaiting_takeover === true && !awaitingTakeover)
        this.emit({
          type: 'warning',
          text: `job ${jobId.slice(0, 8)} (${batch.origin.file}:${batch.origin.firstLine}-${batch.origin.lastLine}): its server node stopped; waiting for another node to take it over`,
        });
      awaitingTakeover = s.awaiting_takeover === true;
      this.emit({
        type: 'job-progress',
        progress: {
          batch: batch.origin.batch,
          jobId,
          state: s.state,
          total: s.total_items,
          processed: s.processed_items,
          succeeded: s.success_count,
          failed: s.error_count,
        },
      });
      this.emitCounts();
    };
    let settled: Settlement;
    try {
      settled = await settleJob(
        {
          client: this.opts.client,
          useEvents: this.opts.useEvents,
          signal: this.followAbort.signal,
          onStatus,
          aggregates: this.aggregates,
          stallMs: this.opts.stallMs,
          onStalling: (ms, limit) =>
            this.emit({
              type: 'warning',
              text: `job ${jobId.slice(0, 8)} (${batch.origin.file}:${batch.origin.firstLine}-${batch.origin.lastLine}) has not moved for ${Math.round(ms / 1000)} s; bulk waits up to ${Math.round(limit / 1000)} s (--stall-timeout), then stops with its rows unconfirmed`,
            }),
          conflicted: (id) => this.claims.conflicted(id),
        },
        entry,
        batch,
        known,
      );
    } catch (err) {
      // Stopped while following (the grace period ended): the server has the batch, its fate is not known.
      if (!this.opts.stopSignal?.aborted && !this.followAbort.signal.aborted) throw err;
      return this.unconfirmed(batch, jobId, null, null);
    } finally {
      this.tally.endLive(jobId);
      this.following--;
      if (this.following === 0 && this.opts.stopSignal?.aborted) this.followAbort.abort(new Error('stopped'));
    }
    if (settled.kind === 'unconfirmed') {
      if (resend && (await resend(settled.stop.message))) return;
      return this.unconfirmed(batch, jobId, settled.serverState, settled.stop, settled.jobErrors);
    }
    // A job whose failed rows cannot all be recorded is not finished: its rows are unconfirmed, and the resume re-attaches to it.
    if (!this.failed(settled.failedRows)) return this.unconfirmed(batch, jobId, null, null);
    if (settled.unattributed) {
      // Its note is among the job's errors, which every reporter prints with the job.
      this.tally.failedUnattributed(settled.unattributed.rows, settled.unattributed.note);
      this.stopLatch.set(maxErrorsStop(this.opts.maxErrors, this.counts.failed, this.counts.read));
    }
    this.finishEntry(entry, settled.outcome);
    this.stopLatch.set(settled.stop);
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

  /** A batch the server has (or may have) whose fate is not known: counted unconfirmed, its entry left for the resume to ask about. */
  private unconfirmed(
    batch: Batch,
    jobId: string,
    serverState: string | null,
    stop: StopDecision | null,
    jobErrors: string[] = stop ? [stop.message] : [],
  ): void {
    this.tally.unconfirmed(batch.origin.rows);
    const outcome = unconfirmedOutcome(batch.origin, jobId, serverState, jobErrors);
    this.sessionOutcomes.push(outcome);
    this.emit({ type: 'job-finished', outcome });
    this.stopLatch.set(stop);
    this.emitCounts();
  }

  private syncHooks() {
    return {
      failed: (rows: Parameters<UploadRun['failed']>[0]) => this.failed(rows),
      finish: (entry: CheckpointEntry, outcome: EntryOutcome) => {
        this.checkpoint.entries.push(entry);
        this.finishEntry(entry, outcome);
      },
      unconfirmed: (batch: Batch, stop: StopDecision) => this.unconfirmed(batch, '', null, stop),
    };
  }

  private batchFailed(batch: Batch, err: unknown): void {
    if (!(err instanceof ApiError)) {
      if (!this.opts.stopSignal?.aborted && !this.followAbort.signal.aborted) throw err;
      this.counts.unprocessed += batch.origin.rows;
      return;
    }
    const failure = batchFailure(err);
    const rows =
      failure.rows === 'failed'
        ? recordsOf(batch).map((record, i) => ({
            record,
            error: { file: batch.origin.file, line: batch.lines[i] ?? 0, reason: err.message },
          }))
        : null;
    if (failure.rows === 'unconfirmed') this.tally.unconfirmed(batch.origin.rows);
    else if (!rows || !this.failed(rows)) this.counts.unprocessed += batch.origin.rows;
    this.stopLatch.set(failure.stop);
  }

  /** Failed rows: written first, counted once all are on disk; a failed write (ENOSPC, EACCES, EIO) stops the run and counts none. */
  private failed(rows: { error: MappedRowError; record?: Record<string, unknown>; raw?: string }[]): boolean {
    if (!this.stopLatch.recorded(() => rows.forEach((r) => this.failedRows.write(r.error, r)))) return false;
    for (const { error } of rows) {
      this.counts.failed++;
      this.tally.keepError(error);
      this.emit({ type: 'row-rejected', error });
    }
    this.stopLatch.set(maxErrorsStop(this.opts.maxErrors, this.counts.failed, this.counts.read));
    return true;
  }
}
