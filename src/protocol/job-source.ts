/**
 * Where a job's rows came from, as the client says on job start (ext): the `Bulk-Source` request
 * header, `transactions.csv:2-5001` (the file name percent-encoded), kept by the server and
 * returned in the status as `source`. A server without it ignores the header.
 */

export const SOURCE_HEADER = 'bulk-source';
const MAX_HEADER = 1024;

export interface JobSource {
  file: string;
  first_line: number;
  last_line: number;
}

export function formatSourceHeader(file: string, firstLine: number, lastLine: number): string {
  return `${encodeURIComponent(file)}:${firstLine}-${lastLine}`;
}

/** The header's value, or null when it is absent or not of that shape (never an error: it is only a label). */
export function parseSourceHeader(value: string | string[] | undefined): JobSource | null {
  const text = Array.isArray(value) ? value[0] : value;
  if (!text || text.length > MAX_HEADER) return null;
  const m = /^([^:]+):(\d{1,12})-(\d{1,12})$/.exec(text.trim());
  if (!m) return null;
  let file: string;
  try {
    file = decodeURIComponent(m[1] as string);
  } catch {
    return null;
  }
  const first = Number(m[2]);
  const last = Number(m[3]);
  // eslint-disable-next-line no-control-regex -- a label shown on a page must not carry control characters
  if (last < first || /[\u0000-\u001f]/.test(file)) return null;
  return { file, first_line: first, last_line: last };
}
