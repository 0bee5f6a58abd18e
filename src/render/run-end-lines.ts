/**
 * What comes between the live view and the summary at the end of a run, on a terminal and in logs
 * alike: the rejected rows grouped by field and reason, and a hint when the run's shape says what
 * the user most likely meant (every row a duplicate, a file with no rows).
 */
import type { ChalkInstance } from 'chalk';
import { Chalk } from 'chalk';
import { errorGroupLines, type ErrorGroups } from './error-groups.js';
import { fitParts } from './fit-parts.js';
import { groupDigits } from './format.js';
import type { RunSummary } from './run-summary.js';

const NO_COLOR = new Chalk({ level: 0 });

export interface EndStyle {
  chalk?: ChalkInstance;
  grouped?: boolean;
  width?: number;
}

function fitter(style: EndStyle) {
  return (text: string, indent: string, paint?: (t: string) => string) =>
    style.width ? fitParts([{ text, paint }], style.width - 1, { indent }) : [paint ? paint(text) : text];
}

/** `rejected rows by reason (every one is in the failed-rows file):` and a block per group. */
export function rejectedGroupLines(groups: ErrorGroups, style: EndStyle = {}): string[] {
  if (groups.total === 0) return [];
  const c = style.chalk ?? NO_COLOR;
  const n = (x: number) => (style.grouped ? groupDigits(x) : String(x));
  const fit = fitter(style);
  const lines = fit(`rejected rows by reason (all ${n(groups.total)} are in the failed-rows file):`, '  ', c.red);
  for (const g of errorGroupLines(groups, n)) {
    lines.push(...fit(`  ${g.head}`, '      '));
    for (const l of g.lines) lines.push(...fit(`      ${l}`, '      ', c.dim));
  }
  return lines;
}

/** One line each: what to try next, when the run's shape says it. */
export function hintLines(
  summary: RunSummary,
  groups: ErrorGroups,
  files: readonly string[],
  style: EndStyle = {},
): string[] {
  const c = style.chalk ?? NO_COLOR;
  const n = (x: number) => (style.grouped ? groupDigits(x) : String(x));
  const fit = fitter(style);
  const k = summary.counts;
  const hints: string[] = [];
  const dups = groups.duplicates();
  // Most, not only all: a re-upload with a few new or broken rows among the repeats is the same mistake.
  if (dups && k.read > 0 && dups.count * 2 > k.failed && dups.count * 2 > k.read) {
    const fields = dups.key || '<key fields>';
    const which =
      dups.count === k.read
        ? 'every row is a duplicate of a stored record'
        : `${n(dups.count)} of ${n(k.read)} rows are duplicates of stored records`;
    hints.push(
      ...fit(`hint: ${which}; to update those records instead, add --upsert --unique-fields ${fields}`, '  ', c.yellow),
    );
  }
  if (k.read === 0 && (summary.status === 'completed' || summary.status === 'dry_run')) {
    const names = files.filter((f) => f !== '-');
    hints.push(
      ...fit(
        `warning: no rows read${names.length ? ` from ${names.join(', ')}` : ''}: ` +
          `the input is empty or has only a header row`,
        '  ',
        c.yellow,
      ),
    );
  }
  return hints;
}
