// How far a run is from its counts: rows done, the total (known, or estimated from bytes read),
// the rate and the time left. Pure, shared by the terminal and plain reporters.
import type { RunCounts } from '../upload/upload-events.js';

/** An estimate from the share of bytes read means something once this share of the input is read. */
export const MEANINGFUL_SHARE = 0.05;

export interface ProgressEstimate {
  /** Rows settled: stored or failed. Rows given up on (unprocessed) are not done: a stopped run must not read 100 %. */
  done: number;
  /** All rows of the run: exact once the input has been read, else estimated from bytes read. */
  total: number | null;
  estimated: boolean;
  /** 0..1, or null when nothing says how much is left (stdin of unknown size). */
  fraction: number | null;
  rowsPerSecond: number;
  etaMs: number | null;
  failed: number;
}

/**
 * How far the run is, from its counts. `totalRows` is known only once the input has been read;
 * until then the share of bytes read says how many rows there will be: read / (bytesRead /
 * totalBytes). Pure, so both reporters show the same numbers.
 */
export function estimateProgress(c: RunCounts, elapsedMs: number): ProgressEstimate {
  const done = c.stored + c.failed;
  let total: number | null = null;
  let estimated = false;
  if (c.totalRows !== null) total = c.totalRows;
  else if (c.totalBytes && c.bytesRead >= c.totalBytes * MEANINGFUL_SHARE && c.read > 0) {
    // Two significant digits: a total that changes every frame (~200,046, ~199,316) says nothing more.
    const raw = c.read / Math.min(1, c.bytesRead / c.totalBytes);
    total = Math.max(c.read, Number(raw.toPrecision(2)));
    estimated = true;
  }
  const fraction = total === null ? null : total > 0 ? Math.min(1, done / total) : 1;
  const seconds = elapsedMs / 1000;
  const rowsPerSecond = seconds > 0 ? done / seconds : 0;
  const etaMs =
    total !== null && done > 0 && done < total && rowsPerSecond > 0 ? ((total - done) / rowsPerSecond) * 1000 : null;
  return { done, total, estimated, fraction, rowsPerSecond, etaMs, failed: c.failed };
}
