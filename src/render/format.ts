import { formatAggregates } from '../upload/combine-aggregates.js';
import type { JobOutcome, MappedRowError } from '../upload/upload-events.js';

export { formatAggregates };

export function humanMs(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return ms < 10_000 ? `${(ms / 1000).toFixed(1)}s` : `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  return `${Math.floor(m / 60)}h ${m % 60}m`;
}

export function groupDigits(n: number): string {
  return Math.round(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

export function shortId(id: string): string {
  return id.slice(0, 8);
}

/** `transactions.csv:2417 amount: must be a decimal number` */
export function errorLine(e: MappedRowError): string {
  return `${e.file}:${e.line} ${e.field ? `${e.field}: ` : ''}${e.reason}`;
}

/** The line printed when a job finishes, without colour or timestamp. */
export function jobLine(o: JobOutcome, dash = '–'): string {
  const o2 = o.origin;
  const counts = `${o.total} rows: ${o.succeeded} stored, ${o.failed} failed${o.unprocessed ? `, ${o.unprocessed} unprocessed` : ''}`;
  const aggs = formatAggregates(o.aggregates);
  return `batch ${o.batch} job ${shortId(o.jobId)} ${o.state} lines ${o2.firstLine}${dash}${o2.lastLine}: ${counts}${aggs ? `; ${aggs}` : ''}`;
}

// eslint-disable-next-line no-control-regex -- matching terminal escape codes is the point
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/y;

/**
 * Cuts a line to the terminal's width, ANSI codes kept intact. A line that wraps above the bars
 * throws off the bars' cursor arithmetic and leaves debris on the screen.
 */
export function fitWidth(text: string, width: number): string {
  if (width <= 1) return text;
  let visible = 0;
  let out = '';
  for (let i = 0; i < text.length; ) {
    ANSI.lastIndex = i;
    const m = ANSI.exec(text);
    if (m) {
      out += m[0];
      i += m[0].length;
      continue;
    }
    if (visible === width - 1 && i < text.length - 1) return `${out}…\x1b[0m`;
    out += text[i];
    visible++;
    i++;
  }
  return out;
}
