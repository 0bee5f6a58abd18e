import cliProgress from 'cli-progress';
import ora, { type Ora } from 'ora';
import type { JobOutcome, JobProgress, RunCounts, UploadEvent } from '../upload/upload-events.js';
import { errorLine, fitWidth, groupDigits, humanMs, visibleLength, wrapText } from './format.js';
import { jobLines } from './job-lines.js';
import { estimateProgress } from './progress-estimate.js';
import { RejectedRows } from './rejected-rows.js';
import { clampVerbosity, type Reporter, type ReporterOptions, type Verbosity } from './reporter-options.js';
import type { RunSummary } from './run-summary.js';
import { summaryLines } from './summary.js';
import { jobBarLine, jobsProgress, overallLine, type JobBarState } from './tty-lines.js';

/** At most this many job bars (fewer on a short terminal); the rest are counted on the overall line. */
const MAX_JOB_BARS = 8;

interface RunningJob extends JobBarState {
  bar: cliProgress.SingleBar | null;
}

type Paint = (text: string) => string;
const plain: Paint = (t) => t;

/**
 * For a person at a terminal: an overall bar, a bar per running job, a spinner while nothing can
 * be counted, and a line above the bars as each job finishes. Only ever built on a real terminal
 * (createReporter checks): off one, cli-progress prints raw placeholders and drops log lines.
 */
export class TtyReporter implements Reporter {
  private readonly verbosity: Verbosity;
  private readonly now: () => Date;
  private readonly started: number;
  private readonly rejected = new RejectedRows();
  private readonly jobs = new Map<string, RunningJob>();
  private readonly finishedJobs = new Set<string>();
  private multibar: cliProgress.MultiBar | null = null;
  private overall: cliProgress.SingleBar | null = null;
  private spinner: Ora | null = null;
  private counts: RunCounts | null = null;
  private closed = false;
  private finished = false;

  constructor(private readonly opts: ReporterOptions) {
    this.verbosity = clampVerbosity(opts.verbosity);
    this.now = opts.now ?? (() => new Date());
    this.started = this.now().getTime();
  }

  private get width(): number {
    return Math.max(20, this.opts.stream.columns ?? 80);
  }

  private get maxJobBars(): number {
    return Math.max(1, Math.min(MAX_JOB_BARS, (this.opts.stream.rows ?? 24) - 8));
  }

  handle(event: UploadEvent): void {
    if (this.closed) return;
    const c = this.opts.color.chalk;
    const v = this.verbosity;
    switch (event.type) {
      case 'run-start':
        if (v >= 0) this.say(`run ${event.runId} → ${event.url}${event.embedded ? ' (embedded)' : ''}  batches of ${groupDigits(event.batchSize)}, ${event.concurrency} at a time`, c.dim);
        break;
      case 'stage':
        if (v >= 0 && !this.overall) this.spin(event.text);
        break;
      case 'counts':
        this.counts = event.counts;
        if (v >= 0) this.ensureBars();
        break;
      case 'batch-submitted': {
        const o = event.origin;
        this.rejected.submitted(event.jobId, o);
        if (v >= 1) this.say(`→ batch ${o.batch}  lines ${o.firstLine}–${o.lastLine}  ${groupDigits(o.rows)} rows  job ${event.jobId}${event.replayed ? '  (replayed)' : ''}`, c.dim);
        this.track({ batch: o.batch, jobId: event.jobId, state: 'Open', total: o.rows, processed: 0, succeeded: 0, failed: 0 });
        break;
      }
      case 'job-progress':
        this.track(event.progress);
        break;
      case 'job-finished':
        this.jobFinished(event.outcome);
        break;
      case 'row-rejected': {
        if (v < 0) break;
        const verdict = this.rejected.admit(event.error);
        if (verdict === 'show') this.say(`rejected  ${errorLine(event.error)}`, plain, `${c.red('✘')} `);
        else if (verdict === 'note') this.say('… more rejected rows go to the failed-rows file', c.dim, '  ');
        break;
      }
      case 'retry':
        if (v >= 1) this.say(`retry ${event.attempt} of ${event.what} in ${humanMs(event.delayMs)}: ${event.reason}`, c.yellow, `${c.yellow('↻')} `);
        break;
      case 'http':
        if (v >= 2) this.say(`${event.method} ${event.url} ${event.status ?? 'failed'} ${Math.round(event.ms)}ms`, c.dim);
        break;
      case 'warning':
        if (v >= 0) this.say(event.text, c.yellow, `${c.yellow('!')} `);
        break;
    }
  }

  finish(summary: RunSummary): void {
    if (this.finished) return;
    this.finished = true;
    this.close();
    const lines = summaryLines(summary, { chalk: this.opts.color.chalk, grouped: true, width: this.width });
    this.opts.stream.write(`${lines.join('\n')}\n`);
  }

  /** Flushes lines waiting above the bars, then stops bars and spinner; the final frame stays. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.stopSpinner();
      const mb = this.multibar;
      if (mb) {
        mb.update();
        for (const j of this.jobs.values()) if (j.bar) mb.remove(j.bar);
        mb.stop();
      }
    } catch {
      // Closing runs from signal handlers and finally blocks: a broken stream must not mask the exit.
    } finally {
      this.jobs.clear();
      this.multibar = null;
      this.overall = null;
    }
  }

  // ── drawing ──────────────────────────────────────────────────────────────────────────────

  /** Prints a line above the bars (or the spinner), wrapped to the terminal's width. */
  private say(text: string, paint: Paint = plain, first = '', rest = '    '): void {
    const pieces = wrapText(text, this.width - 1 - Math.max(visibleLength(first), rest.length), '');
    this.print(pieces.map((p, i) => `${i === 0 ? first : rest}${paint(p)}`));
  }

  private print(lines: string[]): void {
    if (this.multibar) {
      // \x1b[K: the log lands on rows where bars were; erase what is left of them.
      for (const l of lines) this.multibar.log(`${l}\x1b[K\n`);
      // cli-progress writes logs only on its next redraw, and never on stop(): flush now.
      this.multibar.update();
      return;
    }
    const spinner = this.spinner;
    spinner?.clear();
    this.opts.stream.write(lines.map((l) => `${l}\n`).join(''));
    spinner?.render();
  }

  private spin(text: string): void {
    if (this.spinner) {
      this.spinner.text = text;
      return;
    }
    // ora moves the cursor with the tty stream's own methods.
    if (typeof (this.opts.stream as { cursorTo?: unknown }).cursorTo !== 'function') return;
    this.spinner = ora({
      text,
      stream: this.opts.stream as NodeJS.WritableStream,
      color: this.opts.color.enabled ? 'cyan' : false,
      isEnabled: true,
      discardStdin: false,
    }).start();
  }

  private stopSpinner(): void {
    this.spinner?.stop();
    this.spinner = null;
  }

  private ensureBars(): void {
    if (this.multibar || this.closed || this.verbosity < 0) return;
    this.stopSpinner();
    this.multibar = new cliProgress.MultiBar({
      stream: this.opts.stream as NodeJS.WritableStream,
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
      // We own SIGINT (the CLI's signal handling calls close()).
      gracefulExit: false,
      fps: 8,
      // cli-progress skips a bar whose text has not changed; after a log line has pushed the bars
      // down, that leaves stale rows and loses the overall bar. Redraw all of them every frame.
      forceRedraw: true,
      // The overall line is worked out at each frame, so rate and ETA move between events too.
      format: (_options, _params, payload: { line?: string; overall?: boolean }) => fitWidth(payload.overall ? this.overallLine() : (payload.line ?? ''), this.width - 1),
    });
    this.overall = this.multibar.create(1, 0, { overall: true });
  }

  private overallLine(): string {
    const elapsedMs = this.now().getTime() - this.started;
    const jobs = [...this.jobs.values()];
    const progress = this.counts ? estimateProgress(this.counts, elapsedMs) : jobsProgress(jobs, elapsedMs);
    return overallLine(progress, { hiddenJobs: jobs.filter((j) => !j.bar).length, chalk: this.opts.color.chalk, width: this.width });
  }

  private jobLine(j: RunningJob): string {
    return jobBarLine(j, this.opts.color.chalk);
  }

  /** A job bar appears when its batch is submitted (or first heard of) and goes when it finishes. */
  private track(p: JobProgress): void {
    if (this.verbosity < 0 || this.finishedJobs.has(p.jobId)) return;
    this.ensureBars();
    let j = this.jobs.get(p.jobId);
    if (!j) {
      j = { batch: p.batch, jobId: p.jobId, total: p.total, processed: 0, failed: 0, queued: true, bar: null };
      this.jobs.set(p.jobId, j);
    }
    j.total = p.total || j.total;
    j.processed = p.processed;
    j.failed = p.failed;
    j.queued = p.state === 'Open';
    this.showJobBars();
    j.bar?.update(0, { line: this.jobLine(j) });
  }

  private showJobBars(): void {
    if (!this.multibar) return;
    let visibleBars = [...this.jobs.values()].filter((j) => j.bar).length;
    for (const j of this.jobs.values()) {
      if (visibleBars >= this.maxJobBars) break;
      if (j.bar) continue;
      j.bar = this.multibar.create(1, 0, { line: this.jobLine(j) });
      visibleBars++;
    }
  }

  private jobFinished(o: JobOutcome): void {
    const c = this.opts.color.chalk;
    this.rejected.finished(o.jobId);
    this.finishedJobs.add(o.jobId);
    const j = this.jobs.get(o.jobId);
    this.jobs.delete(o.jobId);
    if (j?.bar) this.multibar?.remove(j.bar);
    this.showJobBars();

    const lines = jobLines(o, 'tty');
    if (this.verbosity < 0 && lines.complete) return;
    const mark = !lines.complete ? c.red('✘') : o.failed > 0 ? c.yellow('✔') : c.green('✔');
    // One line per job however many aggregates (they add up in the summary): hundreds of jobs must
    // not push the errors off the screen. The counts themselves are never cut.
    const paint = lines.complete ? plain : c.red;
    const room = this.width - 3;
    if (lines.headCounts.length <= room) {
      let head = lines.headCounts;
      for (const [i, pair] of lines.aggregates.entries()) {
        const last = i === lines.aggregates.length - 1;
        const next = `${head}${i === 0 ? '  ' : ' '}${pair}`;
        if (next.length + (last ? 0 : 2) > room) {
          head = `${head}${i === 0 ? '  ' : ' '}…`;
          break;
        }
        head = next;
      }
      this.print([`${mark} ${paint(fitWidth(head, room))}`]);
    } else this.say(lines.headCounts, paint, `${mark} `, '    ');
    if (this.verbosity >= 0) {
      for (const l of lines.errors) this.say(l.trimStart(), plain, '  ', '      ');
      if (lines.more) this.say(lines.more.trimStart(), c.dim, '  ', '      ');
    }
    for (const l of lines.jobErrors) this.say(l.trimStart(), c.red, '  ', '      ');
  }
}
