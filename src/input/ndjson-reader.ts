// Reads NDJSON (one JSON object a line) as rows with their line numbers, in constant memory.
import type { TextSource } from './decode.js';
import type { InputItem } from './input-item.js';
import { parseJsonRecord } from './json-record.js';
import { DEFAULT_RECORD_LIMITS, overSizeReason, RAW_KEPT_CHARS, type RecordLimits } from './record-limits.js';

/**
 * Streams NDJSON: one object a line. A bad line fails alone with its line number; blank lines are
 * skipped. A line over the size limit fails alone too: past the limit its text is no longer held,
 * and reading goes on at the next newline, so one huge line never stops the rest of the file.
 */
export async function* readNdjson(
  text: TextSource,
  file: string,
  maxRows: number,
  limits: RecordLimits = DEFAULT_RECORD_LIMITS,
): AsyncGenerator<InputItem[]> {
  let line = 0;
  // A line cut across chunks, in pieces: joined once its end arrives.
  let parts: string[] = [];
  let partsLength = 0;
  // The start of a line over the limit, while the rest of it is skipped.
  let oversized: string | null = null;
  let items: InputItem[] = [];
  const undecodable = { test: (v: string) => text.undecodable(v), reason: text.undecodableReason };
  const take = (source: string) => {
    line++;
    if (oversized !== null) {
      items.push({ kind: 'rejected', line, raw: `${oversized}…`, reason: overSizeReason(limits) });
      oversized = null;
      return;
    }
    const trimmed = source.charCodeAt(source.length - 1) === 13 ? source.slice(0, -1) : source;
    if (trimmed.length > limits.maxRecordChars) {
      items.push({
        kind: 'rejected',
        line,
        raw: `${trimmed.slice(0, RAW_KEPT_CHARS)}…`,
        reason: overSizeReason(limits),
      });
      return;
    }
    if (trimmed.trim() === '') return;
    items.push(parseJsonRecord(trimmed, line, undecodable, limits));
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
      take(oversized === null ? piece : '');
      start = nl + 1;
      if (items.length >= maxRows) {
        yield items;
        items = [];
      }
    }
    if (start < chunk.length && oversized === null) {
      parts.push(chunk.slice(start));
      partsLength += chunk.length - start;
      // One character of slack: a CR before the newline is not part of the record.
      if (partsLength > limits.maxRecordChars + 1) {
        oversized = parts.join('').slice(0, RAW_KEPT_CHARS);
        parts = [];
        partsLength = 0;
      }
    }
    if (items.length > 0) {
      yield items;
      items = [];
    }
  }
  if (parts.length > 0 || oversized !== null) take(parts.join(''));
  if (items.length > 0) yield items;
}
