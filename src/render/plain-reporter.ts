import type { UploadEvent, RunCounts } from '../upload/upload-events.js';
import { errorLine, humanMs, jobLine } from './format.js';
import type { Reporter, ReporterOptions } from './reporter.js';
import type { RunSummary } from './run-summary.js';
import { summaryLines } from './summary.js';

const FIRST_ERRORS_SHOWN = 5;

/**
 * For logs, pipes and cron: no bars, no ANSI, one timestamped line per event worth keeping, and a
 * progress line every interval while something changes.
 */
export class PlainReporter implements Reporter {
  private timer: NodeJS.Timeout | null = null;
  private counts: RunCounts | null = null;
  private lastPrinted = '';
  private readonly started = Date.now();
  private closed = false;

  constructor(private readonly opts: ReporterOptions) {
    const interval = opts.plainIntervalMs ?? 5000;
    if (opts.verbosity >= 0 && interval > 0) {
      this.timer = setInterval(() => this.progress(), interval);
      this.timer.unref();
    }
  }

  private stamp(): string {
    return (this.opts.now?.() ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }

  private line(text: string): void {
    if (this.closed) return;
    this.opts.stream.write(`${this.stamp()} ${text}\n`);
  }

  handle(event: UploadEvent): void {
    const v = this.opts.verbosity;
    switch (event.type) {
      case 'run-start':
        if (v >= 0) this.line(`run ${event.runId}: ${event.files.join(', ')} -> ${event.embedded ? 'embedded server' : event.url} (batches of ${event.batchSize}, ${event.concurrency} at a time)`);
        break;
      case 'counts':
        this.counts = event.counts;
        break;
      case 'job-finished': {
        const o = event.outcome;
        if (v >= 0 || o.state !== 'Job Complete') this.line(jobLine(o, '-'));
        if (v >= -1) {
          for (const e of o.firstErrors.slice(0, FIRST_ERRORS_SHOWN)) this.line(`  ${errorLine(e)}`);
          if (o.failed > FIRST_ERRORS_SHOWN) this.line(`  ... and ${o.failed - FIRST_ERRORS_SHOWN} more in the failed-rows file`);
          for (const e of o.jobErrors) this.line(`  job error: ${e}`);
        }
        break;
      }
      case 'row-rejected':
        // Parse failures have no job line to hang from: show the first few as they happen.
        break;
      case 'batch-submitted':
        if (v >= 1) this.line(`batch ${event.origin.batch} lines ${event.origin.firstLine}-${event.origin.lastLine} (${event.origin.rows} rows) -> job ${event.jobId}${event.replayed ? ' (replayed)' : ''}`);
        break;
      case 'retry':
        if (v >= 1) this.line(`retry ${event.attempt} of ${event.what} in ${humanMs(event.delayMs)}: ${event.reason}`);
        break;
      case 'http':
        if (v >= 2) this.line(`${event.method} ${event.url} ${event.status ?? 'failed'} ${event.ms}ms`);
        break;
      case 'warning':
        if (v >= -2) this.line(`warning: ${event.text}`);
        break;
      case 'stage':
      case 'job-progress':
        break;
    }
  }

  private progress(): void {
    const c = this.counts;
    if (!c) return;
    const done = c.stored + c.failed + c.unprocessed;
    const elapsed = (Date.now() - this.started) / 1000;
    const rate = elapsed > 0 ? Math.round(c.read / elapsed) : 0;
    let of = '';
    let eta = '';
    if (c.totalRows !== null && c.totalRows > 0) {
      of = ` of ${c.totalRows} rows (${((done / c.totalRows) * 100).toFixed(1)}%)`;
      if (done > 0 && done < c.totalRows) eta = `, ETA ${humanMs((elapsed / done) * (c.totalRows - done) * 1000)}`;
    } else if (c.totalBytes) {
      const share = c.bytesRead / c.totalBytes;
      of = ` rows (input ${(share * 100).toFixed(1)}% read)`;
      if (share > 0.01 && share < 1) eta = `, ETA ${humanMs(((elapsed / share) * (1 - share)) * 1000)}`;
    } else of = ' rows';
    const text = `progress: ${done}${of}, ${rate} rows/s, ${c.failed} failed${eta}`;
    if (text === this.lastPrinted) return;
    this.lastPrinted = text;
    this.line(text);
  }

  finish(summary: RunSummary): void {
    if (this.opts.verbosity < -1) return;
    for (const l of summaryLines(summary, this.opts.color.chalk, false)) this.line(l);
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.closed = true;
  }
}
