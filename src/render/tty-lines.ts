/**
 * The live lines of the terminal view: the overall bar and a bar per running job, fitted to the
 * terminal's width by dropping the least important parts first (per-job bars, then the rate, then
 * the bar itself); what is left wraps at part boundaries rather than being cut.
 */
import type { ChalkInstance } from 'chalk';
import { fitParts, type LinePart } from './fit-parts.js';
import { groupDigits, humanSeconds, shortId } from './format.js';
import type { ProgressEstimate } from './progress-estimate.js';

const BAR_WIDTH = 24;
const MIN_BAR_WIDTH = 8;
const JOB_BAR_WIDTH = 16;
const SEP = ' | ';
const JOBS = 1;
const RATE = 2;

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

export interface OverallOptions {
  hiddenJobs: number;
  chalk: ChalkInstance;
  width: number;
  /** Replaces the ETA while the run waits: a retry, a stop. */
  waiting?: string | null;
  /** The run is over: the last frame says how it ended instead of an ETA. */
  ended?: string | null;
}

export interface OverallFrame {
  lines: string[];
  /** Everything fitted on one line: there is room for per-job bars too. */
  roomy: boolean;
}

/**
 * `████████░░░░  31% | 2,060/~6,500 rows | 636 rows/s | ETA 7s | 3 failed | +2 more jobs`:
 * `~` marks a total estimated from the bytes read.
 */
export function overallFrame(p: ProgressEstimate | null, opts: OverallOptions): OverallFrame {
  const c = opts.chalk;
  const width = Math.max(10, opts.width - 1);
  if (!p)
    return {
      lines: fitParts([{ text: bar(0, MIN_BAR_WIDTH), paint: c.cyan, dropRank: 1 }, { text: 'starting…' }], width),
      roomy: true,
    };
  const pct = p.fraction === null ? null : `${String(Math.floor(p.fraction * 100)).padStart(3)}%`;
  const rows =
    p.total === null
      ? `${groupDigits(p.done)} rows`
      : `${groupDigits(p.done)}/${p.estimated ? '~' : ''}${groupDigits(p.total)} rows`;
  const eta =
    opts.ended ??
    opts.waiting ??
    (p.etaMs !== null ? `ETA ${humanSeconds(p.etaMs / 1000)}` : p.fraction === 1 ? 'done' : 'ETA -');
  const hidden = opts.hiddenJobs > 0 ? `+${opts.hiddenJobs} more job${opts.hiddenJobs === 1 ? '' : 's'}` : '';
  const all: LinePart[] = [
    { text: rows },
    { text: opts.ended ? '' : `${groupDigits(p.rowsPerSecond)} rows/s`, dropRank: RATE },
    { text: eta, paint: opts.waiting && !opts.ended ? c.yellow : undefined },
    { text: `${groupDigits(p.failed)} failed`, paint: p.failed ? c.red : undefined },
    { text: hidden, paint: c.dim, dropRank: JOBS },
  ].filter((x) => x.text);
  // Least important first: the job count (with the per-job bars), then the rate; the bar goes last.
  // Before the bar goes, the ETA and the failed count move to a line of their own.
  const required = all.filter((x) => x.dropRank === undefined);
  const candidates = [
    all,
    all.filter((x) => x.dropRank !== JOBS),
    ...required.map((_, k) => required.slice(0, required.length - k)),
  ];
  for (const [i, parts] of candidates.entries()) {
    const body = parts.map((x) => x.text).join(SEP);
    const barRoom = Math.min(BAR_WIDTH, width - body.length - (pct ? pct.length + 1 + SEP.length : SEP.length));
    if (barRoom < MIN_BAR_WIDTH) continue;
    const painted = parts.map((x) => (x.paint ? x.paint(x.text) : x.text)).join(SEP);
    const moved = required.filter((x) => !parts.includes(x));
    const more = moved.length ? fitParts(moved, width - 2, { sep: SEP, indent: '' }).map((l) => `  ${l}`) : [];
    return {
      lines: [`${c.cyan(bar(p.fraction ?? 0, barRoom))}${pct ? ` ${pct}` : ''}${SEP}${painted}`, ...more],
      roomy: i === 0,
    };
  }
  const rest = [...(pct ? [{ text: pct.trimStart() }] : []), ...required];
  return { lines: fitParts(rest, width, { sep: SEP, indent: '  ' }), roomy: false };
}

/** `  batch 3  1a2b3c4d  ██████░░░░░░░░░░  508/1,000  3 failed`, or null when it would not fit. */
export function jobBarLine(j: JobBarState, chalk: ChalkInstance, width = 120): string | null {
  const c = chalk;
  const fraction = j.total > 0 ? j.processed / j.total : 0;
  const extra = [
    ...(j.failed ? [c.red(`${groupDigits(j.failed)} failed`)] : []),
    ...(j.queued ? [c.dim('queued')] : []),
  ];
  const plain = [
    `  batch ${j.batch}  ${shortId(j.jobId)}`,
    bar(fraction, JOB_BAR_WIDTH),
    `${groupDigits(j.processed)}/${groupDigits(j.total)}`,
    ...(j.failed ? [`${groupDigits(j.failed)} failed`] : []),
    ...(j.queued ? ['queued'] : []),
  ].join('  ');
  if (plain.length > width - 1) return null;
  return [
    `  ${c.dim(`batch ${j.batch}  ${shortId(j.jobId)}`)}`,
    bar(fraction, JOB_BAR_WIDTH),
    `${groupDigits(j.processed)}/${groupDigits(j.total)}`,
    ...extra,
  ].join('  ');
}

/** Without run counts (`bulk watch`), the overall bar sums the jobs being watched. */
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

/** A request waiting to be tried again, as the bar line shows it. */
export interface RetryWait {
  attempt: number;
  reason: string;
  /** When the next try goes out, and when bulk gives up (ms since the epoch). */
  at: number;
  givesUpAt: number | null;
}

/** `server unreachable, retry 3 in 2 s, gives up in 4:52` */
export function retryText(r: RetryWait, nowMs: number): string {
  const cause = /^HTTP (\d+)/.exec(r.reason) ? `server answered ${r.reason}` : 'server unreachable';
  const secs = Math.max(0, Math.ceil((r.at - nowMs) / 1000));
  const when = secs > 0 ? `retry ${r.attempt} in ${secs} s` : `retry ${r.attempt} now`;
  if (r.givesUpAt === null) return `${cause}, ${when}`;
  const left = Math.max(0, Math.round((r.givesUpAt - nowMs) / 1000));
  return `${cause}, ${when}, gives up in ${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')}`;
}
