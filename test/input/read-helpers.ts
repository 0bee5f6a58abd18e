import path from 'node:path';
import { Readable } from 'node:stream';
import { InputError } from '../../src/input/input-error.js';
import type { InputEncoding, InputFormat, InputItem } from '../../src/input/input-item.js';
import { openInput, openStream, type InputSource } from '../../src/input/open-input.js';
import type { RecordLimits } from '../../src/input/record-limits.js';

export const fx = (name: string) => path.resolve(import.meta.dirname, '../../fixtures', name);

export interface ReadResult {
  items: InputItem[];
  error: InputError | null;
  columns: string[] | null;
}

/** Every item of a source, and the InputError it stopped with (other errors are rethrown). */
export async function drain(src: InputSource, maxRows = 7): Promise<ReadResult> {
  const items: InputItem[] = [];
  let error: InputError | null = null;
  try {
    for await (const batch of src.batches(maxRows)) {
      if (batch.length === 0 || batch.length > maxRows) throw new Error(`a batch of ${batch.length} items`);
      items.push(...batch);
    }
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    error = err;
  } finally {
    await src.close();
  }
  return { items, error, columns: src.columns() };
}

/** Opens and reads a file; an InputError from opening is returned like one from reading. */
export async function readAll(
  file: string,
  opts: Parameters<typeof openInput>[1] = {},
  maxRows = 7,
): Promise<ReadResult> {
  let src: InputSource;
  try {
    src = await openInput(file, opts);
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    return { items: [], error: err, columns: null };
  }
  return drain(src, maxRows);
}

/**
 * Reads text or bytes given as chunks, as stdin would deliver them. Unless `sniffed`, the decoder
 * gathers the first 64 KiB to check the encoding, so the reader sees a small input in one piece:
 * a test of how a reader handles chunk boundaries must pass `sniffed: true`.
 */
export function readChunks(
  chunks: (string | Buffer)[],
  format: InputFormat,
  opts: { encoding?: InputEncoding; maxRows?: number; name?: string; sniffed?: boolean; limits?: RecordLimits } = {},
): Promise<ReadResult> {
  const buffers = chunks.map((c) => (typeof c === 'string' ? Buffer.from(c) : c));
  return drain(
    openStream(Readable.from(buffers), {
      format,
      name: opts.name ?? 'stdin',
      encoding: opts.encoding,
      sniffed: opts.sniffed,
      limits: opts.limits,
    }),
    opts.maxRows ?? 7,
  );
}

/** Splits bytes into chunks of `size`, to cut characters, line endings and tokens apart. */
export function splitBytes(data: Buffer | string, size: number): Buffer[] {
  const buf = typeof data === 'string' ? Buffer.from(data) : data;
  const out: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) out.push(buf.subarray(i, i + size));
  return out;
}

/** [line, record] for rows, [line, reason] for rejected items. */
export const shape = (items: InputItem[]) =>
  items.map((i) => (i.kind === 'row' ? [i.line, i.record] : [i.line, i.reason]));
export const records = (items: InputItem[]) => items.map((i) => (i.kind === 'row' ? i.record : null));
