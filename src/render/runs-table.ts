/**
 * `bulk runs`: on a terminal, a table fitted to its width (fit-parts.ts); elsewhere tab-separated
 * lines without a header, for scripts. One row per run: id, when it started, its files, rows
 * read/stored/failed/unconfirmed and its state.
 */
import type { RunView } from '../protocol/run-shapes.js';
import { fitTable, type TableColumn } from './fit-parts.js';
import { groupDigits } from './format.js';

/** A run as `bulk runs` shows it: the server's view plus the rows no job answered for yet. */
export interface RunRow {
  run: RunView;
  /** Rows sent whose outcome is not known (issue 22's fourth outcome); 0 until that lands. */
  unconfirmed: number;
}

const COLUMNS: TableColumn[] = [
  { title: 'RUN' },
  { title: 'STARTED', dropRank: 2 },
  { title: 'FILES', dropRank: 7 },
  { title: 'SENT', right: true, dropRank: 3 },
  { title: 'STORED', right: true, dropRank: 4 },
  { title: 'FAILED', right: true, dropRank: 6 },
  { title: 'UNCONFIRMED', right: true, dropRank: 1 },
  { title: 'STATE' },
];

const started = (iso: string) => iso.replace('T', ' ').replace(/(\.\d+)?Z$/, 'Z');

function cells(r: RunRow, n: (x: number) => string): string[] {
  const v = r.run;
  return [
    v.run_id,
    started(v.first_at),
    v.files.join(',') || '-',
    n(v.total_items),
    n(v.success_count),
    n(v.error_count),
    n(r.unconfirmed),
    v.state,
  ];
}

export function runsTable(rows: readonly RunRow[], width?: number): string[] {
  return fitTable(
    COLUMNS,
    rows.map((r) => cells(r, groupDigits)),
    width,
  );
}

export function runsTsv(rows: readonly RunRow[]): string[] {
  return rows.map((r) => cells(r, String).join('\t'));
}
