import { Readable } from 'node:stream';
import { parse, type CsvError } from 'csv-parse';
import { InputError } from './input-error.js';
import type { InputItem } from './input-item.js';
import { isReservedColumn, SOURCE_LINE_COLUMN, ERROR_COLUMN, unescapeFormula } from './reserved-columns.js';


/**
 * CRLF → LF before parsing. csv-parse counts a CRLF inside a quoted field as two lines, so without
 * this the same file would get other line numbers with other line endings.
 */
async function* toLf(chunks: AsyncIterable<string>): AsyncGenerator<string> {
  let carry = '';
  for await (const chunk of chunks) {
    let text = carry + chunk;
    carry = '';
    if (text.endsWith('\r')) {
      carry = '\r';
      text = text.slice(0, -1);
    }
    yield text.includes('\r\n') ? text.replace(/\r\n/g, '\n') : text;
  }
  if (carry) yield carry;
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

export interface CsvHeader {
  columns: string[] | null;
}

/**
 * Streams a CSV file as rows with the line each starts on. The header names the fields; a row with
 * too many or too few columns fails alone; an unterminated quote stops the file at its line.
 */
export async function* readCsv(chunks: AsyncIterable<string>, file: string, maxRows: number, header: CsvHeader): AsyncGenerator<InputItem[]> {
  const source = Readable.from(toLf(chunks));
  // No `info`: building an info object per record was a fifth of the client's CPU. Lines are
  // counted here instead: each record takes one line plus the newlines inside its quoted values,
  // and an empty line arrives as a record of one empty field.
  const parser = source.pipe(parse({ relax_column_count: true, record_delimiter: '\n' }));
  // pipe() does not carry the source's errors (an undecodable file, a read error) to the parser.
  let sourceError: Error | null = null;
  source.on('error', (err: Error) => {
    sourceError = err;
    parser.emit('readable');
  });
  let columns: string[] | null = null;
  let keep: number[] = [];
  let unescape = false;
  let lastEnd = 0;
  let nextLine = 1;
  let failure: CsvError | null = null;
  let ended = false;
  parser.on('error', (err: CsvError) => (failure = err));
  parser.on('end', () => (ended = true));

  for (;;) {
    const items: InputItem[] = [];
    let values: string[] | null;
    while (items.length < maxRows && (values = parser.read() as string[] | null) !== null) {
      const line = nextLine;
      nextLine += 1 + newlines(values);
      lastEnd = nextLine - 1;
      if (values.length === 1 && values[0] === '') continue;
      if (!columns) {
        columns = checkHeader(values, file, line);
        header.columns = columns.filter((c) => !isReservedColumn(c));
        keep = columns.map((c, i) => (isReservedColumn(c) ? -1 : i)).filter((i) => i >= 0);
        unescape = columns.includes(SOURCE_LINE_COLUMN) && columns.includes(ERROR_COLUMN);
        continue;
      }
      if (values.length !== columns.length) {
        items.push({ kind: 'rejected', line, raw: csvQuote(values), reason: `expected ${columns.length} columns, found ${values.length}` });
        continue;
      }
      const bad = values.findIndex((v) => v.includes('\uFFFD'));
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
    if (items.length > 0) {
      yield items;
      continue;
    }
    if (sourceError) throw sourceError;
    if (failure) {
      // The bad row fails with its line; the caller reports the rest of the file as not read.
      const error = fatal(failure, file, lastEnd + 1);
      yield [{ kind: 'rejected', line: lastEnd + 1, raw: '', reason: error.detail }];
      throw error;
    }
    if (ended) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        parser.off('readable', done);
        parser.off('end', done);
        parser.off('error', done);
        resolve();
      };
      parser.on('readable', done);
      parser.on('end', done);
      parser.on('error', done);
    });
  }
}

function checkHeader(values: string[], file: string, line: number): string[] {
  const seen = new Map<string, number>();
  values.forEach((raw, i) => {
    const name = raw.trim();
    if (!name) throw new InputError(file, `header column ${i + 1} has no name`, line);
    const earlier = seen.get(name);
    if (earlier !== undefined) throw new InputError(file, `header names "${name}" twice (columns ${earlier + 1} and ${i + 1})`, line, name);
    seen.set(name, i);
  });
  return values.map((v) => v.trim());
}

function fatal(err: CsvError, file: string, line: number): InputError {
  if (err.code === 'CSV_QUOTE_NOT_CLOSED') return new InputError(file, 'unterminated quoted field: the rest of the file was not read', line);
  if (err.code === 'CSV_INVALID_CLOSING_QUOTE') return new InputError(file, `a quoted field is followed by other text (${err.message.replace(/ at line \d+.*/, '')}): the rest of the file was not read`, line);
  return new InputError(file, `${err.message}: the rest of the file was not read`, line);
}
