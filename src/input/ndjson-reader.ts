import type { InputItem } from './input-item.js';
import { ERROR_COLUMN, SOURCE_LINE_COLUMN } from './reserved-columns.js';

/** Streams NDJSON: one object a line. A bad line fails alone with its line number; blank lines are skipped. */
export async function* readNdjson(chunks: AsyncIterable<string>, maxRows: number): AsyncGenerator<InputItem[]> {
  let carry = '';
  let line = 0;
  let items: InputItem[] = [];
  const take = (text: string) => {
    line++;
    const trimmed = text.endsWith('\r') ? text.slice(0, -1) : text;
    if (trimmed.trim() === '') return;
    items.push(parseLine(trimmed, line));
  };
  for await (const chunk of chunks) {
    const text = carry + chunk;
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      take(text.slice(start, nl));
      start = nl + 1;
      if (items.length >= maxRows) {
        yield items;
        items = [];
      }
    }
    carry = text.slice(start);
    if (items.length > 0) {
      yield items;
      items = [];
    }
  }
  if (carry) take(carry);
  if (items.length > 0) yield items;
}

function parseLine(text: string, line: number): InputItem {
  if (text.includes('\uFFFD')) return { kind: 'rejected', line, raw: text, reason: 'invalid UTF-8' };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { kind: 'rejected', line, raw: text, reason: `invalid JSON: ${(err as Error).message}` };
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    return { kind: 'rejected', line, raw: text, reason: `expected a JSON object, found ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}` };
  }
  const record = value as Record<string, unknown>;
  if (SOURCE_LINE_COLUMN in record) delete record[SOURCE_LINE_COLUMN];
  if (ERROR_COLUMN in record) delete record[ERROR_COLUMN];
  return { kind: 'row', line, record };
}
