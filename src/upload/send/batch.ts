// A batch on its way to the server, and the builder that makes one as its rows are read.
//
// Why nothing here is a plain JS object: a batch lives until its job finishes, long enough for
// whatever it holds on the JS heap to be promoted to V8's old generation, whose sawtooth then sets
// the client's peak memory. So the body is bytes in a Buffer, the lines a Float64Array, and records
// become body text a few hundred at a time, each dying young.
import type { BatchOrigin } from '../upload-events.js';

/**
 * One batch: the JSON body it is sent as, and the source line of each record by index. The records
 * themselves are not kept; they are parsed back from the body in the rare case they are needed.
 */
export interface Batch {
  origin: BatchOrigin;
  body: Buffer;
  lines: Float64Array;
}

export function makeBatch(
  batch: number,
  file: string,
  records: Record<string, unknown>[],
  lines: ArrayLike<number>,
): Batch {
  const builder = new BatchBuilder();
  records.forEach((record, i) => builder.add(record, lines[i] as number));
  return builder.build(batch, file);
}

/** Records are turned into body text this many at a time. */
const PART_ROWS = 256;

/** Builds a batch's body as its rows are read, {@link PART_ROWS} records at a time. */
export class BatchBuilder {
  readonly lines: number[] = [];
  private readonly parts: Buffer[] = [];
  private records: Record<string, unknown>[] = [];

  get rows(): number {
    return this.lines.length;
  }

  add(record: Record<string, unknown>, line: number): void {
    this.records.push(record);
    this.lines.push(line);
    if (this.records.length >= PART_ROWS) this.flushRecords();
  }

  /** One stringify per part: a call per record costs about 30% more. */
  private flushRecords(): void {
    if (this.records.length === 0) return;
    const inner = JSON.stringify(this.records).slice(1, -1);
    this.parts.push(Buffer.from(this.parts.length === 0 ? inner : `,${inner}`, 'utf8'));
    this.records = [];
  }

  build(batch: number, file: string): Batch {
    this.flushRecords();
    const lines = Float64Array.from(this.lines);
    return {
      origin: { batch, file, firstLine: lines[0] ?? 0, lastLine: lines[lines.length - 1] ?? 0, rows: lines.length },
      body: Buffer.concat([OPEN, ...this.parts, CLOSE]),
      lines,
    };
  }
}

const OPEN = Buffer.from('[');
const CLOSE = Buffer.from(']');

/** The batch's records, for the failed-rows file or a split. */
export function recordsOf(batch: Batch): Record<string, unknown>[] {
  return JSON.parse(batch.body.toString('utf8')) as Record<string, unknown>[];
}

/** 413 from the server: send the batch as two halves instead. */
export function halveBatch(batch: Batch): [Batch, Batch] {
  const records = recordsOf(batch);
  const mid = Math.ceil(records.length / 2);
  const n = batch.origin.batch;
  return [
    makeBatch(n, batch.origin.file, records.slice(0, mid), batch.lines.slice(0, mid)),
    makeBatch(n, batch.origin.file, records.slice(mid), batch.lines.slice(mid)),
  ];
}

/**
 * Splits a batch by repeated halving until each part has at most `limit` rows: the same parts a
 * chain of 413 answers would produce, so a resume rebuilds the same line ranges (and keys).
 */
export function splitToFit(batch: Batch, limit: number): Batch[] {
  if (batch.origin.rows <= limit || batch.origin.rows <= 1) return [batch];
  const [a, b] = halveBatch(batch);
  return [...splitToFit(a, limit), ...splitToFit(b, limit)];
}
