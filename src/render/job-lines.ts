import type { JobOutcome } from '../upload/upload-events.js';
import { aggregatePairs } from '../upload/combine-aggregates.js';
import { errorLine, groupDigits, shortId } from './format.js';

/** Record errors shown under a finished job; the rest are in the failed-rows file. */
export const FIRST_ERRORS_SHOWN = 5;

export interface JobLines {
  /** Job Complete (possibly with rejected rows). */
  complete: boolean;
  /** The one line that says how the job went, without mark, colour or timestamp. */
  head: string;
  /** `head` without the job's aggregates, for a terminal too narrow for both. */
  headCounts: string;
  /** The job's aggregates as `k=v` pairs. */
  aggregates: string[];
  /** Its first record errors: `  file:line field: reason`. */
  errors: string[];
  /** `  … and N more in the failed-rows file`, when there are more. */
  more: string | null;
  /** Job-level errors of a Failed or Aborted job. */
  jobErrors: string[];
}

/**
 * The lines printed when a job finishes. `tty` gives
 * `batch 3  job 1a2b3c4d  lines 2002–3001  1,000 rows: 995 stored, 5 failed  total_amount=…`;
 * plain gives `batch 3 job 1a2b3c4d lines 2002-3001: 1000 rows, 995 stored, 5 failed; total_amount=…`.
 */
export function jobLines(o: JobOutcome, style: 'tty' | 'plain'): JobLines {
  const tty = style === 'tty';
  const n = (x: number) => (tty ? groupDigits(x) : String(x));
  const complete = o.state === 'Job Complete';
  const range = `${o.origin.firstLine}${tty ? '–' : '-'}${o.origin.lastLine}`;
  const counts = [`${n(o.succeeded)} stored`, `${n(o.failed)} failed`, ...(o.unprocessed ? [`${n(o.unprocessed)} unprocessed`] : [])];
  const pairs = aggregatePairs(o.aggregates);
  const aggs = pairs.join(' ');
  const headCounts = tty
    ? [`batch ${o.batch}`, `job ${shortId(o.jobId)}`, `lines ${range}`, ...(complete ? [] : [o.state]), `${n(o.total)} rows: ${counts.join(', ')}`].join('  ')
    : `batch ${o.batch} job ${shortId(o.jobId)} lines ${range}: ${complete ? '' : `${o.state}, `}${n(o.total)} rows, ${counts.join(', ')}`;
  const head = aggs ? `${headCounts}${tty ? '  ' : '; '}${aggs}` : headCounts;
  const shown = o.firstErrors.slice(0, FIRST_ERRORS_SHOWN);
  const errors = shown.map((e) => `  ${errorLine(e)}`);
  const more = o.failed - shown.length;
  return {
    complete,
    head,
    headCounts,
    aggregates: pairs,
    errors,
    more: more > 0 && shown.length > 0 ? `  ${tty ? '…' : '...'} and ${n(more)} more in the failed-rows file` : null,
    jobErrors: o.jobErrors.map((e) => `  job error: ${e}`),
  };
}
