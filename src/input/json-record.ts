// Turns the text of one JSON record into a row or a rejection with its reason: shared by both JSON readers.
import type { InputItem } from './input-item.js';
import { nestsDeeperThan, overDepthReason, rawPrefix, type RecordLimits } from './record-limits.js';
import { ERROR_COLUMN, SOURCE_LINE_COLUMN } from './reserved-columns.js';

/**
 * One JSON record's text (an NDJSON line, a JSON array element) to a row, or to a rejected item
 * with its line and reason: bytes that do not decode, invalid JSON, not an object, or nested past the limit.
 * V8's JSON.parse does not recurse, so a deep value parses; the depth check then keeps it from
 * everything after the reader that does (JSON.stringify of a batch, a server's validator).
 */
export function parseJsonRecord(
  text: string,
  line: number,
  undecodable: { test(value: string): boolean; reason: string },
  limits: RecordLimits,
): InputItem {
  // Its text whole, not a prefix: the failed-rows file gives the line back with its original bytes.
  if (undecodable.test(text)) return { kind: 'rejected', line, raw: text, reason: undecodable.reason };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { kind: 'rejected', line, raw: rawPrefix(text), reason: `invalid JSON: ${(err as Error).message}` };
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    return {
      kind: 'rejected',
      line,
      raw: rawPrefix(text),
      reason: `expected a JSON object, found ${describeJson(value)}`,
    };
  }
  if (nestsDeeperThan(value, limits.maxDepth))
    return { kind: 'rejected', line, raw: rawPrefix(text), reason: overDepthReason(limits) };
  const record = value as Record<string, unknown>;
  const origin = record[SOURCE_LINE_COLUMN];
  if (SOURCE_LINE_COLUMN in record) delete record[SOURCE_LINE_COLUMN];
  if (ERROR_COLUMN in record) delete record[ERROR_COLUMN];
  return typeof origin === 'number' && Number.isSafeInteger(origin) && origin >= 1
    ? { kind: 'row', line, record, sourceLine: origin }
    : { kind: 'row', line, record };
}

/** How a rejection names a JSON value that is not an object. */
export function describeJson(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  return `a ${typeof value}`;
}
