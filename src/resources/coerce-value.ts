// One field's value as the resource declares it (text, integer, decimal, boolean, date,
// datetime) into its SQL value, or the reason it is refused.
import { formatDecimal, parseDecimal, rescale } from '../protocol/decimal.js';
import type { FieldDef, SqlValue } from './resource-types.js';

export type Coerced = { ok: true; value: SqlValue } | { ok: false; error: string };

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATETIME_RE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/;

function realDate(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1) return false;
  const days = [31, y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][
    m - 1
  ] as number;
  return d <= days;
}

function significantDigits(text: string): number {
  return text.replace(/[^0-9]/g, '').replace(/^0+/, '').length;
}

/** Why a value was refused. A class, so the hot path tells it from a value without a wrapper object. */
export class Refusal {
  constructor(readonly error: string) {}
}

const fail = (error: string) => new Refusal(error);
const ok = (value: SqlValue) => value;

/** Integers that are surely safe, as most are written: no sign, spaces or leading zeros to look at. */
const PLAIN_INT_RE = /^-?[1-9]\d{0,14}$/;
/** Decimals already in canonical form at a scale (`-12.50`), by scale; built on first use. */
const canonicalDecimal = new Map<number, RegExp>();
function canonicalRe(scale: number): RegExp {
  let re = canonicalDecimal.get(scale);
  if (!re)
    canonicalDecimal.set(
      scale,
      (re = scale === 0 ? /^-?(?:0|[1-9]\d*)$/ : new RegExp(`^-?(?:0|[1-9]\\d*)\\.\\d{${scale}}$`)),
    );
  return re;
}

/**
 * One value into its field's type. CSV gives strings, JSON gives its own types: both are accepted
 * where the meaning is unambiguous, and refused with a reason otherwise. "" and null are missing.
 */
export function coerceValue(field: FieldDef, raw: unknown): Coerced {
  const v = coerceField(field, raw);
  return v instanceof Refusal ? { ok: false, error: v.error } : { ok: true, value: v };
}

/** {@link coerceValue} without a result object per value: the worker calls it for every field of every record. */
export function coerceField(field: FieldDef, raw: unknown): SqlValue | Refusal {
  if (raw === undefined || raw === null || raw === '') return field.required ? fail('is required') : ok(null);
  switch (field.type) {
    case 'text': {
      if (typeof raw !== 'string' && typeof raw !== 'number' && typeof raw !== 'boolean') return fail('must be text');
      const text = String(raw);
      // Counted in characters (code points), not UTF-16 units; the cheap length is an upper bound.
      if (field.maxLength !== undefined && text.length > field.maxLength && [...text].length > field.maxLength)
        return fail(`is longer than ${field.maxLength} characters`);
      return ok(text);
    }
    case 'integer': {
      if (typeof raw === 'string' && PLAIN_INT_RE.test(raw)) return Number(raw);
      if (typeof raw === 'number') return Number.isSafeInteger(raw) ? ok(raw) : fail('must be a whole number');
      if (typeof raw !== 'string' || !/^[+-]?\d+$/.test(raw.trim())) return fail('must be a whole number');
      const n = Number(raw.trim());
      return Number.isSafeInteger(n) ? ok(n) : fail('is too large for a whole number');
    }
    case 'decimal': {
      const scale = field.scale ?? 2;
      // Already canonical (and not a negative zero): the text is the value.
      if (typeof raw === 'string' && canonicalRe(scale).test(raw) && !/^-0(?:\.0*)?$/.test(raw)) return raw;
      const text =
        typeof raw === 'number' && Number.isFinite(raw) ? String(raw) : typeof raw === 'string' ? raw.trim() : null;
      const d = text === null || /e/i.test(text) ? null : parseDecimal(text);
      if (!d) return fail('must be a decimal number');
      // A JSON number arrives as a double. Up to 15 significant digits its shortest text is exactly
      // the digits the sender wrote; beyond that they may already be lost, so refuse, never guess.
      if (typeof raw === 'number' && significantDigits(text as string) > 15)
        return fail('has more than 15 significant digits: send it as a string');
      if (d.scale > scale) return fail(`has more than ${scale} digits after the decimal point`);
      // Canonical text at the field's scale, so 1.5 and 1.50 are one value in keys and in min/max.
      return ok(formatDecimal(rescale(d, scale)));
    }
    case 'boolean': {
      if (typeof raw === 'boolean') return ok(raw ? 1 : 0);
      const t = String(raw).trim().toLowerCase();
      if (['true', '1', 'yes', 't', 'y'].includes(t)) return ok(1);
      if (['false', '0', 'no', 'f', 'n'].includes(t)) return ok(0);
      return fail('must be true or false');
    }
    case 'date': {
      const m = typeof raw === 'string' ? DATE_RE.exec(raw.trim()) : null;
      if (!m) return fail('must be a date (YYYY-MM-DD)');
      if (!realDate(Number(m[1]), Number(m[2]), Number(m[3]))) return fail('is not a real calendar date');
      return ok(m[0] === raw ? raw : `${m[1]}-${m[2]}-${m[3]}`);
    }
    case 'datetime': {
      const m = typeof raw === 'string' ? DATETIME_RE.exec(raw.trim()) : null;
      if (
        !m ||
        !realDate(Number(m[1]), Number(m[2]), Number(m[3])) ||
        Number(m[4]) > 23 ||
        Number(m[5]) > 59 ||
        Number(m[6] ?? 0) > 59
      ) {
        return fail('must be a date and time (ISO 8601, e.g. 2024-01-15T10:30:00Z)');
      }
      const parsed = new Date(m[8] ? (raw as string) : `${(raw as string).trim().replace(' ', 'T')}Z`);
      if (Number.isNaN(parsed.getTime())) return fail('must be a date and time (ISO 8601)');
      return ok(parsed.toISOString());
    }
  }
}
