/**
 * The two columns bulk appends to its failed-rows files. They are dropped when a file is read, so a
 * failed-rows file can be fixed and sent again as it is.
 */
export const SOURCE_LINE_COLUMN = '_source_line';
export const ERROR_COLUMN = '_error';

const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * Spreadsheets run a cell that starts with = + - @ (or tab, CR) as a formula. Every CSV bulk writes
 * prefixes such a cell with a quote so it shows as text.
 */
export function escapeFormula(value: string): string {
  return FORMULA_START.test(value) ? `'${value}` : value;
}

/** The inverse, applied only to files bulk wrote (they carry both reserved columns). */
export function unescapeFormula(value: string): string {
  return value.length > 1 && value[0] === "'" && FORMULA_START.test(value.slice(1)) ? value.slice(1) : value;
}

export function isReservedColumn(name: string): boolean {
  return name === SOURCE_LINE_COLUMN || name === ERROR_COLUMN;
}
