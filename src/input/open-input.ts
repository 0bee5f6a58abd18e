/**
 * Opens an input (a file, gzip-compressed or not, or stdin) as a stream of rows in its format,
 * refusing clearly before anything is read when it cannot be read.
 */
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { CsvDialect } from './csv-dialect.js';
import { readCsv, type CsvHeader } from './csv-reader.js';
import { formatName, gunzipStream, gunzipSample, isGzip } from './gzip-input.js';
import { checkEncoding, decodeStream, SNIFF_BYTES } from './decode.js';
import type { EncodingName } from './text-codec.js';
import { InputError } from './input-error.js';
import type { InputEncoding, InputFormat, InputItem } from './input-item.js';
import { readJsonArray } from './json-array-reader.js';
import { readNdjson } from './ndjson-reader.js';
import type { RecordLimits } from './record-limits.js';
import type { SlabPiece } from './csv-slabs.js';

export interface InputSource {
  /** As given; '-' for stdin. */
  file: string;
  /** How errors name it: the path as given, or 'stdin'. */
  displayName: string;
  format: InputFormat;
  /** null for stdin and pipes. */
  sizeBytes: number | null;
  bytesRead(): number;
  /** The CSV header once read, without bulk's reserved columns; null for JSON formats. */
  columns(): string[] | null;
  /** The CSV delimiter once the header was read (given or detected). */
  delimiter(): string | undefined;
  /** How the text is written, once the first rows were read: what its failed-rows file repeats. */
  layout(): TextLayout;
  /** Whether the bytes are gzip-compressed (then `bytesRead` counts compressed bytes). */
  compressed: boolean;
  /** Items in arrays of up to maxRows, in file order. Throws InputError where the file cannot be read on. */
  batches(maxRows: number): AsyncIterable<InputItem[]>;
  /** A canonical CSV file (canonical-csv.ts): its rows as byte ranges, in place of `batches`. */
  slabs?: () => AsyncIterable<SlabPiece[]>;
  close(): Promise<void>;
}

/** How an input's text is written, so that bulk's own files of its rows read back with the same flags. */
export interface TextLayout {
  encoding: EncodingName;
  /** It starts with a byte order mark. */
  bom: boolean;
  /** CSV: how lines end (the first line's ending). */
  eol: '\n' | '\r\n';
  /** CSV: the delimiter of an Excel `sep=X` first line, when it has one. */
  sepLine?: string;
}

const EXTENSIONS: Record<string, InputFormat> = {
  '.csv': 'csv',
  '.tsv': 'csv',
  '.json': 'json',
  '.ndjson': 'ndjson',
  '.jsonl': 'ndjson',
};

export function detectFormat(file: string, explicit?: string): InputFormat {
  if (explicit) {
    if (explicit === 'csv' || explicit === 'json' || explicit === 'ndjson') return explicit;
    throw new InputError(file, `unknown format "${explicit}" (csv, json or ndjson)`);
  }
  if (file === '-') throw new InputError('stdin', 'reading stdin needs --format csv|json|ndjson');
  // Under a compression suffix the name still tells the format: rows.ndjson.gz.
  const ext = path.extname(formatName(file)).toLowerCase();
  const format = EXTENSIONS[ext];
  if (!format)
    throw new InputError(file, `cannot tell the format from "${ext || 'no extension'}": use --format csv|json|ndjson`);
  return format;
}

export interface OpenInputOptions {
  /** Overrides the extension; required for stdin. */
  format?: InputFormat;
  /** A WHATWG label; a byte order mark overrides it. @default 'utf-8' */
  encoding?: InputEncoding;
  /** What '-' reads. @default process.stdin */
  stdin?: Readable;
  /** How large and how deep one record may be. @default DEFAULT_RECORD_LIMITS */
  limits?: RecordLimits;
  /** CSV only: how the file is written. `.tsv` files default to a tab delimiter. */
  dialect?: CsvDialect;
  /** Told what was guessed about the file (a detected delimiter). */
  onNotice?: (text: string) => void;
}

/** The dialect for a file: a `.tsv` name means tab unless a delimiter is given. */
export function dialectFor(file: string, dialect: CsvDialect = {}): CsvDialect {
  if (dialect.delimiter === undefined && path.extname(formatName(file)).toLowerCase() === '.tsv')
    return { ...dialect, delimiter: '\t' };
  return dialect;
}

/**
 * Checks a file the way {@link openInput} does (format, existence, a file not a directory,
 * readable, plausible encoding) without keeping it open, so a run over several files can refuse
 * a bad one before the first job. Returns the format and size. stdin passes if a format is given.
 */
export async function checkInput(
  file: string,
  opts: OpenInputOptions = {},
): Promise<{ format: InputFormat; sizeBytes: number | null }> {
  const { format, sizeBytes } = await inspectInput(file, opts);
  return { format, sizeBytes };
}

/** {@link checkInput}, and whether the file is gzip-compressed. */
async function inspectInput(
  file: string,
  opts: OpenInputOptions,
): Promise<{ format: InputFormat; sizeBytes: number | null; compressed: boolean }> {
  const format = detectFormat(file, opts.format);
  if (file === '-') return { format, sizeBytes: null, compressed: false };
  const { size, sample } = await readStart(file);
  // gzip is known by its bytes whatever the name; the encoding is checked on what it holds.
  const compressed = isGzip(sample);
  const text = compressed ? gunzipSample(sample, file) : sample;
  checkEncoding(text.subarray(0, SNIFF_BYTES), opts.encoding, file, !compressed && sample.length < SNIFF_BYTES);
  return { format, sizeBytes: size, compressed };
}

/** Opens a file (or '-' for stdin), refusing clearly before anything is read when it cannot be. */
export async function openInput(file: string, opts: OpenInputOptions = {}): Promise<InputSource> {
  const encoding = opts.encoding;
  const { format, sizeBytes, compressed } = await inspectInput(file, opts);
  const csv = { dialect: dialectFor(file, opts.dialect), onNotice: opts.onNotice };
  if (file === '-')
    return openStream(opts.stdin ?? process.stdin, {
      format,
      name: 'stdin',
      file,
      encoding,
      sizeBytes: null,
      limits: opts.limits,
      ...csv,
    });
  // 64 KiB, Node's default: a decoded chunk stays under V8's large-object size, so it dies in a
  // scavenge. A larger one goes to large-object space and lives until a full GC, which raises the
  // client's peak memory (by about 30 MB on a 1M-row CSV at 256 KiB).
  const stream = createReadStream(file, { highWaterMark: 64 * 1024 });
  if (!compressed)
    return openStream(stream, {
      format,
      name: file,
      file,
      encoding,
      sizeBytes,
      sniffed: true,
      limits: opts.limits,
      ...csv,
    });
  // Progress follows the compressed bytes read, against the file's size on disk.
  // Not `sniffed`: a sample that expands past gunzipSample's cap was not checked, so the first
  // 64 KiB of text are, before any row goes out.
  const gunzipped = gunzipStream(stream, file, {
    reopen: () => createReadStream(file, { highWaterMark: 64 * 1024 }),
    onWarning: opts.onNotice,
  });
  const source = openStream(gunzipped, {
    format,
    name: file,
    file,
    encoding,
    sizeBytes,
    limits: opts.limits,
    ...csv,
  });
  return {
    ...source,
    compressed: true,
    bytesRead: () => stream.bytesRead,
    close: async () => {
      await source.close();
      stream.destroy();
    },
  };
}

/** Size and first 64 KiB: permission errors and a wrong encoding show before any row goes out. */
async function readStart(file: string): Promise<{ size: number; sample: Buffer }> {
  try {
    const info = await stat(file);
    if (info.isDirectory()) throw new InputError(file, 'is a directory, not a file');
    const handle = await open(file, 'r');
    try {
      const { buffer, bytesRead } = await handle.read(Buffer.alloc(SNIFF_BYTES), 0, SNIFF_BYTES, 0);
      return { size: info.size, sample: buffer.subarray(0, bytesRead) };
    } finally {
      await handle.close();
    }
  } catch (err) {
    if (err instanceof InputError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EACCES'
          ? 'permission denied'
          : code === 'EISDIR'
            ? 'is a directory'
            : (err as Error).message;
    throw new InputError(file, `cannot read: ${why}`);
  }
}

/** Any byte stream as an input: stdin, or a stream a test builds. */
export function openStream(
  stream: Readable,
  opts: {
    format: InputFormat;
    name: string;
    file?: string;
    encoding?: InputEncoding;
    sizeBytes?: number | null;
    sniffed?: boolean;
    limits?: RecordLimits;
    dialect?: CsvDialect;
    onNotice?: (text: string) => void;
  },
): InputSource {
  const text = decodeStream(stream, opts.encoding, opts.name, { sniffed: opts.sniffed, onNotice: opts.onNotice });
  const header: CsvHeader = { columns: null };
  return {
    file: opts.file ?? opts.name,
    displayName: opts.name,
    format: opts.format,
    sizeBytes: opts.sizeBytes ?? null,
    bytesRead: text.bytesRead,
    columns: () => header.columns,
    delimiter: () => header.delimiter,
    layout: () => ({
      encoding: text.encoding().name,
      bom: text.encoding().bom,
      eol: header.eol ?? '\n',
      sepLine: header.sepLine,
    }),
    compressed: false,
    batches(maxRows: number) {
      if (opts.format === 'csv')
        return readCsv(text, opts.name, maxRows, header, {
          dialect: opts.dialect,
          onNotice: opts.onNotice,
          maxRecordChars: opts.limits?.maxRecordChars,
        });
      if (opts.format === 'ndjson') return readNdjson(text, opts.name, maxRows, opts.limits);
      return readJsonArray(text, opts.name, maxRows, opts.limits);
    },
    async close() {
      stream.destroy();
    },
  };
}
