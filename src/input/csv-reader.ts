/**
 * Streams a CSV file as rows with the line each starts on, in any dialect: picks the delimiter
 * (given, `.tsv`, or detected from the header line), the record source (the fast splitter for the
 * default dialect, csv-parse for every other), and turns records into rows or rejected rows.
 */
import { detectDelimiter, headerLineOf, isFastPathDialect, showDelimiter, type CsvDialect } from './csv-dialect.js';
import { CsvReadError, parsedRecords, splitRecords, type CsvRecord } from './csv-records.js';
import type { TextSource } from './decode.js';
import { InputError } from './input-error.js';
import type { InputItem } from './input-item.js';
import { DEFAULT_RECORD_LIMITS, formatChars, RECORD_SIZE_FLAG } from './record-limits.js';
import { isReservedColumn, SOURCE_LINE_COLUMN, ERROR_COLUMN, unescapeFormula } from './reserved-columns.js';

/**
 * A record this large is almost surely a stray quote swallowing the file. Capping it keeps memory
 * bounded: the reader would otherwise hold the whole rest of the file in one field.
 */
export const MAX_RECORD_BYTES = DEFAULT_RECORD_LIMITS.maxRecordChars;

/** What the reader learnt of the file, for the caller: the header, and the delimiter it used. */
export interface CsvHeader {
  columns: string[] | null;
  delimiter?: string;
}

export interface CsvReadOptions {
  dialect?: CsvDialect;
  /** Told once what was guessed (the delimiter), so a person can check it. */
  onNotice?: (text: string) => void;
  /** The largest record (--max-record-size). @default MAX_RECORD_BYTES */
  maxRecordChars?: number;
}

function csvQuote(values: string[], delimiter: string): string {
  const special = new RegExp(`["\\n\\r${delimiter.replace(/[\\\]^-]/g, '\\$&')}]`);
  return values.map((v) => (special.test(v) ? `"${v.replace(/"/g, '""')}"` : v)).join(delimiter);
}

/**
 * Rows of a CSV file. The header names the fields (or `dialect.columns` without one); a row with
 * too many or too few columns fails alone; an unterminated quote stops the file at its line.
 */
export async function* readCsv(
  text: TextSource,
  file: string,
  maxRows: number,
  header: CsvHeader,
  opts: CsvReadOptions = {},
): AsyncGenerator<InputItem[]> {
  const dialect = opts.dialect ?? {};
  const { head, rest } = await peekHeader(text.chunks, dialect);
  let delimiter = dialect.delimiter;
  if (delimiter === undefined) {
    delimiter = detectDelimiter(head ?? '', dialect.quote);
    if (delimiter !== ',')
      opts.onNotice?.(
        `${file}: delimiter ${showDelimiter(delimiter)} (detected from the header line; --delimiter chooses another)`,
      );
  }
  header.delimiter = delimiter;
  const resolved = { ...dialect, delimiter };
  const maxChars = opts.maxRecordChars ?? MAX_RECORD_BYTES;
  const records = isFastPathDialect(resolved)
    ? splitRecords(rest, maxChars)
    : parsedRecords(rest, resolved, delimiter, maxChars);

  let columns: string[] | null = dialect.header === false ? (dialect.columns ?? null) : null;
  if (dialect.header === false && !columns)
    throw new InputError(file, 'a file without a header row needs --columns a,b,c');
  let keep: number[] = [];
  let unescape = false;
  const nullValue = dialect.nullValue;
  const setColumns = (names: string[]) => {
    columns = names;
    unescape = columns.includes(SOURCE_LINE_COLUMN) && columns.includes(ERROR_COLUMN);
    if (unescape) columns = columns.map(unescapeFormula);
    header.columns = columns.filter((c) => !isReservedColumn(c));
    keep = columns.map((c, i) => (isReservedColumn(c) ? -1 : i)).filter((i) => i >= 0);
  };
  if (columns) setColumns(columns);

  let items: InputItem[] = [];
  const take = (batch: CsvRecord[]) => {
    for (const { values, line } of batch) {
      if (values.length === 1 && values[0] === '') continue;
      if (!columns) {
        setColumns(checkHeader(values, file, line));
        continue;
      }
      const cols = columns as string[];
      if (values.length !== cols.length) {
        items.push({
          kind: 'rejected',
          line,
          raw: csvQuote(values, delimiter),
          reason: `expected ${cols.length} columns, found ${values.length}`,
        });
        continue;
      }
      const bad = text.replacementMeansInvalid() ? values.findIndex((v) => v.includes('\uFFFD')) : -1;
      if (bad !== -1) {
        items.push({
          kind: 'rejected',
          line,
          raw: csvQuote(values, delimiter),
          field: cols[bad],
          reason: 'invalid UTF-8',
        });
        continue;
      }
      const record: Record<string, unknown> = {};
      for (const i of keep) {
        const v = values[i] as string;
        record[cols[i] as string] =
          nullValue !== undefined && v === nullValue ? null : unescape ? unescapeFormula(v) : v;
      }
      items.push({ kind: 'row', line, record });
    }
  };

  let failure: unknown = null;
  try {
    for await (const batch of records) {
      take(batch);
      // Everything read so far goes out now: a slow pipe's rows do not wait for a full slice.
      while (items.length > 0) {
        yield items.length <= maxRows ? items : items.slice(0, maxRows);
        items = items.length <= maxRows ? [] : items.slice(maxRows);
      }
    }
  } catch (err) {
    failure = err;
  }
  while (items.length > 0) {
    yield items.length <= maxRows ? items : items.slice(0, maxRows);
    items = items.length <= maxRows ? [] : items.slice(maxRows);
  }
  if (failure instanceof CsvReadError) {
    // The record that broke fails at the line it starts on; the caller reports the rest as not read.
    const error = fatal(failure, file, maxChars);
    yield [{ kind: 'rejected', line: failure.line, raw: '', reason: error.detail }];
    throw error;
  }
  if (failure) throw failure;
}

/**
 * Reads the start of the text until the header line is whole, and gives the text back unconsumed.
 * The look-ahead is bounded: past the record size cap, whatever was read is the header's text.
 */
async function peekHeader(
  chunks: AsyncIterable<string>,
  dialect: CsvDialect,
): Promise<{ head: string | null; rest: AsyncIterable<string> }> {
  if (dialect.delimiter !== undefined) return { head: null, rest: chunks };
  const iterator = chunks[Symbol.asyncIterator]();
  const seen: string[] = [];
  let text = '';
  let done = false;
  let head: string | null = null;
  while (head === null) {
    const next = await iterator.next();
    if (next.done) done = true;
    else {
      seen.push(next.value);
      text += next.value;
    }
    head = headerLineOf(text, dialect, done || text.length > MAX_RECORD_BYTES);
  }
  async function* replay(): AsyncGenerator<string> {
    yield* seen.splice(0);
    if (done) return;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  }
  return { head, rest: replay() };
}

/** Names are kept exactly as written; an empty name or a name used twice stops the file. */
function checkHeader(values: string[], file: string, line: number): string[] {
  const seen = new Map<string, number>();
  values.forEach((name, i) => {
    if (name.trim() === '') throw new InputError(file, `header column ${i + 1} has no name`, line);
    const earlier = seen.get(name);
    if (earlier !== undefined)
      throw new InputError(file, `header names "${name}" twice (columns ${earlier + 1} and ${i + 1})`, line, name);
    seen.set(name, i);
  });
  return values;
}

function fatal(err: CsvReadError, file: string, maxChars: number): InputError {
  const rest = 'the rest of the file was not read';
  const line = err.line;
  if (err.code === 'CSV_QUOTE_NOT_CLOSED')
    return new InputError(file, `unterminated quoted field (starts at line ${line}): ${rest}`, line);
  if (err.code === 'CSV_MAX_RECORD_SIZE') {
    // Not read on past it, unlike JSON: a CSV record this long is almost always a stray quote, and
    // there is no telling where the next record starts.
    return new InputError(
      file,
      `the record starting at line ${line} is over ${formatChars(maxChars)}, ` +
        `most likely an unterminated quote (the limit: ${RECORD_SIZE_FLAG}): ${rest}`,
      line,
    );
  }
  return new InputError(file, `${err.message.replace(/ at line \d+.*/, '')}: ${rest}`, line);
}
