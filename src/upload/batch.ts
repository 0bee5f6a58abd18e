import type { BatchOrigin } from './upload-events.js';

/** One batch on its way to the server: its records, and the source line of each, by index. */
export interface Batch {
  origin: BatchOrigin;
  records: Record<string, unknown>[];
  lines: number[];
}

export function makeBatch(batch: number, file: string, records: Record<string, unknown>[], lines: number[]): Batch {
  return {
    origin: { batch, file, firstLine: lines[0] ?? 0, lastLine: lines[lines.length - 1] ?? 0, rows: records.length },
    records,
    lines,
  };
}

/** 413 from the server: send the batch as two halves instead. */
export function halveBatch(batch: Batch): [Batch, Batch] {
  const mid = Math.ceil(batch.records.length / 2);
  const n = batch.origin.batch;
  return [
    makeBatch(n, batch.origin.file, batch.records.slice(0, mid), batch.lines.slice(0, mid)),
    makeBatch(n, batch.origin.file, batch.records.slice(mid), batch.lines.slice(mid)),
  ];
}

/** The line a record error points at: errors carry the index within the job's array. */
export function lineOfIndex(batch: Batch, index: number): number | null {
  return Number.isInteger(index) && index >= 0 && index < batch.lines.length ? (batch.lines[index] as number) : null;
}

/**
 * Splits a batch by repeated halving until each part has at most `limit` rows: the same parts a
 * chain of 413 answers would produce, so a resume rebuilds the same line ranges (and keys).
 */
export function splitToFit(batch: Batch, limit: number): Batch[] {
  if (batch.records.length <= limit || batch.records.length <= 1) return [batch];
  const [a, b] = halveBatch(batch);
  return [...splitToFit(a, limit), ...splitToFit(b, limit)];
}
