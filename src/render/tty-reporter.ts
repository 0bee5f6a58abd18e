import cliProgress from 'cli-progress';
import ora, { type Ora } from 'ora';
import type { JobOutcome, RunCounts, UploadEvent } from '../upload/upload-events.js';
import { errorLine, fitWidth, groupDigits, humanMs, jobLine, shortId } from './format.js';
import type { Reporter, ReporterOptions } from './reporter.js';
import type { RunSummary } from './run-summary.js';
import { summaryLines } from './summary.js';

const FIRST_ERRORS_SHOWN = 5;
const BAR_WIDTH = 24;

function bar(fraction: number): string {
  const f = Math.max(0, Math.min(1, fraction));
  const full = Math.round(f * BAR_WIDTH);
  return `${'█'.repeat(full)}${'░'.repeat(BAR_WIDTH - full)}`;
}

interface JobBar {
  bar: cliProgress.SingleBar;
  batch: number;
}

/**
 * For a person at a terminal: an overall bar, a bar per running job, a spinner while nothing can
 * be counted, and a line above the bars as each job finishes.
 */
export class TtyReporter implements Reporter {
  private readonly multibar: cliProgress.MultiBar;
  private overall: cliProgress.SingleBar | null = null;
  private readonly jobBars = new Map<string, JobBar>();
  private spinner: Ora | null = null;
  private counts: RunCounts | null = null;
  private readonly started = Date.now();
  private closed = false;

  constructor(private readonly opts: ReporterOptions) {
    this.multibar = new cliProgress.MultiBar(
      {
        stream: opts.stream as NodeJS.WritableStream,
        hideCursor: true,
        clearOnComplete: false,
        stopOnComplete: false,
        gracefulExit: false,
        fps: 8,
        format: (_options, params, payload: { line?: string }) => fitWidth(payload.line ?? bar(params.value / Math.max(1, params.total)), (opts.stream.columns ?? 100)),
      },
      cliProgress.Presets.shades_classic,
    );
  }

  private ensureOverall(): void {
    if (this.overall || this.closed) return;
    this.stopSpinner();
    this.overall = this.multibar.create(1, 0, { line: this.overallLine() });
  }

  private overallLine(): string {
    const c = this.opts.color.chalk;
    const k = this.counts;
    if (!k) return `${bar(0)} starting`;
    const done = k.stored + k.failed + k.unprocessed;
    const elapsed = (Date.now() - this.started) / 1000;
    const rate = elapsed > 0 ? k.read / elapsed : 0;
    let fraction: number;
    let of: string;
    if (k.totalRows !== null) {
      fraction = k.totalRows > 0 ? done / k.totalRows : 1;
      of = `${groupDigits(done)}/${groupDigits(k.totalRows)} rows`;
    } else {
      // Until the whole file is read, the share of bytes read is the honest measure of progress.
      fraction = k.totalBytes ? Math.min(k.bytesRead / k.totalBytes, done / Math.max(1, k.read)) : 0;
      of = `${groupDigits(done)} rows${k.totalBytes ? ` (${Math.round((k.bytesRead / k.totalBytes) * 100)}% read)` : ''}`;
    }
    const eta = fraction > 0.01 && fraction < 1 ? humanMs((elapsed / fraction) * (1 - fraction) * 1000) : '-';
    const failed = k.failed ? c.red(`${groupDigits(k.failed)} failed`) : '0 failed';
    return `${c.cyan(bar(fraction))} ${(fraction * 100).toFixed(0).padStart(3)}% | ${of} | ${groupDigits(rate)} rows/s | ETA ${eta} | ${failed}`;
  }

  private refreshOverall(): void {
    this.ensureOverall();
    this.overall?.update(0, { line: this.overallLine() });
  }

  private stopSpinner(): void {
    this.spinner?.stop();
    this.spinner = null;
  }

  private log(line: string): void {
    if (this.closed) return;
    const text = fitWidth(line, this.opts.stream.columns ?? 100);
    if (this.overall) this.multibar.log(`${text}\n`);
    else {
      const spinning = this.spinner;
      spinning?.clear();
      this.opts.stream.write(`${text}\n`);
      spinning?.render();
    }
  }

  handle(event: UploadEvent): void {
    if (this.closed) return;
    const c = this.opts.color.chalk;
    const v = this.opts.verbosity;
    switch (event.type) {
      case 'stage':
        if (this.overall || v < 0) break;
        if (!this.spinner) {
          this.spinner = ora({ text: event.text, stream: this.opts.stream as NodeJS.WritableStream, color: this.opts.color.enabled ? 'cyan' : false, isEnabled: true, discardStdin: false }).start();
        } else this.spinner.text = event.text;
        break;
      case 'run-start':
        if (v >= 0) this.log(c.dim(`run ${event.runId} → ${event.embedded ? 'embedded server' : event.url} (batches of ${event.batchSize}, ${event.concurrency} at a time)`));
        break;
      case 'counts':
        this.counts = event.counts;
        this.refreshOverall();
        break;
      case 'batch-submitted':
        if (v >= 1) this.log(c.dim(`→ batch ${event.origin.batch} lines ${event.origin.firstLine}–${event.origin.lastLine} (${event.origin.rows} rows) job ${event.jobId}${event.replayed ? ' (replayed)' : ''}`));
        break;
      case 'job-progress': {
        const p = event.progress;
        if (v < 0) break;
        this.ensureOverall();
        let jb = this.jobBars.get(p.jobId);
        if (!jb) {
          jb = { bar: this.multibar.create(Math.max(1, p.total), 0, { line: '' }), batch: p.batch };
          this.jobBars.set(p.jobId, jb);
        }
        const fraction = p.total > 0 ? p.processed / p.total : 0;
        jb.bar.update(p.processed, { line: `  ${c.dim(`batch ${p.batch} ${shortId(p.jobId)}`)} ${bar(fraction)} ${p.processed}/${p.total} ${p.state}` });
        break;
      }
      case 'job-finished':
        this.jobFinished(event.outcome);
        break;
      case 'retry':
        if (v >= 1) this.log(c.yellow(`↻ retry ${event.attempt} of ${event.what} in ${humanMs(event.delayMs)}: ${event.reason}`));
        break;
      case 'http':
        if (v >= 2) this.log(c.dim(`${event.method} ${event.url} ${event.status ?? 'failed'} ${event.ms}ms`));
        break;
      case 'warning':
        this.log(c.yellow(`! ${event.text}`));
        break;
      case 'row-rejected':
        break;
    }
  }

  private jobFinished(o: JobOutcome): void {
    const c = this.opts.color.chalk;
    const jb = this.jobBars.get(o.jobId);
    if (jb) {
      this.multibar.remove(jb.bar);
      this.jobBars.delete(o.jobId);
    }
    const good = o.state === 'Job Complete';
    if (this.opts.verbosity >= 0 || !good || o.failed > 0) {
      const mark = good ? (o.failed ? c.yellow('✔') : c.green('✔')) : c.red('✘');
      this.log(`${mark} ${good ? jobLine(o) : c.red(jobLine(o))}`);
    }
    for (const e of o.firstErrors.slice(0, FIRST_ERRORS_SHOWN)) this.log(`  ${c.red(errorLine(e))}`);
    if (o.failed > FIRST_ERRORS_SHOWN) this.log(c.dim(`  … and ${o.failed - FIRST_ERRORS_SHOWN} more in the failed-rows file`));
    for (const e of o.jobErrors) this.log(`  ${c.red(`job error: ${e}`)}`);
    this.refreshOverall();
  }

  finish(summary: RunSummary): void {
    if (this.closed) return;
    this.refreshOverall();
    this.close();
    for (const l of summaryLines(summary, this.opts.color.chalk, true)) this.opts.stream.write(`${l}\n`);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stopSpinner();
    for (const jb of this.jobBars.values()) this.multibar.remove(jb.bar);
    this.jobBars.clear();
    this.multibar.stop();
  }
}
