// The reporter for logs and pipes: timestamped lines, no cursor movement, a progress line at
// an interval (and a heartbeat, so a quiet CI step is not killed).
import type { RunCounts, UploadEvent } from '../upload/upload-events.js';
import { asciiPunctuation, errorLine, humanMs, humanSeconds } from './format.js';
import { ErrorGroups } from './error-groups.js';
import { jobLines } from './job-lines.js';
import { estimateProgress } from './progress-estimate.js';
import { clampVerbosity, type Reporter, type ReporterOptions, type Verbosity } from './reporter-options.js';
import type { RunSummary } from './run-summary.js';
import { hintLines, rejectedGroupLines } from './run-end-lines.js';
import { summaryLines } from './summary.js';

/** An unchanged progress line is repeated this often, so a CI step without output is not killed. */
const HEARTBEAT_MS = 60_000;

/** `12000 of 300000 rows (4.0%), 3100 rows/s, 5 failed, ETA 1m 33s`; `~` marks a total estimated from bytes. */
export function plainProgressText(counts: RunCounts, elapsedMs: number): string {
  const p = estimateProgress(counts, elapsedMs);
  const of =
    p.total === null
      ? ' rows'
      : ` of ${p.estimated ? '~' : ''}${p.total} rows (${((p.fraction ?? 0) * 100).toFixed(1)}%)`;
  const eta = p.etaMs === null ? '' : `, ETA ${humanSeconds(p.etaMs / 1000)}`;
  return `progress: ${p.done}${of}, ${Math.round(p.rowsPerSecond)} rows/s, ${p.failed} failed${eta}`;
}

/**
 * For logs, pipes and cron: no bars, no spinner, no ANSI; one timestamped line per event worth
 * keeping (a finished job's line with its aggregates, read by machines), a progress line every
 * `plainIntervalMs` when something changed, and the rejected rows grouped by reason at the end.
 */
export class PlainReporter implements Reporter {
  private readonly verbosity: Verbosity;
  private readonly now: () => Date;
  private readonly started: number;
  private readonly groups = new ErrorGroups();
  private files: string[] = [];
  private timer: NodeJS.Timeout | null = null;
  private counts: RunCounts | null = null;
  private lastKey = '';
  private lastProgressAt = 0;
  private closed = false;
  private finished = false;

  constructor(private readonly opts: ReporterOptions) {
    this.verbosity = clampVerbosity(opts.verbosity);
    this.now = opts.now ?? (() => new Date());
    this.started = this.now().getTime();
    const interval = opts.plainIntervalMs ?? 5000;
    if (this.verbosity >= 0 && interval > 0) {
      this.timer = setInterval(() => this.progress(), interval);
      this.timer.unref();
    }
  }

  private stamp(): string {
    return this.now()
      .toISOString()
      .replace(/\.\d{3}Z$/, 'Z');
  }

  private line(text: string): void {
    this.opts.stream.write(`${this.stamp()} ${asciiPunctuation(text)}\n`);
  }

  handle(event: UploadEvent): void {
    if (this.closed) return;
    const v = this.verbosity;
    switch (event.type) {
      case 'run-start':
        this.files = event.files;
        if (v >= 0)
          this.line(
            `run ${event.runId}: ${event.files.join(', ')} -> ` +
              `${event.embedded ? `embedded server ${event.url}` : event.url} ` +
              `(batches of ${event.batchSize}, ${event.concurrency} at a time)`,
          );
        break;
      case 'stage':
        if (v >= 0) this.line(event.text);
        break;
      case 'counts':
        this.counts = event.counts;
        break;
      case 'batch-submitted': {
        const o = event.origin;
        if (v >= 1)
          this.line(
            `batch ${o.batch} lines ${o.firstLine}-${o.lastLine} (${o.rows} rows) ` +
              `-> job ${event.jobId}${event.replayed ? ' (replayed)' : ''}`,
          );
        break;
      }
      case 'job-finished': {
        const lines = jobLines(event.outcome);
        if (v < 0 && lines.complete) break;
        this.line(lines.head);
        for (const l of lines.jobErrors) this.line(l);
        break;
      }
      case 'row-rejected': {
        this.groups.add(event.error);
        if (v >= 1) this.line(`rejected: ${errorLine(event.error)}`);
        break;
      }
      case 'retry':
        if (v >= 1) this.line(`retry ${event.attempt} of ${event.what} in ${humanMs(event.delayMs)}: ${event.reason}`);
        break;
      case 'http':
        if (v >= 2) this.line(`${event.method} ${event.url} ${event.status ?? 'failed'} ${Math.round(event.ms)}ms`);
        break;
      case 'warning':
        if (v >= 0) this.line(`warning: ${event.text}`);
        break;
      case 'job-progress':
        break;
    }
  }

  private progress(): void {
    const c = this.counts;
    if (!c || this.closed) return;
    const nowMs = this.now().getTime();
    const key = `${c.read} ${c.stored} ${c.failed} ${c.unprocessed} ${c.bytesRead} ${c.totalRows}`;
    if (key === this.lastKey && nowMs - this.lastProgressAt < HEARTBEAT_MS) return;
    this.lastKey = key;
    this.lastProgressAt = nowMs;
    this.line(plainProgressText(c, nowMs - this.started));
  }

  finish(summary: RunSummary): void {
    if (this.finished) return;
    this.finished = true;
    this.stopTimer();
    const lines = [
      ...(this.verbosity >= 0 ? rejectedGroupLines(this.groups) : []),
      ...hintLines(summary, this.groups, this.files),
      ...summaryLines(summary),
    ];
    for (const l of lines) this.line(l);
  }

  close(): void {
    this.stopTimer();
    this.closed = true;
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
