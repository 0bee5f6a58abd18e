/**
 * CSV text → records of string values, each with the line it starts on: through csv-parse for any
 * dialect, or through the project's splitter for the default dialect only (a property test in
 * test/input/csv-records.test.ts keeps the two giving exactly the same records and lines).
 */
import { Parser, type CsvError, type Info } from 'csv-parse';
import type { CsvDialect } from './csv-dialect.js';
import { CsvSplitError, CsvSplitter } from '../protocol/csv-splitter.js';
import { isWellFormed } from './text-codec.js';

export interface CsvRecord {
  values: string[];
  /** The 1-based line of the file the record starts on. */
  line: number;
}

export type CsvFaultCode = 'CSV_QUOTE_NOT_CLOSED' | 'CSV_MAX_RECORD_SIZE' | 'CSV_INVALID_CLOSING_QUOTE' | 'CSV_OTHER';

/** The file cannot be read on from the record that starts at `line`. */
export class CsvReadError extends Error {
  constructor(
    readonly code: CsvFaultCode,
    message: string,
    readonly line: number,
    /** A record over the size cap: whether a quote was open in it (then most likely never closed). */
    readonly quoteOpen = false,
  ) {
    super(message);
  }
}

function newlines(values: string[]): number {
  let n = 0;
  for (const v of values) {
    for (let i = v.indexOf('\n'); i !== -1; i = v.indexOf('\n', i + 1)) n++;
  }
  return n;
}

/**
 * The default dialect through the splitter. A record takes one line plus the newlines inside its
 * quoted values; an empty line is a record of one empty field, as csv-parse gives it.
 */
export async function* splitRecords(
  chunks: AsyncIterable<string>,
  maxRecordChars: number,
): AsyncGenerator<CsvRecord[]> {
  const splitter = new CsvSplitter(maxRecordChars);
  let nextLine = 1;
  const raw: string[][] = [];
  const number = (): CsvRecord[] => {
    const out = raw.map((values) => {
      const line = nextLine;
      nextLine += 1 + newlines(values);
      return { values, line };
    });
    raw.length = 0;
    return out;
  };
  try {
    for await (const chunk of chunks) {
      splitter.push(chunk, raw);
      if (raw.length > 0) yield number();
    }
    splitter.end(raw);
  } catch (err) {
    if (!(err instanceof CsvSplitError)) throw err;
    // Records completed before the bad spot still go out; the one that broke starts on the next line.
    if (raw.length > 0) yield number();
    throw new CsvReadError(err.code, err.message, nextLine, err.quoteOpen);
  }
  if (raw.length > 0) yield number();
}

/** csv-parse's options for a dialect. Values stay text; bulk decides what null is. */
export function csvParseOptions(d: CsvDialect, delimiter: string, maxRecordChars: number) {
  return {
    delimiter,
    quote: d.quote ?? '"',
    escape: d.escape ?? d.quote ?? '"',
    comment: d.comment,
    // `#` inside a value is text: only a whole line starting with it is a comment.
    comment_no_infix: true,
    from_line: (d.skipLines ?? 0) + 1,
    trim: d.trim ?? false,
    relax_column_count: true,
    relax_quotes: true,
    record_delimiter: ['\r\n', '\n'],
    skip_empty_lines: false,
    max_record_size: maxRecordChars,
    // Only comments need csv-parse's line counts; the info object per record costs 2-3x its speed.
    info: d.comment !== undefined,
  };
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
/** Where lone surrogates wait while csv-parse reads the text: U+10F800–U+10FFFF. */
const PARKED = 0x10f800;
const PARKED_RE = /[\u{10F800}-\u{10FFFF}]/gu;

function unpark(value: string): string {
  return value.replace(PARKED_RE, (c) => String.fromCharCode(0xd800 + (c.codePointAt(0) as number) - PARKED));
}

/** The engine inside csv-parse's Parser stream: it parses a buffer synchronously, pushing records. */
interface CsvParseEngine {
  parse(
    buf: Buffer | undefined,
    end: boolean,
    push: (record: string[] | { record: string[]; info: Info }) => void,
    close: () => void,
  ): CsvError | undefined;
}

/**
 * Any dialect through csv-parse. Its engine is driven chunk by chunk (as its own sync API does),
 * not through the stream: a stream destroyed by a parse error drops the records parsed before it,
 * and those must still go out. Lines are counted as the splitter counts them, a record taking one
 * line plus the line feeds inside its values, past the comment lines before it: csv-parse's own
 * count takes a CR inside a quoted value for a line of its own.
 */
export async function* parsedRecords(
  chunks: AsyncIterable<string>,
  d: CsvDialect,
  delimiter: string,
  maxRecordChars: number,
): AsyncGenerator<CsvRecord[]> {
  const engine = (new Parser(csvParseOptions(d, delimiter, maxRecordChars)) as unknown as { api: CsvParseEngine }).api;
  let nextLine = (d.skipLines ?? 0) + 1;
  let comments = 0;
  const out: CsvRecord[] = [];
  // csv-parse reads bytes: text holding bytes that did not decode (lone surrogates) goes through
  // it with each surrogate moved to a plane-16 private-use character, and back in the values.
  let moved = false;
  const bytesOf = (chunk: string): Buffer => {
    if (isWellFormed(chunk)) return Buffer.from(chunk);
    moved = true;
    return Buffer.from(chunk.replace(LONE_SURROGATE, (c) => String.fromCodePoint(PARKED + c.charCodeAt(0) - 0xd800)));
  };
  const push = (parsed: string[] | { record: string[]; info: Info }) => {
    let record = Array.isArray(parsed) ? parsed : parsed.record;
    if (moved) record = record.map(unpark);
    if (!Array.isArray(parsed)) {
      nextLine += parsed.info.comment_lines - comments;
      comments = parsed.info.comment_lines;
    }
    out.push({ values: record, line: nextLine });
    nextLine += 1 + newlines(record);
  };
  const run = (buf: Buffer | undefined, end: boolean) => {
    const err = engine.parse(buf, end, push, () => undefined);
    if (err === undefined) return;
    const code =
      (['CSV_QUOTE_NOT_CLOSED', 'CSV_MAX_RECORD_SIZE', 'CSV_INVALID_CLOSING_QUOTE'] as const).find(
        (c) => c === err.code,
      ) ?? 'CSV_OTHER';
    const passed = (err as unknown as Partial<Info>).comment_lines ?? comments;
    return new CsvReadError(
      code,
      err.message,
      nextLine + passed - comments,
      (err as unknown as { quoting?: boolean }).quoting === true,
    );
  };
  for await (const chunk of chunks) {
    const failure = run(bytesOf(chunk), false);
    if (out.length > 0) yield out.splice(0);
    if (failure) throw failure;
  }
  const failure = run(undefined, true);
  if (out.length > 0) yield out.splice(0);
  if (failure) throw failure;
}
