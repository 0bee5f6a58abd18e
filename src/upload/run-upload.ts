/**
 * runUpload(): the one core call for an upload or a resume. Loads the run to resume or starts a
 * new one, makes its folders ready and locks it, saves its first checkpoint before any job,
 * connects, sends and follows the batches (sendFiles), and returns the run's report with how it
 * ended. Draws nothing: progress goes out as events, the ending goes back to the caller.
 */
import type { ValueFormats } from './plan/value-formats.js';
import { randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { BulkError } from '../errors/bulk-error.js';
import { ENDINGS } from '../errors/exit-codes.js';
import type { DeleteByKey, JobApiClient } from '../client/job-api-client.js';
import { checkInput } from '../input/open-input.js';
import type { CsvDialect } from '../input/csv-dialect.js';
import type { InputFormat } from '../input/input-item.js';
import type { RecordLimits } from '../input/record-limits.js';
import type { Checkpoint, CheckpointSettings } from './state/checkpoint.js';
import { latestRunId, loadCheckpoint, runDir, runsDir } from './state/checkpoint-store.js';
import { CheckpointWriter } from './state/checkpoint-writer.js';
import { newCheckpoint, resumeRefusal } from './state/new-checkpoint.js';
import { failedRowsFolders, prepareFolder } from './plan/output-folders.js';
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
  /** The files of a new run; none when resuming. */
  files: string[];
  /** The run to finish: its id, or true for the newest. */
  resume?: string | true;
  resource?: string;
  format?: InputFormat;
  /** A WHATWG encoding label (text-codec.ts); a byte order mark overrides it. */
  encoding?: string;
  /** How large and how deep one record may be. */
  limits: RecordLimits;
  /** How CSV files are written; a resume keeps its own. */
  csv?: CsvDialect;
  /** Source column (or JSON key) → resource field. */
  columnMap?: Record<string, string>;
  ignoreUnknown?: boolean;
  /** How values are written (locale, date patterns, …); a resume keeps its own. */
  formats?: ValueFormats;
  /** Rows per job, resolved from flags, environment, config file and default. A resume keeps its own. */
  batchSize: number;
  /** Jobs in flight; a resume keeps its own unless `concurrencyGiven`. */
  concurrency: number;
  concurrencyGiven?: boolean;
  upsert?: { uniqueFields: string[]; updateFields?: string[] };
  /** Delete the records the rows' keys name instead of storing rows: only the key fields are sent. */
  delete?: DeleteByKey;
  failedRowsDir?: string;
  maxErrors?: { count?: number; percent?: number };
  dryRun?: boolean;
  noWait?: boolean;
  useEvents?: boolean;
  /** Gives up on a job whose progress has not moved for this long. */
  stallMs?: number;
  /** A resume re-sends batches still unconfirmed even where that could store rows twice. */
  resendUnconfirmed?: boolean;
  /** The server the run's settings name: a resumed run's own URL and database unless the caller overrides them. */
  connect(target: { url: string | null; db: string | null }, run: { runId: string }): Promise<ServerConnection>;
  /** The URL and database a new run is sent to (null: the embedded server on its default database). */
  target: { url: string | null; db: string | null };
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
  const resumed = req.resume !== undefined ? await loadResume(req.resume) : null;
  const s = resumed?.settings;
  const files = s?.files ?? req.files;
  for (const f of files)
    if (f !== '-') await checkInput(f, { format: s?.format ?? req.format, encoding: s?.encoding ?? req.encoding });
  // stdin too: its rows are kept in the run's directory as they are read, for the resume.
  const resumable = !req.dryRun;
  const runId = resumed?.run_id ?? newRunId(startedAt);
  const failedRowsDir = s?.failed_rows_dir ?? req.failedRowsDir;
  for (const dir of failedRowsFolders(files, failedRowsDir))
    prepareFolder(
      dir,
      'failed-rows',
      failedRowsDir ? 'choose another with --failed-rows-dir' : 'choose a folder bulk can write with --failed-rows-dir',
    );
  let lock: RunLock | null = null;
  if (resumable) {
    prepareFolder(runsDir(), 'run state', 'BULK_STATE_DIR chooses another place for runs');
    prepareFolder(runDir(runId), 'run state', 'BULK_STATE_DIR chooses another place for runs');
    lock = lockRun(runDir(runId), runId);
  }
  try {
    return await send(req, { resumed, runId, files, resumable, failedRowsDir, startedAt });
  } finally {
    lock?.release();
  }
}

async function send(
  req: UploadRequest,
  run: {
    resumed: Checkpoint | null;
    runId: string;
    files: string[];
    resumable: boolean;
    failedRowsDir?: string;
    startedAt: Date;
  },
): Promise<UploadEnd> {
  const s = run.resumed?.settings;
  const connection = await req.connect(
    { url: req.target.url ?? s?.url ?? null, db: req.target.db ?? s?.db ?? null },
    { runId: run.runId },
  );
  try {
    const { client, embedded } = connection;
    const batchSize = s?.batch_size ?? req.batchSize;
    const concurrency = s && !req.concurrencyGiven ? s.concurrency : req.concurrency;
    // Fewer jobs in flight when start requests slow down (a slow link), more when they speed up.
    const concurrencyLimit = new ConcurrencyLimit({ max: concurrency });
    client.setHooks({
      onHttp: (info) => {
        req.emit({ type: 'http', ...info });
        if (info.sentBytes && (info.status === null || info.status === 202))
          concurrencyLimit.sample(info.status === null ? null : info.ms / Math.max(1, info.sentBytes / 1024));
      },
      onRetry: (info) => req.emit({ type: 'retry', ...info }),
    });
    const upsert = s ? s.upsert : req.upsert;
    const del = s ? s.delete : req.delete;
    const settings: CheckpointSettings = {
      files: run.files,
      url: embedded ? null : client.baseUrl,
      db: embedded ? req.target.db : null,
      resource: req.resource,
      format: req.format,
      encoding: req.encoding,
      batch_size: batchSize,
      concurrency,
      upsert,
      delete: del,
      failed_rows_dir: req.failedRowsDir,
      limits: req.limits,
      csv: req.csv,
      column_map: req.columnMap,
      ignore_unknown: req.ignoreUnknown,
      formats: req.formats,
    };
    const checkpoint = run.resumed ?? (await newCheckpoint(run.runId, settings, process.cwd()));
    const writer = run.resumable ? new CheckpointWriter() : undefined;
    if (writer) {
      // Saved before any job: a run that dies at its first batch can still be resumed.
      writer.request(() => checkpoint);
      await writer.flush();
    }
    req.emit({
      type: 'run-start',
      runId: run.runId,
      files: run.files,
      url: client.baseUrl,
      embedded,
      batchSize,
      concurrency,
    });
    let sent: UploadResult;
    try {
      sent = await sendFiles({
        files: run.files,
        format: s?.format ?? req.format,
        encoding: s?.encoding ?? req.encoding,
        limits: s?.limits ?? req.limits,
        ...(s
          ? { csv: s.csv, columnMap: s.column_map, ignoreUnknown: s.ignore_unknown, formats: s.formats }
          : { csv: req.csv, columnMap: req.columnMap, ignoreUnknown: req.ignoreUnknown, formats: req.formats }),
        resource: s ? s.resource : req.resource,
        batchSize,
        concurrency,
        concurrencyLimit,
        upsert,
        delete: del,
        client,
        checkpoint,
        checkpointWriter: writer,
        emit: req.emit,
        stopSignal: req.stopSignal,
        maxErrors: req.maxErrors,
        failedRowsDir: run.failedRowsDir,
        failedRowsClaims: run.resumable ? path.join(runDir(run.runId), 'failed-rows.json') : undefined,
        stdinSpool:
          run.resumable && run.files.includes('-')
            ? { path: path.join(runDir(run.runId), STDIN_SPOOL_FILE), resume: run.resumed !== null }
            : undefined,
        dryRun: req.dryRun,
        noWait: req.noWait,
        useEvents: req.useEvents,
        stallMs: req.stallMs,
        resendUnconfirmed: req.resendUnconfirmed,
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
      files: run.files,
      url: client.baseUrl,
      startedAt: run.startedAt,
      resumable: run.resumable,
      checkpoint,
      signal: req.signalReceived?.() ?? null,
      dryRun: req.dryRun,
      noWait: req.noWait,
    });
    // No resume can follow: stdin's copy of the rows has done its work.
    if (!end.report.summary.resumeCommand && run.resumable && run.files.includes('-'))
      rmSync(path.join(runDir(run.runId), STDIN_SPOOL_FILE), { force: true });
    return end;
  } finally {
    await connection.close();
  }
}

/** Loads the run to resume, refusing clearly when it cannot be resumed. */
async function loadResume(runIdArg: string | true): Promise<Checkpoint> {
  const runId = runIdArg === true ? latestRunId() : runIdArg;
  if (!runId)
    throw new BulkError('usage', 'there is no run to resume', `runs are kept in ${runsDir()} ($BULK_STATE_DIR)`);
  const cp = loadCheckpoint(runId);
  if (!cp)
    throw new BulkError(
      'usage',
      `no run ${runId} (looked in ${runDir(runId)})`,
      `bulk resume with no id takes the newest run in ${runsDir()}`,
    );
  const refusal = await resumeRefusal(cp);
  if (refusal) throw new BulkError('resume-refused', `cannot resume run ${runId}: ${refusal}`);
  if (cp.cwd && cp.cwd !== process.cwd() && existsSync(cp.cwd)) process.chdir(cp.cwd);
  return cp;
}
