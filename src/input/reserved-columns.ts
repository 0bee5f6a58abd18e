/**
 * The two columns bulk appends to its failed-rows files. They are dropped when a file is read, so a
 * failed-rows file can be fixed and sent again as it is.
 */
export const SOURCE_LINE_COLUMN = '_source_line';
export const ERROR_COLUMN = '_error';

/** A cell a spreadsheet would run as a formula, behind any number of escaping quotes. */
const NEEDS_ESCAPE = /^'*[=+\-@\t\r]/;
const ESCAPED = /^'+[=+\-@\t\r]/;

/**
 * Spreadsheets run a cell that starts with = + - @ (or tab, CR) as a formula. Every CSV bulk writes
 * prefixes such a cell with `'` so it shows as text. A cell that already starts with quotes before
 * such a character gets one more, so that {@link unescapeFormula} gives back exactly the original.
 */
export function escapeFormula(value: string): string {
  return NEEDS_ESCAPE.test(value) ? `'${value}` : value;
}

/** The inverse of {@link escapeFormula}, applied only to files bulk wrote (they carry both reserved columns). */
export function unescapeFormula(value: string): string {
  return ESCAPED.test(value) ? value.slice(1) : value;
}

export function isReservedColumn(name: string): boolean {
  return name === SOURCE_LINE_COLUMN || name === ERROR_COLUMN;
}
