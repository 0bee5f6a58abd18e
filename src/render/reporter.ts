import type { Writable } from 'node:stream';
import type { UploadEvent } from '../upload/upload-events.js';
import type { ColorChoice } from './color.js';
import { PlainReporter } from './plain-reporter.js';
import type { RunSummary } from './run-summary.js';
import { TtyReporter } from './tty-reporter.js';

export interface Reporter {
  handle(event: UploadEvent): void;
  finish(summary: RunSummary): void;
  /** Stops bars, spinners and timers. Idempotent, and safe from a signal handler. */
  close(): void;
}

export interface ReporterOptions {
  mode: 'tty' | 'plain' | 'json';
  stream: Writable & { isTTY?: boolean; columns?: number };
  color: ColorChoice;
  /** -1 quiet, 0 normal, 1 -v, 2 -vv. */
  verbosity: number;
  /** Plain mode: time between progress lines. @default 5000 */
  plainIntervalMs?: number;
  now?: () => Date;
}

/**
 * Chosen once per run from --json and whether stderr is a terminal. JSON mode draws nothing on
 * stderr but warnings (and -v detail); the document itself is written by the command.
 */
export function createReporter(opts: ReporterOptions): Reporter {
  if (opts.mode === 'tty') return new TtyReporter(opts);
  if (opts.mode === 'plain') return new PlainReporter(opts);
  return new PlainReporter({ ...opts, verbosity: opts.verbosity <= 0 ? -2 : opts.verbosity });
}
