/**
 * A job's records from a `text/csv` body (ext): a header row of field names, then one record per
 * row, every value text, read by the same splitter the client reads files with. A row is the record
 * the header names (`{name: value}`), so it is checked and stored exactly as the same row sent as
 * JSON strings would be. Values are kept as arrays; a record object is made only when asked for.
 */
import { CsvSplitError, CsvSplitter } from '../../protocol/csv-splitter.js';
import { RecordsError, type RecordLimits, type RecordSource } from './json-records.js';

/** Marks a stored payload as CSV: a JSON payload never starts with it (JSON.parse refuses a BOM). */
export const CSV_PAYLOAD_MARK = '\uFEFF';

/** The records of a CSV source, by column: for writers that read values without a record object. */
export interface CsvRecordSource extends RecordSource {
  readonly columns: readonly string[];
  /** Row `i`'s values, in the order of {@link columns}. */
  valuesAt(i: number): readonly string[];
}

export function isCsvSource(source: RecordSource): source is CsvRecordSource {
  return 'valuesAt' in source;
}

/**
 * Parses and checks a CSV body: a header of distinct, non-empty names within the key limit, then
 * 1..maxItems rows each with as many values as the header (a client sends no blank lines, so a
 * blank line is a row of one empty value). A body that cannot be read is a 400 naming the item.
 */
export function parseCsvRecords(text: string, limits: RecordLimits): CsvRecordSource {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const rows: string[][] = [];
  const splitter = new CsvSplitter(Math.max(body.length, 1));
  try {
    splitter.push(body, rows);
    splitter.end(rows);
  } catch (err) {
    if (!(err instanceof CsvSplitError)) throw err;
    throw new RecordsError(
      400,
      `Malformed CSV: ${err.code === 'CSV_QUOTE_NOT_CLOSED' ? 'a quote is not closed' : err.message}`,
    );
  }
  let at = 0;
  const columns = rows[at++];
  if (!columns) throw new RecordsError(400, 'Empty array provided');
  checkHeader(columns, limits);
  const records: string[][] = [];
  for (; at < rows.length; at++) {
    const r = rows[at] as string[];
    if (r.length !== columns.length)
      throw new RecordsError(
        400,
        `Malformed CSV at item ${records.length}: ${r.length} values under a header of ${columns.length}`,
        { index: records.length },
      );
    records.push(r);
  }
  if (records.length === 0) throw new RecordsError(400, 'Empty array provided');
  if (records.length > limits.maxItems)
    throw new RecordsError(413, `Too many items: ${records.length} (the limit is ${limits.maxItems} per job)`, {
      limit_items: limits.maxItems,
    });
  return csvSource(columns, records, body.length);
}

function checkHeader(columns: string[], limits: RecordLimits): void {
  if (columns.length > limits.maxKeysPerRecord)
    throw new RecordsError(400, `Item 0 has more than ${limits.maxKeysPerRecord} keys`, {
      index: 0,
      limit_keys: limits.maxKeysPerRecord,
    });
  const seen = new Set<string>();
  for (const name of columns) {
    if (name === '') throw new RecordsError(400, 'Malformed CSV: a header column has no name');
    if (seen.has(name)) throw new RecordsError(400, `Malformed CSV: the header names "${name}" twice`);
    seen.add(name);
  }
}

function csvSource(columns: string[], records: string[][], chars: number): CsvRecordSource {
  return {
    columns,
    length: records.length,
    valuesAt: (i) => records[i] as string[],
    at: (i) => {
      const values = records[i] as string[];
      const record: Record<string, string> = {};
      for (let c = 0; c < columns.length; c++) record[columns[c] as string] = values[c] as string;
      return record;
    },
    // Each value a small string of its own, and an array per row: about three times the text.
    heldBytes: chars * 3,
  };
}

/** A stored CSV payload (already checked when its job was taken), for the worker. */
export function csvRecordsOfPayload(text: string): CsvRecordSource {
  return parseCsvRecords(text, {
    maxItems: Number.MAX_SAFE_INTEGER,
    maxKeysPerRecord: Number.MAX_SAFE_INTEGER,
    maxDepth: 1,
  });
}
