/**
 * For a person at a terminal: a live view at the bottom (the overall bar, a bar per running job,
 * a retry being waited for) drawn by cli-progress at a fixed rate, an ora spinner while nothing
 * can be counted yet, one line above the bars per finished job, and at the end the rejected rows
 * grouped by reason, any hint, and the summary. Only built on a real terminal (createReporter
 * checks), so neither library ever writes to a pipe or beside --json.
 */
import type { JobOutcome, JobProgress, RunCounts, UploadEvent } from '../upload/upload-events.js';
import { fitParts, type LinePart } from './fit-parts.js';
import { errorLine, groupDigits, humanMs } from './format.js';
import { ErrorGroups } from './error-groups.js';
import { finishedJobParts } from './job-lines.js';
import { BarRows } from './bar-rows.js';
import { estimateProgress, type ProgressEstimate } from './progress-estimate.js';
import { clampVerbosity, type Reporter, type ReporterOptions, type Verbosity } from './reporter-options.js';
import { hintLines, rejectedGroupLines } from './run-end-lines.js';
import type { RunSummary } from './run-summary.js';
import { summaryLines } from './summary.js';
import { StageSpinner } from './stage-spinner.js';
import { jobBarLine, jobsProgress, overallFrame, retryText, type JobBarState, type RetryWait } from './tty-lines.js';

/** At most this many job bars (fewer on a short terminal); the rest are counted on the overall line. */
const MAX_JOB_BARS = 8;

interface RunningJob extends JobBarState {
  submittedAt: number | null;
}

export class TtyReporter implements Reporter {
  private readonly verbosity: Verbosity;
  private readonly now: () => Date;
  private readonly started: number;
  private readonly groups = new ErrorGroups();
  private readonly jobs = new Map<string, RunningJob>();
  private readonly finishedJobs = new Set<string>();
  private readonly region: BarRows;
  private readonly spinner: StageSpinner;
  private files: string[] = [];
  private stage: string | null = null;
  private counts: RunCounts | null = null;
  private retry: RetryWait | null = null;
  private closed = false;
  private finished = false;

  constructor(private readonly opts: ReporterOptions) {
    this.verbosity = clampVerbosity(opts.verbosity);
    this.now = opts.now ?? (() => new Date());
    this.started = this.now().getTime();
    this.region = new BarRows(opts.stream, () => this.frame());
    this.spinner = new StageSpinner({
      stream: opts.stream,
      color: opts.color,
      width: () => this.width,
      now: this.now,
      stage: () => this.stage,
      retry: () => this.retry,
    });
  }

  private get width(): number {
    return Math.max(20, this.opts.stream.columns ?? 80);
  }

  private get maxJobBars(): number {
    return Math.max(0, Math.min(MAX_JOB_BARS, (this.opts.stream.rows ?? 24) - 8));
  }

  handle(event: UploadEvent): void {
    if (this.closed) return;
    const c = this.opts.color.chalk;
    const v = this.verbosity;
    switch (event.type) {
      case 'run-start':
        this.files = event.files;
        if (v >= 0)
          this.say(
            `run ${event.runId} → ${event.url}${event.embedded ? ' (embedded)' : ''} ` +
              ` batches of ${groupDigits(event.batchSize)}, ${event.concurrency} ` +
              `at a time`,
            c.dim,
          );
        break;
      case 'stage':
        this.stage = event.text;
        this.live();
        break;
      case 'counts':
        this.counts = event.counts;
        this.live();
        break;
      case 'batch-submitted': {
        const o = event.origin;
        if (v >= 1)
          this.say(
            `→ batch ${o.batch}  lines ${o.firstLine}–${o.lastLine}  ${groupDigits(o.rows)} ` +
              `rows  job ${event.jobId}${event.replayed ? '  (replayed)' : ''}`,
            c.dim,
          );
        this.track(
          { batch: o.batch, jobId: event.jobId, state: 'Open', total: o.rows, processed: 0, succeeded: 0, failed: 0 },
          true,
        );
        break;
      }
      case 'job-progress':
        // The server is answering: whatever was being retried has gone through.
        this.retry = null;
        this.track(event.progress, false);
        break;
      case 'job-finished':
        this.retry = null;
        this.jobFinished(event.outcome);
        break;
      case 'row-rejected':
        this.groups.add(event.error);
        if (v >= 1) this.say(`rejected  ${errorLine(event.error)}`, undefined, `${c.red('✘')} `);
        break;
      case 'retry':
        this.retry = {
          attempt: event.attempt,
          reason: event.reason,
          at: this.now().getTime() + event.delayMs,
          givesUpAt: event.givesUpInMs === undefined ? null : this.now().getTime() + event.givesUpInMs,
        };
        this.live();
        if (v >= 1)
          this.say(
            `retry ${event.attempt} of ${event.what} in ${humanMs(event.delayMs)}: ${event.reason}`,
            c.yellow,
            `${c.yellow('↻')} `,
          );
        break;
      case 'http':
        // An answer that is not worth retrying ends the wait on the bar line.
        if (event.status !== null && event.status < 500 && event.status !== 429) this.retry = null;
        if (v >= 2)
          this.say(`${event.method} ${event.url} ${event.status ?? 'failed'} ${Math.round(event.ms)}ms`, c.dim);
        break;
      case 'warning':
        if (v >= 0) this.say(event.text, c.yellow, `${c.yellow('!')} `);
        break;
    }
  }

  finish(summary: RunSummary): void {
    if (this.finished) return;
    this.finished = true;
    this.close(summary);
    const style = { chalk: this.opts.color.chalk, grouped: true, width: this.width };
    const lines = [
      ...(this.verbosity >= 0 ? rejectedGroupLines(this.groups, style) : []),
      ...hintLines(summary, this.groups, this.files, style),
      ...summaryLines(summary, style),
    ];
    this.opts.stream.write(`${lines.join('\n')}\n`);
  }

  /** Draws the final frame (from the summary when there is one) and gives the terminal back. */
  close(summary?: RunSummary): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.spinner.stop();
      this.region.stop(summary ? this.finalFrame(summary) : undefined);
    } catch {
      // Closing runs from signal handlers and finally blocks: a broken stream must not mask the exit.
    }
    this.jobs.clear();
  }

  // ── the live view ─────────────────────────────────────────────────────────────────────────

  /** Bars once anything can be counted; before that, a spinner while there is a stage or a retry to show. */
  private live(): void {
    if (this.verbosity < 0 || this.closed || this.region.running) return;
    if (this.counts || this.jobs.size > 0) {
      this.spinner.stop();
      this.region.start();
    } else if (this.stage !== null || this.retry) this.spinner.show();
  }

  private progress(nowMs: number): ProgressEstimate | null {
    return this.counts
      ? estimateProgress(this.counts, nowMs - this.started)
      : jobsProgress([...this.jobs.values()], nowMs - this.started);
  }

  private frame(): string[] {
    const c = this.opts.color.chalk;
    const nowMs = this.now().getTime();
    const jobs = [...this.jobs.values()];
    const progress = this.progress(nowMs);
    if (!progress) return [];
    const bars = jobs.slice(0, this.maxJobBars);
    const waiting = this.retry ? retryText(this.retry, nowMs) : null;
    const overall = overallFrame(progress, {
      hiddenJobs: jobs.length - bars.length,
      chalk: c,
      width: this.width,
      waiting,
    });
    if (!overall.roomy) return overall.lines;
    const barLines = bars.map((j) => jobBarLine(j, c, this.width)).filter((l): l is string => l !== null);
    // Job bars that do not fit go, with the job count that went with them.
    if (barLines.length < bars.length)
      return overallFrame(progress, { hiddenJobs: 0, chalk: c, width: this.width, waiting }).lines;
    return [...overall.lines, ...barLines];
  }

  /** The last frame says what was stored, and how the run ended: not 100 % after an interruption. */
  private finalFrame(s: RunSummary): string[] | undefined {
    if (!this.region.running) return undefined;
    const k = s.counts;
    const total = k.read;
    const done = k.stored + k.failed;
    const p: ProgressEstimate = {
      done,
      total,
      estimated: false,
      fraction: total > 0 ? done / total : 1,
      rowsPerSecond: s.rowsPerSecond,
      etaMs: null,
      failed: k.failed,
    };
    const ended =
      s.status === 'completed' || s.status === 'completed_with_errors'
        ? 'done'
        : s.status === 'dry_run'
          ? 'dry run'
          : `${groupDigits(k.stored)} stored, ${s.status.replace(/_/g, ' ')}`;
    return overallFrame(p, { hiddenJobs: 0, chalk: this.opts.color.chalk, width: this.width, ended }).lines;
  }

  /** A line (or a few, fitted to the width) above the live view. */
  private say(text: string, paint?: (t: string) => string, first = ''): void {
    const parts: LinePart[] = [{ text, paint }];
    const lines = fitParts(parts, this.width - 1 - (first ? 2 : 0), { indent: '    ' }).map((l, i) =>
      i === 0 ? `${first}${l}` : `${first ? '  ' : ''}${l}`,
    );
    this.print(lines);
  }

  private print(lines: string[]): void {
    this.spinner.around(() => this.region.log(lines));
  }

  /** A job bar appears when its batch is submitted (or first heard of) and goes when it finishes. */
  private track(p: JobProgress, submitted: boolean): void {
    if (this.finishedJobs.has(p.jobId)) return;
    let j = this.jobs.get(p.jobId);
    if (!j) {
      j = {
        batch: p.batch,
        jobId: p.jobId,
        total: p.total,
        processed: 0,
        failed: 0,
        queued: true,
        submittedAt: submitted ? this.now().getTime() : null,
      };
      this.jobs.set(p.jobId, j);
    }
    j.total = p.total || j.total;
    j.processed = p.processed;
    j.failed = p.failed;
    j.queued = p.state === 'Open';
    this.live();
  }

  private jobFinished(o: JobOutcome): void {
    const c = this.opts.color.chalk;
    this.finishedJobs.add(o.jobId);
    const j = this.jobs.get(o.jobId);
    this.jobs.delete(o.jobId);
    const complete = o.state === 'Job Complete';
    if (this.verbosity < 0 && complete) return;
    const duration = j?.submittedAt != null ? this.now().getTime() - j.submittedAt : null;
    this.print(fitParts(finishedJobParts(o, c, duration), this.width - 1, { indent: '    ' }));
    for (const e of o.jobErrors) this.say(`job error: ${e}`, c.red, '  ');
  }
}
