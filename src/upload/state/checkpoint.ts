// The checkpoint a run keeps in its run directory (its plan, input fingerprints, one entry per job
// or folded run of jobs, failed-rows files), and the cursor a resume reads it back with.
import type { AggregateValue, JobState } from '../../protocol/index.js';
import type { AggregateState } from '../aggregates/aggregate-state.js';
import type { BatchOrigin, MappedRowError } from '../upload-events.js';
import type { RunPlan } from '../plan/run-plan.js';

export interface InputFingerprint {
  path: string;
  size: number;
  mtime_ms: number;
  sample_sha256: string;
}

/**
 * One unit sent to the server: a contiguous range of one file's rows (by the line each row starts
 * on). `submitted`: acknowledged with a job id (a resume re-attaches). `finished`: its outcome is
 * final. A batch sent but never acknowledged has no entry: a resume rebuilds the same line range,
 * so it goes again under the same idempotency key and the server replays its first answer.
 */
export interface CheckpointEntry {
  key: string;
  file: string;
  batch: number;
  first_line: number;
  last_line: number;
  rows: number;
  job_id: string | null;
  state: 'submitted' | 'finished';
  outcome?: EntryOutcome;
  /**
   * Present when complete jobs next to each other were folded into this entry: one tuple per job.
   * The entry's lines, rows and outcome then cover them all (aggregates combined).
   */
  jobs?: FoldedJob[];
}

/** A batch's entry once it is sent: `submitted`, under its job (null: no job is known of it). */
export function submittedEntry(origin: BatchOrigin, jobId: string | null, key: string): CheckpointEntry {
  const { file, batch, firstLine, lastLine, rows } = origin;
  return { key, file, batch, first_line: firstLine, last_line: lastLine, rows, job_id: jobId, state: 'submitted' };
}

/** A folded job: [job_id, batch, first_line, last_line, rows, stored, failed]. */
export type FoldedJob = [string, number, number, number, number, number, number];

export interface EntryOutcome {
  /**
   * 'Lost': the server forgot the job; 'Unreconciled': its answer contradicted the batch. Both leave every row
   * unprocessed.
   */
  state: JobState | 'Lost' | 'Unreconciled';
  processed: number;
  /** The line of the last row the server processed; rows after it were not processed. */
  processed_through_line: number;
  stored: number;
  failed: number;
  /** Rows of this entry that the server never processed; 0 once a later run has re-sent them. */
  unprocessed: number;
  /** The job's aggregates as the server gave them; null on a folded entry, which keeps `aggregate_state`. */
  aggregates: Record<string, AggregateValue> | null;
  /** A folded entry's aggregates as exact sums and weights (aggregate-state.ts), never rounded averages. */
  aggregate_state?: AggregateState;
  first_errors: MappedRowError[];
  job_errors: string[];
}

/**
 * One input's failed-rows file as of this checkpoint: parse failures up to `rejected_through_line`
 * are in it, and its first `bytes` bytes agree with the entries. A resume truncates it to `bytes`
 * (anything later was written for outcomes the checkpoint never recorded) and appends.
 */
export interface FailedRowsState {
  path: string | null;
  bytes: number;
  rejected_through_line: number;
  rejected: number;
}

/** The checkpoint's format: 2 keeps the run's plan whole (1, before it, kept a settings object). */
export const CHECKPOINT_VERSION = 2;

export interface Checkpoint {
  version: typeof CHECKPOINT_VERSION;
  run_id: string;
  /** The directory the run started in: relative input paths and display names are relative to it. */
  cwd: string;
  created_at: string;
  updated_at: string;
  /** The run's plan as it started: a resume reads and sends its files by it (resolve-run-plan.ts). */
  plan: RunPlan;
  inputs: (InputFingerprint | null)[];
  entries: CheckpointEntry[];
  /** By input display name. */
  failed_rows: Record<string, FailedRowsState>;
  finished: boolean;
  /** The server echoed an Idempotency-Key (ext): it honours keys, so a resume may resend unconfirmed batches. */
  keys_honoured?: boolean;
}

/** What a resumed run does with one row it reads again. */
export type RowPlan =
  /** A finished job covered it: its outcome is already in the checkpoint. */
  | { kind: 'done'; entry: CheckpointEntry }
  /** An acknowledged job covers it: watch that job instead of sending. */
  | { kind: 'attach'; entry: CheckpointEntry }
  /** Never sent, or the unprocessed tail of a job that stopped early: send it. */
  | { kind: 'send' };

/**
 * Walks one file's checkpoint entries in line order as the file is read again. Rows arrive in
 * increasing line order, so one forward pass classifies them all. Pure.
 */
export class ResumeCursor {
  private readonly entries: CheckpointEntry[];
  private next = 0;

  constructor(entries: readonly CheckpointEntry[]) {
    this.entries = [...entries].sort((a, b) => a.first_line - b.first_line);
  }

  classify(line: number): RowPlan {
    while (this.next < this.entries.length && (this.entries[this.next] as CheckpointEntry).last_line < line)
      this.next++;
    const entry = this.entries[this.next];
    if (!entry || entry.first_line > line) return { kind: 'send' };
    if (entry.state === 'submitted') return { kind: 'attach', entry };
    const outcome = entry.outcome;
    if (!outcome || outcome.state === 'Job Complete' || line <= outcome.processed_through_line)
      return { kind: 'done', entry };
    return { kind: 'send' };
  }
}
