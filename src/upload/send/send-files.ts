// Sending a run's files: files → batches → jobs → outcomes. Owns the run's flow (reading, slots,
// submitting, following) and hands what each job and row came to to the run's ledger
// (state/run-ledger.ts), which records it. runUpload (run-upload.ts) prepares the run and calls it.
// Draws nothing: everything goes out as events.
import { setMaxListeners } from 'node:events';
import { withStdinSpool } from './stdin-spool.js';
import type { InputRejected } from '../../input/input-item.js';
import type { JobRef } from '../../client/job-ref.js';
import { splitToFit, type Batch } from './batch.js';
import type { Checkpoint, CheckpointEntry } from '../state/checkpoint.js';
import { Semaphore } from './semaphore.js';
import { InputPlanner } from './input-planner.js';
import { JobClaims } from '../state/job-claims.js';
import { CheckpointFolder, type DispatchSlot } from '../state/checkpoint-fold.js';
import { batchInput, resumePlan } from './batcher.js';
import { batchKey, submitBatch } from './submit-batch.js';
import { settleJob, type Settlement } from '../settle/settle-job.js';
import { AggregatesPolicy } from '../settle/job-results.js';
import { applySyncResults, claimJob, dropEntry, resendVerdict } from './job-fates.js';
import { jobProgress } from './job-progress.js';
import type { UploadResult } from '../state/run-result.js';
import { RunLedger } from '../state/run-ledger.js';
import type { RunPlan } from '../plan/run-plan.js';
import { totalSize } from '../plan/upload-inputs.js';
import { DryRunBatches } from '../plan/predict-deletes.js';
import type { RunCounts, UploadEvent } from '../upload-events.js';
import type { SendRun } from './send-run.js';

export async function sendFiles(opts: SendRun): Promise<UploadResult> {
  // Every named file's header is checked against its resource before the run starts.
  const planner = new InputPlanner(opts.plan, (text) => opts.emit({ type: 'warning', text }), opts.stdinSpool);
  await planner.prepare(opts.client, opts.surveyed);
  return new UploadRun(opts, planner).run();
}

class UploadRun {
  private readonly ledger: RunLedger;
  private readonly counts: RunCounts;
  private readonly slots: Semaphore;
  private readonly tasks = new Set<Promise<void>>();
  private readonly checkpoint: Checkpoint;
  private readonly plan: RunPlan;
  private readonly claims: JobClaims;
  private batchCount = 0;
  /** After a 413: the most rows the server took in one job. Batches are pre-split to fit. */
  private itemLimit = Number.POSITIVE_INFINITY;
  private bytesBefore = 0;
  /** Aborted a grace period after a stop signal: jobs still running stay in the checkpoint for resume. */
  private readonly followAbort = new AbortController();
  /** Jobs accepted and being followed: after a stop, only these are waited for. */ private following = 0;
  private readonly folder: CheckpointFolder;
  private readonly dryRun: DryRunBatches;
  private readonly aggregates = new AggregatesPolicy((text) => this.emit({ type: 'warning', text }));

  constructor(
    private readonly opts: SendRun,
    private readonly planner: InputPlanner,
  ) {
    this.checkpoint = opts.checkpoint;
    this.plan = opts.plan;
    const { concurrency } = this.plan;
    this.slots = new Semaphore(
      opts.concurrencyLimit ? () => Math.min(concurrency, opts.concurrencyLimit?.current ?? 1) : concurrency,
    );
    this.ledger = new RunLedger({
      ...opts,
      failedRowsDir: this.plan.failedRowsDir,
      maxErrors: this.plan.maxErrors,
      inFlight: () => this.slots.inUse,
    });
    this.counts = this.ledger.counts;
    this.folder = new CheckpointFolder(this.checkpoint);
    this.claims = new JobClaims(this.checkpoint.entries);
    if (this.checkpoint.keys_honoured) opts.client.trustKeys();
    this.dryRun = new DryRunBatches({
      client: opts.client,
      uniqueFields: (this.plan.dryRun && this.plan.delete?.uniqueFields) || null,
      counts: this.counts,
      warn: (text) => this.emit({ type: 'warning', text }),
      failed: (rows) => this.ledger.failed(rows),
      notSettled: (n) => this.ledger.tally.notSettled(n),
    });
    // Every job being followed waits on this signal: over Node's 10 listeners is by design, not a leak.
    setMaxListeners(0, this.followAbort.signal);
  }

  private emit(event: UploadEvent): void {
    this.ledger.emit(event);
  }

  private get stopped(): boolean {
    return this.ledger.stopDecided() || Boolean(this.opts.stopSignal?.aborted);
  }

  async run(): Promise<UploadResult> {
    this.counts.totalBytes = await totalSize(this.plan.files);
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
      for (let i = 0; i < this.plan.files.length; i++) {
        if (this.stopped) break;
        await this.readFile(this.plan.files[i] as string, i);
      }
      if (!this.stopped) this.counts.totalRows = this.counts.read;
      if (this.tasks.size > 0) this.emit({ type: 'stage', text: 'Waiting for jobs to finish…' });
      while (this.tasks.size > 0) await Promise.race(this.tasks);
    } finally {
      clearTimeout(graceTimer);
      this.opts.stopSignal?.removeEventListener('abort', onStop);
      if (this.opts.stopSignal?.aborted) this.ledger.stopLatch.set({ reason: 'interrupted', message: 'interrupted' });
      await this.ledger.close(!this.stopped && this.checkpoint.entries.every((e) => e.state === 'finished'));
    }
    return this.ledger.result();
  }

  private async readFile(file: string, fileIndex: number): Promise<void> {
    const { opened, source, spool, csvBodies } = await this.planner.open(file, fileIndex, this.ledger.failedRows);
    const resource = this.planner.resourceOf(file);
    const name = opened.displayName;
    try {
      const batched = await batchInput(
        source,
        {
          name,
          batchSize: this.plan.batchSize,
          firstBatchNumber: this.batchCount,
          csvBodies,
          ...resumePlan(this.checkpoint, name),
        },
        {
          stopped: () => this.stopped,
          rowRead: () => void this.counts.read++,
          rowRejected: (item: InputRejected) => {
            this.ledger.failedRows.setColumns(name, source.columns());
            // Not in the failed-rows file, so not failed: unprocessed, and read again by the resume.
            if (
              !this.ledger.failed([
                {
                  error: { file: name, line: item.line, field: item.field, reason: item.reason },
                  raw: item.raw,
                  record: item.record,
                  asRead: true,
                },
              ])
            )
              return void this.counts.unprocessed++;
            this.ledger.failedRows.noteRejected(name, item.line);
          },
          rowDone: () => this.folder.barrier(),
          dispatch: (batch) => this.dispatch(batch, resource, fileIndex, source.columns()),
          attach: (entry, batch) => this.dispatchAttach(entry, batch, resource, fileIndex),
          progress: (bytesRead) =>
            void ((this.counts.bytesRead = this.bytesBefore + bytesRead), this.ledger.emitCounts()),
        },
      );
      const end = withStdinSpool(batched, spool);
      this.batchCount = end.lastBatchNumber;
      this.counts.read += end.keptUnread;
      this.counts.unprocessed += end.unsentRows + end.keptUnread;
      if (end.notReadFrom !== null) this.ledger.notRead.push({ file: name, fromLine: end.notReadFrom });
      if (end.stopMessage) this.ledger.stopLatch.set({ reason: 'input', message: end.stopMessage });
    } finally {
      this.bytesBefore += source.bytesRead();
      await source.close();
    }
  }

  private async dispatch(batch: Batch, resource: string, fileIndex: number, columns: string[] | null): Promise<void> {
    this.ledger.failedRows.setColumns(batch.origin.file, columns);
    if (this.plan.dryRun) return this.dryRun.settle(batch, resource);
    for (const part of splitToFit(batch, this.itemLimit)) {
      const slot = this.folder.open(part.origin.file);
      await this.runInSlot(part, slot, () => this.send(part, resource, fileIndex, slot));
    }
  }

  /** A job an earlier run left unconfirmed or unfinished: asked again; re-sent only where that cannot store twice. */
  private async dispatchAttach(entry: CheckpointEntry, batch: Batch, resource: string, fileIndex: number) {
    if (this.plan.dryRun) return this.ledger.tally.notSettled(batch.origin.rows);
    const slot = this.folder.open(entry.file);
    slot.entries.push(entry);
    const resend = async (why: string) => {
      const carriedKey = this.planner.carriedKey(fileIndex, entry.file);
      const verdict = resendVerdict(batch, why, this.checkpoint, { ...this.plan, carriedKey });
      this.emit({ type: 'warning', text: verdict.text });
      if (verdict.resend) await this.send(batch, resource, fileIndex, dropEntry(this.checkpoint, slot, entry));
      return verdict.resend;
    };
    // A start whose answer was lost has no job to ask about: only the verdict decides.
    const why = 'no answer to its start could be read';
    const unanswered = async () => void ((await resend(why)) || this.ledger.stillUnanswered(batch, why));
    await this.runInSlot(batch, slot, entry.job_id ? () => this.follow(entry, batch, undefined, resend) : unanswered);
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
      .catch((err: unknown) =>
        this.ledger.batchFailed(batch, err, Boolean(this.opts.stopSignal?.aborted) || this.followAbort.signal.aborted),
      )
      .finally(() => {
        this.slots.release();
        this.tasks.delete(task);
        slot.done = true;
        this.folder.settle();
      });
    this.tasks.add(task);
  }

  private idempotencyKey(batch: Batch, fileIndex: number): string {
    return batchKey(this.checkpoint, fileIndex, batch);
  }

  private async send(batch: Batch, resource: string, fileIndex: number, slot: DispatchSlot): Promise<void> {
    await submitBatch(
      {
        client: this.opts.client,
        resource,
        upsert: this.plan.upsert,
        delete: this.plan.delete,
        keyOf: (part) => this.idempotencyKey(part, fileIndex),
        onTooLarge: (big, rows) => {
          this.itemLimit = Math.min(this.itemLimit, rows);
          this.emit({
            type: 'warning',
            text: `batch ${big.origin.batch} is too large for the server (413): sending it in halves`,
          });
        },
        onResults: (part, answer) => applySyncResults(this.ledger, part, answer),
        starting: (start) => this.claims.starting(start),
        onStarted: async (part, { ref, replayed, key, keyHonoured }) => {
          const { origin } = part;
          if (keyHonoured) this.checkpoint.keys_honoured = true;
          if (!claimJob(this.claims, this.ledger, part, ref.jobId)) return;
          const entry = this.ledger.submittedEntry(origin, ref.jobId, key, replayed);
          slot.entries.push(entry);
          if (this.plan.noWait) this.ledger.tally.notSettled(origin.rows);
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
    this.ledger.tally.setLive(jobId, {}, batch.origin.rows);
    const { onStatus, onStalling } = jobProgress(this.ledger, batch, jobId);
    const { client } = this.opts;
    const { useEvents, stallMs } = this.plan;
    const { signal } = this.followAbort;
    let settled: Settlement;
    try {
      const conflicted = (id: string) => this.claims.disputed(id);
      const settle = { client, useEvents, signal, onStatus, onStalling, stallMs, conflicted };
      settled = await settleJob({ ...settle, aggregates: this.aggregates }, entry, batch, known);
    } catch (err) {
      // Stopped while following (the grace period ended): the server has the batch, its fate is not known.
      if (!this.opts.stopSignal?.aborted && !signal.aborted) throw err;
      return this.ledger.unconfirmed(batch, jobId, null, null);
    } finally {
      this.ledger.tally.endLive(jobId);
      this.following--;
      if (this.following === 0 && this.opts.stopSignal?.aborted) this.followAbort.abort(new Error('stopped'));
    }
    if (settled.kind === 'unconfirmed') {
      if (resend && (await resend(settled.stop.message))) return;
      return this.ledger.unconfirmed(batch, jobId, settled.serverState, settled.stop, settled.jobErrors);
    }
    this.ledger.settled(batch, entry, settled);
  }
}
