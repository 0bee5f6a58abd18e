/**
 * Numbers as the server wrote them. JSON.parse turns `4995.40` into 4995.4, and with it the scale
 * of the values the aggregate came from; the text keeps it. Literals are kept beside the parsed
 * object (a WeakMap, so they never reach a JSON document) for whoever prints it.
 */
import type { AggregateValue } from './shapes.js';

const literals = new WeakMap<object, Map<string, string>>();

/**
 * The number literals of the top-level members of `"field": {...}` in a JSON text:
 * `{"aggregate_results": {"avg": 4995.40}}` gives avg → `4995.40`. Nested objects are skipped.
 */
export function memberNumberLiterals(json: string, field: string): Map<string, string> {
  const out = new Map<string, string>();
  const start = json.search(new RegExp(`"${field}"\\s*:\\s*\\{`));
  if (start < 0) return out;
  let i = json.indexOf('{', start) + 1;
  let depth = 1;
  const member = /\s*,?\s*"((?:[^"\\]|\\.)*)"\s*:\s*(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)?/y;
  while (i < json.length && depth > 0) {
    const ch = json[i] as string;
    if (depth === 1) {
      member.lastIndex = i;
      const m = member.exec(json);
      if (m) {
        if (m[2] !== undefined) out.set(JSON.parse(`"${m[1]}"`) as string, m[2]);
        i = member.lastIndex;
        continue;
      }
    }
    if (ch === '"') i = skipString(json, i);
    else {
      if (ch === '{' || ch === '[') depth++;
      else if (ch === '}' || ch === ']') depth--;
      i++;
    }
  }
  return out;
}

function skipString(json: string, at: number): number {
  for (let i = at + 1; i < json.length; i++) {
    if (json[i] === '\\') i++;
    else if (json[i] === '"') return i + 1;
  }
  return json.length;
}

export function rememberLiterals(values: Record<string, AggregateValue>, found: Map<string, string>): void {
  if (found.size > 0) literals.set(values, found);
}

/** The literal the server wrote for `values[key]`, when known and still that number. */
export function literalOf(values: Record<string, AggregateValue>, key: string): string | null {
  const text = literals.get(values)?.get(key);
  return text !== undefined && Number(text) === values[key] ? text : null;
}
