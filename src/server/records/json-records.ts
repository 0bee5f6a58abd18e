/**
 * A job's records from its JSON array body, without holding many copies of a large one. A small
 * body is parsed whole (fastest). A large one is scanned for where each item starts and ends,
 * each item parsed and checked on its own and dropped; the worker later parses one chunk's items
 * at a time from the same text. So a body at the size limit costs its text, not its text plus a
 * whole tree of objects (which made one 60 MB body cost 1.7 GB).
 */

/** The records of a job, read in order. */
export interface RecordSource {
  readonly length: number;
  /** Item `i`, parsed (a large source parses it now; read each once, in order). */
  at(i: number): unknown;
  /** Roughly what holding this source costs, for the worker's budget. */
  readonly heldBytes: number;
}

/** A body the server refuses: 400 (malformed, not an array, bad item) or 413 (too many items). */
export class RecordsError extends Error {
  constructor(
    readonly status: 400 | 413,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export interface RecordLimits {
  maxItems: number;
  maxKeysPerRecord: number;
  maxDepth: number;
}

/** Past this many characters a body is scanned item by item instead of parsed whole. */
export const WHOLE_PARSE_MAX_CHARS = 4 * 1024 * 1024;

/** Parses and checks a request body: an array of 1..maxItems objects, each within the key and depth limits. */
export function parseRecords(text: string, limits: RecordLimits, wholeParseMax = WHOLE_PARSE_MAX_CHARS): RecordSource {
  if (text.length <= wholeParseMax) {
    let records: unknown;
    try {
      records = JSON.parse(text);
    } catch (err) {
      throw new RecordsError(400, `Malformed JSON: ${(err as Error).message}`);
    }
    return checkedRecords(records, limits, text.length);
  }
  const offsets = scanItems(text);
  checkCount(offsets.length / 2, limits.maxItems);
  const source = slicedSource(text, offsets);
  for (let i = 0; i < source.length; i++) {
    let item: unknown;
    try {
      item = source.at(i);
    } catch (err) {
      throw new RecordsError(400, `Malformed JSON: item ${i}: ${(err as Error).message}`, { index: i });
    }
    checkShape(item, i, limits);
  }
  return source;
}

/** Parsed records, checked: an array of 1..maxItems objects within the key and depth limits. */
export function checkedRecords(records: unknown, limits: RecordLimits, chars: number): RecordSource {
  if (!Array.isArray(records)) throw new RecordsError(400, 'Expected array data for bulk operations.');
  checkCount(records.length, limits.maxItems);
  records.forEach((r, i) => checkShape(r, i, limits));
  return arraySource(records, chars);
}

/** A stored body, already checked when it was taken: for the worker. */
export function recordsOfPayload(text: string, wholeParseMax = WHOLE_PARSE_MAX_CHARS): RecordSource {
  return text.length <= wholeParseMax
    ? arraySource(JSON.parse(text) as unknown[], text.length)
    : slicedSource(text, scanItems(text));
}

export function arraySource(records: unknown[], chars = 0): RecordSource {
  // Parsed objects cost about twice their JSON text.
  return { length: records.length, at: (i) => records[i], heldBytes: chars * 2 || records.length * 200 };
}

function slicedSource(text: string, offsets: Uint32Array): RecordSource {
  return {
    length: offsets.length / 2,
    at: (i) => JSON.parse(text.slice(offsets[2 * i], offsets[2 * i + 1])) as unknown,
    heldBytes: text.length + offsets.byteLength,
  };
}

function checkCount(n: number, maxItems: number): void {
  if (n === 0) throw new RecordsError(400, 'Empty array provided');
  if (n > maxItems)
    throw new RecordsError(413, `Too many items: ${n} (the limit is ${maxItems} per job)`, { limit_items: maxItems });
}

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);

/**
 * Start and end (exclusive) of each top-level item of a JSON array text, as pairs. Only the frame
 * is checked here (brackets, commas, strings closed); each item's own syntax is JSON.parse's.
 */
export function scanItems(text: string): Uint32Array {
  const n = text.length;
  let i = 0;
  const skip = () => {
    while (i < n && WS.has(text.charCodeAt(i))) i++;
  };
  skip();
  if (text.charCodeAt(i) !== 0x5b) {
    // Not an array: valid JSON of another kind, or not JSON at all.
    try {
      JSON.parse(text);
    } catch (err) {
      throw new RecordsError(400, `Malformed JSON: ${(err as Error).message}`);
    }
    throw new RecordsError(400, 'Expected array data for bulk operations.');
  }
  i++;
  let out = new Uint32Array(1024);
  let count = 0;
  skip();
  if (text.charCodeAt(i) === 0x5d) {
    i++;
  } else {
    for (;;) {
      const start = i;
      let depth = 0;
      let inString = false;
      for (; i < n; i++) {
        const c = text.charCodeAt(i);
        if (inString) {
          if (c === 0x5c) i++;
          else if (c === 0x22) inString = false;
        } else if (c === 0x22) inString = true;
        else if (c === 0x7b || c === 0x5b) depth++;
        else if (c === 0x7d || c === 0x5d) {
          if (depth === 0) break;
          depth--;
        } else if (c === 0x2c && depth === 0) break;
      }
      if (i >= n) throw new RecordsError(400, 'Malformed JSON: Unexpected end of JSON input');
      if (count + 2 > out.length) {
        const grown = new Uint32Array(out.length * 2);
        grown.set(out);
        out = grown;
      }
      out[count++] = start;
      out[count++] = i;
      if (text.charCodeAt(i++) === 0x5d) break;
    }
  }
  skip();
  if (i < n)
    throw new RecordsError(400, `Malformed JSON: Unexpected non-whitespace character after JSON at position ${i}`);
  return out.slice(0, count);
}

/** Each item an object, with a bounded number of keys and no deeply nested values. */
function checkShape(r: unknown, i: number, limits: RecordLimits): void {
  if (!r || typeof r !== 'object' || Array.isArray(r))
    throw new RecordsError(400, `Item ${i} is not a JSON object`, { index: i });
  let keys = 0;
  for (const key in r) {
    if (++keys > limits.maxKeysPerRecord)
      throw new RecordsError(400, `Item ${i} has more than ${limits.maxKeysPerRecord} keys`, {
        index: i,
        limit_keys: limits.maxKeysPerRecord,
      });
    const v = (r as Record<string, unknown>)[key];
    if (v !== null && typeof v === 'object' && depthOf(v, 2, limits.maxDepth) > limits.maxDepth) {
      throw new RecordsError(400, `Item ${i}: field ${key} is nested more than ${limits.maxDepth} levels deep`, {
        index: i,
        limit_depth: limits.maxDepth,
      });
    }
  }
}

function depthOf(value: unknown, depth: number, max: number): number {
  if (depth > max || value === null || typeof value !== 'object') return depth;
  let deepest = depth;
  for (const v of Object.values(value as object)) {
    if (v !== null && typeof v === 'object') deepest = Math.max(deepest, depthOf(v, depth + 1, max));
    if (deepest > max) break;
  }
  return deepest;
}
