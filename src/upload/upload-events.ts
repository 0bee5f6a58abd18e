// The events the upload core emits and the reporters draw: how the core tells what happens as it runs.
import type { AggregateValue, JobState } from '../protocol/index.js';

/** Where a batch came from: lines of one input file. */
export interface BatchOrigin {
  /** 1-based batch number within the run. */
  batch: number;
  file: string;
  firstLine: number;
  lastLine: number;
  rows: number;
}

/** A record error mapped back to the input file. */
export interface MappedRowError {
  file: string;
  line: number;
  /** Where the row first came from, when the input is a failed-rows file: `orders.csv:665`. */
  origin?: string;
  field?: string;
  reason: string;
}

export interface JobProgress {
  batch: number;
  jobId: string;
  state: JobState;
  total: number;
  processed: number;
  succeeded: number;
  failed: number;
}

export interface JobOutcome extends JobProgress {
  origin: BatchOrigin;
  aggregates: Record<string, AggregateValue> | null;
  /** The first few record errors, already mapped to lines. */
  firstErrors: MappedRowError[];
  /** Job-level errors (a Failed or Aborted job). */
  jobErrors: string[];
  /** Rows of the batch the server never processed (an aborted or failed job). */
  unprocessed: number;
  /** Rows the server took whose fate bulk could not learn (its answers could not be read or trusted). @default 0 */
  unconfirmed?: number;
  /** What bulk made of the server's answers: counted (`settled`), or not known (`unconfirmed`). @default 'settled' */
  verdict?: 'settled' | 'unconfirmed';
  /** The state the server last said the job was in, as it said it (null: it never said). @default state */
  serverState?: string | null;
}

/** Counts for the whole run so far. `totalRows` is known only once the input has been read. */
export interface RunCounts {
  read: number;
  stored: number;
  failed: number;
  /** A delete dry run: rows whose key the server says names a record now (absent: not known). */
  wouldDelete?: number;
  unprocessed: number;
  /** Rows the server took, or may have taken, whose fate bulk could not learn: a resume asks again. */
  unconfirmed: number;
  inFlight: number;
  totalRows: number | null;
  bytesRead: number;
  totalBytes: number | null;
}

/**
 * What the upload core tells the outside world. It never draws anything itself; reporters
 * (tty bars, plain log lines, JSON) turn these into output.
 */
export type UploadEvent =
  | {
      type: 'run-start';
      runId: string;
      files: string[];
      url: string;
      embedded: boolean;
      batchSize: number;
      concurrency: number;
    }
  | { type: 'stage'; text: string }
  | { type: 'batch-submitted'; origin: BatchOrigin; jobId: string; replayed: boolean }
  | {
      type: 'retry';
      what: string;
      attempt: number;
      delayMs: number;
      reason: string;
      /** Time left before bulk gives up on this request. */ givesUpInMs?: number;
    }
  | { type: 'job-progress'; progress: JobProgress }
  | { type: 'job-finished'; outcome: JobOutcome }
  | { type: 'row-rejected'; error: MappedRowError }
  | { type: 'counts'; counts: RunCounts }
  | { type: 'http'; method: string; url: string; status: number | null; ms: number }
  | { type: 'warning'; text: string };

export type UploadListener = (event: UploadEvent) => void;
