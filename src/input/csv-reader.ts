import { CsvSplitError, CsvSplitter } from './csv-splitter.js';
import type { TextSource } from './decode.js';
import { InputError } from './input-error.js';
import type { InputItem } from './input-item.js';
import { isReservedColumn, SOURCE_LINE_COLUMN, ERROR_COLUMN, unescapeFormula } from './reserved-columns.js';

/**
 * A record this large is almost surely a stray quote swallowing the file. Capping it keeps memory
 * bounded: the reader would otherwise hold the whole rest of the file in one field.
 */
export const MAX_RECORD_BYTES = 16 * 1024 * 1024;

export interface CsvHeader {
  columns: string[] | null;
}

function newlines(values: string[]): number {
  let n = 0;
  for (const v of values) {
    for (let i = v.indexOf('\n'); i !== -1; i = v.indexOf('\n', i + 1)) n++;
  }
  return n;
}

function csvQuote(values: string[]): string {
  return values.map((v) => (/[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v)).join(',');
}

/**
 * Streams a CSV file as rows with the line each starts on. The header names the fields; a row with
 * too many or too few columns fails alone; an unterminated quote stops the file at its line.
 */
export async function* readCsv(text: TextSource, file: string, maxRows: number, header: CsvHeader): AsyncGenerator<InputItem[]> {
  const splitter = new CsvSplitter(MAX_RECORD_BYTES);
  let columns: string[] | null = null;
  let keep: number[] = [];
  let unescape = false;
  // A record takes one line plus the newlines inside its quoted values; an empty line arrives as
  // a record of one empty field.
  let nextLine = 1;
  let items: InputItem[] = [];

  const take = (records: string[][]) => {
    for (const values of records) {
      const line = nextLine;
      nextLine += 1 + newlines(values);
      if (values.length === 1 && values[0] === '') continue;
      if (!columns) {
        columns = checkHeader(values, file, line);
        unescape = columns.includes(SOURCE_LINE_COLUMN) && columns.includes(ERROR_COLUMN);
        if (unescape) columns = columns.map(unescapeFormula);
        header.columns = columns.filter((c) => !isReservedColumn(c));
        keep = columns.map((c, i) => (isReservedColumn(c) ? -1 : i)).filter((i) => i >= 0);
        continue;
      }
      if (values.length !== columns.length) {
        items.push({ kind: 'rejected', line, raw: csvQuote(values), reason: `expected ${columns.length} columns, found ${values.length}` });
        continue;
      }
      const bad = text.replacementMeansInvalid() ? values.findIndex((v) => v.includes('\uFFFD')) : -1;
      if (bad !== -1) {
        items.push({ kind: 'rejected', line, raw: csvQuote(values), field: columns[bad], reason: 'invalid UTF-8' });
        continue;
      }
      const record: Record<string, unknown> = {};
      for (const i of keep) {
        const v = values[i] as string;
        record[columns[i] as string] = unescape ? unescapeFormula(v) : v;
      }
      items.push({ kind: 'row', line, record });
    }
  };

  let failure: unknown = null;
  const records: string[][] = [];
  try {
    for await (const chunk of text.chunks) {
      splitter.push(chunk, records);
      take(records);
      records.length = 0;
      // Everything read so far goes out now: a slow pipe's rows do not wait for a full slice.
      while (items.length > 0) {
        yield items.length <= maxRows ? items : items.slice(0, maxRows);
        items = items.length <= maxRows ? [] : items.slice(maxRows);
      }
    }
    splitter.end(records);
    take(records);
  } catch (err) {
    // Rows read before the bad spot still go out; then the failure.
    if (err instanceof CsvSplitError) take(records);
    records.length = 0;
    failure = err;
  }
  while (items.length > 0) {
    yield items.length <= maxRows ? items : items.slice(0, maxRows);
    items = items.length <= maxRows ? [] : items.slice(maxRows);
  }
  if (failure instanceof CsvSplitError) {
    // The record that broke starts on the next line; it fails, and the caller reports the rest of
    // the file as not read.
    const error = fatal(failure, file, nextLine);
    yield [{ kind: 'rejected', line: nextLine, raw: '', reason: error.detail }];
    throw error;
  }
  if (failure) throw failure;
}

/** Names are kept exactly as written; an empty name or a name used twice stops the file. */
function checkHeader(values: string[], file: string, line: number): string[] {
  const seen = new Map<string, number>();
  values.forEach((name, i) => {
    if (name.trim() === '') throw new InputError(file, `header column ${i + 1} has no name`, line);
    const earlier = seen.get(name);
    if (earlier !== undefined) throw new InputError(file, `header names "${name}" twice (columns ${earlier + 1} and ${i + 1})`, line, name);
    seen.set(name, i);
  });
  return values;
}

function fatal(err: CsvSplitError, file: string, line: number): InputError {
  const rest = 'the rest of the file was not read';
  if (err.code === 'CSV_QUOTE_NOT_CLOSED') return new InputError(file, `unterminated quoted field (starts at line ${line}): ${rest}`, line);
  if (err.code === 'CSV_MAX_RECORD_SIZE') {
    return new InputError(file, `the record starting at line ${line} is over ${MAX_RECORD_BYTES >> 20} MiB, most likely an unterminated quote: ${rest}`, line);
  }
  return new InputError(file, `${err.message.replace(/ at line \d+.*/, '')}: ${rest}`, line);
}
