/**
 * The run's own log file: `run.log` in its run folder, the lines a non-terminal run prints at
 * `-v` detail (timestamped, no colour), whatever stderr shows. Written synchronously, so the last
 * lines are on disk when the process exits; a log that cannot be written is dropped, never the run.
 */
import { closeSync, existsSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { Chalk } from 'chalk';
import { PlainReporter } from '../render/plain-reporter.js';
import type { Reporter } from '../render/reporter.js';
import type { RunSummary } from '../render/run-summary.js';
import type { UploadEvent } from '../upload/upload-events.js';

export const RUN_LOG_FILE = 'run.log';

export class RunLog implements Reporter {
  private inner: PlainReporter | null = null;
  private fd: number | null = null;
  /** The log's path once the run started and its folder exists. */
  path: string | null = null;

  constructor(
    /** The run's folder (it exists only for a run that can be resumed: not a dry run). */
    private readonly folderOf: (runId: string) => string,
    private readonly intervalMs: number,
  ) {}

  handle(event: UploadEvent): void {
    if (event.type === 'run-start' && this.fd === null) this.open(event.runId);
    this.inner?.handle(event);
  }

  private open(runId: string): void {
    const dir = this.folderOf(runId);
    if (!existsSync(dir)) return;
    const file = path.join(dir, RUN_LOG_FILE);
    try {
      this.fd = openSync(file, 'a');
    } catch {
      return;
    }
    const fd = this.fd;
    const stream = new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        try {
          writeSync(fd, chunk);
        } catch {
          this.drop();
        }
        done();
      },
    });
    this.path = file;
    this.inner = new PlainReporter({
      mode: 'plain',
      stream,
      color: { enabled: false, level: 0, chalk: new Chalk({ level: 0 }) },
      verbosity: 1,
      plainIntervalMs: this.intervalMs,
    });
  }

  private drop(): void {
    this.inner?.close();
    this.inner = null;
  }

  finish(summary: RunSummary): void {
    this.inner?.finish(summary);
  }

  close(): void {
    this.drop();
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

/** A reporter that hands every event to each of several (the screen's and the log's). */
export function teeReporter(reporters: Reporter[]): Reporter {
  return {
    handle: (event) => reporters.forEach((r) => r.handle(event)),
    finish: (summary) => reporters.forEach((r) => r.finish(summary)),
    close: () => reporters.forEach((r) => r.close()),
  };
}
