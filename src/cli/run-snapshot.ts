/**
 * A run's report so far, from the events it sent: what a second Ctrl-C or a bug in the middle of
 * a run ends with, before the run could return its own.
 */
import type { RunReport } from '../upload/state/run-report.js';
import type { RunCounts, UploadEvent } from '../upload/upload-events.js';

/** A report of the run so far from its events, for an ending in the middle (a second Ctrl-C, a bug). */
export function reportFromEvents(
  files: string[],
  startedAt: Date,
  start: Extract<UploadEvent, { type: 'run-start' }> | null,
  counts: RunCounts | null,
  dryRun = false,
): RunReport {
  const c = counts ?? { read: 0, stored: 0, failed: 0, unprocessed: 0, unconfirmed: 0 };
  const settled = c.stored + c.failed + c.unprocessed + c.unconfirmed;
  return {
    runId: start?.runId ?? null,
    files: start?.files ?? files,
    url: start?.url ?? null,
    startedAt,
    summary: {
      // Rows read but not yet settled are unprocessed: the checkpoint sends them again on resume.
      counts: {
        read: c.read,
        stored: c.stored,
        failed: c.failed,
        unprocessed: c.unprocessed + Math.max(0, c.read - settled),
        unconfirmed: c.unconfirmed,
      },
      jobs: 0,
      elapsedMs: Date.now() - startedAt.getTime(),
      rowsPerSecond: 0,
      aggregates: {},
      failedRowsFile: null,
      resumeCommand: start && !dryRun ? `bulk upload --resume ${start.runId}` : null,
    },
    jobs: [],
    firstErrors: [],
  };
}
