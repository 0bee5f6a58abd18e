// Reading aggregates exactly on the client: a number's or a decimal string's digits as written,
// widened and divided without binary floating point (adding and printing are protocol/decimal.ts's).
import type { Decimal } from '../../protocol/decimal.js';

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

/** Division rounding half away from zero. */
export function divRound(num: bigint, den: bigint): bigint {
  const neg = num < 0n !== den < 0n;
  const a = num < 0n ? -num : num;
  const b = den < 0n ? -den : den;
  let q = a / b;
  if ((a % b) * 2n >= b) q += 1n;
  return neg ? -q : q;
}
