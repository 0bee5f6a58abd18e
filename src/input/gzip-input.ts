/**
 * gzip input: known by its magic bytes whatever the file is called, decompressed as a stream (memory
 * stays flat), with the format read from the name under the compression suffix (rows.ndjson.gz).
 */
import { Readable } from 'node:stream';
import { constants, createGunzip, gunzipSync } from 'node:zlib';
import { InputError } from './input-error.js';

/** The file name that tells the format: without a trailing `.gz`. */
export function formatName(file: string): string {
  return file.replace(/\.gz$/i, '');
}

/** gzip's magic bytes: 1f 8b, then 08 (deflate, the only method gzip defines). */
export function isGzip(start: Buffer): boolean {
  return start.length >= 3 && start[0] === 0x1f && start[1] === 0x8b && start[2] === 0x08;
}

/** How much decompressed text a sample may expand to: enough to check the encoding, no bomb. */
const SAMPLE_OUTPUT_BYTES = 1024 * 1024;

/**
 * The start of what a gzip sample holds, decompressed as far as the sample goes: the encoding is
 * checked on the text, not on compressed bytes. A sample that is not gzip at all is refused here.
 */
export function gunzipSample(sample: Buffer, file: string): Buffer {
  try {
    return gunzipSync(sample, { finishFlush: constants.Z_SYNC_FLUSH, maxOutputLength: SAMPLE_OUTPUT_BYTES });
  } catch (err) {
    // Expanding past the cap only means the sample holds a lot of text: look at no more of it.
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError)
      return Buffer.alloc(0);
    throw new InputError(
      file,
      `starts like a gzip file but cannot be decompressed (${(err as Error).message}): ` +
        `check the file, or that it is not cut short`,
    );
  }
}

/** The decompressed bytes of a gzip stream; a corrupt or cut-off file fails as an InputError naming it. */
export function gunzipStream(compressed: Readable, file: string): Readable {
  const gunzip = createGunzip();
  compressed.on('error', (err) => gunzip.destroy(err));
  compressed.pipe(gunzip);
  // A Readable again, over the generator: decodeStream takes any Readable.
  return Readable.from(decompressed(gunzip, file), { objectMode: false });
}

async function* decompressed(gunzip: Readable, file: string): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of gunzip) yield chunk as Buffer;
  } catch (err) {
    if (err instanceof InputError) throw err;
    const why =
      (err as NodeJS.ErrnoException).code === 'Z_BUF_ERROR'
        ? 'the file ends in the middle of its compressed data (cut short?)'
        : `not valid gzip data (${(err as Error).message})`;
    throw new InputError(file, `${why}: the rest of the file was not read`);
  } finally {
    gunzip.destroy();
  }
}
