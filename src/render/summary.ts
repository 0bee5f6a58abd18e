import type { ChalkInstance } from 'chalk';
import { Chalk } from 'chalk';
import { formatAggregates, groupDigits, humanMs, wrapText } from './format.js';
import type { RunSummary } from './run-summary.js';

const HEADLINE: Record<RunSummary['status'], string> = {
  completed: 'Done: every row stored',
  completed_with_errors: 'Done, with rejected rows',
  stopped: 'Stopped early',
  interrupted: 'Interrupted',
  unreachable: 'Server unreachable',
  failed: 'Failed',
  dry_run: 'Dry run: nothing sent',
  submitted: 'Submitted (not waiting for the jobs)',
};

const NO_COLOR = new Chalk({ level: 0 });

export interface SummaryStyle {
  /** Colours; plain output passes none. */
  chalk?: ChalkInstance;
  /** Thousands separators (terminal only: logs are grepped and parsed). */
  grouped?: boolean;
  /** Wraps the long lines (aggregates, reasons) at this width. */
  width?: number;
}

/**
 * The end-of-run summary for people: rows, jobs, time and speed, combined aggregates, why it
 * stopped, the command that resumes it, and the failed-rows file last, where the eye lands.
 */
export function summaryLines(s: RunSummary, style: SummaryStyle = {}): string[] {
  const c = style.chalk ?? NO_COLOR;
  const n = (x: number) => (style.grouped ? groupDigits(x) : String(Math.round(x)));
  const wrap = (text: string) => (style.width ? wrapText(text, style.width - 1, '      ') : [text]);
  const tone = s.exitCode === 0 ? c.green : s.exitCode === 1 ? c.yellow : c.red;
  const k = s.counts;
  const lines = [
    tone(`${HEADLINE[s.status] ?? s.status} (exit ${s.exitCode})`),
    `  rows: ${n(k.read)} read, ${c.green(`${n(k.stored)} stored`)}, ${k.failed ? c.red(`${n(k.failed)} failed`) : '0 failed'}, ${k.unprocessed ? c.yellow(`${n(k.unprocessed)} unprocessed`) : '0 unprocessed'}`,
    `  jobs: ${n(s.jobs)}, elapsed ${humanMs(s.elapsedMs)}, ${n(s.rowsPerSecond)} rows/s`,
  ];
  const aggs = formatAggregates(s.aggregates);
  if (aggs) lines.push(...wrap(`  aggregates: ${aggs}`));
  for (const nr of s.notRead ?? []) lines.push(`  not read: ${nr.file} from line ${nr.fromLine}`);
  if (s.message && s.status !== 'completed' && s.status !== 'completed_with_errors') lines.push(...wrap(`  why: ${s.message}`).map((l) => tone(l)));
  if (s.resumeCommand) lines.push(`  resume with: ${c.bold(s.resumeCommand)}`);
  if (s.failedRowsFile) lines.push(`  failed rows: ${c.bold(s.failedRowsFile)}`);
  return lines;
}
