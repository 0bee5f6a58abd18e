/** One failed-rows file: the row format a person can fix and send again, and its crash-safe writer. */
import { closeSync, fsyncSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import type { CsvDialect } from '../../input/csv-dialect.js';
import { BulkError, describeFsError } from '../../errors/bulk-error.js';
import { ERROR_COLUMN, escapeFormula, SOURCE_LINE_COLUMN } from '../../input/reserved-columns.js';
import type { TextLayout } from '../../input/open-input.js';
import { textCodec, type EncodingName } from '../../input/text-codec.js';

/** For every CSV writer in bulk: spreadsheets must show cells, never run them. */
export { escapeFormula, unescapeFormula } from '../../input/reserved-columns.js';

/** The key an NDJSON failed-rows file puts a line's text under when the line did not parse. */
export const RAW_KEY = '_raw';

export interface FailedRow {
  line: number;
  /** The parsed record, when the row parsed. */
  record?: Record<string, unknown>;
  /** The source text, when it did not. */
  raw?: string;
  reason: string;
  field?: string;
}

/**
 * How a failed-rows CSV is written: in the input's own delimiter and quotes, with as many preamble
 * lines as `--skip-lines` skips, so the file reads back with the same flags.
 */
export interface CsvStyle {
  delimiter: string;
  quote: string;
  /** What escapes a quote inside a quoted value: the quote itself (doubled) or another character. */
  escape: string;
  /** A cell starting with it is quoted, so it cannot read as a comment line. */
  comment?: string;
  preambleLines: number;
  /** How lines end, as in the input. @default '\n' */
  eol?: '\n' | '\r\n';
  /** The delimiter of the input's Excel `sep=X` first line, written first again. */
  sepLine?: string;
  /** The input's encoding (canonical WHATWG name), and whether it began with a byte order mark. @default utf-8 */
  encoding?: EncodingName;
  bom?: boolean;
}

const RFC_4180: CsvStyle = { delimiter: ',', quote: '"', escape: '"', preambleLines: 0 };

/** The style of an input's failed-rows file: its dialect, and how its text is written. */
export function styleOf(dialect: CsvDialect | undefined, delimiter: string | undefined, layout?: TextLayout): CsvStyle {
  const quote = dialect?.quote ?? '"';
  return {
    delimiter: delimiter ?? ',',
    quote,
    escape: dialect?.escape ?? quote,
    comment: dialect?.comment,
    preambleLines: dialect?.skipLines ?? 0,
    eol: layout?.eol,
    sepLine: layout?.sepLine,
    encoding: layout?.encoding,
    bom: layout?.bom,
  };
}

/** One CSV cell: formula-escaped, then quoted where needed (RFC 4180 unless the input's style says otherwise). */
export function csvCell(value: unknown, style: CsvStyle = RFC_4180): string {
  const text = escapeFormula(
    value === undefined || value === null ? '' : typeof value === 'string' ? value : JSON.stringify(value),
  );
  const { delimiter, quote, escape, comment } = style;
  const needs =
    text.includes(delimiter) ||
    text.includes(quote) ||
    text.includes('\n') ||
    text.includes('\r') ||
    (comment !== undefined && text.startsWith(comment)) ||
    (escape !== quote && text.includes(escape));
  if (!needs) return text;
  const escaped =
    escape === quote
      ? text.split(quote).join(quote + quote)
      : text
          .split(escape)
          .join(escape + escape)
          .split(quote)
          .join(escape + quote);
  return `${quote}${escaped}${quote}`;
}

function reasonOf(row: FailedRow): string {
  return row.field ? `${row.field}: ${row.reason}` : row.reason;
}

/**
 * Formats failed rows so a person can fix them and send the file again: the original columns plus
 * `_source_line` and `_error`. A row that did not parse keeps its source text: in the first column
 * of a CSV (the other columns empty), under `_raw` in NDJSON.
 */
export function formatFailedRow(
  row: FailedRow,
  format: 'csv' | 'ndjson',
  columns: string[],
  style: CsvStyle = RFC_4180,
): string {
  if (format === 'ndjson') {
    const obj: Record<string, unknown> = row.record ? { ...row.record } : { [RAW_KEY]: row.raw ?? '' };
    obj[SOURCE_LINE_COLUMN] = row.line;
    obj[ERROR_COLUMN] = reasonOf(row);
    return `${JSON.stringify(obj)}${style.eol ?? '\n'}`;
  }
  const cells = row.record
    ? columns.map((c) => csvCell(row.record?.[c], style))
    : columns.map((_, i) => (i === 0 ? csvCell(row.raw ?? '', style) : ''));
  const eol = style.eol ?? '\n';
  return `${[...cells, String(row.line), csvCell(reasonOf(row), style)].join(style.delimiter)}${eol}`;
}

/** The start of a failed-rows file: its byte order mark (as text), `sep=` line, preamble and header. */
export function failedRowsHeader(format: 'csv' | 'ndjson', columns: string[], style: CsvStyle = RFC_4180): string {
  const bom = style.bom ? '\uFEFF' : '';
  if (format !== 'csv') return bom;
  const eol = style.eol ?? '\n';
  const sep = style.sepLine !== undefined ? `sep=${style.sepLine}${eol}` : '';
  const preamble = Array.from({ length: style.preambleLines }, (_, i) =>
    i === 0 ? `bulk failed rows (these lines stand in for the preamble --skip-lines skips)${eol}` : eol,
  ).join('');
  const names = [...columns.map((c) => csvCell(c, style)), SOURCE_LINE_COLUMN, ERROR_COLUMN];
  return `${bom}${sep}${preamble}${names.join(style.delimiter)}${eol}`;
}

/**
 * A failed-rows file. Rows are buffered up to 64 KiB and then written synchronously: the blocking
 * write is the backpressure (memory never holds more than that), and every flush knows exactly how
 * many bytes are on disk, which the checkpoint records (with an fsync) for a resume to cut back to.
 */
export class FailedRowsWriter {
  private fd: number;
  private buffer = '';
  private written: number;
  private rows = 0;
  private closed = false;

  /**
   * `resumeAt`: reopen an existing file and cut it back to this many bytes; otherwise create it, never over another.
   */
  constructor(
    readonly path: string,
    private readonly format: 'csv' | 'ndjson',
    private readonly columns: string[],
    resumeAt?: number,
    private readonly style: CsvStyle = RFC_4180,
  ) {
    try {
      if (resumeAt !== undefined) {
        this.fd = openSync(path, 'r+');
        ftruncateSync(this.fd, resumeAt);
        this.written = resumeAt;
        if (resumeAt === 0) this.buffer = failedRowsHeader(format, columns, style);
      } else {
        this.fd = openSync(path, 'wx');
        this.written = 0;
        this.buffer = failedRowsHeader(format, columns, style);
      }
    } catch (err) {
      throw writeError(path, err);
    }
  }

  write(row: FailedRow): void {
    if (this.closed) throw new Error(`failed-rows file ${this.path} is already closed`);
    this.buffer += formatFailedRow(row, this.format, this.columns, this.style);
    this.rows++;
    if (this.buffer.length > 1 << 16) this.flush();
  }

  /**
   * Bytes on disk after a flush. A failed write (ENOSPC, EACCES, EIO) throws an `output` error and
   * leaves `written` at the last whole flush: whatever part landed after it is cut off on resume.
   */
  flush(sync = false): number {
    try {
      if (this.buffer) {
        // In the input's own encoding; bytes of a row that did not decode are written as they were.
        const data = textCodec(this.style.encoding ?? 'utf-8').encode(this.buffer);
        // writeSync may write less than asked (a disk filling up): go on from where it stopped.
        for (let done = 0; done < data.length;)
          done += writeSync(this.fd, data, done, data.length - done, this.written + done);
        this.written += data.length;
        this.buffer = '';
      }
      if (sync) fsyncSync(this.fd);
    } catch (err) {
      throw writeError(this.path, err);
    }
    return this.written;
  }

  /** Rows written through this writer (not counting any kept from before a resume). */
  get count(): number {
    return this.rows;
  }

  /** Flushes, syncs and closes; returns the rows written. The file is closed even when the flush fails. */
  close(): number {
    if (!this.closed) {
      this.closed = true;
      try {
        this.flush(true);
      } finally {
        closeSync(this.fd);
      }
    }
    return this.rows;
  }

  /** Closes without writing what is buffered: after a failed write, what is not on disk stays unrecorded. */
  abandon(): void {
    if (this.closed) return;
    this.closed = true;
    this.buffer = '';
    try {
      closeSync(this.fd);
    } catch {
      // Closing after a failed write can fail the same way; the descriptor is released either way.
    }
  }
}

function writeError(file: string, err: unknown): BulkError {
  if (err instanceof BulkError) return err;
  return new BulkError('output', `cannot write the failed-rows file ${file}: ${describeFsError(err)}`);
}
