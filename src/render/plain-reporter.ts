import type { RunCounts, UploadEvent } from '../upload/upload-events.js';
import { asciiPunctuation, errorLine, humanMs, humanSeconds } from './format.js';
import { jobLines } from './job-lines.js';
import { estimateProgress } from './progress-estimate.js';
import { RejectedRows } from './rejected-rows.js';
import { clampVerbosity, type Reporter, type ReporterOptions, type Verbosity } from './reporter-options.js';
import type { RunSummary } from './run-summary.js';
import { summaryLines } from './summary.js';

/** An unchanged progress line is repeated this often, so a CI step without output is not killed. */
const HEARTBEAT_MS = 60_000;

/** `12000 of 300000 rows (4.0%), 3100 rows/s, 5 failed, ETA 1m 33s`; `~` marks a total estimated from bytes. */
export function plainProgressText(counts: RunCounts, elapsedMs: number): string {
  const p = estimateProgress(counts, elapsedMs);
  const of = p.total === null ? ' rows' : ` of ${p.estimated ? '~' : ''}${p.total} rows (${((p.fraction ?? 0) * 100).toFixed(1)}%)`;
  const eta = p.etaMs === null ? '' : `, ETA ${humanSeconds(p.etaMs / 1000)}`;
  return `progress: ${p.done}${of}, ${Math.round(p.rowsPerSecond)} rows/s, ${p.failed} failed${eta}`;
}

/**
 * For logs, pipes and cron: no bars, no spinner, no ANSI; one timestamped line per event worth
 * keeping, and a progress line every `plainIntervalMs` when something changed.
 */
export class PlainReporter implements Reporter {
  private readonly verbosity: Verbosity;
  private readonly now: () => Date;
  private readonly started: number;
  private readonly rejected = new RejectedRows();
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
    return this.now().toISOString().replace(/\.\d{3}Z$/, 'Z');
  }

  private line(text: string): void {
    this.opts.stream.write(`${this.stamp()} ${asciiPunctuation(text)}\n`);
  }

  handle(event: UploadEvent): void {
    if (this.closed) return;
    const v = this.verbosity;
    switch (event.type) {
      case 'run-start':
        if (v >= 0) this.line(`run ${event.runId}: ${event.files.join(', ')} -> ${event.embedded ? `embedded server ${event.url}` : event.url} (batches of ${event.batchSize}, ${event.concurrency} at a time)`);
        break;
      case 'stage':
        if (v >= 0) this.line(event.text);
        break;
      case 'counts':
        this.counts = event.counts;
        break;
      case 'batch-submitted': {
        const o = event.origin;
        this.rejected.submitted(event.jobId, o);
        if (v >= 1) this.line(`batch ${o.batch} lines ${o.firstLine}-${o.lastLine} (${o.rows} rows) -> job ${event.jobId}${event.replayed ? ' (replayed)' : ''}`);
        break;
      }
      case 'job-finished': {
        const o = event.outcome;
        this.rejected.finished(o.jobId);
        const lines = jobLines(o, 'plain');
        if (v < 0 && lines.complete) break;
        this.line(lines.head);
        if (v >= 0) for (const l of [...lines.errors, ...(lines.more ? [lines.more] : [])]) this.line(l);
        for (const l of lines.jobErrors) this.line(l);
        break;
      }
      case 'row-rejected': {
        if (v < 0) break;
        const verdict = this.rejected.admit(event.error);
        if (verdict === 'show') this.line(`rejected: ${errorLine(event.error)}`);
        else if (verdict === 'note') this.line('... more rejected rows go to the failed-rows file');
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
    for (const l of summaryLines(summary)) this.line(l);
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
