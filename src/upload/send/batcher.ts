// The batcher: one input's rows, read in small slices, cut into batches at fixed row ordinals, and
// each row routed by the resume cursor (send, re-attach to a submitted job, or already done).
import { InputError } from '../../input/input-error.js';
import type { InputRejected } from '../../input/input-item.js';
import type { InputSource } from '../../input/open-input.js';
import { BatchBuilder, type Batch } from './batch.js';
import { ResumeCursor, type Checkpoint, type CheckpointEntry } from '../state/checkpoint.js';

const READ_SLICE_ROWS = 500;

export interface BatcherPlan {
  /** The input's name in batches and errors. */
  name: string;
  batchSize: number;
  /** Batches of this input are numbered from this one plus one. */
  firstBatchNumber: number;
  cursor: ResumeCursor;
  /** Rejected rows up to this line were recorded by an earlier run. */
  alreadyRejectedThrough: number;
  /** Batches go as CSV bodies (ext) where their rows allow it. */
  csvBodies?: boolean;
}

/** Where an earlier run of this checkpoint left the input `name`: its entries and rejected rows. */
export function resumePlan(
  checkpoint: Checkpoint,
  name: string,
): Pick<BatcherPlan, 'cursor' | 'alreadyRejectedThrough'> {
  return {
    cursor: new ResumeCursor(checkpoint.entries.filter((e) => e.file === name)),
    alreadyRejectedThrough: checkpoint.failed_rows[name]?.rejected_through_line ?? 0,
  };
}

export interface BatcherHooks {
  stopped(): boolean;
  /** Every row read that this run settles, parsed or not (not one an earlier run settled). */
  rowRead(): void;
  /** A row the reader could not parse (and no earlier run recorded). */
  rowRejected(item: InputRejected): void;
  /** A row an earlier run's finished job already settled. */
  rowDone(): void;
  /** A batch of new rows to send; waits while every slot is busy. */
  dispatch(batch: Batch): Promise<void>;
  /** Rows of a job an earlier run submitted: follow that job for them. */
  attach(entry: CheckpointEntry, batch: Batch): Promise<void>;
  /** After each slice: how many bytes of the input were read. */
  progress(bytesRead: number): void;
}

export interface BatcherEnd {
  /** The highest batch number used. */
  lastBatchNumber: number;
  /** Rows gathered but never dispatched because the run stopped. */
  unsentRows: number;
  /** Rows and unparsable lines the reader went through, settled earlier or not (a stdin spool's reach). */
  reached: number;
  /** Where reading stopped early (rows from this line on were not read); null when read to the end. */
  notReadFrom: number | null;
  /** Why reading stopped early, when the input itself could not be read on. */
  inputError: InputError | null;
}

export async function batchInput(source: InputSource, plan: BatcherPlan, hooks: BatcherHooks): Promise<BatcherEnd> {
  const { name, batchSize, cursor, alreadyRejectedThrough, firstBatchNumber } = plan;
  const csv = plan.csvBodies ?? false;
  let lastBatchNumber = firstBatchNumber;
  // Batches are cut at fixed row ordinals of the file, so a resume rebuilds the very same line
  // ranges, and with them the same idempotency keys.
  let ordinal = 0;
  let pending = { rows: new BatchBuilder(csv), ordinalBatch: 0 };
  let attach: { entry: CheckpointEntry; rows: BatchBuilder } | null = null;
  const flushPending = async () => {
    if (pending.rows.rows === 0) return;
    const batchNo = firstBatchNumber + pending.ordinalBatch + 1;
    lastBatchNumber = Math.max(lastBatchNumber, batchNo);
    const batch = pending.rows.build(batchNo, name);
    pending = { rows: new BatchBuilder(csv), ordinalBatch: pending.ordinalBatch };
    await hooks.dispatch(batch);
  };
  const flushAttach = async () => {
    if (!attach) return;
    const { entry, rows } = attach;
    attach = null;
    await hooks.attach(entry, rows.build(entry.batch, name));
  };
  let lastLine = 0;
  let reached = 0;
  const end = (over: Partial<BatcherEnd>): BatcherEnd => ({
    lastBatchNumber,
    reached,
    unsentRows: 0,
    notReadFrom: null,
    inputError: null,
    ...over,
  });
  type Target = BatchBuilder | null;
  /** The builder a row goes to (null: an earlier run settled it), after any batch it closes is sent. */
  const route = (line: number): Target | Promise<Target> => {
    lastLine = line;
    reached++;
    const batchOfRow = Math.floor(ordinal / batchSize);
    ordinal++;
    const routed = cursor.classify(line);
    if (attach && (routed.kind !== 'attach' || routed.entry !== attach.entry))
      return flushAttach().then(() => place(routed, batchOfRow));
    return place(routed, batchOfRow);
  };
  const place = (routed: ReturnType<ResumeCursor['classify']>, batchOfRow: number): Target | Promise<Target> => {
    // A row an earlier run settled was counted read by the resume's tally already (RunTally.resuming).
    if (routed.kind === 'done') {
      hooks.rowDone();
      return null;
    }
    hooks.rowRead();
    if (routed.kind === 'attach') return (attach ??= { entry: routed.entry, rows: new BatchBuilder(csv) }).rows;
    if (batchOfRow === pending.ordinalBatch) return pending.rows;
    return flushPending().then(() => {
      pending.ordinalBatch = batchOfRow;
      return pending.rows;
    });
  };
  /** After a row was added: a full batch goes (awaited only then, so a row costs no promise). */
  const added = (to: Target): Promise<void> | undefined =>
    to === pending.rows && pending.rows.rows >= batchSize ? flushPending() : undefined;
  const rejected = (item: InputRejected) => {
    lastLine = item.line;
    reached++;
    if (item.line <= alreadyRejectedThrough) return;
    hooks.rowRead();
    hooks.rowRejected(item);
  };
  try {
    if (source.slabs) {
      const columns = source.columns() ?? [];
      for await (const pieces of source.slabs()) {
        for (const piece of pieces) {
          if (piece.kind === 'rejected') rejected(piece);
          else if (piece.kind === 'row') {
            let to = route(piece.line);
            if (to instanceof Promise) to = await to;
            to?.add(piece.record, piece.line);
            await added(to);
          } else {
            const { bytes, starts, ends, lines } = piece;
            for (let k = 0; k < piece.count && !hooks.stopped(); k++) {
              const line = lines[k] as number;
              let to = route(line);
              if (to instanceof Promise) to = await to;
              to?.addSlice(columns, bytes, starts[k] as number, ends[k] as number, line);
              const flushed = added(to);
              if (flushed) await flushed;
            }
          }
          if (hooks.stopped()) break;
        }
        hooks.progress(source.bytesRead());
        if (hooks.stopped()) break;
      }
    } else {
      // Read in small slices whatever the batch size: rows held in a big slice while the batch
      // waits for a slot live long enough to be promoted, and the heap grows with the batch size.
      for await (const items of source.batches(Math.min(batchSize, READ_SLICE_ROWS))) {
        for (const item of items) {
          if (item.kind === 'rejected') rejected(item);
          else {
            let to = route(item.line);
            if (to instanceof Promise) to = await to;
            to?.add(item.record, item.line);
            await added(to);
          }
          if (hooks.stopped()) break;
        }
        hooks.progress(source.bytesRead());
        if (hooks.stopped()) break;
      }
    }
    await flushAttach();
    if (hooks.stopped()) return end({ unsentRows: pending.rows.rows, notReadFrom: lastLine + 1 });
    await flushPending();
    return end({});
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    // Rows read before the bad spot still go; the rest of this input is reported as not read.
    await flushAttach();
    await flushPending();
    return end({ notReadFrom: (err.line ?? lastLine) + 1, inputError: err });
  }
}
