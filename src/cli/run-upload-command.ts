import { randomBytes } from 'node:crypto';
import { JobApiClient } from '../client/job-api-client.js';
import { ConfigError } from '../config/resolve-config.js';
import { loadConfig } from '../config/load-config.js';
import { InputError } from '../input/input-error.js';
import { createReporter } from '../render/reporter.js';
import { resolveColor } from '../render/color.js';
import { buildJsonResult } from '../render/json-result.js';
import type { RunSummary } from '../render/run-summary.js';
import { combineAggregates } from '../upload/combine-aggregates.js';
import { runUpload, type UploadResult } from '../upload/run-upload.js';
import { runOutcome } from '../upload/run-outcome.js';
import type { UploadCommandOptions } from './commands/upload.js';
import { UsageError } from './errors.js';
import { ExitCode, type ExitCodeValue } from './exit-codes.js';
import { watchSignals } from './signals.js';

/** A run id people can read and sort: when it started, plus a little randomness. */
export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

/** `bulk upload`: flags → config → server (remote or embedded) → runUpload → reporter → exit code. */
export async function runUploadCommand(files: string[], options: UploadCommandOptions): Promise<ExitCodeValue> {
  if (options.upsert && !options.uniqueFields) throw new UsageError('--upsert needs --unique-fields', ['e.g. --upsert --unique-fields account_id,transaction_date,description']);
  if (!options.upsert && (options.uniqueFields || options.updateFields)) throw new UsageError('--unique-fields and --update-fields go with --upsert');
  if (files.includes('-') && !options.format) throw new UsageError('reading stdin (-) needs --format csv|json|ndjson');

  let config;
  try {
    config = loadConfig({ url: options.url, tokenFile: options.tokenFile, batchSize: options.batchSize, concurrency: options.concurrency, profile: options.profile, config: options.config });
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }

  const stderr = process.stderr;
  const mode = options.json ? 'json' : stderr.isTTY ? 'tty' : 'plain';
  const color = resolveColor({ flag: options.color === false ? false : undefined, env: process.env, stream: stderr });
  const verbosity = options.quiet ? -1 : Math.min(2, options.verbose);
  const reporter = createReporter({ mode, stream: stderr, color, verbosity, plainIntervalMs: options.progressInterval * 1000 });
  const runId = newRunId();
  const startedAt = new Date();
  const signals = watchSignals(
    (sig) => reporter.handle({ type: 'warning', text: `${sig}: stopping after the requests in flight; press Ctrl-C again to quit at once` }),
    () => reporter.close(),
  );

  let server: { url: string; close(): Promise<void> } | null = null;
  let client: JobApiClient | null = null;
  try {
    let url = config.url;
    if (!url) {
      reporter.handle({ type: 'stage', text: 'Starting the embedded server…' });
      const [{ startServer }, { defaultDbPath }] = await Promise.all([import('../server/start-server.js'), import('../server/default-db-path.js')]);
      server = await startServer({ port: 0, host: '127.0.0.1', dbPath: options.db ?? defaultDbPath() });
      url = server.url;
    }
    client = new JobApiClient({
      baseUrl: url,
      token: config.token ?? undefined,
      timeoutMs: options.timeout * 1000,
      retry: { baseDelayMs: 250, maxDelayMs: 15_000, deadlineMs: options.deadline * 1000 },
      onHttp: (info) => reporter.handle({ type: 'http', ...info }),
      onRetry: (info) => reporter.handle({ type: 'retry', ...info }),
    });
    reporter.handle({ type: 'run-start', runId, files, url, embedded: server !== null, batchSize: config.batchSize, concurrency: config.concurrency });

    let result: UploadResult;
    try {
      result = await runUpload({
        files,
        format: options.format,
        encoding: options.encoding,
        resource: options.resource,
        batchSize: config.batchSize,
        concurrency: config.concurrency,
        upsert: options.upsert ? { uniqueFields: options.uniqueFields ?? [], updateFields: options.updateFields } : undefined,
        client,
        runId,
        emit: (event) => reporter.handle(event),
        stopSignal: signals.signal,
        maxErrors: options.maxErrors,
        failedRowsDir: options.failedRowsDir,
        dryRun: options.dryRun,
        noWait: !options.wait,
        useEvents: options.events,
      });
    } catch (err) {
      if (err instanceof InputError && !options.json) {
        reporter.close();
        throw new UsageError(err.message);
      }
      throw err;
    }

    const { status, exitCode } = runOutcome(result, { signal: signals.received(), dryRun: options.dryRun, noWait: !options.wait });
    const elapsedMs = Date.now() - startedAt.getTime();
    const summary: RunSummary = {
      status,
      exitCode,
      counts: { read: result.counts.read, stored: result.counts.stored, failed: result.counts.failed, unprocessed: result.counts.unprocessed },
      jobs: result.jobs.length || result.submittedJobs.length,
      elapsedMs,
      rowsPerSecond: elapsedMs > 0 ? Math.round((result.counts.read / elapsedMs) * 1000) : 0,
      aggregates: combineAggregates(result.jobs),
      failedRowsFile: result.failedRowsFiles[0] ?? null,
      resumeCommand: null,
      message: result.stopMessage ?? undefined,
    };
    reporter.finish(summary);
    if (options.json) {
      const doc = buildJsonResult(summary, result.jobs, result.firstErrors, { runId, files, url, startedAt: startedAt.toISOString() });
      process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
    } else if (!options.wait) {
      for (const job of result.submittedJobs) process.stdout.write(`${job.jobId}\tbatch ${job.batch}\t${job.file}:${job.firstLine}-${job.lastLine}\n`);
    }
    return exitCode;
  } finally {
    reporter.close();
    signals.dispose();
    await client?.close();
    await server?.close();
  }
}

export { ExitCode };
