// The reporter for `--json`: stdout carries only the result document, stderr only warnings
// (or, with -v, the plain reporter's lines).
import type { UploadEvent } from '../upload/upload-events.js';
import { PlainReporter } from './plain-reporter.js';
import type { Reporter, ReporterOptions } from './reporter-options.js';
import type { RunSummary } from './run-summary.js';

/**
 * `--json`: the result document on stdout is the output (the command writes it, from
 * buildJsonResult). stderr stays quiet but for warnings; with `-v`/`-vv` it gets the plain
 * reporter's timestamped lines, progress included, for debugging a scripted run. Never a summary.
 */
export class JsonReporter implements Reporter {
  private readonly detail: PlainReporter | null;
  private readonly warnings: PlainReporter | null;

  constructor(opts: ReporterOptions & { verbosity: number }) {
    this.detail = opts.verbosity >= 1 ? new PlainReporter(opts) : null;
    this.warnings = opts.verbosity === 0 ? new PlainReporter({ ...opts, plainIntervalMs: 0 }) : null;
  }

  handle(event: UploadEvent): void {
    if (this.detail) this.detail.handle(event);
    else if (event.type === 'warning') this.warnings?.handle(event);
  }

  finish(_summary: RunSummary): void {}

  close(): void {
    this.detail?.close();
    this.warnings?.close();
  }
}
