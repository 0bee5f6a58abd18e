import type { ChalkInstance } from 'chalk';
import { groupDigits, humanSeconds, shortId, visibleLength } from './format.js';
import type { ProgressEstimate } from './progress-estimate.js';

const BAR_WIDTH = 24;
const JOB_BAR_WIDTH = 16;

export function bar(fraction: number, width: number): string {
  const full = Math.round(Math.max(0, Math.min(1, fraction)) * width);
  return `${'█'.repeat(full)}${'░'.repeat(width - full)}`;
}

/** What a job bar shows. */
export interface JobBarState {
  batch: number;
  jobId: string;
  total: number;
  processed: number;
  failed: number;
  queued: boolean;
}

/**
 * `████████░░░░  31% | 2,060/~6,500 rows | 636 rows/s | ETA 7s | 3 failed | +2 more jobs`:
 * `~` marks a total estimated from the bytes read. The bar gives way on a narrow terminal; the
 * numbers do not.
 */
export function overallLine(p: ProgressEstimate | null, opts: { hiddenJobs: number; chalk: ChalkInstance; width: number }): string {
  const c = opts.chalk;
  if (!p) return `${c.cyan(bar(0, BAR_WIDTH))}  starting…`;
  const pct = p.fraction === null ? '' : ` ${String(Math.floor(p.fraction * 100)).padStart(3)}%`;
  const rows = p.total === null ? `${groupDigits(p.done)} rows` : `${groupDigits(p.done)}/${p.estimated ? '~' : ''}${groupDigits(p.total)} rows`;
  const eta = p.etaMs !== null ? `ETA ${humanSeconds(p.etaMs / 1000)}` : p.fraction === 1 ? 'done' : 'ETA -';
  const parts = [rows, `${groupDigits(p.rowsPerSecond)} rows/s`, eta, p.failed ? c.red(`${groupDigits(p.failed)} failed`) : '0 failed'];
  if (opts.hiddenJobs > 0) parts.push(c.dim(`+${opts.hiddenJobs} more job${opts.hiddenJobs === 1 ? '' : 's'}`));
  const text = parts.join(' | ');
  const barWidth = Math.max(8, Math.min(BAR_WIDTH, opts.width - 1 - visibleLength(text) - pct.length - 3));
  return `${c.cyan(bar(p.fraction ?? 0, barWidth))}${pct} | ${text}`;
}

/** `  batch 3  1a2b3c4d  ██████░░░░░░░░░░  508/1,000  3 failed` */
export function jobBarLine(j: JobBarState, chalk: ChalkInstance): string {
  const c = chalk;
  const fraction = j.total > 0 ? j.processed / j.total : 0;
  const extra = [...(j.failed ? [c.red(`${groupDigits(j.failed)} failed`)] : []), ...(j.queued ? [c.dim('queued')] : [])];
  return [`  ${c.dim(`batch ${j.batch}  ${shortId(j.jobId)}`)}`, bar(fraction, JOB_BAR_WIDTH), `${groupDigits(j.processed)}/${groupDigits(j.total)}`, ...extra].join('  ');
}

/** Without run counts (`bulk job watch`), the overall bar sums the jobs being watched. */
export function jobsProgress(jobs: readonly JobBarState[], elapsedMs: number): ProgressEstimate | null {
  if (jobs.length === 0) return null;
  let done = 0;
  let total = 0;
  let failed = 0;
  for (const j of jobs) {
    done += j.processed;
    total += j.total;
    failed += j.failed;
  }
  const seconds = elapsedMs / 1000;
  const rowsPerSecond = seconds > 0 ? done / seconds : 0;
  const etaMs = done > 0 && done < total && rowsPerSecond > 0 ? ((total - done) / rowsPerSecond) * 1000 : null;
  return { done, total, estimated: false, fraction: total > 0 ? done / total : 1, rowsPerSecond, etaMs, failed };
}
