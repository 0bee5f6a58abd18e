/**
 * What is printed when a job finishes: one line on a terminal (batch, lines, stored, failed,
 * duration), the long form with aggregates for logs, and a failed job's own errors. Rejected rows
 * are not listed here: they are grouped at the end of the run (error-groups.ts).
 */
import type { ChalkInstance } from 'chalk';
import type { JobOutcome } from '../upload/upload-events.js';
import type { LinePart } from './fit-parts.js';
import { aggregatePairs, groupDigits, humanMs, shortId } from './format.js';

export interface JobLines {
  /** Job Complete (possibly with rejected rows). */
  complete: boolean;
  /** The one line that says how the job went, without mark, colour or timestamp. */
  head: string;
  /** Job-level errors of a Failed or Aborted job. */
  jobErrors: string[];
}

/** For logs: `batch 3 job 1a2b3c4d lines 2002-3001: 1000 rows, 995 stored, 5 failed; total_amount=…`. */
export function jobLines(o: JobOutcome): JobLines {
  const complete = o.state === 'Job Complete';
  const counts = [
    `${o.succeeded} stored`,
    `${o.failed} failed`,
    ...(o.unprocessed ? [`${o.unprocessed} unprocessed`] : []),
    ...(o.unconfirmed ? [`${o.unconfirmed} unconfirmed`] : []),
  ];
  const headCounts =
    `batch ${o.batch} ${jobShown(o)} lines ${o.origin.firstLine}-${o.origin.lastLine}: ` +
    `${complete ? '' : `${stateShown(o)}, `}${o.total} rows, ${counts.join(', ')}`;
  const aggs = aggregatePairs(o.aggregates).join(' ');
  return {
    complete,
    head: aggs ? `${headCounts}; ${aggs}` : headCounts,
    jobErrors: o.jobErrors.map((e) => `  job error: ${e}`),
  };
}

/**
 * For a terminal: `✔ batch 3  lines 2002–3001  993 stored  7 failed  job 1a2b3c4d  1.2s`, as parts
 * to fit the width (the job id and duration give way first). The job's aggregates are in `--json`
 * and `bulk aggregates`; the run's combined ones in the summary.
 */
export function finishedJobParts(o: JobOutcome, c: ChalkInstance, durationMs: number | null): LinePart[] {
  const complete = o.state === 'Job Complete';
  const markPaint = !complete ? c.red : o.failed > 0 ? c.yellow : c.green;
  const tone = complete ? undefined : c.red;
  return [
    {
      text: `${complete ? '✔' : '✘'} batch ${o.batch}`,
      paint: (t) => `${markPaint(t.slice(0, 1))}${tone ? tone(t.slice(1)) : t.slice(1)}`,
    },
    { text: `lines ${o.origin.firstLine}–${o.origin.lastLine}`, paint: tone },
    ...(complete ? [] : [{ text: stateShown(o), paint: c.red }]),
    { text: `${groupDigits(o.succeeded)} stored`, paint: tone },
    { text: `${groupDigits(o.failed)} failed`, paint: o.failed ? c.red : tone },
    ...(o.unprocessed ? [{ text: `${groupDigits(o.unprocessed)} unprocessed`, paint: c.yellow }] : []),
    ...(o.unconfirmed ? [{ text: `${groupDigits(o.unconfirmed)} unconfirmed`, paint: c.yellow }] : []),
    { text: jobShown(o), paint: c.dim, dropRank: 1 },
    ...(durationMs !== null ? [{ text: humanMs(durationMs), paint: c.dim, dropRank: 2 }] : []),
  ];
}

/** The job by its short id; a batch with none (its start's answer lost, or handled at once) says so. */
function jobShown(o: JobOutcome): string {
  return o.jobId ? `job ${shortId(o.jobId)}` : 'no job';
}

/** A job bulk could not settle is shown as unconfirmed, with the server's last word where it gave one. */
function stateShown(o: JobOutcome): string {
  if (o.verdict !== 'unconfirmed') return o.state;
  return o.serverState ? `unconfirmed (the server said ${o.serverState})` : 'unconfirmed';
}
