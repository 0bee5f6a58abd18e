import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { InputError } from '../input/input-error.js';
import { DEFAULT_RECORD_LIMITS, type RecordLimits } from '../input/record-limits.js';
import { checkInput } from '../input/open-input.js';
import { createReporter } from '../render/reporter.js';
import { resolveColor } from '../render/color.js';
import { buildJsonResult } from '../render/json-result.js';
import type { RunSummary } from '../render/run-summary.js';
import type { Checkpoint } from '../upload/checkpoint.js';
import { latestRunId, loadCheckpoint, runDir } from '../upload/checkpoint-store.js';
import { CheckpointWriter } from '../upload/checkpoint-writer.js';
import { newCheckpoint, resumeRefusal } from '../upload/new-checkpoint.js';
import { runUpload, type UploadResult } from '../upload/run-upload.js';
import { HeaderMismatchError } from '../upload/column-plan.js';
import { STDIN_SPOOL_FILE, unconfirmedStdinLines } from '../upload/stdin-spool.js';
import { ConcurrencyLimit } from '../upload/concurrency-limit.js';
import { runOutcome } from '../upload/run-outcome.js';
import type { UploadCommandOptions } from './commands/upload.js';
import { connect } from './connect.js';
import { inputSettings } from './input-flags.js';
import { ExitError, UsageError } from './errors.js';
import { ExitCode, type ExitCodeValue } from './exit-codes.js';
import { watchSignals } from './signals.js';

/** A run id people can read and sort: when it started, plus a little randomness. */
export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

function checkFlags(files: string[], options: UploadCommandOptions): void {
  if (options.resume !== undefined) {
    if (files.length > 0) throw new UsageError('--resume takes a run id, not files: the files come from the run', ['e.g. bulk upload --resume 20261128T140305Z-3f9a2c']);
    return;
  }
  if (files.length === 0) throw new UsageError('no input files given', ['e.g. bulk upload transactions.csv']);
  if (options.upsert && !options.uniqueFields) throw new UsageError('--upsert needs --unique-fields', ['e.g. --upsert --unique-fields account_id,transaction_date,description']);
  if (!options.upsert && (options.uniqueFields || options.updateFields)) throw new UsageError('--unique-fields and --update-fields go with --upsert');
  if (files.includes('-') && !options.format) throw new UsageError('reading stdin (-) needs --format csv|json|ndjson');
}

/** Every input is opened and its encoding checked before the first job, not when its turn comes. */
async function checkInputs(files: string[], options: UploadCommandOptions): Promise<void> {
  for (const f of files) {
    if (f === '-') continue;
    try {
      await checkInput(f, { format: options.format, encoding: options.encoding });
    } catch (err) {
      if (err instanceof InputError) throw new ExitError(err.message, ExitCode.StoppedEarly);
      throw err;
    }
  }
}

/** Loads the run to resume, refusing clearly when it cannot be resumed. */
async function loadResume(runIdArg: string | true): Promise<Checkpoint> {
  const runId = runIdArg === true ? latestRunId() : runIdArg;
  if (!runId) throw new UsageError('there is no run to resume', ['Runs are kept in $BULK_STATE_DIR or ~/.local/state/bulk/runs']);
  const cp = loadCheckpoint(runId);
  if (!cp) throw new UsageError(`no run ${runId} (looked in ${runDir(runId)})`);
  const refusal = await resumeRefusal(cp);
  if (refusal) throw new ExitError(`cannot resume run ${runId}: ${refusal}`, ExitCode.StoppedEarly);
  if (cp.cwd && cp.cwd !== process.cwd() && existsSync(cp.cwd)) process.chdir(cp.cwd);
  return cp;
}

/** A stopped stdin run names the lines it read but could not confirm, and how they get sent. */
function stdinMessage(result: UploadResult, resumeCommand: string | null, checkpoint: Checkpoint): string | null {
  if (!resumeCommand || !checkpoint.settings.files.includes('-')) return null;
  const notRead = result.notRead.find((n) => n.file === 'stdin');
  const lines = unconfirmedStdinLines(checkpoint.entries, notRead ? notRead.fromLine - 1 : null);
  if (!lines) return null;
  const rest = notRead ? `; stdin from line ${notRead.fromLine} on was not read` : '';
  return `${result.stopMessage ?? 'stopped'}: stdin lines ${lines} hold rows read but not confirmed, kept in the run's directory; ${resumeCommand} sends them${rest}`;
}

/** `bulk upload` and `bulk resume`: flags → run ledger → server → runUpload → reporter → exit code. */
export async function runUploadCommand(files: string[], options: UploadCommandOptions): Promise<ExitCodeValue> {
  const startedAt = new Date();
  try {
    return await uploadOrResume(files, options, startedAt);
  } catch (err) {
    if (!options.json) throw err;
    // --json promises one document on stdout on every exit path, errors included.
    const exitCode = err instanceof ExitError ? err.exitCode : ExitCode.Internal;
    const message = err instanceof Error ? err.message : String(err);
    const summary: RunSummary = {
      status: exitCode === ExitCode.Usage ? 'failed' : exitCode === ExitCode.Unreachable ? 'unreachable' : 'failed',
      exitCode,
      counts: { read: 0, stored: 0, failed: 0, unprocessed: 0 },
      jobs: 0,
      elapsedMs: Date.now() - startedAt.getTime(),
      rowsPerSecond: 0,
      aggregates: {},
      failedRowsFile: null,
      resumeCommand: null,
      message,
    };
    process.stdout.write(`${JSON.stringify(buildJsonResult(summary, [], [], { runId: null, files, url: options.url ?? null, startedAt: startedAt.toISOString() }), null, 2)}\n`);
    process.stderr.write(`bulk: ${message}\n`);
    return exitCode;
  }
}

async function uploadOrResume(files: string[], options: UploadCommandOptions, startedAt: Date): Promise<ExitCodeValue> {
  checkFlags(files, options);
  await checkInputs(files, options);
  const resumed = options.resume !== undefined ? await loadResume(options.resume) : null;
  const s = resumed?.settings;
  const stderr = process.stderr;
  const mode = options.json ? 'json' : stderr.isTTY ? 'tty' : 'plain';
  const color = resolveColor({ flag: options.color === false ? false : undefined, env: process.env, stream: stderr });
  const verbosity = options.quiet ? -1 : Math.min(2, options.verbose);
  const reporter = createReporter({ mode, stream: stderr, color, verbosity, plainIntervalMs: options.progressInterval * 1000 });
  // Set once the run has a checkpoint: a second Ctrl-C exits at once, but still says how to go on.
  let resumeLine: string | null = null;
  const signals = watchSignals(
    (sig) => reporter.handle({ type: 'warning', text: `${sig}: stopping after the requests in flight (press Ctrl-C again to quit at once)` }),
    () => {
      reporter.close();
      if (resumeLine) process.stderr.write(resumeLine);
    },
  );

  let connection;
  try {
    connection = await connect(
      {
        url: options.url ?? s?.url ?? undefined,
        db: options.db ?? s?.db ?? undefined,
        tokenFile: options.tokenFile,
        profile: options.profile,
        config: options.config,
        timeout: options.timeout,
        batchSize: options.batchSize,
        concurrency: options.concurrency,
      },
      { retry: { baseDelayMs: 250, maxDelayMs: 15_000, deadlineMs: options.deadline * 1000 } },
      (text) => reporter.handle({ type: 'stage', text }),
    );
  } catch (err) {
    reporter.close();
    signals.dispose();
    throw err;
  }
  const { client, config, embedded } = connection;
  // Fewer jobs in flight when start requests slow down (a slow link), more when they speed up.
  const concurrencyLimit = new ConcurrencyLimit({ max: options.concurrency ?? s?.concurrency ?? config.concurrency });
  const onHttp = (info: { method: string; url: string; status: number | null; ms: number; sentBytes?: number }) => {
    reporter.handle({ type: 'http', ...info });
    if (info.sentBytes && (info.status === null || info.status === 202)) concurrencyLimit.sample(info.status === null ? null : info.ms / Math.max(1, info.sentBytes / 1024));
  };
  client.setHooks({ onHttp, onRetry: (info) => reporter.handle({ type: 'retry', ...info }), signal: signals.signal });
  const batchSize = s?.batch_size ?? config.batchSize;
  const concurrency = options.concurrency ?? s?.concurrency ?? config.concurrency;
  const inputFiles = s?.files ?? files;
  const limits: RecordLimits = s?.limits ?? {
    maxRecordChars: options.maxRecordSize ?? DEFAULT_RECORD_LIMITS.maxRecordChars,
    maxDepth: options.maxDepth ?? DEFAULT_RECORD_LIMITS.maxDepth,
  };
  const input = s ? { csv: s.csv, columnMap: s.column_map, ignoreUnknown: s.ignore_unknown } : inputSettings(options, config.columns);
  const checkpoint =
    resumed ??
    (await newCheckpoint(
      newRunId(startedAt),
      {
        files,
        url: config.url,
        db: embedded ? (options.db ?? null) : null,
        resource: options.resource,
        format: options.format,
        encoding: options.encoding,
        batch_size: batchSize,
        concurrency,
        upsert: options.upsert ? { uniqueFields: options.uniqueFields ?? [], updateFields: options.updateFields } : undefined,
        failed_rows_dir: options.failedRowsDir,
        limits,
        csv: input.csv,
        column_map: input.columnMap,
        ignore_unknown: input.ignoreUnknown,
      },
      process.cwd(),
    ));
  const runId = checkpoint.run_id;
  // stdin too: its rows are kept in the run's directory as they are read, for the resume.
  const resumable = !options.dryRun;
  const writer = resumable ? new CheckpointWriter() : undefined;
  if (resumable) resumeLine = `resume with: bulk upload --resume ${runId}\n`;

  try {
    reporter.handle({ type: 'run-start', runId, files: inputFiles, url: client.baseUrl, embedded, batchSize, concurrency });
    let result: UploadResult;
    try {
      result = await runUpload({
        files: inputFiles,
        format: s?.format ?? options.format,
        encoding: s?.encoding ?? options.encoding,
        limits,
        ...input,
        resource: s ? s.resource : options.resource,
        batchSize,
        concurrency,
        concurrencyLimit,
        upsert: s ? s.upsert : options.upsert ? { uniqueFields: options.uniqueFields ?? [], updateFields: options.updateFields } : undefined,
        client,
        checkpoint,
        checkpointWriter: writer,
        emit: (event) => reporter.handle(event),
        stopSignal: signals.signal,
        maxErrors: options.maxErrors,
        failedRowsDir: s?.failed_rows_dir ?? options.failedRowsDir,
        failedRowsClaims: resumable ? path.join(runDir(runId), 'failed-rows.json') : undefined,
        stdinSpool: resumable && inputFiles.includes('-') ? { path: path.join(runDir(runId), STDIN_SPOOL_FILE), resume: resumed !== null } : undefined,
        dryRun: options.dryRun,
        noWait: !options.wait,
        useEvents: options.events,
      });
    } catch (err) {
      if (err instanceof InputError) throw new ExitError(err.message, ExitCode.StoppedEarly);
      // The header cannot fit the resource: refused before any job, a usage error (2). A fresh run
      // refused so (stdin is checked as it is read) leaves no run behind for --resume to repeat.
      if (err instanceof HeaderMismatchError) {
        if (!resumed && checkpoint.entries.length === 0) rmSync(runDir(runId), { recursive: true, force: true });
        throw new UsageError(err.message);
      }
      throw err;
    }

    const { status, exitCode } = runOutcome(result, { signal: signals.received(), dryRun: options.dryRun, noWait: !options.wait });
    const unsettled = result.counts.unprocessed > 0 || result.notRead.length > 0 || result.stopReason !== null;
    const resumeCommand = resumable && unsettled && result.stopReason !== 'input' ? `bulk upload --resume ${runId}` : null;
    // No resume can follow: stdin's copy of the rows has done its work.
    if (!resumeCommand && resumable && inputFiles.includes('-')) rmSync(path.join(runDir(runId), STDIN_SPOOL_FILE), { force: true });
    const elapsedMs = Date.now() - startedAt.getTime();
    const summary: RunSummary = {
      status,
      exitCode,
      counts: { read: result.counts.read, stored: result.counts.stored, failed: result.counts.failed, unprocessed: result.counts.unprocessed },
      jobs: result.jobs.length || result.submittedJobs.length,
      elapsedMs,
      rowsPerSecond: elapsedMs > 0 ? Math.round((result.counts.read / elapsedMs) * 1000) : 0,
      aggregates: result.aggregates,
      failedRowsFile: result.failedRowsFiles[0] ?? null,
      resumeCommand,
      message: stdinMessage(result, resumeCommand, checkpoint) ?? result.stopMessage ?? undefined,
      notRead: result.notRead,
    };
    reporter.finish(summary);
    if (options.json) {
      const doc = buildJsonResult(summary, result.jobs, result.firstErrors, { runId, files: inputFiles, url: client.baseUrl, startedAt: startedAt.toISOString() });
      process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
    } else if (!options.wait) {
      for (const job of result.submittedJobs) process.stdout.write(`${job.jobId}\tbatch ${job.batch}\t${job.file}:${job.firstLine}-${job.lastLine}\n`);
    }
    return exitCode;
  } finally {
    reporter.close();
    signals.dispose();
    await connection.close();
  }
}
