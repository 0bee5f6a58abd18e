/**
 * `bulk jobs` on a terminal: a header row and aligned columns, with the 8-character ids every job
 * command accepts. Off a terminal the command prints plain tab-separated lines without a header
 * (scripts read those), so this is for people only.
 */
import type { StatusResponse } from '../protocol/index.js';
import { groupDigits, shortId } from './format.js';

const HEADER = ['JOB', 'STATE', 'TYPE', 'RESOURCE', 'ROWS', 'STORED', 'FAILED', 'CREATED'];
/** Numeric columns are right-aligned. */
const RIGHT = new Set(['ROWS', 'STORED', 'FAILED']);

export function jobsTable(jobs: readonly StatusResponse[]): string[] {
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
  const widths = HEADER.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (RIGHT.has(HEADER[i] as string) ? c.padStart(widths[i] as number) : c.padEnd(widths[i] as number)))
      .join('  ')
      .trimEnd();
  return [line(HEADER), ...rows.map(line)];
}
