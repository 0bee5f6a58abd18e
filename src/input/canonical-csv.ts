/**
 * Opening a canonical CSV file: UTF-8, the default dialect, a header naming only the resource's
 * fields. Such a file's rows are sent as its own bytes (csv-slabs.ts), so it is read as byte ranges,
 * never decoded into values. Whether a file is one is decided from its header line, before the run.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { CsvSplitError, CsvSplitter } from '../protocol/csv-splitter.js';
import type { InputSource, TextLayout } from './open-input.js';
import { readCsvSlabs } from './csv-slabs.js';

/** How much of the start of a file is read to find its header. */
const HEADER_BYTES = 64 * 1024;

/**
 * The file's header if it names only `fields` (each once), else null: its first non-blank record,
 * read as readCsv reads it in the default dialect (a UTF-8 byte order mark skipped).
 */
export async function canonicalHeader(file: string, fields: ReadonlySet<string>): Promise<string[] | null> {
  const handle = await open(file, 'r');
  let start: Buffer;
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(HEADER_BYTES), 0, HEADER_BYTES, 0);
    start = buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
  const text = start.toString('utf8').replace(/^\uFEFF/, '');
  const rows: string[][] = [];
  const splitter = new CsvSplitter(HEADER_BYTES * 4);
  try {
    splitter.push(text, rows);
    if (start.length < HEADER_BYTES) splitter.end(rows);
  } catch (err) {
    // A file that breaks later is the read's business: the records before the break are whole.
    if (!(err instanceof CsvSplitError)) throw err;
  }
  // The header must be a whole line of what was read.
  const header = rows.find((r) => !(r.length === 1 && r[0] === ''));
  if (!header || rows.indexOf(header) === rows.length - 1) return null;
  const seen = new Set<string>();
  for (const name of header) {
    if (!fields.has(name) || seen.has(name)) return null;
    seen.add(name);
  }
  return header;
}

/**
 * A canonical CSV file as an input read in slabs (`slabs()`), with the header known up front.
 * `batches()` is not offered: every row of such a file goes out as its bytes.
 */
export function openCsvSlabs(
  opened: Pick<InputSource, 'file' | 'displayName' | 'sizeBytes'>,
  columns: string[],
  layout: TextLayout,
  maxRecordChars: number,
): InputSource {
  const stream = createReadStream(opened.file, { highWaterMark: 64 * 1024 });
  return {
    file: opened.file,
    displayName: opened.displayName,
    format: 'csv',
    sizeBytes: opened.sizeBytes,
    compressed: false,
    bytesRead: () => stream.bytesRead,
    columns: () => columns,
    delimiter: () => ',',
    layout: () => layout,
    batches: () => {
      throw new Error('a canonical CSV input is read in slabs');
    },
    slabs: () => readCsvSlabs(stream as AsyncIterable<Buffer>, opened.displayName, columns, maxRecordChars),
    close: async () => {
      stream.destroy();
    },
  };
}
