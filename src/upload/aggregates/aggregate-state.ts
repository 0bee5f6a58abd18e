// Aggregates as an exact, foldable state: sums as exact decimals, averages as an exact weighted sum
// and its weight (never a rounded average), min/max as the best value, counts merged. Merging is
// associative and commutative, so any grouping or order of jobs (a clean run, or a checkpoint's
// folded entries plus a resumed run's jobs) ends in the same state and the same values to the
// last digit. The state is plain JSON: the checkpoint keeps it.
import type { AggregateValue } from '../../protocol/index.js';
import { literalOf, rememberLiterals } from '../../protocol/number-literals.js';
import { aggregateKind, type AggregateKind } from './aggregate-kind.js';
import {
  addDecimal,
  compareDecimal,
  divideDecimal,
  formatDecimal,
  parseExact,
  type Decimal,
} from '../../protocol/decimal.js';

export type NameState =
  /** No value yet (or only nulls). */
  | { t: 'none' }
  /** Values that cannot be combined honestly (an object beside numbers, numbers beside text). */
  | { t: 'conflict' }
  | { t: 'counts'; v: Record<string, number> }
  /**
   * Exact decimals as text. `v`: sum → Σ value; avg → Σ value × weight; min/max → the best value.
   * avg also keeps `w` (Σ weight) and `plain`/`n` (Σ value, how many) for when no job stored a row.
   * `nums`: every value came as a JSON number (numbers in give numbers out).
   */
  | { t: 'num'; nums: boolean; v: string; w: number; plain: string; n: number }
  /** Text (dates, names): min/max keep the best; anything else only a value every job agrees on. */
  | { t: 'text'; v: string; agree: boolean };

export type AggregateState = Record<string, NameState>;

/** Number averages get at least this many decimals: a server's 150.00 parses as 150. */
const NUMBER_AVERAGE_SCALE = 2;

const dec = (text: string): Decimal => parseExact(text) as Decimal;

/** `literal`: the number as the server wrote it (`4995.40`), where known: its scale counts. */
function valueState(name: string, v: AggregateValue | undefined, weight: number, literal: string | null): NameState {
  if (v === null || v === undefined) return { t: 'none' };
  if (typeof v === 'object')
    return { t: 'counts', v: Object.fromEntries(Object.entries(v).map(([k, n]) => [k, Number(n)])) };
  const d = parseExact(literal ?? v);
  if (!d) return { t: 'text', v: String(v), agree: true };
  const nums = typeof v === 'number';
  if (aggregateKind(name) !== 'avg') return { t: 'num', nums, v: formatDecimal(d), w: 0, plain: '0', n: 0 };
  const w = Math.max(0, Math.trunc(weight));
  return {
    t: 'num',
    nums,
    v: formatDecimal({ units: d.units * BigInt(w), scale: d.scale }),
    w,
    plain: formatDecimal(d),
    n: 1,
  };
}

/** One job's state: its aggregates, averages weighted by the rows it stored. */
export function stateOf(aggregates: Record<string, AggregateValue> | null | undefined, weight: number): AggregateState {
  const out: AggregateState = {};
  const all = aggregates ?? {};
  for (const [name, v] of Object.entries(all)) out[name] = valueState(name, v, weight, literalOf(all, name));
  return out;
}

function pickBest(kind: AggregateKind, a: string, b: string): string {
  const c = compareDecimal(dec(a), dec(b));
  if (c === 0) return dec(a).scale >= dec(b).scale ? a : b; // equal values: the one written with more digits
  return (kind === 'min') === c < 0 ? a : b;
}

function mergeName(name: string, a: NameState, b: NameState): NameState {
  if (a.t === 'none') return b;
  if (b.t === 'none') return a;
  if (a.t === 'conflict' || b.t === 'conflict') return { t: 'conflict' };
  if (a.t === 'counts' && b.t === 'counts') {
    const v = { ...a.v };
    for (const [k, n] of Object.entries(b.v)) v[k] = (v[k] ?? 0) + n;
    return { t: 'counts', v };
  }
  const kind = aggregateKind(name);
  if (a.t === 'num' && b.t === 'num') {
    const nums = a.nums && b.nums;
    if (kind === 'min' || kind === 'max')
      return { t: 'num', nums, v: pickBest(kind, a.v, b.v), w: 0, plain: '0', n: 0 };
    return {
      t: 'num',
      nums,
      v: formatDecimal(addDecimal(dec(a.v), dec(b.v))),
      w: a.w + b.w,
      plain: formatDecimal(addDecimal(dec(a.plain), dec(b.plain))),
      n: a.n + b.n,
    };
  }
  if (a.t === 'text' && b.t === 'text') {
    if (kind === 'min') return { t: 'text', v: a.v <= b.v ? a.v : b.v, agree: true };
    if (kind === 'max') return { t: 'text', v: a.v >= b.v ? a.v : b.v, agree: true };
    return { t: 'text', v: a.v, agree: a.agree && b.agree && a.v === b.v };
  }
  return { t: 'conflict' };
}

/** The state of two groups of jobs together. Associative and commutative. */
export function mergeStates(a: AggregateState, b: AggregateState): AggregateState {
  const out: AggregateState = { ...a };
  for (const [name, s] of Object.entries(b)) out[name] = mergeName(name, out[name] ?? { t: 'none' }, s);
  return out;
}

function valueOf(name: string, s: NameState, literal: (text: string) => void): AggregateValue {
  switch (s.t) {
    case 'none':
    case 'conflict':
      return null;
    case 'counts':
      return { ...s.v };
    case 'text':
      return s.agree || aggregateKind(name) === 'min' || aggregateKind(name) === 'max' ? s.v : null;
    case 'num': {
      let text = s.v;
      if (aggregateKind(name) === 'avg') {
        // Rounded once, here, from the exact weighted sum: never an average of rounded averages.
        const total = s.w > 0 ? dec(s.v) : dec(s.plain);
        const scale = s.nums ? Math.max(total.scale, NUMBER_AVERAGE_SCALE) : total.scale;
        text = formatDecimal(divideDecimal(total, BigInt(s.w > 0 ? s.w : s.n), scale));
      }
      if (!s.nums) return text;
      literal(text);
      return Number.parseFloat(text);
    }
  }
}

/** The aggregate values a state stands for; numbers keep their exact text as literals (number-literals.ts). */
export function valuesOf(state: AggregateState): Record<string, AggregateValue> {
  const out: Record<string, AggregateValue> = {};
  const texts = new Map<string, string>();
  for (const [name, s] of Object.entries(state)) out[name] = valueOf(name, s, (text) => texts.set(name, text));
  rememberLiterals(out, texts);
  return out;
}
