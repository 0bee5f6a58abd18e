// The Reporter interface every reporter implements, and the options a reporter is made with.
import type { Writable } from 'node:stream';
import type { UploadEvent } from '../upload/upload-events.js';
import type { ColorChoice } from './color.js';
import type { RunSummary } from './run-summary.js';

export interface Reporter {
  handle(event: UploadEvent): void;
  /** Prints the end-of-run summary (tty and plain; JSON leaves it to the document on stdout). */
  finish(summary: RunSummary): void;
  /** Stops bars, spinners and timers. Idempotent, and safe from a signal handler. */
  close(): void;
}

/** -1 quiet (`-q`), 0 normal, 1 `-v`, 2 `-vv`. */
export type Verbosity = -1 | 0 | 1 | 2;

export type ReporterStream = Writable & {
  isTTY?: boolean;
  columns?: number;
  rows?: number;
};

export interface ReporterOptions {
  /** `tty`: bars and a spinner; `plain`: timestamped lines for logs; `json`: quiet, the result goes to stdout. */
  mode: 'tty' | 'plain' | 'json';
  /** Where progress goes: stderr. */
  stream: ReporterStream;
  color: ColorChoice;
  /** -1 quiet, 0 normal, 1 `-v`, 2 `-vv`; other numbers are clamped. */
  verbosity: number;
  /** Plain mode: time between progress lines; 0 turns them off. @default 5000 */
  plainIntervalMs?: number;
  /** The clock, for timestamps and rates. @default () => new Date() */
  now?: () => Date;
  /** For `TERM=dumb`: a terminal that cannot move its cursor gets plain lines. @default process.env */
  env?: Record<string, string | undefined>;
}

export function clampVerbosity(v: number): Verbosity {
  if (!Number.isFinite(v) || v <= -1) return -1;
  return Math.min(2, Math.trunc(v)) as Verbosity;
}
