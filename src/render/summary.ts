import type { ChalkInstance } from 'chalk';
import { formatAggregates, groupDigits, humanMs } from './format.js';
import type { RunSummary } from './run-summary.js';

const HEADLINE: Record<string, string> = {
  completed: 'Done: every row stored',
  completed_with_errors: 'Done, with rejected rows',
  stopped: 'Stopped early',
  interrupted: 'Interrupted',
  unreachable: 'Server unreachable',
  failed: 'Failed',
  dry_run: 'Dry run: nothing sent',
  submitted: 'Submitted (not waiting for the jobs)',
};

/** The end-of-run summary; the failed-rows file comes last, where a person's eye lands. */
export function summaryLines(s: RunSummary, chalk: ChalkInstance, grouped: boolean): string[] {
  const n = (x: number) => (grouped ? groupDigits(x) : String(x));
  const ok = s.exitCode === 0;
  const head = HEADLINE[s.status] ?? s.status;
  const lines = [
    (ok ? chalk.green : s.exitCode === 1 ? chalk.yellow : chalk.red)(`${head} (exit ${s.exitCode})`),
    `  rows: ${n(s.counts.read)} read, ${chalk.green(`${n(s.counts.stored)} stored`)}, ${s.counts.failed ? chalk.red(`${n(s.counts.failed)} failed`) : '0 failed'}, ${n(s.counts.unprocessed)} unprocessed`,
    `  jobs: ${n(s.jobs)}   elapsed: ${humanMs(s.elapsedMs)}   ${n(s.rowsPerSecond)} rows/s`,
  ];
  const aggs = formatAggregates(s.aggregates);
  if (aggs) lines.push(`  aggregates: ${aggs}`);
  for (const nr of s.notRead ?? []) lines.push(`  not read: ${nr.file} from line ${nr.fromLine}`);
  if (s.message && s.status !== 'completed' && s.status !== 'completed_with_errors') lines.push(`  why: ${s.message}`);
  if (s.resumeCommand) lines.push(`  resume with: ${chalk.bold(s.resumeCommand)}`);
  if (s.failedRowsFile) lines.push(`  failed rows: ${chalk.bold(s.failedRowsFile)}`);
  return lines;
}
