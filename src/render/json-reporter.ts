// The reporter for `--json`: stdout carries only the result document; stderr gets warnings and,
// off a terminal, the plain progress lines (or, with -v, all the plain reporter's lines).
import type { UploadEvent } from '../upload/upload-events.js';
import { PlainReporter } from './plain-reporter.js';
import type { Reporter, ReporterOptions } from './reporter-options.js';
import type { RunSummary } from './run-summary.js';

/**
 * `--json`: the result document on stdout is the output (the command writes it, from
 * buildJsonResult). stderr gets warnings and, off a terminal, a progress line every
 * `--progress-interval`: a CI step with a no-output timeout must not be killed on a long run.
 * With `-v`/`-vv` it gets the plain reporter's timestamped lines; with `-q` nothing. Never a summary.
 */
export class JsonReporter implements Reporter {
  private readonly detail: PlainReporter | null;
  private readonly quietLines: PlainReporter | null;

  constructor(opts: ReporterOptions & { verbosity: number }) {
    this.detail = opts.verbosity >= 1 ? new PlainReporter(opts) : null;
    const progress = opts.stream.isTTY === true ? 0 : opts.plainIntervalMs;
    this.quietLines = opts.verbosity === 0 ? new PlainReporter({ ...opts, plainIntervalMs: progress }) : null;
  }

  handle(event: UploadEvent): void {
    if (this.detail) this.detail.handle(event);
    else if (event.type === 'warning' || event.type === 'counts') this.quietLines?.handle(event);
  }

  finish(_summary: RunSummary): void {}

  close(): void {
    this.detail?.close();
    this.quietLines?.close();
  }
}
