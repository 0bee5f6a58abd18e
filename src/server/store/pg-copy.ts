/**
 * Moves a chunk's rows into a per-connection staging table with `COPY … FROM STDIN`: the text
 * format's encoding, and a stream whose errors end the query instead of leaving the client mid-COPY.
 */
import { finished } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { SqlValue } from '../../resources/resource-types.js';

/** One value in COPY's text format: `\N` for null; backslash, tab, newline and carriage return escaped. */
export function copyValue(v: SqlValue): string {
  if (v === null || v === undefined) return '\\N';
  if (typeof v === 'number') return String(v);
  return /[\\\t\n\r]/.test(v) ? v.replace(/[\\\t\n\r]/g, (c) => COPY_ESCAPES[c] as string) : v;
}

const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** Bytes per CopyData message: large enough to be cheap, small enough to keep one chunk's text short-lived. */
const PIECE_CHARS = 256 * 1024;

/**
 * Runs `COPY table (columns) FROM STDIN` with the given lines (each a row, tab-separated, ending
 * in a newline). A COPY the server refuses rejects here, with the client out of COPY mode and
 * free for the transaction's ROLLBACK.
 */
export async function copyLines(
  client: pg.PoolClient,
  table: string,
  columns: string,
  lines: Iterable<string>,
): Promise<void> {
  const stream = client.query(copyFrom(`COPY ${table} (${columns}) FROM STDIN`));
  const done = finished(stream);
  let piece = '';
  let failed = false;
  stream.once('error', () => (failed = true));
  for (const line of lines) {
    piece += line;
    if (piece.length >= PIECE_CHARS) {
      if (failed) break;
      if (!stream.write(piece)) await waitForDrain(stream);
      piece = '';
    }
  }
  if (!failed) stream.end(piece);
  await done;
}

function waitForDrain(stream: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve) => {
    const go = () => {
      stream.off('drain', go);
      stream.off('error', go);
      resolve();
    };
    stream.on('drain', go);
    stream.on('error', go);
  });
}
