/** The `--json` document of an upload, built from the run's summary, jobs and first errors. */
import type { AggregateValue, JobState } from '../protocol/index.js';
import type { JobOutcome, MappedRowError } from '../upload/upload-events.js';
import type { RunSummary } from './run-summary.js';

export const RESULT_SCHEMA_VERSION = 1;

/** Row errors carried in the document; all of them are in the failed-rows file. */
export const RESULT_ERRORS_MAX = 100;

export interface JsonResultJob {
  id: string;
  batch: number;
  file: string;
  first_line: number;
  last_line: number;
  state: JobState;
  /** The state word the server last gave for the job, as given; null when it never answered one. */
  server_state: string | null;
  /** What bulk made of the server's answers: `settled` (counted), `unconfirmed` (not known). */
  verdict: 'settled' | 'unconfirmed';
  total: number;
  stored: number;
  failed: number;
  unprocessed: number;
  unconfirmed: number;
  aggregates: Record<string, AggregateValue> | null;
  job_errors: string[];
}

/** The one document `bulk upload --json` writes to stdout; schemas/upload-result.schema.json. */
export interface JsonResult {
  schema_version: typeof RESULT_SCHEMA_VERSION;
  status: RunSummary['status'];
  exit_code: number;
  message: string | null;
  run_id: string | null;
  files: string[];
  url: string | null;
  started_at: string;
  elapsed_ms: number;
  rows_per_second: number;
  counts: {
    read: number;
    stored: number;
    failed: number;
    unprocessed: number;
    unconfirmed: number;
    would_delete?: number;
  };
  jobs: JsonResultJob[];
  aggregates: Record<string, AggregateValue>;
  failed_rows_file: string | null;
  /** The run's own log file, when it has one. */
  log_file?: string | null;
  errors: Array<{ file: string; line: number; field?: string; reason: string }>;
  not_read: Array<{ file: string; from_line: number }>;
  resume_command: string | null;
  error_kind: string | null;
  next_step: string | null;
}

/** Builds the `--json` result: pure, so its shape is tested against the schema. */
export function buildJsonResult(
  summary: RunSummary,
  jobs: JobOutcome[],
  firstErrors: MappedRowError[],
  meta: { runId: string | null; files: string[]; url: string | null; startedAt: string },
): JsonResult {
  const k = summary.counts;
  return {
    schema_version: RESULT_SCHEMA_VERSION,
    status: summary.status,
    exit_code: summary.exitCode,
    message: summary.message ?? null,
    run_id: meta.runId,
    files: meta.files,
    url: meta.url,
    started_at: meta.startedAt,
    elapsed_ms: Math.max(0, Math.round(summary.elapsedMs)),
    rows_per_second: Math.max(0, Math.round(summary.rowsPerSecond)),
    counts: {
      read: k.read,
      stored: k.stored,
      failed: k.failed,
      unprocessed: k.unprocessed,
      unconfirmed: k.unconfirmed ?? 0,
      ...(k.wouldDelete === undefined ? {} : { would_delete: k.wouldDelete }),
    },
    jobs: jobs.map((j) => ({
      id: j.jobId,
      batch: j.batch,
      file: j.origin.file,
      first_line: j.origin.firstLine,
      last_line: j.origin.lastLine,
      state: j.state,
      server_state: j.serverState === undefined ? j.state : j.serverState,
      verdict: j.verdict ?? 'settled',
      total: j.total,
      stored: j.succeeded,
      failed: j.failed,
      unprocessed: j.unprocessed,
      unconfirmed: j.unconfirmed ?? 0,
      aggregates: j.aggregates,
      job_errors: j.jobErrors,
    })),
    aggregates: summary.aggregates,
    failed_rows_file: summary.failedRowsFile,
    ...(summary.logFile ? { log_file: summary.logFile } : {}),
    errors: firstErrors.slice(0, RESULT_ERRORS_MAX).map((e) => ({
      file: e.file,
      line: e.line,
      ...(e.origin ? { origin: e.origin } : {}),
      ...(e.field ? { field: e.field } : {}),
      reason: e.reason,
    })),
    not_read: (summary.notRead ?? []).map((n) => ({ file: n.file, from_line: n.fromLine })),
    resume_command: summary.resumeCommand,
    error_kind: summary.errorKind ?? null,
    next_step: summary.next ?? null,
  };
}
