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
import { runDir } from '../upload/state/checkpoint-store.js';

export const RUN_LOG_FILE = 'run.log';

/** After `--no-wait` the jobs go on without us: how to follow them later and get the failed-rows file. */
export function followHint(runId: string): string {
  return `bulk upload --resume ${runId} follows these jobs and writes the failed-rows file`;
}

/** The screen's reporter, and the run's log file beside it. */
export class RunLog implements Reporter {
  private inner: PlainReporter | null = null;
  private fd: number | null = null;
  /** The log's path once the run started and its folder exists. */
  path: string | null = null;

  constructor(
    private readonly screen: Reporter,
    private readonly intervalMs: number,
  ) {}

  handle(event: UploadEvent): void {
    this.screen.handle(event);
    if (event.type === 'run-start' && this.fd === null) this.open(event.runId);
    this.inner?.handle(event);
  }

  private open(runId: string): void {
    // The run's folder exists only for a run that can be resumed (not a dry run).
    const dir = runDir(runId);
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
    this.screen.finish(summary);
    this.inner?.finish(summary);
  }

  close(): void {
    this.screen.close();
    this.drop();
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
