// Exact decimals for aggregates: a number's or a decimal string's digits as written, added,
// weighted and divided without binary floating point, so 0.1 + 0.2 is 0.3 and sums stay exact.

/** An exact decimal: `units / 10^scale`. */
export interface Decimal {
  units: bigint;
  scale: number;
}

const DECIMAL_TEXT = /^([+-]?)(\d*)(?:\.(\d*))?(?:e([+-]?\d+))?$/i;

/**
 * Reads a number's shortest round-trip text (what `String(n)` gives: the digits the server
 * wrote, for up to 15 significant digits) or a decimal string, exactly.
 */
export function parseExact(v: number | string): Decimal | null {
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

/** The units of `d` at a scale at least its own. */
export function widen(d: Decimal, scale: number): bigint {
  return d.units * 10n ** BigInt(scale - d.scale);
}

export function compareDecimals(a: Decimal, b: Decimal): number {
  const scale = Math.max(a.scale, b.scale);
  const x = widen(a, scale);
  const y = widen(b, scale);
  return x < y ? -1 : x > y ? 1 : 0;
}

export function addDecimals(a: Decimal, b: Decimal): Decimal {
  const scale = Math.max(a.scale, b.scale);
  return { units: widen(a, scale) + widen(b, scale), scale };
}

export function decimalText(d: Decimal): string {
  const neg = d.units < 0n;
  let digits = (neg ? -d.units : d.units).toString();
  if (d.scale > 0) {
    digits = digits.padStart(d.scale + 1, '0');
    digits = `${digits.slice(0, -d.scale)}.${digits.slice(-d.scale)}`;
  }
  return neg ? `-${digits}` : digits;
}

/** Division rounding half away from zero. */
export function divRound(num: bigint, den: bigint): bigint {
  const neg = num < 0n !== den < 0n;
  const a = num < 0n ? -num : num;
  const b = den < 0n ? -den : den;
  let q = a / b;
  if ((a % b) * 2n >= b) q += 1n;
  return neg ? -q : q;
}
