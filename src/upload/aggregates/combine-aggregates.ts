// Adds up the aggregates of many jobs into one run's figures, knowing each one's kind only by
// its name (sum, average, minimum, maximum or a count).
import type { AggregateValue } from '../../protocol/index.js';
import { literalOf } from '../../protocol/number-literals.js';
import { aggregateKind } from './aggregate-kind.js';
import { mergeStates, stateOf, valuesOf, type AggregateState } from './aggregate-state.js';

export { aggregateKind, type AggregateKind } from './aggregate-kind.js';

/**
 * The aggregates of a whole run from its jobs': sums and counts added, averages weighted by each
 * job's stored rows, min and max kept, count-by objects merged by key. Decimals add exactly
 * (0.1 + 0.2 is 0.3); numbers in give numbers out, strings in give strings out. A value that
 * cannot be combined honestly (an object mixed with numbers, numbers mixed with text, differing
 * text) becomes null. The same fold as the checkpoint's (aggregate-state.ts), so both agree.
 */
export function combineAggregates(
  jobs: ReadonlyArray<{ aggregates: Record<string, AggregateValue> | null; succeeded: number }>,
): Record<string, AggregateValue> {
  return valuesOf(
    jobs.reduce<AggregateState>((state, job) => mergeStates(state, stateOf(job.aggregates, job.succeeded)), {}),
  );
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
