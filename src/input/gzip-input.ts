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
    // Bytes after a complete member that start none: the stream reads up to them (and warns), and
    // checks the encoding on its first text.
    if (NOT_A_HEADER.test((err as Error).message)) return Buffer.alloc(0);
    throw new InputError(
      file,
      `starts like a gzip file but cannot be decompressed (${(err as Error).message}): ` +
        `check the file, or that it is not cut short`,
    );
  }
}

/**
 * The decompressed bytes of a gzip file, as gzip itself reads it: members one after another are
 * one stream; bytes after a complete member that do not start another are trailing garbage,
 * ignored with a warning naming their offset, every byte before them kept; a file cut short or
 * corrupt fails as an InputError naming it. `reopen` reads the file again from its start: only
 * to find exactly where trailing garbage begins (zlib drops the output of the write that meets it).
 */
export function gunzipStream(
  compressed: Readable,
  file: string,
  opts: { reopen?: () => Readable; onWarning?: (text: string) => void } = {},
): Readable {
  return Readable.from(decompressed(compressed, file, opts), { objectMode: false });
}

/** zlib's words for bytes that do not start a gzip member: after a complete one, trailing garbage. */
const NOT_A_HEADER = /incorrect header check|unknown compression method|invalid header/;

/** Feeds a gunzip one buffer at a time; each write's output is in hand when the write is done. */
class Inflater {
  private readonly gunzip = createGunzip();
  private readonly out: Buffer[] = [];
  failure: Error | null = null;

  constructor() {
    this.gunzip.on('data', (b: Buffer) => this.out.push(b));
    this.gunzip.on('error', (err) => (this.failure ??= err));
  }

  async write(buf: Buffer): Promise<Buffer[]> {
    if (!this.failure)
      await new Promise<void>((resolve) => {
        // A write that fails may never call back: its error ends the wait instead.
        const failed = () => resolve();
        this.gunzip.once('error', failed);
        this.gunzip.write(buf, () => {
          this.gunzip.off('error', failed);
          resolve();
        });
      });
    return this.out.splice(0);
  }

  async end(): Promise<Buffer[]> {
    if (!this.failure)
      await new Promise<void>((resolve) => {
        this.gunzip.once('end', resolve);
        this.gunzip.once('error', () => resolve());
        this.gunzip.end();
        this.gunzip.resume();
      });
    return this.out.splice(0);
  }

  destroy(): void {
    this.gunzip.destroy();
  }
}

async function* decompressed(
  compressed: Readable,
  file: string,
  opts: { reopen?: () => Readable; onWarning?: (text: string) => void },
): AsyncGenerator<Buffer> {
  const inflater = new Inflater();
  /** Decompressed bytes given out, and compressed bytes fed before the write in hand. */
  let given = 0;
  let fed = 0;
  try {
    for await (const chunk of compressed) {
      const buf = chunk as Buffer;
      for (const b of await inflater.write(buf)) {
        given += b.length;
        yield b;
      }
      if (inflater.failure) break;
      fed += buf.length;
    }
    if (!inflater.failure) for (const b of await inflater.end()) yield b;
    const failure = inflater.failure as Error | null;
    if (!failure) return;
    if (given > 0 && NOT_A_HEADER.test(failure.message) && opts.reopen) {
      const offset = yield* replayToGarbage(opts.reopen, fed, given);
      opts.onWarning?.(
        `${file}: trailing garbage after the gzip data at byte ${offset} ignored (as gzip does); ` +
          'every row before it is read',
      );
      return;
    }
    throw failure;
  } catch (err) {
    if (err instanceof InputError) throw err;
    const why =
      (err as NodeJS.ErrnoException).code === 'Z_BUF_ERROR'
        ? 'the file ends in the middle of its compressed data (cut short?)'
        : `not valid gzip data (${(err as Error).message})`;
    throw new InputError(file, `${why}: the rest of the file was not read`);
  } finally {
    inflater.destroy();
  }
}

/**
 * Reads the file again up to the write that met the garbage, then byte by byte: the member's end
 * is given out (past the `given` bytes already out) and the garbage's offset found. Returns it.
 */
async function* replayToGarbage(reopen: () => Readable, fed: number, given: number): AsyncGenerator<Buffer, number> {
  const inflater = new Inflater();
  const stream = reopen();
  let at = 0;
  let skip = given;
  const out = function* (bufs: Buffer[]): Generator<Buffer> {
    for (const b of bufs) {
      if (skip >= b.length) skip -= b.length;
      else {
        yield b.subarray(skip);
        skip = 0;
      }
    }
  };
  try {
    for await (const chunk of stream) {
      const buf = chunk as Buffer;
      const whole = Math.max(0, Math.min(buf.length, fed - at));
      if (whole > 0) yield* out(await inflater.write(buf.subarray(0, whole)));
      for (let i = whole; i < buf.length; i++) {
        yield* out(await inflater.write(buf.subarray(i, i + 1)));
        // zlib knows the magic is wrong at its second byte, the method at its third.
        if (inflater.failure) return at + i - (/unknown compression method/.test(inflater.failure.message) ? 2 : 1);
      }
      at += buf.length;
    }
    return at;
  } finally {
    inflater.destroy();
    stream.destroy();
  }
}
