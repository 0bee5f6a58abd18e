import { closeSync, fsyncSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import { ERROR_COLUMN, escapeFormula, SOURCE_LINE_COLUMN } from '../input/reserved-columns.js';

export interface FailedRow {
  line: number;
  /** The parsed record, when the row parsed. */
  record?: Record<string, unknown>;
  /** The source text, when it did not. */
  raw?: string;
  reason: string;
  field?: string;
}

/** One CSV cell: formula-escaped, then quoted per RFC 4180 where needed. */
export function csvCell(value: unknown): string {
  const text = escapeFormula(value === undefined || value === null ? '' : typeof value === 'string' ? value : JSON.stringify(value));
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function reasonOf(row: FailedRow): string {
  return row.field ? `${row.field}: ${row.reason}` : row.reason;
}

/**
 * Formats failed rows so a person can fix them and send the file again: the original columns plus
 * `_source_line` and `_error`. A CSV row that did not parse keeps its text in the first column.
 */
export function formatFailedRow(row: FailedRow, format: 'csv' | 'ndjson', columns: string[]): string {
  if (format === 'ndjson') {
    const obj: Record<string, unknown> = row.record ? { ...row.record } : { _raw: row.raw ?? '' };
    obj[SOURCE_LINE_COLUMN] = row.line;
    obj[ERROR_COLUMN] = reasonOf(row);
    return `${JSON.stringify(obj)}\n`;
  }
  const cells = row.record ? columns.map((c) => csvCell(row.record?.[c])) : columns.map((_, i) => (i === 0 ? csvCell(row.raw ?? '') : ''));
  return `${[...cells, String(row.line), csvCell(reasonOf(row))].join(',')}\n`;
}

export function failedRowsHeader(format: 'csv' | 'ndjson', columns: string[]): string {
  return format === 'csv' ? `${[...columns.map(csvCell), SOURCE_LINE_COLUMN, ERROR_COLUMN].join(',')}\n` : '';
}

/**
 * A failed-rows file. Writes are buffered and flushed with an fsync when the run saves its
 * checkpoint, which records how many bytes of the file belong to settled outcomes.
 */
export class FailedRowsWriter {
  private fd: number;
  private buffer = '';
  private written: number;
  private closed = false;

  /** `resumeAt`: reopen an existing file and cut it back to this many bytes; otherwise create it, never over another. */
  constructor(
    readonly path: string,
    private readonly format: 'csv' | 'ndjson',
    private readonly columns: string[],
    resumeAt?: number,
  ) {
    if (resumeAt !== undefined) {
      this.fd = openSync(path, 'r+');
      ftruncateSync(this.fd, resumeAt);
      this.written = resumeAt;
      if (resumeAt === 0) this.buffer = failedRowsHeader(format, columns);
    } else {
      this.fd = openSync(path, 'wx');
      this.written = 0;
      this.buffer = failedRowsHeader(format, columns);
    }
  }

  write(row: FailedRow): void {
    this.buffer += formatFailedRow(row, this.format, this.columns);
    if (this.buffer.length > 1 << 16) this.flush();
  }

  /** Bytes on disk after a flush. */
  flush(sync = false): number {
    if (this.buffer) {
      const data = Buffer.from(this.buffer, 'utf8');
      writeSync(this.fd, data, 0, data.length, this.written);
      this.written += data.length;
      this.buffer = '';
    }
    if (sync) fsyncSync(this.fd);
    return this.written;
  }

  close(): void {
    if (this.closed) return;
    this.flush(true);
    closeSync(this.fd);
    this.closed = true;
  }
}
