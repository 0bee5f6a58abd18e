// The end-of-run summary a person reads: rows, jobs, time, aggregates, why it stopped, how to resume,
// and where the failed rows are.
import type { ChalkInstance } from 'chalk';
import { Chalk } from 'chalk';
import { fitParts, type LinePart } from './fit-parts.js';
import { formatAggregates, groupDigits, humanMs } from './format.js';
import type { RunSummary } from './run-summary.js';
import { unconfirmedRows } from '../upload/state/run-outcome.js';

const HEADLINE: Record<RunSummary['status'], string> = {
  completed: 'Done: every row stored',
  completed_with_errors: 'Done, with rejected rows',
  stopped: 'Stopped early',
  interrupted: 'Interrupted',
  unreachable: 'Server unreachable',
  failed: 'Failed',
  dry_run: 'Dry run: nothing stored or deleted',
  submitted: 'Submitted (not waiting for the jobs)',
  nothing_to_resume: 'Nothing to resume: the run had finished',
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
  // Fitted at word boundaries, never cut: a terminal that wraps by itself breaks words in two.
  const fit = (parts: LinePart[]) =>
    style.width
      ? fitParts(parts, style.width - 1, { sep: ' ', indent: '      ' })
      : [parts.map((p) => (p.paint ? p.paint(p.text) : p.text)).join(' ')];
  const wrap = (text: string, paint?: (t: string) => string) => fit([{ text, paint }]);
  const tone = s.exitCode === 0 ? c.green : s.exitCode === 1 ? c.yellow : c.red;
  const k = s.counts;
  const lines = [
    ...wrap(`${HEADLINE[s.status] ?? s.status} (exit ${s.exitCode})`, tone),
    ...fit([
      { text: `  rows: ${n(k.read)} read,` },
      { text: `${n(k.stored)} stored,`, paint: c.green },
      { text: `${n(k.failed)} failed,`, paint: k.failed ? c.red : undefined },
      { text: `${n(k.unprocessed)} unprocessed`, paint: k.unprocessed ? c.yellow : undefined },
    ]),
    ...(k.unconfirmed ? wrap(`  ${unconfirmedRows(n(k.unconfirmed))}`, c.yellow) : []),
    ...(k.wouldDelete === undefined
      ? []
      : wrap(
          `  would delete: ${n(k.wouldDelete)} ${k.wouldDelete === 1 ? 'record' : 'records'} ` +
            `(matched by the server, batch by batch; nothing was deleted)`,
        )),
    ...wrap(`  jobs: ${n(s.jobs)}, elapsed ${humanMs(s.elapsedMs)}, ${n(s.rowsPerSecond)} rows/s`),
  ];
  const aggs = formatAggregates(s.aggregates);
  if (aggs) lines.push(...wrap(`  aggregates: ${aggs}`));
  for (const nr of s.notRead ?? []) lines.push(...wrap(`  not read: ${nr.file} from line ${nr.fromLine}`));
  if (s.message && s.status !== 'completed' && s.status !== 'completed_with_errors')
    lines.push(...wrap(`  why: ${s.message}`, tone));
  // A command and a path stay whole, to be copied: on a line of their own when too long.
  const whole = (label: string, value: string) =>
    style.width && label.length + 1 + value.length > style.width - 1
      ? [label, `      ${c.bold(value)}`]
      : [`${label} ${c.bold(value)}`];
  if (s.resumeCommand) lines.push(...whole('  resume with:', s.resumeCommand));
  if (s.logFile) lines.push(...whole('  log:', s.logFile));
  if (s.failedRowsFile) lines.push(...whole('  failed rows:', s.failedRowsFile));
  return lines;
}
