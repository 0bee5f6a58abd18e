// Adds up the aggregates of many jobs into one run's figures, knowing each one's kind only by
// its name (sum, average, minimum, maximum or a count).
import type { AggregateValue } from '../protocol/index.js';
import { literalOf, rememberLiterals } from '../protocol/number-literals.js';

export type AggregateKind = 'sum' | 'avg' | 'min' | 'max';

const KIND_WORDS: ReadonlyArray<readonly [AggregateKind, ReadonlySet<string>]> = [
  ['sum', new Set(['total', 'sum'])],
  ['avg', new Set(['average', 'avg', 'mean'])],
  ['min', new Set(['min', 'minimum'])],
  ['max', new Set(['max', 'maximum'])],
];

/**
 * What an aggregate is, from its name: servers send values, not definitions. The first word
 * decides, then the last (`total_amount`, `amount_avg`, `minAmount`); anything else, counts
 * included, is added up. Whole words only, so `minutes` is not a minimum.
 */
export function aggregateKind(name: string): AggregateKind {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
  for (const word of [words[0], words.at(-1)]) {
    for (const [kind, set] of KIND_WORDS) if (word !== undefined && set.has(word)) return kind;
  }
  return 'sum';
}

/** An exact decimal: `units / 10^scale`. */
interface Decimal {
  units: bigint;
  scale: number;
}

const DECIMAL_TEXT = /^([+-]?)(\d*)(?:\.(\d*))?(?:e([+-]?\d+))?$/i;

/**
 * Reads a number's shortest round-trip text (what `String(n)` gives: the digits the server
 * wrote, for up to 15 significant digits) or a decimal string, exactly.
 */
function parseExact(v: number | string): Decimal | null {
  if (typeof v === 'number' && !Number.isFinite(v)) return null;
  const m = DECIMAL_TEXT.exec(typeof v === 'number' ? String(v) : v.trim());
  if (!m) return null;
  const whole = m[2] ?? '';
  const frac = m[3] ?? '';
  if (whole === '' && frac === '') return null;
  let units = BigInt(`${whole}${frac}` || '0');
  let scale = frac.length - Number(m[4] ?? 0);
  if (scale < 0) {
    units *= 10n ** BigInt(-scale);
    scale = 0;
  }
  return { units: m[1] === '-' ? -units : units, scale };
}

function widen(d: Decimal, scale: number): bigint {
  return d.units * 10n ** BigInt(scale - d.scale);
}

function decimalText(d: Decimal): string {
  const neg = d.units < 0n;
  let digits = (neg ? -d.units : d.units).toString();
  if (d.scale > 0) {
    digits = digits.padStart(d.scale + 1, '0');
    digits = `${digits.slice(0, -d.scale)}.${digits.slice(-d.scale)}`;
  }
  return neg ? `-${digits}` : digits;
}

/** Division rounding half away from zero. */
function divRound(num: bigint, den: bigint): bigint {
  const neg = num < 0n !== den < 0n;
  const a = num < 0n ? -num : num;
  const b = den < 0n ? -den : den;
  let q = a / b;
  if ((a % b) * 2n >= b) q += 1n;
  return neg ? -q : q;
}

/**
 * The least number of decimals in a weighted average of plain JSON numbers. Their own scale says
 * little (a server's 150.00 parses as 150), so an average of 150 and 151 is not rounded to 151.
 */
const NUMBER_AVERAGE_SCALE = 2;

function combineNumeric(kind: AggregateKind, values: Array<{ d: Decimal; w: number }>, asNumbers: boolean): Decimal {
  const scale = Math.max(...values.map((x) => x.d.scale));
  if (kind === 'min' || kind === 'max') {
    let best = values[0] as { d: Decimal };
    for (const x of values) {
      const a = widen(x.d, scale);
      const b = widen(best.d, scale);
      if (kind === 'min' ? a < b : a > b) best = x;
    }
    return best.d;
  }
  if (kind === 'avg') {
    const outScale = asNumbers ? Math.max(scale, NUMBER_AVERAGE_SCALE) : scale;
    let weights = values.map((x) => BigInt(Math.max(0, Math.trunc(x.w))));
    // Jobs that report an average over no stored rows contradict themselves: weigh them equally.
    if (weights.every((w) => w === 0n)) weights = weights.map(() => 1n);
    const total = values.reduce((s, x, i) => s + widen(x.d, outScale) * (weights[i] as bigint), 0n);
    return { units: divRound(total, weights.reduce((s, w) => s + w, 0n)), scale: outScale };
  }
  return { units: values.reduce((s, x) => s + widen(x.d, scale), 0n), scale };
}

function combineOne(name: string, entries: Array<{ v: AggregateValue; w: number; text?: string }>, literal: (text: string) => void): AggregateValue {
  const present = entries.filter((e) => e.v !== null && e.v !== undefined);
  if (present.length === 0) return null;
  const objects = present.filter((e) => typeof e.v === 'object');
  if (objects.length === present.length) {
    const merged: Record<string, number> = {};
    for (const e of objects) for (const [k, n] of Object.entries(e.v as Record<string, number>)) merged[k] = (merged[k] ?? 0) + Number(n);
    return merged;
  }
  if (objects.length > 0) return null;
  const scalars = present as Array<{ v: number | string; w: number; text?: string }>;
  const kind = aggregateKind(name);
  const exact = scalars.map((e) => ({ d: parseExact(e.text ?? e.v), w: e.w }));
  if (exact.every((x) => x.d !== null)) {
    const asNumbers = scalars.every((e) => typeof e.v === 'number');
    const text = decimalText(combineNumeric(kind, exact as Array<{ d: Decimal; w: number }>, asNumbers));
    if (asNumbers) literal(text);
    return asNumbers ? Number.parseFloat(text) : text;
  }
  // Text such as ISO dates: min and max still make sense, anything else only when all agree.
  const texts = scalars.map((e) => String(e.v));
  if (kind === 'min' || kind === 'max') {
    const sorted = [...texts].sort();
    return (kind === 'min' ? sorted[0] : sorted.at(-1)) ?? null;
  }
  return texts.every((t) => t === texts[0]) ? (scalars[0]?.v ?? null) : null;
}

/**
 * The aggregates of a whole run from its jobs': sums and counts added, averages weighted by each
 * job's stored rows, min and max kept, count-by objects merged by key. Decimals add exactly
 * (0.1 + 0.2 is 0.3); numbers in give numbers out, strings in give strings out. A value that
 * cannot be combined honestly (an object mixed with numbers, differing text) becomes null.
 */
export function combineAggregates(
  jobs: ReadonlyArray<{ aggregates: Record<string, AggregateValue> | null; succeeded: number }>,
): Record<string, AggregateValue> {
  const byName = new Map<string, Array<{ v: AggregateValue; w: number; text?: string }>>();
  for (const job of jobs) {
    const aggs = job.aggregates ?? {};
    for (const [name, v] of Object.entries(aggs)) {
      let list = byName.get(name);
      if (!list) byName.set(name, (list = []));
      list.push({ v, w: job.succeeded, text: literalOf(aggs, name) ?? undefined });
    }
  }
  const out: Record<string, AggregateValue> = {};
  const texts = new Map<string, string>();
  for (const [name, entries] of byName) out[name] = combineOne(name, entries, (text) => texts.set(name, text));
  rememberLiterals(out, texts);
  return out;
}

function formatValue(v: AggregateValue, decimals: number | null): string {
  if (v === null || v === undefined) return '-';
  if (typeof v === 'object') return `{${Object.entries(v).map(([k, n]) => `${k}:${n}`).join(',')}}`;
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
    const scaled = typeof v === 'number' && Number.isFinite(v) && (!Number.isInteger(v) || aggregateKind(k) === 'avg') ? scale : null;
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
