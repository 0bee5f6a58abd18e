/**
 * Aligned columns that fit a terminal's width by the same rule as the upload view's line: the
 * least important columns go first (lowest `dropRank`), whole; a cell is never cut, so no word or
 * number is split. Columns without a rank always stay.
 */

export interface TableColumn {
  title: string;
  /** Right-aligned (numbers). */
  right?: boolean;
  /** Dropped when the table is too wide, lowest first; absent: always shown. */
  dropRank?: number;
}

const GAP = '  ';

function widthsOf(columns: readonly TableColumn[], rows: readonly (readonly string[])[], keep: readonly number[]) {
  return keep.map((i) => Math.max(columns[i]?.title.length ?? 0, ...rows.map((r) => (r[i] ?? '').length)));
}

/** The header and the rows, each at most `width` characters when the kept columns allow it. */
export function fitTable(
  columns: readonly TableColumn[],
  rows: readonly (readonly string[])[],
  width = Number.POSITIVE_INFINITY,
): string[] {
  let keep = columns.map((_, i) => i);
  const total = (k: readonly number[]) =>
    widthsOf(columns, rows, k).reduce((n, w) => n + w, 0) + GAP.length * (k.length - 1);
  while (total(keep) > width) {
    const ranked = keep.filter((i) => columns[i]?.dropRank !== undefined);
    if (ranked.length === 0) break;
    const lowest = ranked.reduce((a, b) =>
      (columns[b]?.dropRank as number) < (columns[a]?.dropRank as number) ? b : a,
    );
    keep = keep.filter((i) => i !== lowest);
  }
  const widths = widthsOf(columns, rows, keep);
  const line = (cells: readonly string[]) =>
    keep
      .map((col, k) => {
        const text = cells[col] ?? '';
        const w = widths[k] as number;
        return columns[col]?.right ? text.padStart(w) : text.padEnd(w);
      })
      .join(GAP)
      .trimEnd();
  return [line(columns.map((c) => c.title)), ...rows.map(line)];
}
