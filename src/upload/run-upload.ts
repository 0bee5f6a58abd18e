/**
 * runUpload(): the one core call for an upload or a resume. Surveys the inputs (survey-inputs.ts),
 * makes the run's folders ready and locks it, saves its first checkpoint (with its plan) before any
 * job, connects, sends and follows the batches (sendFiles), and returns the run's report with how
 * it ended. Every setting comes from the run plan, resolved before (resolve-run-plan.ts). Draws
 * nothing: progress goes out as events, the ending goes back to the caller.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { BulkError } from '../errors/bulk-error.js';
import { ENDINGS } from '../errors/exit-codes.js';
import type { JobApiClient } from '../client/job-api-client.js';
import type { Checkpoint } from './state/checkpoint.js';
import { runDir, runsDir } from './state/checkpoint-store.js';
import { CheckpointWriter } from './state/checkpoint-writer.js';
import { newCheckpoint } from './state/new-checkpoint.js';
import { finishedRunEnd, nothingLeft } from './state/finished-run.js';
import { failedRowsFolders, prepareFolder } from './plan/output-folders.js';
import type { RunPlan } from './plan/run-plan.js';
import { surveyInputs, type Survey } from './plan/survey-inputs.js';
import { lockRun, type RunLock } from './state/run-lock.js';
import type { UploadResult } from './state/run-result.js';
import { endOfRun, type UploadEnd } from './state/run-report.js';
import { ConcurrencyLimit } from './send/concurrency-limit.js';
import { sendFiles } from './send/send-files.js';
import { STDIN_SPOOL_FILE } from './send/stdin-spool.js';
import type { UploadListener } from './upload-events.js';

/** A server to send to, as the caller connects it (an embedded one, or the configured URL). */
export interface ServerConnection {
  client: JobApiClient;
  embedded: boolean;
  close(): Promise<void>;
}

export interface UploadRequest {
  /** Every setting of the run (resolveRunPlan); a resume's comes from its checkpoint. */
  plan: RunPlan;
  /** The run being resumed (loadResume), or null for a new one. */
  resumed: Checkpoint | null;
  /** Connects to where the plan sends the run. */
  connect(target: RunPlan['target'], run: { runId: string }): Promise<ServerConnection>;
  emit: UploadListener;
  /** Aborted on the first Ctrl-C/SIGTERM. */
  stopSignal?: AbortSignal;
  /** Which signal stopped the run, if one did. */
  signalReceived?: () => 'SIGINT' | 'SIGTERM' | null;
  /** When the run started. @default now */
  startedAt?: Date;
}

/** A run id people can read and sort: when it started, plus a little randomness. */
export function newRunId(now = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

export async function runUpload(req: UploadRequest): Promise<UploadEnd> {
  const startedAt = req.startedAt ?? new Date();
  const { resumed } = req;
  if (resumed && nothingLeft(resumed)) return finishedRunEnd(resumed, startedAt);
  // Refuses an input that cannot be read before anything is made; reads each CSV header once.
  const survey = await surveyInputs(req.plan);
  const { plan } = survey;
  // stdin too: its rows are kept in the run's directory as they are read, for the resume.
  const resumable = !plan.dryRun;
  const runId = resumed?.run_id ?? newRunId(startedAt);
  for (const dir of failedRowsFolders(plan.files, plan.failedRowsDir))
    prepareFolder(
      dir,
      'failed-rows',
      plan.failedRowsDir
        ? 'choose another with --failed-rows-dir'
        : 'choose a folder bulk can write with --failed-rows-dir',
    );
  let lock: RunLock | null = null;
  if (resumable) {
    prepareFolder(runsDir(), 'run state', 'BULK_STATE_DIR chooses another place for runs');
    prepareFolder(runDir(runId), 'run state', 'BULK_STATE_DIR chooses another place for runs');
    lock = lockRun(runDir(runId), runId);
  }
  try {
    return await send(req, { resumed, runId, survey, resumable, startedAt });
  } finally {
    lock?.release();
  }
}

async function send(
  req: UploadRequest,
  run: { resumed: Checkpoint | null; runId: string; survey: Survey; resumable: boolean; startedAt: Date },
): Promise<UploadEnd> {
  const { plan } = run.survey;
  const connection = await req.connect(plan.target, { runId: run.runId });
  try {
    const { client, embedded } = connection;
    client.setRun(run.runId);
    // Fewer jobs in flight when start requests slow down (a slow link), more when they speed up.
    const concurrencyLimit = new ConcurrencyLimit({ max: plan.concurrency });
    client.setHooks({
      onHttp: (info) => {
        req.emit({ type: 'http', ...info });
        if (info.sentBytes && (info.status === null || info.status === 202))
          concurrencyLimit.sample(info.status === null ? null : info.ms / Math.max(1, info.sentBytes / 1024));
      },
      onRetry: (info) => req.emit({ type: 'retry', ...info }),
    });
    // The checkpoint keeps where the run went: the server's URL, or the embedded server's database.
    const target = { url: embedded ? null : client.baseUrl, database: embedded ? plan.target.database : null };
    const checkpoint = run.resumed ?? (await newCheckpoint(run.runId, { ...plan, target }, process.cwd()));
    const writer = run.resumable ? new CheckpointWriter() : undefined;
    if (writer) {
      // Saved before any job: a run that dies at its first batch can still be resumed.
      writer.request(() => checkpoint);
      await writer.flush();
    }
    const { files, batchSize, concurrency } = plan;
    req.emit({ type: 'run-start', runId: run.runId, files, url: client.baseUrl, embedded, batchSize, concurrency });
    for (const text of run.survey.notices) req.emit({ type: 'warning', text });
    // What the survey told of a file (its sep= line, its byte order mark) is not told again by the run.
    const told = new Set(run.survey.notices);
    const emit: typeof req.emit = (e) => (e.type === 'warning' && told.has(e.text) ? undefined : req.emit(e));
    let sent: UploadResult;
    try {
      sent = await sendFiles({
        plan,
        surveyed: run.survey.inputs,
        client,
        checkpoint,
        checkpointWriter: writer,
        emit,
        stopSignal: req.stopSignal,
        concurrencyLimit,
        failedRowsClaims: run.resumable ? path.join(runDir(run.runId), 'failed-rows.json') : undefined,
        stdinSpool:
          run.resumable && files.includes('-')
            ? { path: path.join(runDir(run.runId), STDIN_SPOOL_FILE), resume: run.resumed !== null }
            : undefined,
      });
    } catch (err) {
      // A fresh run refused before any job (its header, its resource) leaves no run behind: a
      // --resume would only repeat the refusal.
      if (!run.resumed && checkpoint.entries.length === 0 && err instanceof BulkError && !ENDINGS[err.kind].resumable)
        rmSync(runDir(run.runId), { recursive: true, force: true });
      throw err;
    }
    const end = endOfRun(sent, {
      runId: run.runId,
      files,
      url: client.baseUrl,
      startedAt: run.startedAt,
      resumable: run.resumable,
      checkpoint,
      signal: req.signalReceived?.() ?? null,
      dryRun: plan.dryRun,
      noWait: plan.noWait,
    });
    // No resume can follow: stdin's copy of the rows has done its work.
    if (!end.report.summary.resumeCommand && run.resumable && files.includes('-'))
      rmSync(path.join(runDir(run.runId), STDIN_SPOOL_FILE), { force: true });
    return end;
  } finally {
    await connection.close();
  }
}
