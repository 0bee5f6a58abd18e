// Small text formats every reporter shares: durations, grouped digits, short job ids, error lines,
// ASCII punctuation and the visible width of a string.
import type { MappedRowError } from '../upload/upload-events.js';
import { formatAggregates } from '../upload/aggregates/combine-aggregates.js';

export { formatAggregates };

/** `850ms`, `5.6s`, `42s`, `1m 33s`, `2h 05m`. */
export function humanMs(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '-';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)}s`;
  return humanSeconds(Math.round(ms / 1000));
}

/** An ETA or elapsed time in whole seconds: `0s`, `42s`, `1m 33s`, `2h 05m`. */
export function humanSeconds(totalSeconds: number): string {
  if (!Number.isFinite(totalSeconds) || totalSeconds < 0) return '-';
  const s = Math.round(totalSeconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

/** `1234567` → `1,234,567`. */
export function groupDigits(n: number): string {
  return Math.round(n)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** The first 8 characters of a job id: enough to tell jobs apart on screen. */
export function shortId(id: string): string {
  return id.slice(0, 8);
}

/** `transactions.csv:2417 amount: must be a decimal number` */
export function errorLine(e: MappedRowError): string {
  const where = e.origin ? `${e.origin}, via ${e.file}:${e.line}` : `${e.file}:${e.line}`;
  return `${where} ${e.field ? `${e.field}: ` : ''}${e.reason}`;
}

/** Plain output is ASCII where we choose the characters. */
export function asciiPunctuation(text: string): string {
  return text.replace(/…/g, '...').replace(/×/g, 'x').replace(/[–—]/g, '-').replace(/→/g, '->');
}

/** Width of a line on screen, escape codes left out. */
export function visibleLength(text: string): number {
  // eslint-disable-next-line no-control-regex -- measuring text without its escape codes
  return text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').length;
}
