/**
 * `bulk jobs` on a terminal: a header row and aligned columns, with the 8-character ids every job
 * command accepts. Off a terminal the command prints plain tab-separated lines without a header
 * (scripts read those), so this is for people only.
 */
import type { StatusResponse } from '../protocol/index.js';
import { fitTable, type TableColumn } from './fit-parts.js';
import { groupDigits, shortId } from './format.js';

/** At a narrow width the least important columns go whole (fit-parts.ts); JOB and STATE always stay. */
const COLUMNS: TableColumn[] = [
  { title: 'JOB' },
  { title: 'STATE' },
  { title: 'TYPE', dropRank: 1 },
  { title: 'RESOURCE', dropRank: 2 },
  { title: 'ROWS', right: true, dropRank: 4 },
  { title: 'STORED', right: true, dropRank: 5 },
  { title: 'FAILED', right: true, dropRank: 6 },
  { title: 'CREATED', dropRank: 3 },
];

export function jobsTable(jobs: readonly StatusResponse[], width?: number): string[] {
  const rows = jobs.map((j) => [
    shortId(j.job_id),
    j.state,
    j.job_type ?? '',
    j.resource ?? '',
    `${groupDigits(j.processed_items)}/${groupDigits(j.total_items)}`,
    groupDigits(j.success_count),
    groupDigits(j.error_count),
    (j.created_at ?? '').replace('T', ' ').replace(/(\.\d+)?Z$/, 'Z'),
  ]);
  return fitTable(COLUMNS, rows, width);
}
