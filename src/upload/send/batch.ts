// A batch on its way to the server, and the builder that makes one as its rows are read.
//
// Why nothing here is a plain JS object: a batch lives until its job finishes, long enough for
// whatever it holds on the JS heap to be promoted to V8's old generation, whose sawtooth then sets
// the client's peak memory. So the body is bytes in a Buffer, the lines a Float64Array, and records
// become body text a few hundred at a time, each dying young.
import type { BulkBodyType } from '../../protocol/index.js';
import type { BatchOrigin } from '../upload-events.js';
import { csvHeader, csvRow, recordsOfCsv } from './csv-body.js';

/**
 * One batch: the body it is sent as (a JSON array, or CSV where the server takes it), and the
 * source line of each record by index. The records themselves are not kept; they are parsed back
 * from the body in the rare case they are needed.
 */
export interface Batch {
  origin: BatchOrigin;
  body: Buffer;
  /** The body's content type. */
  type: BulkBodyType;
  lines: Float64Array;
}

export function makeBatch(
  batch: number,
  file: string,
  records: Record<string, unknown>[],
  lines: ArrayLike<number>,
  csv = false,
): Batch {
  const builder = new BatchBuilder(csv);
  records.forEach((record, i) => builder.add(record, lines[i] as number));
  return builder.build(batch, file);
}

/** Records are turned into body text this many at a time. */
const PART_ROWS = 256;

/**
 * Builds a batch's body as its rows are read, {@link PART_ROWS} records at a time. With `csv`,
 * the body is CSV under the first record's fields (or the file's header, for rows added as byte
 * ranges of the file); a record CSV cannot carry as JSON would turns the whole batch into JSON.
 */
export class BatchBuilder {
  readonly lines: number[] = [];
  private parts: Buffer[] = [];
  private records: Record<string, unknown>[] = [];
  /** CSV only: the header's fields, once known. */
  private columns: readonly string[] | null = null;
  private csvText = '';
  /** CSV only: the byte range of the file being extended, not yet in `parts`. */
  private run: { bytes: Buffer; start: number; end: number } | null = null;

  constructor(private csv = false) {}

  get rows(): number {
    return this.lines.length;
  }

  add(record: Record<string, unknown>, line: number): void {
    if (this.csv) {
      this.columns ??= Object.keys(record);
      const row = csvRow(record, this.columns);
      if (row !== null) {
        if (this.run) this.flushCsvText();
        this.lines.push(line);
        this.csvText += row;
        if (this.csvText.length >= CSV_PART_CHARS) this.flushCsvText();
        return;
      }
      this.toJson();
    }
    this.records.push(record);
    this.lines.push(line);
    if (this.records.length >= PART_ROWS) this.flushRecords();
  }

  /**
   * A row as written in a canonical CSV file under `columns`: bytes[start, end), its line break
   * included. Adjacent ranges of one buffer become one part, so a run of rows is copied once.
   */
  addSlice(columns: readonly string[], bytes: Buffer, start: number, end: number, line: number): void {
    if (!this.csv) throw new Error('a file range needs a CSV batch');
    this.columns ??= columns;
    this.lines.push(line);
    if (this.run && this.run.bytes === bytes && this.run.end === start) {
      this.run.end = end;
      return;
    }
    this.flushCsvText();
    this.run = { bytes, start, end };
  }

  /** CSV text and a pending byte range into parts, in order. */
  private flushCsvText(): void {
    if (this.run) {
      const { bytes, start, end } = this.run;
      this.parts.push(bytes.subarray(start, end));
      // The last row of a file may have no line break of its own.
      if (bytes[end - 1] !== 0x0a) this.parts.push(LF);
      this.run = null;
    }
    if (this.csvText.length > 0) {
      this.parts.push(Buffer.from(this.csvText, 'utf8'));
      this.csvText = '';
    }
  }

  /** A record CSV cannot carry: what was built as CSV is read back and the batch goes on as JSON. */
  private toJson(): void {
    this.flushCsvText();
    const header = Buffer.from(csvHeader(this.columns ?? []), 'utf8');
    const earlier = this.lines.length > 0 ? recordsOfCsv(Buffer.concat([header, ...this.parts])) : [];
    this.csv = false;
    this.parts = [];
    this.records = [];
    for (let i = 0; i < earlier.length; i += PART_ROWS) {
      this.records = earlier.slice(i, i + PART_ROWS);
      this.flushRecords();
    }
  }

  /** One stringify per part: a call per record costs about 30% more. */
  private flushRecords(): void {
    if (this.records.length === 0) return;
    const inner = JSON.stringify(this.records).slice(1, -1);
    this.parts.push(Buffer.from(this.parts.length === 0 ? inner : `,${inner}`, 'utf8'));
    this.records = [];
  }

  build(batch: number, file: string): Batch {
    const lines = Float64Array.from(this.lines);
    const origin = {
      batch,
      file,
      firstLine: lines[0] ?? 0,
      lastLine: lines[lines.length - 1] ?? 0,
      rows: lines.length,
    };
    if (this.csv) {
      this.flushCsvText();
      const header = Buffer.from(csvHeader(this.columns ?? []), 'utf8');
      return { origin, body: Buffer.concat([header, ...this.parts]), type: 'text/csv', lines };
    }
    this.flushRecords();
    return { origin, body: Buffer.concat([OPEN, ...this.parts, CLOSE]), type: 'application/json', lines };
  }
}

const OPEN = Buffer.from('[');
const CLOSE = Buffer.from(']');
const LF = Buffer.from('\n');
/** CSV text is turned into bytes this many characters at a time. */
const CSV_PART_CHARS = 64 * 1024;

/** The batch's records, for the failed-rows file or a split. */
export function recordsOf(batch: Batch): Record<string, unknown>[] {
  if (batch.type === 'text/csv') return recordsOfCsv(batch.body);
  return JSON.parse(batch.body.toString('utf8')) as Record<string, unknown>[];
}

/** 413 from the server: send the batch as two halves instead. */
export function halveBatch(batch: Batch): [Batch, Batch] {
  const records = recordsOf(batch);
  const mid = Math.ceil(records.length / 2);
  const n = batch.origin.batch;
  const csv = batch.type === 'text/csv';
  return [
    makeBatch(n, batch.origin.file, records.slice(0, mid), batch.lines.slice(0, mid), csv),
    makeBatch(n, batch.origin.file, records.slice(mid), batch.lines.slice(mid), csv),
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
