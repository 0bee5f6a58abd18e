// Keeps a run's checkpoint small: finished, complete neighbouring jobs fold into one entry.
import type { AggregateValue } from '../../protocol/index.js';
import type { Checkpoint, CheckpointEntry, FoldedJob } from './checkpoint.js';
import { mergeStates, stateOf, type AggregateState } from '../aggregates/aggregate-state.js';
import type { JobOutcome } from '../upload-events.js';

/** Row errors a folded entry keeps for a resumed run's summary: the failed-rows file has them all. */
const FOLD_FIRST_ERRORS = 20;

/**
 * One dispatched batch in file order, with the checkpoint entries its job (or its 413 halves) made.
 * `done` once its task has ended, whatever the outcome.
 */
export interface DispatchSlot {
  file: string;
  entries: CheckpointEntry[];
  done: boolean;
  /** Rows between here and the next slot were settled by an earlier run: never fold across. */
  barrier?: boolean;
}

const isClean = (e: CheckpointEntry) =>
  e.state === 'finished' && e.outcome?.state === 'Job Complete' && !e.outcome.unprocessed;

/**
 * Keeps the run's checkpoint small: finished, complete jobs that are next to each other in the file
 * fold into one entry covering their lines. The checkpoint is rewritten on every save: with one entry
 * per job, each save and the client's memory would grow with the run.
 *
 * Only a prefix of settled slots folds (in dispatch order), so a range never covers a batch still
 * on its way: a resume treats the lines of a folded entry as done.
 */
export class CheckpointFolder {
  private readonly queue: DispatchSlot[] = [];
  /** The entry the next clean slot joins, or null after anything that breaks the run. */
  private target: CheckpointEntry | null = null;

  constructor(private readonly checkpoint: Checkpoint) {}

  /** Called in file order, before the batch is sent. */
  open(file: string): DispatchSlot {
    const slot: DispatchSlot = { file, entries: [], done: false };
    this.queue.push(slot);
    return slot;
  }

  /** Rows an earlier run settled lie here: the next fold starts afresh. */
  barrier(): void {
    const last = this.queue.at(-1);
    if (last?.barrier) return;
    if (!last) {
      this.target = null;
      return;
    }
    this.queue.push({ file: '', entries: [], done: true, barrier: true });
  }

  /** Folds every settled slot at the head of the queue into the entry before it, where it can. */
  settle(): void {
    while (this.queue[0]?.done) {
      const slot = this.queue.shift() as DispatchSlot;
      if (slot.barrier || slot.entries.length === 0 || !slot.entries.every(isClean)) {
        this.target = null;
        continue;
      }
      for (const entry of slot.entries) this.absorb(entry);
    }
  }

  private absorb(entry: CheckpointEntry): void {
    const into = this.target;
    if (!into || into.file !== entry.file) {
      this.target = entry;
      return;
    }
    const a = into.outcome!;
    const b = entry.outcome!;
    into.jobs ??= [foldedJob(into)];
    into.jobs.push(foldedJob(entry));
    // The exact state, not combined values: a resume folds on from here to the clean run's digits.
    a.aggregate_state = mergeStates(entryAggregateState(into), entryAggregateState(entry));
    a.aggregates = null;
    into.last_line = entry.last_line;
    into.rows += entry.rows;
    a.processed += b.processed;
    a.processed_through_line = b.processed_through_line;
    a.stored += b.stored;
    a.failed += b.failed;
    if (a.first_errors.length < FOLD_FIRST_ERRORS)
      a.first_errors.push(...b.first_errors.slice(0, FOLD_FIRST_ERRORS - a.first_errors.length));
    const at = this.checkpoint.entries.lastIndexOf(entry);
    if (at !== -1) this.checkpoint.entries.splice(at, 1);
  }
}

/** An entry's aggregates as exact state: a folded entry keeps it; a single job's comes from its values. */
export function entryAggregateState(e: CheckpointEntry): AggregateState {
  return e.outcome?.aggregate_state ?? stateOf(e.outcome?.aggregates, e.outcome?.stored ?? 0);
}

function foldedJob(e: CheckpointEntry): FoldedJob {
  return [e.job_id ?? '', e.batch, e.first_line, e.last_line, e.rows, e.outcome?.stored ?? 0, e.outcome?.failed ?? 0];
}

/**
 * The jobs of a folded entry from an earlier run, for the result's job list. Their own aggregates
 * and errors were folded away (the entry keeps them combined).
 */
export function unfold(entry: CheckpointEntry): JobOutcome[] {
  return (entry.jobs ?? []).map(([jobId, batch, firstLine, lastLine, rows, stored, failed]) => ({
    batch,
    jobId,
    state: 'Job Complete',
    total: rows,
    processed: rows,
    succeeded: stored,
    failed,
    origin: { batch, file: entry.file, firstLine, lastLine, rows },
    aggregates: null as Record<string, AggregateValue> | null,
    firstErrors: [],
    jobErrors: [],
    unprocessed: 0,
  }));
}
