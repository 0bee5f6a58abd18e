import type { JobOutcome, MappedRowError } from '../upload/upload-events.js';
import type { RunSummary } from './run-summary.js';

export const RESULT_SCHEMA_VERSION = 1;

/** The one document `--json` prints: its shape is schemas/upload-result.schema.json. */
export function buildJsonResult(
  summary: RunSummary,
  jobs: JobOutcome[],
  firstErrors: MappedRowError[],
  meta: { runId: string | null; files: string[]; url: string | null; startedAt: string },
) {
  return {
    schema_version: RESULT_SCHEMA_VERSION,
    status: summary.status,
    exit_code: summary.exitCode,
    message: summary.message ?? null,
    run_id: meta.runId,
    files: meta.files,
    url: meta.url,
    started_at: meta.startedAt,
    elapsed_ms: summary.elapsedMs,
    rows_per_second: summary.rowsPerSecond,
    counts: summary.counts,
    jobs: jobs.map((j) => ({
      id: j.jobId,
      batch: j.batch,
      file: j.origin.file,
      first_line: j.origin.firstLine,
      last_line: j.origin.lastLine,
      state: j.state,
      total: j.total,
      stored: j.succeeded,
      failed: j.failed,
      unprocessed: j.unprocessed,
      aggregates: j.aggregates,
      job_errors: j.jobErrors,
    })),
    aggregates: summary.aggregates,
    failed_rows_file: summary.failedRowsFile,
    errors: firstErrors.slice(0, 100).map((e) => ({ file: e.file, line: e.line, ...(e.field ? { field: e.field } : {}), reason: e.reason })),
    not_read: (summary.notRead ?? []).map((n) => ({ file: n.file, from_line: n.fromLine })),
    resume_command: summary.resumeCommand,
  };
}
