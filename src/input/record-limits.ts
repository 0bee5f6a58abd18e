/**
 * The limits every reader holds one record to, with the flag that changes each and the reason a
 * row over one fails with. One place, so CSV, JSON and NDJSON say the same thing the same way.
 */

export interface RecordLimits {
  /**
   * The largest record, in characters of decoded text: an NDJSON line, a JSON array element, a
   * CSV record (quoted newlines included). Past it a reader stops holding the record's text, so
   * memory stays bounded whatever the file holds. @default 16 MiB
   */
  maxRecordChars: number;
  /**
   * How deep objects and arrays may nest in a JSON record; the record itself is level 1, so
   * `{"a":[1]}` is 2 deep. The bundled server refuses deeper than 32. @default 32
   */
  maxDepth: number;
}

export const DEFAULT_RECORD_LIMITS: Readonly<RecordLimits> = Object.freeze({
  maxRecordChars: 16 * 1024 * 1024,
  maxDepth: 32,
});

export const RECORD_SIZE_FLAG = '--max-record-size';
export const DEPTH_FLAG = '--max-depth';

/** Source text kept for a row that fails: enough to find it, never the whole of a huge one. */
export const RAW_KEPT_CHARS = 1000;

/** `16 MiB`, `1.5 KiB`, `300 characters`: how messages name a size limit. */
export function formatChars(chars: number): string {
  for (const [unit, size] of [
    ['GiB', 2 ** 30],
    ['MiB', 2 ** 20],
    ['KiB', 2 ** 10],
  ] as const) {
    if (chars >= size) return `${Number((chars / size).toFixed(1))} ${unit}`;
  }
  return `${chars} characters`;
}

export function overSizeReason(limits: RecordLimits): string {
  return (
    `the record is longer than ${formatChars(limits.maxRecordChars)}, ` +
    `the limit (raise it with ${RECORD_SIZE_FLAG})`
  );
}

export function overDepthReason(limits: RecordLimits): string {
  return `nested more than ${limits.maxDepth} levels deep, the limit (raise it with ${DEPTH_FLAG})`;
}

/** A prefix of a failing row's text, marked when cut. */
export function rawPrefix(text: string): string {
  return text.length > RAW_KEPT_CHARS ? `${text.slice(0, RAW_KEPT_CHARS)}…` : text;
}

/**
 * Whether a parsed JSON value nests deeper than `max` (the value itself is level 1). Iterative,
 * and it stops at the first path past the limit: a value 100,000 deep costs `max` steps down one
 * path, and nothing recursive (JSON.stringify, a validator) ever sees it.
 */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (max < 1) return true;
  const stack: { value: object; depth: number }[] = [{ value, depth: 1 }];
  for (let next = stack.pop(); next; next = stack.pop()) {
    const children = Array.isArray(next.value) ? next.value : Object.values(next.value);
    for (const child of children) {
      if (child === null || typeof child !== 'object') continue;
      if (next.depth + 1 > max) return true;
      stack.push({ value: child as object, depth: next.depth + 1 });
    }
  }
  return false;
}

/** `16MiB`, `512k`, `2M`, `1000000`: a size flag's value, in characters; null when it is none of these. */
export function parseSize(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)\s*(k|ki|kib|kb|m|mi|mib|mb|g|gi|gib|gb)?$/i.exec(text.trim());
  if (!m) return null;
  const unit = (m[2] ?? '').toLowerCase()[0];
  const scale = unit === 'k' ? 2 ** 10 : unit === 'm' ? 2 ** 20 : unit === 'g' ? 2 ** 30 : 1;
  const n = Math.floor(Number(m[1]) * scale);
  return Number.isSafeInteger(n) && n >= 1 ? n : null;
}
