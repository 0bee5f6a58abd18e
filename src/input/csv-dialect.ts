/**
 * How a CSV file is written: delimiter, quoting, comments, preamble, header, trimming and the text
 * that means null. Also tells the default dialect (which may take the fast splitter) from the
 * rest (which go through csv-parse), and guesses the delimiter from the header line.
 */

export interface CsvDialect {
  /** One character; undefined: detected from the header line (`.tsv` files: tab). */
  delimiter?: string;
  /** @default '"' */
  quote?: string;
  /** The character that escapes a quote inside a quoted value. @default the quote */
  escape?: string;
  /** A line starting with this character is skipped. */
  comment?: string;
  /** Lines before the header (or the first row) to skip. @default 0 */
  skipLines?: number;
  /** False: the file has no header row and `columns` names the fields. @default true */
  header?: boolean;
  /** The field names of a file without a header row. */
  columns?: string[];
  /** Spaces around values are dropped. */
  trim?: boolean;
  /** A value exactly this text is sent as null (e.g. `NULL`, `\N`). */
  nullValue?: string;
}

/** The delimiters a header line is searched for, in order of preference on a tie. */
export const DETECTED_DELIMITERS = [',', ';', '\t', '|'] as const;

/** Writes a delimiter so a person can read it back on a command line. */
export function showDelimiter(d: string): string {
  return d === '\t' ? '\\t' : `'${d}'`;
}

/**
 * The default dialect exactly: comma, `"` quotes escaped by doubling, a header, nothing else. Only
 * this one may take the fast splitter, whose equality with csv-parse a property test keeps.
 */
export function isFastPathDialect(d: CsvDialect): boolean {
  return (
    d.delimiter === ',' &&
    (d.quote ?? '"') === '"' &&
    (d.escape ?? '"') === '"' &&
    d.comment === undefined &&
    !d.skipLines &&
    d.header !== false &&
    !d.trim &&
    d.nullValue === undefined
  );
}

/**
 * The delimiter of a header line: the candidate found most often outside quotes; a comma when none
 * is found (a one-column file).
 */
export function detectDelimiter(headerLine: string, quote = '"'): string {
  const counts = new Map<string, number>(DETECTED_DELIMITERS.map((d) => [d, 0]));
  let quoted = false;
  for (const ch of headerLine) {
    if (ch === quote) quoted = !quoted;
    else if (!quoted && counts.has(ch)) counts.set(ch, (counts.get(ch) as number) + 1);
  }
  let best = ',';
  let bestCount = 0;
  for (const [d, n] of counts) {
    if (n > bestCount) {
      best = d;
      bestCount = n;
    }
  }
  return best;
}

/**
 * The header line of a text start: the first line after the preamble that is not a comment.
 * Null while the text may still be too short to hold it.
 */
export function headerLineOf(text: string, d: CsvDialect, complete: boolean): string | null {
  let at = 0;
  let skipped = 0;
  for (;;) {
    const nl = text.indexOf('\n', at);
    if (nl === -1) return complete ? text.slice(at) : null;
    const line = text.slice(at, nl).replace(/\r$/, '');
    at = nl + 1;
    if (skipped < (d.skipLines ?? 0)) {
      skipped++;
      continue;
    }
    if (d.comment !== undefined && line.startsWith(d.comment)) continue;
    return line;
  }
}

/** Reads a character flag: one character, or `\t` for tab. Returns an error text or the character. */
export function parseCharFlag(value: string): { char: string } | { error: string } {
  const v = value === '\\t' || value === 'tab' ? '\t' : value;
  if ([...v].length !== 1) return { error: 'expected one character (or \\t for tab)' };
  if (v === '\n' || v === '\r') return { error: 'a line break cannot be used here' };
  return { char: v };
}
