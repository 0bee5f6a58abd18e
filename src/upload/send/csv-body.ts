// A batch's body as CSV (ext `text/csv`): the header of field names, then rows. Rows come either as
// byte ranges of the input file itself (a canonical file: sent as written) or as records
// re-serialised here (RFC 4180, quoted only where needed). A record that CSV cannot carry as the
// JSON body would (a value that is not text, other fields than the header's) is refused, and the
// builder sends its batch as JSON instead.
import { CsvSplitter } from '../../protocol/csv-splitter.js';

/** One value as RFC 4180 writes it: quoted when it holds a quote, a comma or a line break. */
export function csvValue(v: string): string {
  return /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/**
 * A record as one CSV row (with its line feed) under `columns`, or null when CSV cannot carry it
 * as JSON would: a key set other than the header's, or a value that is not a string.
 */
export function csvRow(record: Record<string, unknown>, columns: readonly string[]): string | null {
  let out = '';
  let n = 0;
  for (const key in record) {
    const v = record[key];
    if (key !== columns[n] || typeof v !== 'string') return null;
    out += n === 0 ? csvValue(v) : `,${csvValue(v)}`;
    n++;
  }
  if (n !== columns.length) return null;
  // A lone empty value would read as a blank line: quoted, it is a row.
  return n === 1 && out === '' ? '""\n' : `${out}\n`;
}

export function csvHeader(columns: readonly string[]): string {
  return `${columns.map(csvValue).join(',')}\n`;
}

/** The records of a CSV body, as the server reads them (every value a string). */
export function recordsOfCsv(body: Buffer): Record<string, unknown>[] {
  const rows: string[][] = [];
  const splitter = new CsvSplitter(Math.max(1, body.length));
  splitter.push(body.toString('utf8'), rows);
  splitter.end(rows);
  const [columns, ...values] = rows;
  return values.map((v) => Object.fromEntries((columns ?? []).map((c, i) => [c, v[i]])));
}
