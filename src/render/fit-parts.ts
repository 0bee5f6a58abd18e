/**
 * Fits a line made of parts to a terminal's width: the least important optional parts go first,
 * and what must stay is moved onto following lines at part or word boundaries. Nothing is cut in
 * the middle of a word and no line is wider than the width, so the terminal never wraps it. Tables
 * (`bulk runs`, `bulk jobs`) fit by the same rule, whole columns going first.
 */

export interface LinePart {
  /** Plain text, no escape codes: its length is its width on screen. */
  text: string;
  /** Colours the text once it is placed. */
  paint?: (text: string) => string;
  /** Dropped when the line is too narrow, lowest first; absent: must be shown. */
  dropRank?: number;
}

/** Lines of at most `width` characters; `sep` between parts, `indent` before continuation lines. */
export function fitParts(
  parts: readonly LinePart[],
  width: number,
  opts: { sep?: string; indent?: string } = {},
): string[] {
  const sep = opts.sep ?? '  ';
  const indent = opts.indent ?? '  ';
  let kept = parts.filter((p) => p.text.length > 0);
  while (joinedLength(kept, sep) > width) {
    const droppable = kept.filter((p) => p.dropRank !== undefined);
    if (droppable.length === 0) break;
    const lowest = droppable.reduce((a, b) => ((b.dropRank as number) < (a.dropRank as number) ? b : a));
    kept = kept.filter((p) => p !== lowest);
  }
  return packParts(kept, width, sep, indent);
}

function joinedLength(parts: readonly LinePart[], sep: string): number {
  return parts.reduce((n, p, i) => n + p.text.length + (i > 0 ? sep.length : 0), 0);
}

function packParts(parts: readonly LinePart[], width: number, sep: string, indent: string): string[] {
  const lines: string[] = [];
  let line = '';
  let used = 0;
  const paint = (p: LinePart, text: string) => (p.paint ? p.paint(text) : text);
  for (const p of parts) {
    const gap = used === 0 ? 0 : sep.length;
    if (used > 0 && used + gap + p.text.length <= width) {
      line += sep + paint(p, p.text);
      used += gap + p.text.length;
      continue;
    }
    if (used > 0) {
      lines.push(line);
      line = indent;
      used = indent.length;
    }
    // A part wider than a whole line is broken at its spaces.
    for (const piece of breakWords(p.text, width - used, width - indent.length)) {
      if (line.trim() !== '' && used > indent.length) {
        lines.push(line);
        line = indent;
        used = indent.length;
      }
      line += paint(p, piece);
      used += piece.length;
    }
  }
  if (line.trim() !== '') lines.push(line);
  return lines;
}

/** Lines for a terminal `columns` wide (none: one line): broken at spaces, continuations indented. */
export function wrapForTerminal(text: string, columns: number | undefined, indent = '    '): string[] {
  if (!columns) return [text];
  return breakWords(text, columns - 1, columns - 1 - indent.length).map((piece, i) => (i ? indent + piece : piece));
}

/** Splits text at spaces into pieces of at most `first` (then `rest`) characters; a longer word stands alone. */
export function breakWords(text: string, first: number, rest = first): string[] {
  if (text.length <= first) return [text];
  const pieces: string[] = [];
  const lead = /^ */.exec(text)?.[0] ?? '';
  let current = lead;
  let room = first;
  for (const word of text.slice(lead.length).split(' ')) {
    const next = current.trim() ? `${current} ${word}` : `${current}${word}`;
    if (next.length <= room || !current.trim()) {
      current = next;
      continue;
    }
    pieces.push(current);
    current = word;
    room = rest;
  }
  if (current.trim()) pieces.push(current);
  return pieces;
}

/*
 * Aligned columns fitted by the same rule: the least important columns go first (lowest
 * `dropRank`), whole; a cell is never cut, so no word or number is split. Columns without a rank
 * always stay.
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
