/**
 * Exact decimals for money: a BigInt of units and a scale (digits after the point). Never a
 * binary float, so 0.10 + 0.20 is 0.30 and sums past 2^53 cents stay exact. One module and one
 * rounding rule (half-even) for the server's aggregates and the client's combined ones.
 */
export interface Decimal {
  units: bigint;
  scale: number;
}

const DECIMAL_RE = /^([+-]?)(\d+)(?:\.(\d+))?$/;

export function parseDecimal(text: string): Decimal | null {
  const m = DECIMAL_RE.exec(text);
  if (!m) return null;
  const frac = m[3] ?? '';
  const units = BigInt(`${m[2]}${frac}`);
  return { units: m[1] === '-' ? -units : units, scale: frac.length };
}

const NUMBER_TEXT = /^([+-]?)(\d*)(?:\.(\d*))?(?:e([+-]?\d+))?$/i;

/**
 * Reads a JSON number's shortest round-trip text (what `String(n)` gives: the digits the server
 * wrote, for up to 15 significant digits) or a decimal string, exponent and all, exactly: the
 * client reads aggregates with it.
 */
export function parseExact(v: number | string): Decimal | null {
  if (typeof v === 'number' && !Number.isFinite(v)) return null;
  const m = NUMBER_TEXT.exec(typeof v === 'number' ? String(v) : v.trim());
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

/** To `scale` digits: exact when widening, rounded half-even when narrowing. */
export function rescale(d: Decimal, scale: number): Decimal {
  if (scale === d.scale) return d;
  if (scale > d.scale) return { units: d.units * 10n ** BigInt(scale - d.scale), scale };
  return { units: divRoundHalfEven(d.units, 10n ** BigInt(d.scale - scale)), scale };
}

export function addDecimal(a: Decimal, b: Decimal): Decimal {
  const scale = Math.max(a.scale, b.scale);
  return { units: rescale(a, scale).units + rescale(b, scale).units, scale };
}

export function compareDecimal(a: Decimal, b: Decimal): number {
  const scale = Math.max(a.scale, b.scale);
  const x = rescale(a, scale).units;
  const y = rescale(b, scale).units;
  return x < y ? -1 : x > y ? 1 : 0;
}

/** a / n rounded half-even to `scale` digits: the average of exact amounts. */
export function divideDecimal(a: Decimal, n: bigint, scale: number): Decimal {
  const widened = rescale(a, scale);
  return { units: divRoundHalfEven(widened.units, n), scale };
}

/** Division of units, a tie going to the even neighbour (banker's rounding): 0.125 → 0.12, 0.135 → 0.14. */
function divRoundHalfEven(num: bigint, den: bigint): bigint {
  const negative = num < 0n !== den < 0n;
  const an = num < 0n ? -num : num;
  const ad = den < 0n ? -den : den;
  let q = an / ad;
  const r = an % ad;
  if (r * 2n > ad || (r * 2n === ad && q % 2n === 1n)) q += 1n;
  return negative ? -q : q;
}

/** Canonical text: `-12.50`, `0.05`, `7`. Also valid as a JSON number literal. */
export function formatDecimal(d: Decimal): string {
  const negative = d.units < 0n;
  let digits = (negative ? -d.units : d.units).toString();
  if (d.scale > 0) {
    digits = digits.padStart(d.scale + 1, '0');
    digits = `${digits.slice(0, -d.scale)}.${digits.slice(-d.scale)}`;
  }
  return negative ? `-${digits}` : digits;
}
