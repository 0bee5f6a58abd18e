/**
 * The terminal's spinner while nothing can be counted yet: the stage on its line and, under it, a
 * retry being waited for, counted down at each of ora's frames. The tty reporter owns one.
 */
import ora, { type Ora } from 'ora';
import type { ColorChoice } from './color.js';
import { fitParts } from './fit-parts.js';
import type { ReporterStream } from './reporter-options.js';
import { retryText, type RetryWait } from './tty-lines.js';

export interface SpinnerView {
  stream: ReporterStream;
  color: ColorChoice;
  width(): number;
  now(): Date;
  stage(): string | null;
  retry(): RetryWait | null;
}

export class StageSpinner {
  private spinner: Ora | null = null;

  constructor(private readonly view: SpinnerView) {}

  /** Starts the spinner, or redraws its line with the current stage. */
  show(): void {
    if (this.spinner) {
      this.spinner.text = this.text();
      return;
    }
    this.spinner = ora({
      text: this.text(),
      suffixText: () => this.retryLines(),
      stream: this.view.stream as NodeJS.WritableStream,
      color: this.view.color.enabled ? 'cyan' : false,
      // createReporter has checked for a terminal; ora's own check would also refuse CI.
      isEnabled: true,
      discardStdin: false,
    }).start();
  }

  stop(): void {
    const spinner = this.spinner;
    this.spinner = null;
    if (spinner) spinner.stop();
  }

  /** Prints lines above the spinner without tearing it. */
  around(print: () => void): void {
    const spinner = this.spinner;
    spinner?.clear();
    print();
    spinner?.render();
  }

  /** The spinner's line: the stage, fitted to the width. */
  private text(): string {
    return fitParts([{ text: this.view.stage() ?? 'Waiting for the server…' }], this.view.width() - 3, {
      indent: '  ',
    }).join('\n');
  }

  /** Under the spinner, worked out at each of its frames so the wait counts down. */
  private retryLines(): string {
    const retry = this.view.retry();
    if (!retry) return '';
    return `\n${fitParts(
      [{ text: retryText(retry, this.view.now().getTime()), paint: this.view.color.chalk.yellow }],
      this.view.width() - 3,
      { indent: '  ' },
    )
      .map((l) => `  ${l}`)
      .join('\n')}`;
  }
}
