// Small text formats every reporter shares: durations, grouped digits, short job ids, error lines,
// ASCII punctuation, and aggregates as printed.
import type { AggregateValue } from '../protocol/index.js';
import { literalOf } from '../protocol/number-literals.js';
import { aggregateKind } from '../upload/aggregates/aggregate-kind.js';
import type { MappedRowError } from '../upload/upload-events.js';

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

function formatValue(v: AggregateValue, decimals: number | null): string {
  if (v === null || v === undefined) return '-';
  if (typeof v === 'object')
    return `{${Object.entries(v)
      .map(([k, n]) => `${k}:${n}`)
      .join(',')}}`;
  if (typeof v === 'string' && (v === '' || /\s/.test(v))) return JSON.stringify(v);
  if (typeof v === 'number' && decimals !== null) return v.toFixed(Math.max(decimals, fractionDigits(v)));
  return String(v);
}

function fractionDigits(v: number | string): number {
  const m = /\.(\d+)$/.exec(typeof v === 'number' ? String(v) : v.trim());
  return m ? (m[1] as string).length : 0;
}

/**
 * Numbers lose their trailing zeros on the way through JSON (`4995.40` arrives as 4995.4). Where
 * the server's literal is known (number-literals.ts) it is printed as written; else at the scale of
 * the set it came with: the most decimals of any fractional value (number or decimal string).
 * Averages always take it; whole counts stay whole.
 */
function displayScale(aggs: Record<string, AggregateValue>): number | null {
  let scale = 0;
  for (const v of Object.values(aggs)) {
    if (typeof v === 'number' && Number.isFinite(v) && !Number.isInteger(v)) scale = Math.max(scale, fractionDigits(v));
    else if (typeof v === 'string' && /^[+-]?\d+\.\d+$/.test(v.trim())) scale = Math.max(scale, fractionDigits(v));
  }
  return scale > 0 ? scale : null;
}

/** `[['total_amount', '150000.00'], ['by_status', '{ok:3,bad:2}']]`: each aggregate as printed. */
export function aggregateTexts(aggs: Record<string, AggregateValue> | null | undefined): [string, string][] {
  const all = aggs ?? {};
  const scale = displayScale(all);
  return Object.entries(all).map(([k, v]) => {
    const literal = literalOf(all, k);
    if (literal !== null) return [k, literal];
    const scaled =
      typeof v === 'number' && Number.isFinite(v) && (!Number.isInteger(v) || aggregateKind(k) === 'avg')
        ? scale
        : null;
    return [k, formatValue(v, scaled)];
  });
}

/** `['total_amount=150000.00', 'by_status={ok:3,bad:2}']` */
export function aggregatePairs(aggs: Record<string, AggregateValue> | null | undefined): string[] {
  return aggregateTexts(aggs).map(([k, v]) => `${k}=${v}`);
}

/** `total_amount=150000.00 average_amount=150.00 by_status={ok:3,bad:2}` */
export function formatAggregates(aggs: Record<string, AggregateValue> | null | undefined): string {
  return aggregatePairs(aggs).join(' ');
}
