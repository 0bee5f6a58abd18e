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

/** What the reader learnt of the file, for the caller: the header, the delimiter it used, how lines end. */
export interface CsvHeader {
  columns: string[] | null;
  delimiter?: string;
  /** How the first line ends. */
  eol?: '\n' | '\r\n';
  /** The delimiter an Excel `sep=X` first line named (the line is skipped). */
  sepLine?: string;
}

/** Excel's first line naming the delimiter: `sep=;` (some writers quote it). */
const SEP_LINE = /^"?sep=(.)"?$/i;

export interface CsvReadOptions {
  dialect?: CsvDialect;
  /** Told once what was guessed (the delimiter), so a person can check it. */
  onNotice?: (text: string) => void;
  /** The largest record (--max-record-size). @default MAX_RECORD_BYTES */
  maxRecordChars?: number;
}

export function csvQuote(values: string[], delimiter: string): string {
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
  const given = opts.dialect ?? {};
  const first = await peekUntil(text.chunks, (t, from) => t.indexOf('\n', from) !== -1);
  const nl = first.text.indexOf('\n');
  const firstLine = (nl === -1 ? first.text : first.text.slice(0, nl)).replace(/\r$/, '');
  header.eol = nl > 0 && first.text.charCodeAt(nl - 1) === 13 ? '\r\n' : '\n';
  const sep = SEP_LINE.exec(firstLine)?.[1];
  // The `sep=` line comes before any preamble --skip-lines skips.
  const dialect = sep === undefined ? given : { ...given, skipLines: (given.skipLines ?? 0) + 1 };
  let delimiter = dialect.delimiter ?? sep;
  if (sep !== undefined) header.sepLine = sep;
  // Said once: a plan that already carries the sep line's delimiter read it here before.
  if (sep !== undefined && given.delimiter !== sep) {
    opts.onNotice?.(
      delimiter === sep
        ? `${file}: delimiter ${showDelimiter(sep)} (from its first line "${firstLine}", which is not data)`
        : `${file}: its first line "${firstLine}" names another delimiter: ` +
            `--delimiter ${showDelimiter(delimiter as string)} is used`,
    );
  }
  let rest = first.rest;
  if (delimiter === undefined) {
    const peeked = await peekUntil(
      rest,
      (t, from) => t.indexOf('\n', from) !== -1 && headerLineOf(t, dialect, false) !== null,
    );
    rest = peeked.rest;
    delimiter = detectDelimiter(headerLineOf(peeked.text, dialect, true) ?? '', dialect.quote);
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
  /** Where a failed-rows file keeps each row's original line. */
  let sourceAt = -1;
  const nullValue = dialect.nullValue;
  const setColumns = (names: string[]) => {
    columns = names;
    unescape = columns.includes(SOURCE_LINE_COLUMN) && columns.includes(ERROR_COLUMN);
    if (unescape) columns = columns.map(unescapeFormula);
    sourceAt = unescape ? columns.indexOf(SOURCE_LINE_COLUMN) : -1;
    header.columns = columns.filter((c) => !isReservedColumn(c));
    keep = columns.map((c, i) => (isReservedColumn(c) ? -1 : i)).filter((i) => i >= 0);
  };
  if (columns) setColumns(columns);

  let items: InputItem[] = [];
  let lastLine = 0;
  const take = (batch: CsvRecord[]) => {
    for (const { values, line } of batch) {
      lastLine = line + newlinesIn(values);
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
      const record: Record<string, unknown> = {};
      for (const i of keep) {
        const v = values[i] as string;
        record[cols[i] as string] =
          nullValue !== undefined && v === nullValue ? null : unescape ? unescapeFormula(v) : v;
      }
      // Its values stay in their columns, with the bytes that did not decode: the failed-rows file
      // gives them back as they were.
      const bad = keep.find((i) => text.undecodable(values[i] as string));
      const origin = sourceAt >= 0 ? sourceLineOf(values[sourceAt]) : undefined;
      const from = origin !== undefined ? { sourceLine: origin } : {};
      if (bad !== undefined)
        items.push({
          kind: 'rejected',
          line,
          raw: '',
          field: cols[bad],
          reason: text.undecodableReason,
          record,
          ...from,
        });
      else items.push({ kind: 'row', line, record, ...from });
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
    const error = csvFailure(failure, file, maxChars);
    yield [{ kind: 'rejected', line: failure.line, raw: '', reason: error.detail }];
    throw error;
  }
  // The bytes ended or broke under the text (a gzip file cut short): say how far the rows are whole.
  if (failure instanceof InputError && failure.line === undefined && lastLine > 0)
    throw new InputError(failure.file, `${failure.detail} (the last whole line read: ${lastLine})`);
  if (failure) throw failure;
}

/**
 * Reads the start of the text until `enough` says it holds what is looked for (told where the
 * newest chunk starts), and gives the text back unconsumed. Bounded: past the record size cap,
 * or at the end, whatever was read is what there is.
 */
async function peekUntil(
  chunks: AsyncIterable<string>,
  enough: (text: string, newFrom: number) => boolean,
): Promise<{ text: string; rest: AsyncIterable<string> }> {
  const iterator = chunks[Symbol.asyncIterator]();
  const seen: string[] = [];
  let text = '';
  let done = false;
  for (;;) {
    const next = await iterator.next();
    if (next.done) {
      done = true;
      break;
    }
    seen.push(next.value);
    const from = text.length;
    text += next.value;
    if (enough(text, from) || text.length > MAX_RECORD_BYTES) break;
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
  return { text, rest: replay() };
}

/** A `_source_line` cell as a line number (a line of the original input), if it is one. */
function sourceLineOf(cell: string | undefined): number | undefined {
  const n = Number(cell);
  return cell && /^\d+$/.test(cell) && n >= 1 && Number.isSafeInteger(n) ? n : undefined;
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

/** Where a CSV file cannot be read on: the error that stops it, worded for the person who runs the upload. */
export function csvFailure(err: CsvReadError, file: string, maxChars: number): InputError {
  const rest = 'the rest of the file was not read';
  const line = err.line;
  if (err.code === 'CSV_QUOTE_NOT_CLOSED')
    return new InputError(file, `unterminated quoted field (starts at line ${line}): ${rest}`, line);
  if (err.code === 'CSV_MAX_RECORD_SIZE') {
    // Not read on past it, unlike JSON: there is no telling where the next record starts. A quote
    // open in it is most likely one never closed; without one it is simply that long.
    const why = err.quoteOpen ? ', most likely an unterminated quote' : '';
    return new InputError(
      file,
      `the record starting at line ${line} is over ${formatChars(maxChars)}${why} ` +
        `(the limit: ${RECORD_SIZE_FLAG}): ${rest}`,
      line,
    );
  }
  return new InputError(file, `${err.message.replace(/ at line \d+.*/, '')}: ${rest}`, line);
}

/** Line breaks inside a record's values: where it ends, past the line it starts on. */
function newlinesIn(values: string[]): number {
  let n = 0;
  for (const v of values) for (let i = v.indexOf('\n'); i !== -1; i = v.indexOf('\n', i + 1)) n++;
  return n;
}
