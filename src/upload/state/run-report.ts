/**
 * A run's report from what its send returned: the counts as the run recorded them (after a failed
 * write, its last good checkpoint), how it ended, whether and how it can be resumed, and the totals
 * its summary and its `--json` document show.
 */
import { ENDINGS, type EndKind } from '../../errors/exit-codes.js';
import type { AggregateValue } from '../../protocol/index.js';
import type { JobOutcome, MappedRowError } from '../upload-events.js';
import type { Checkpoint } from './checkpoint.js';
import { loadCheckpoint } from './checkpoint-store.js';
import { runOutcome } from './run-outcome.js';
import { runAggregates, runOutcomes, type UploadResult } from './run-result.js';
import { unconfirmedStdinLines } from '../send/stdin-spool.js';

/** The run's totals for its summary and document (the renderers add how it ended). */
export interface RunTotals {
  /** wouldDelete: a delete dry run's count of rows whose key names a record, when the server said. */
  counts: {
    read: number;
    stored: number;
    failed: number;
    unprocessed: number;
    /** Rows the server took (or may have) whose fate bulk could not learn. @default 0 */
    unconfirmed?: number;
    wouldDelete?: number;
  };
  jobs: number;
  elapsedMs: number;
  rowsPerSecond: number;
  /** Combined across jobs (combineAggregates). */
  aggregates: Record<string, AggregateValue>;
  failedRowsFile: string | null;
  /** The run's own log (run.log in its folder), once the command layer opened one. */
  logFile?: string | null;
  /** The exact command that continues this run, when it can be resumed. */
  resumeCommand: string | null;
  /** Why the run stopped, when it did not complete. */
  message?: string;
  /** Where reading stopped early, per file. */
  notRead?: { file: string; fromLine: number }[];
}

/** What a run has to show for itself: everything its summary and its `--json` document say. */
export interface RunReport {
  runId: string | null;
  files: string[];
  url: string | null;
  startedAt: Date;
  summary: RunTotals;
  jobs: JobOutcome[];
  firstErrors: MappedRowError[];
}

export interface UploadEnd {
  kind: EndKind;
  report: RunReport;
  submittedJobs: { jobId: string; batch: number; file: string; firstLine: number; lastLine: number }[];
}

export interface EndedRun {
  runId: string;
  files: string[];
  url: string;
  startedAt: Date;
  resumable: boolean;
  checkpoint: Checkpoint;
  signal: 'SIGINT' | 'SIGTERM' | null;
  dryRun?: boolean;
  noWait?: boolean;
}

/** How the run ended and its report, from what its send returned. */
export function endOfRun(sent: UploadResult, run: EndedRun): UploadEnd {
  const result = sent.stop?.reason === 'output' && run.resumable ? asRecorded(sent, run.runId) : sent;
  const ended = runOutcome(result, { signal: run.signal, dryRun: run.dryRun, noWait: run.noWait });
  const unsettled =
    result.counts.unprocessed > 0 || result.counts.unconfirmed > 0 || result.notRead.length > 0 || result.stop !== null;
  const { kind } = ended;
  const resumeCommand =
    run.resumable && unsettled && ENDINGS[kind].resumable ? `bulk upload --resume ${run.runId}` : null;
  const elapsedMs = Date.now() - run.startedAt.getTime();
  const report: RunReport = {
    runId: run.runId,
    files: run.files,
    url: run.url,
    startedAt: run.startedAt,
    summary: {
      counts: {
        read: result.counts.read,
        stored: result.counts.stored,
        failed: result.counts.failed,
        unprocessed: result.counts.unprocessed,
        unconfirmed: result.counts.unconfirmed,
        wouldDelete: result.counts.wouldDelete,
      },
      jobs: result.jobs.length || result.submittedJobs.length,
      elapsedMs,
      rowsPerSecond: elapsedMs > 0 ? Math.round((result.counts.read / elapsedMs) * 1000) : 0,
      aggregates: result.aggregates,
      failedRowsFile: result.failedRowsFiles[0] ?? null,
      resumeCommand,
      message: stdinMessage(result, resumeCommand, run.checkpoint) ?? ended.message ?? undefined,
      notRead: result.notRead,
    },
    jobs: result.jobs,
    firstErrors: result.firstErrors,
  };
  return { kind, report, submittedJobs: result.submittedJobs };
}

/**
 * After a failed write the run's record is its last good checkpoint, and a resume starts from it:
 * what it does not name as settled is reported unprocessed, never as stored or failed.
 */
function asRecorded(result: UploadResult, runId: string): UploadResult {
  const saved = loadCheckpoint(runId);
  if (!saved) return result;
  const settled = saved.entries.filter((e) => e.state === 'finished' && e.outcome);
  const stored = settled.reduce((n, e) => n + (e.outcome?.stored ?? 0), 0);
  const failed =
    settled.reduce((n, e) => n + (e.outcome?.failed ?? 0), 0) +
    Object.values(saved.failed_rows).reduce((n, f) => n + f.rejected, 0);
  const { read, unconfirmed } = result.counts;
  const counts = { ...result.counts, stored, failed, unprocessed: Math.max(0, read - stored - failed - unconfirmed) };
  return { ...result, counts, jobs: runOutcomes(settled, []), aggregates: runAggregates(settled, []) };
}

/** A stopped stdin run names the lines it read but could not confirm, and how they get sent. */
function stdinMessage(result: UploadResult, resumeCommand: string | null, checkpoint: Checkpoint): string | null {
  if (!resumeCommand || !checkpoint.plan.files.includes('-')) return null;
  const notRead = result.notRead.find((n) => n.file === 'stdin');
  const lines = unconfirmedStdinLines(checkpoint.entries, notRead ? notRead.fromLine - 1 : null);
  if (!lines) return null;
  const rest = notRead ? `; stdin from line ${notRead.fromLine} on was not read` : '';
  return (
    `${result.stop?.message ?? 'stopped'}: stdin lines ${lines} hold rows read but not confirmed, ` +
    `kept in the run's directory; ${resumeCommand} sends them${rest}`
  );
}
