import type { TextSource } from './decode.js';
import { InputError } from './input-error.js';
import type { InputItem } from './input-item.js';
import { ERROR_COLUMN, SOURCE_LINE_COLUMN } from './reserved-columns.js';

/** A line this long is not a record but a file without newlines; stop rather than hold it all. */
export const MAX_LINE_CHARS = 64 * 1024 * 1024;

/** Streams NDJSON: one object a line. A bad line fails alone with its line number; blank lines are skipped. */
export async function* readNdjson(text: TextSource, file: string, maxRows: number): AsyncGenerator<InputItem[]> {
  let line = 0;
  // A line cut across chunks, in pieces: joined once its end arrives.
  let parts: string[] = [];
  let partsLength = 0;
  let items: InputItem[] = [];
  const take = (source: string) => {
    line++;
    const trimmed = source.charCodeAt(source.length - 1) === 13 ? source.slice(0, -1) : source;
    if (trimmed.trim() === '') return;
    items.push(parseLine(trimmed, line, text.replacementMeansInvalid()));
  };
  for await (const chunk of text.chunks) {
    let start = 0;
    for (let nl = chunk.indexOf('\n'); nl !== -1; nl = chunk.indexOf('\n', start)) {
      let piece = chunk.slice(start, nl);
      if (parts.length > 0) {
        parts.push(piece);
        piece = parts.join('');
        parts = [];
        partsLength = 0;
      }
      take(piece);
      start = nl + 1;
      if (items.length >= maxRows) {
        yield items;
        items = [];
      }
    }
    if (start < chunk.length) {
      parts.push(chunk.slice(start));
      partsLength += chunk.length - start;
      if (partsLength > MAX_LINE_CHARS) {
        const error = new InputError(file, `line ${line + 1} is longer than ${MAX_LINE_CHARS >> 20} MiB: the rest of the file was not read`, line + 1);
        items.push({ kind: 'rejected', line: line + 1, raw: (parts[0] ?? '').slice(0, 1000), reason: error.detail });
        yield items;
        throw error;
      }
    }
    if (items.length > 0) {
      yield items;
      items = [];
    }
  }
  if (parts.length > 0) take(parts.join(''));
  if (items.length > 0) yield items;
}

function parseLine(text: string, line: number, checkReplacement: boolean): InputItem {
  if (checkReplacement && text.includes('\uFFFD')) return { kind: 'rejected', line, raw: text, reason: 'invalid UTF-8' };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { kind: 'rejected', line, raw: text, reason: `invalid JSON: ${(err as Error).message}` };
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    return { kind: 'rejected', line, raw: text, reason: `expected a JSON object, found ${describeJson(value)}` };
  }
  const record = value as Record<string, unknown>;
  if (SOURCE_LINE_COLUMN in record) delete record[SOURCE_LINE_COLUMN];
  if (ERROR_COLUMN in record) delete record[ERROR_COLUMN];
  return { kind: 'row', line, record };
}

/** How a rejection names a JSON value that is not an object. */
export function describeJson(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  return `a ${typeof value}`;
}
