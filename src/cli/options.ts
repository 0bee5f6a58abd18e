// Parsers for commander option values: a bad value is a usage error (exit 2) naming the flag.
import { InvalidArgumentError } from 'commander';
import { resolveEncoding } from '../input/text-codec.js';
import { parseSize } from '../input/record-limits.js';

export function positiveInteger(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1)
    throw new InvalidArgumentError('expected a whole number of at least 1');
  return n;
}

export function nonNegativeSeconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a number of seconds');
  return n;
}

/** `--max-record-size 64MiB`: a size with an optional K/M/G (binary) unit. */
export function recordSize(value: string): number {
  const n = parseSize(value);
  if (n === null) throw new InvalidArgumentError('expected a size such as 16MiB, 512KiB or 1000000');
  return n;
}

export function fieldList(value: string): string[] {
  const fields = value
    .split(',')
    .map((f) => f.trim())
    .filter(Boolean);
  if (fields.length === 0) throw new InvalidArgumentError('expected a comma-separated list of field names');
  return fields;
}

/** `--max-errors 50` or `--max-errors 2%`. */
export function maxErrors(value: string): { count?: number; percent?: number } {
  const m = /^(\d+(?:\.\d+)?)(%)?$/.exec(value.trim());
  if (!m) throw new InvalidArgumentError('expected a count (50) or a percentage (2%)');
  const n = Number(m[1]);
  if (m[2]) {
    if (n > 100) throw new InvalidArgumentError('a percentage is at most 100%');
    return { percent: n };
  }
  if (!Number.isInteger(n)) throw new InvalidArgumentError('a count must be a whole number');
  return { count: n };
}

export function increaseVerbosity(_value: string, previous: number): number {
  return previous + 1;
}

/** `--encoding`: a label Node's TextDecoder knows (and bulk can write back), kept as given. */
export function encodingLabel(value: string): string {
  const resolved = resolveEncoding(value);
  if ('error' in resolved) throw new InvalidArgumentError(resolved.error);
  return value;
}
