import type { AggregateValue } from '../protocol/index.js';

type Kind = 'sum' | 'avg' | 'min' | 'max';

/** What an aggregate is, from its name: servers send values, not definitions. */
export function aggregateKind(name: string): Kind {
  const n = name.toLowerCase();
  if (/^(average|avg|mean)_|_(avg|average|mean)$|^(avg|mean)$/.test(n)) return 'avg';
  if (/^min_|_min$|^min$/.test(n)) return 'min';
  if (/^max_|_max$|^max$/.test(n)) return 'max';
  return 'sum';
}

interface Exact {
  units: bigint;
  scale: number;
}

/** A number's shortest decimal text is the digits the server wrote (for up to ~15 significant digits). */
function exact(v: number | string): Exact | null {
  const text = typeof v === 'number' ? String(v) : v.trim();
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text);
  if (!m) return null;
  const frac = m[3] ?? '';
  const units = BigInt(`${m[2]}${frac}`);
  return { units: m[1] === '-' ? -units : units, scale: frac.length };
}

function widen(e: Exact, scale: number): bigint {
  return e.units * 10n ** BigInt(scale - e.scale);
}

function text(e: Exact): string {
  const neg = e.units < 0n;
  let digits = (neg ? -e.units : e.units).toString();
  if (e.scale > 0) {
    digits = digits.padStart(e.scale + 1, '0');
    digits = `${digits.slice(0, -e.scale)}.${digits.slice(-e.scale)}`;
  }
  return neg ? `-${digits}` : digits;
}

function divRound(num: bigint, den: bigint): bigint {
  const neg = num < 0n;
  const a = neg ? -num : num;
  let q = a / den;
  if ((a % den) * 2n >= den) q += 1n;
  return neg ? -q : q;
}

/**
 * Aggregates across jobs: sums and counts added, averages weighted by each job's stored rows,
 * min and max kept, count-by objects merged. Exact for decimals.
 */
export function combineAggregates(jobs: ReadonlyArray<{ aggregates: Record<string, AggregateValue> | null; succeeded: number }>): Record<string, AggregateValue> {
  const names: string[] = [];
  for (const j of jobs) for (const k of Object.keys(j.aggregates ?? {})) if (!names.includes(k)) names.push(k);
  const out: Record<string, AggregateValue> = {};
  for (const name of names) {
    const entries = jobs.filter((j) => j.aggregates && name in j.aggregates).map((j) => ({ v: (j.aggregates as Record<string, AggregateValue>)[name] as AggregateValue, w: j.succeeded }));
    const values = entries.filter((e) => e.v !== null);
    if (values.length === 0) {
      out[name] = null;
      continue;
    }
    if (values.every((e) => typeof e.v === 'object')) {
      const merged: Record<string, number> = {};
      for (const e of values) for (const [k, n] of Object.entries(e.v as Record<string, number>)) merged[k] = (merged[k] ?? 0) + n;
      out[name] = merged;
      continue;
    }
    const nums = values.map((e) => ({ x: exact(e.v as number | string), w: e.w, raw: e.v }));
    if (nums.some((n) => n.x === null)) {
      out[name] = values[values.length - 1]?.v ?? null;
      continue;
    }
    const asString = typeof values[0]?.v === 'string';
    const scale = Math.max(...nums.map((n) => (n.x as Exact).scale));
    const kind = aggregateKind(name);
    let result: Exact;
    if (kind === 'min' || kind === 'max') {
      const pick = nums.reduce((best, n) => {
        const a = widen(n.x as Exact, scale);
        const b = widen(best.x as Exact, scale);
        return (kind === 'min' ? a < b : a > b) ? n : best;
      });
      result = { units: widen(pick.x as Exact, scale), scale };
    } else if (kind === 'avg') {
      const weight = nums.reduce((s, n) => s + BigInt(n.w), 0n);
      const total = nums.reduce((s, n) => s + widen(n.x as Exact, scale) * BigInt(n.w), 0n);
      result = weight === 0n ? { units: 0n, scale } : { units: divRound(total, weight), scale };
    } else {
      result = { units: nums.reduce((s, n) => s + widen(n.x as Exact, scale), 0n), scale };
    }
    const t = text(result);
    out[name] = asString ? t : Number(t);
  }
  return out;
}
