/**
 * The canonical CSV path: a UTF-8 file in the default dialect whose header names the resource's
 * fields is sent as its own bytes. This reader finds where each record starts and ends, and the
 * line it starts on, without decoding the text or making a value, a record or an object per row:
 * it yields byte ranges of the file ("slabs"). A row that fails (wrong column count, bytes that are
 * not UTF-8) comes out rejected exactly as readCsv words it, and the last row of a file without a
 * line break as a parsed row, so the server reads every row as the splitter reads it here.
 */
import { isUtf8 } from 'node:buffer';
import { CsvSplitter } from '../protocol/csv-splitter.js';
import { CsvReadError } from './csv-records.js';
import { csvFailure, csvQuote } from './csv-reader.js';
import type { InputRejected, InputRow } from './input-item.js';
import { showEncoding, textCodec } from './text-codec.js';

const UTF8 = textCodec('utf-8');

/** Rows as ranges of one buffer: row k is bytes[starts[k], ends[k]), its line break included. */
export interface CsvSlab {
  kind: 'slab';
  bytes: Buffer;
  starts: Uint32Array;
  ends: Uint32Array;
  lines: Float64Array;
  count: number;
}

export type SlabPiece = CsvSlab | InputRow | InputRejected;

const QUOTE = 34;
const COMMA = 44;
const LF = 10;
const CR = 13;

/**
 * Pieces of the file after its header, in file order. `columns` is the header as read before
 * (the file's first non-blank record, skipped here). Throws InputError where readCsv would stop,
 * after the rejected row readCsv gives there.
 */
export async function* readCsvSlabs(
  chunks: AsyncIterable<Buffer>,
  file: string,
  columns: readonly string[],
  maxRecordChars: number,
): AsyncGenerator<SlabPiece[]> {
  let carry: Buffer | null = null;
  let first = true;
  const scanner = new SlabScanner(columns);
  const stop = (code: CsvReadError['code']) => {
    const error = csvFailure(new CsvReadError(code, code, scanner.line), file, maxRecordChars);
    return { error, rejected: { kind: 'rejected', line: scanner.line, raw: '', reason: error.detail } as const };
  };
  for await (const raw of chunks) {
    let buf: Buffer = carry ? Buffer.concat([carry, raw]) : raw;
    if (first) {
      first = false;
      if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) buf = buf.subarray(3);
    }
    const out: SlabPiece[] = [];
    const at = scanner.scan(buf, false, out);
    carry = at < buf.length ? buf.subarray(at) : null;
    if (carry && carry.length > maxRecordChars && carry.toString('utf8').length > maxRecordChars) {
      const { error, rejected } = stop('CSV_MAX_RECORD_SIZE');
      yield [...out, rejected];
      throw error;
    }
    if (out.length > 0) yield out;
  }
  if (!carry) return;
  const out: SlabPiece[] = [];
  try {
    scanner.scan(carry, true, out);
  } catch (err) {
    if (!(err instanceof CsvReadError)) throw err;
    const { error, rejected } = stop(err.code);
    yield [...out, rejected];
    throw error;
  }
  if (out.length > 0) yield out;
}

/** Reads records off buffers; rows go into the current slab until one needs an item of its own. */
class SlabScanner {
  /** The line the next record starts on. */
  line = 1;
  private headerDone = false;
  private slab: CsvSlab | null = null;
  /** Whether every record of the buffer being scanned is valid UTF-8 (checked once per buffer). */
  private allUtf8 = true;

  constructor(private readonly columns: readonly string[]) {}

  /** Scans whole records of buf from 0 into out; returns where the first incomplete one starts. */
  scan(buf: Buffer, final: boolean, out: SlabPiece[]): number {
    const n = buf.length;
    const whole = final ? n : buf.lastIndexOf(LF) + 1;
    this.allUtf8 = isUtf8(buf.subarray(0, whole));
    let i = 0;
    let quote = buf.indexOf(QUOTE);
    try {
      while (i < n) {
        if (quote !== -1 && quote < i) quote = buf.indexOf(QUOTE, i);
        const nl = buf.indexOf(LF, i);
        if (nl === -1 && !final) break;
        if (quote === -1 || (nl !== -1 && quote > nl)) {
          // No quote in this record: its fields are its commas plus one.
          const end = nl === -1 ? n : nl + 1;
          let commas = 0;
          for (let j = i; j < end; j++) if (buf[j] === COMMA) commas++;
          const blank = commas === 0 && nl !== -1 && (end - i === 1 || (end - i === 2 && buf[i] === CR));
          this.record(buf, i, end, commas + 1, 0, nl !== -1, blank, out);
          i = end;
          continue;
        }
        const rec = quotedEnd(buf, i, final);
        if (rec === null) break;
        const blank = rec.fields === 1 && isEmptyQuoted(buf, i, rec.next, rec.terminated);
        this.record(buf, i, rec.next, rec.fields, rec.lfs, rec.terminated, blank, out);
        i = rec.next;
      }
    } finally {
      this.close(out);
    }
    return i;
  }

  /** One record, bytes[start, end): a row of the slab, an item of its own, a blank line, or the header. */
  private record(
    buf: Buffer,
    start: number,
    end: number,
    fields: number,
    lfs: number,
    terminated: boolean,
    blank: boolean,
    out: SlabPiece[],
  ): void {
    const line = this.line;
    this.line += 1 + lfs;
    // A blank line (or a lone empty quoted value) is no row, as readCsv reads it.
    if (blank) return;
    if (!this.headerDone) {
      this.headerDone = true;
      return;
    }
    const utf8 = this.allUtf8 || isUtf8(buf.subarray(start, end));
    if (fields === this.columns.length && utf8 && terminated) {
      const slab = (this.slab ??= newSlab(buf));
      if (slab.count === slab.starts.length) grow(slab);
      slab.starts[slab.count] = start;
      slab.ends[slab.count] = end;
      slab.lines[slab.count] = line;
      slab.count++;
      return;
    }
    this.close(out);
    out.push(item(buf.subarray(start, end), line, this.columns));
  }

  /** The open slab, if it holds rows, goes out before whatever follows it. */
  private close(out: SlabPiece[]): void {
    if (this.slab && this.slab.count > 0) out.push(this.slab);
    this.slab = null;
  }
}

/**
 * A record that cannot go as its bytes, read as readCsv reads it: a rejected row (its column count,
 * or bytes that are not UTF-8), or the last row of a file without a line break (re-written by the
 * batch, since a line break added after a trailing CR would change its value).
 */
function item(bytes: Buffer, line: number, columns: readonly string[]): InputRow | InputRejected {
  const decoder = UTF8.decoder();
  const rows: string[][] = [];
  const splitter = new CsvSplitter(Math.max(1, bytes.length));
  splitter.push(decoder.write(bytes) + decoder.end(), rows);
  splitter.end(rows);
  const values = rows[0] ?? [''];
  if (values.length !== columns.length)
    return {
      kind: 'rejected',
      line,
      raw: csvQuote(values, ','),
      reason: `expected ${columns.length} columns, found ${values.length}`,
    };
  const record: Record<string, unknown> = {};
  columns.forEach((c, k) => (record[c] = values[k]));
  // Bytes that are not UTF-8 stay in their values (as readCsv keeps them), and the row fails.
  const bad = isUtf8(bytes) ? -1 : values.findIndex((v) => UTF8.undecodable(v));
  if (bad !== -1)
    return { kind: 'rejected', line, raw: '', field: columns[bad], reason: `invalid ${showEncoding('utf-8')}`, record };
  return { kind: 'row', line, record };
}

/** `""` alone on its line: one empty value, which readCsv reads as a blank line. */
function isEmptyQuoted(buf: Buffer, start: number, end: number, terminated: boolean): boolean {
  if (buf[start] !== QUOTE || buf[start + 1] !== QUOTE) return false;
  const after = start + 2;
  return terminated ? after === end - 1 || (after === end - 2 && buf[after] === CR) : after === end;
}

function newSlab(bytes: Buffer): CsvSlab {
  const size = 1024;
  return {
    kind: 'slab',
    bytes,
    starts: new Uint32Array(size),
    ends: new Uint32Array(size),
    lines: new Float64Array(size),
    count: 0,
  };
}

function grow(slab: CsvSlab): void {
  const size = slab.starts.length * 2;
  const starts = new Uint32Array(size);
  starts.set(slab.starts);
  const ends = new Uint32Array(size);
  ends.set(slab.ends);
  const lines = new Float64Array(size);
  lines.set(slab.lines);
  Object.assign(slab, { starts, ends, lines });
}

/**
 * Where a record with a quote in it ends, found as CsvSplitter finds it (only the ASCII bytes of
 * quote, comma, CR and LF matter, and no byte of a multi-byte UTF-8 character is one of them).
 * Null when the buffer ends first and more may come. `lfs`: line feeds inside its values.
 */
function quotedEnd(
  s: Buffer,
  start: number,
  final: boolean,
): { next: number; fields: number; lfs: number; terminated: boolean } | null {
  const n = s.length;
  let i = start;
  let fields = 0;
  let lfs = 0;
  for (;;) {
    if (i < n && s[i] === QUOTE) {
      let j = i + 1;
      for (;;) {
        const q = s.indexOf(QUOTE, j);
        if (q === -1) {
          if (final) throw new CsvReadError('CSV_QUOTE_NOT_CLOSED', 'quote not closed', 0);
          return null;
        }
        for (let k = s.indexOf(LF, j); k !== -1 && k < q; k = s.indexOf(LF, k + 1)) lfs++;
        if (q + 1 >= n && !final) return null;
        if (q + 1 < n && s[q + 1] === QUOTE) {
          j = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      if (i >= n) {
        if (!final) return null;
        return { next: n, fields: fields + 1, lfs, terminated: false };
      }
      const c = s[i];
      if (c === COMMA) {
        fields++;
        i++;
        continue;
      }
      if (c === LF) return { next: i + 1, fields: fields + 1, lfs, terminated: true };
      if (c === CR) {
        if (i + 1 >= n && !final) return null;
        if (i + 1 < n && s[i + 1] === LF) return { next: i + 2, fields: fields + 1, lfs, terminated: true };
      }
    }
    let j = i;
    for (;;) {
      if (j >= n) {
        if (!final) return null;
        return { next: n, fields: fields + 1, lfs, terminated: false };
      }
      const c = s[j];
      if (c === COMMA) {
        fields++;
        i = j + 1;
        break;
      }
      if (c === LF) return { next: j + 1, fields: fields + 1, lfs, terminated: true };
      j++;
    }
  }
}
