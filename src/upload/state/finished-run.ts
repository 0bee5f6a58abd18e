/**
 * A `--resume` of a run that had already finished: nothing to send, nothing to connect to. Its
 * ending comes from the checkpoint alone, so a cron wrapper gets exit 0 and "nothing to resume"
 * instead of the old run's ending replayed.
 */
import type { Checkpoint } from './checkpoint.js';
import { runAggregates, runOutcomes } from './run-result.js';

/** The run finished and no job of it left rows for a resume to send (an aborted job does). */
export function nothingLeft(cp: Checkpoint): boolean {
  return cp.finished && cp.entries.every((e) => e.state === 'finished' && (e.outcome?.unprocessed ?? 0) === 0);
}

/** `nothing to resume: run R finished at 2026-12-06T20:25:33Z`, with the run's totals as its checkpoint keeps them. */
export function finishedRunEnd(cp: Checkpoint, startedAt: Date) {
  const settled = cp.entries.filter((e) => e.state === 'finished' && e.outcome);
  const sum = (pick: (o: NonNullable<(typeof settled)[number]['outcome']>) => number) =>
    settled.reduce((n, e) => n + (e.outcome ? pick(e.outcome) : 0), 0);
  const parseFailures = Object.values(cp.failed_rows).reduce((n, f) => n + f.rejected, 0);
  const sent = settled.reduce((n, e) => n + e.rows, 0);
  const jobs = runOutcomes(settled, []);
  const at = cp.updated_at.replace(/\.\d{3}Z$/, 'Z');
  const summary = {
    counts: {
      read: sent + parseFailures,
      stored: sum((o) => o.stored),
      failed: sum((o) => o.failed) + parseFailures,
      unprocessed: sum((o) => o.unprocessed),
    },
    jobs: jobs.length,
    elapsedMs: Date.now() - startedAt.getTime(),
    rowsPerSecond: 0,
    aggregates: runAggregates(settled, []),
    failedRowsFile: Object.values(cp.failed_rows).find((f) => f.path && f.bytes > 0)?.path ?? null,
    resumeCommand: null,
    message: `nothing to resume: run ${cp.run_id} finished at ${at}`,
  };
  const report = {
    runId: cp.run_id,
    files: cp.plan.files,
    url: cp.plan.target.url,
    startedAt,
    summary,
    jobs,
    firstErrors: [],
  };
  return { kind: 'nothing-to-resume' as const, report, submittedJobs: [] };
}
