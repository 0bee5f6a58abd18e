// Bytes to text for the readers: the input's encoding (or its byte order mark's) decoded as a
// stream, a wrong encoding refused before any row goes out, and bytes that do not decode kept.
import { isUtf8 } from 'node:buffer';
import type { Readable } from 'node:stream';
import { InputError } from './input-error.js';
import type { InputEncoding } from './input-item.js';
import { bomOf, resolveEncoding, showEncoding, textCodec, type EncodingName } from './text-codec.js';

export interface TextSource {
  chunks: AsyncIterable<string>;
  bytesRead(): number;
  /**
   * Whether a value holds bytes that did not decode. False for every value while every byte so
   * far decoded, so a file that really holds U+FFFD characters keeps them.
   */
  undecodable(value: string): boolean;
  /** Why such a value is refused (`invalid UTF-8`). */
  undecodableReason: string;
  /** The encoding read (the byte order mark's, once the first bytes are in), and whether it had one. */
  encoding(): { name: EncodingName; bom: boolean };
}

/** How much of the start of a file is looked at to refuse a wrong encoding. */
export const SNIFF_BYTES = 64 * 1024;

/** A label (`utf8`, `latin1`, `windows-1252`) as the codec's canonical name; throws InputError for an unknown one. */
export function encodingName(label: InputEncoding | undefined, file: string): EncodingName {
  const resolved = resolveEncoding(label ?? 'utf-8');
  if ('error' in resolved) throw new InputError(file, resolved.error);
  return resolved.name;
}

/**
 * Bytes to text in the chosen encoding, or in the one a byte order mark names. Unless `sniffed`,
 * the first 64 KiB are gathered and checked before any text is produced, so a file clearly in
 * another encoding is refused before a row goes out.
 */
export function decodeStream(
  stream: Readable,
  encoding: InputEncoding | undefined,
  file: string,
  opts: { sniffed?: boolean; onNotice?: (text: string) => void } = {},
): TextSource {
  let bytes = 0;
  let codec = textCodec(encodingName(encoding, file));
  let bom = false;
  let decoder = codec.decoder();
  /** The first bytes: the byte order mark decides the codec, and is not text. */
  const start = (buf: Buffer): Buffer => {
    const mark = bomOf(buf);
    if (!mark) return buf;
    bom = true;
    if (mark.name !== codec.name) {
      if (encoding !== undefined)
        opts.onNotice?.(
          `${file}: read as ${showEncoding(mark.name)}, as its byte order mark says (not ${showEncoding(codec.name)})`,
        );
      codec = textCodec(mark.name);
      decoder = codec.decoder();
    }
    return buf.subarray(mark.length);
  };
  /** The first bytes, held until a byte order mark (3 bytes at most) can be told. */
  let first: Buffer | null = Buffer.alloc(0);
  const text = (buf: Buffer, end: boolean): string => {
    if (first) {
      first = Buffer.concat([first, buf]);
      if (first.length < 3 && !end) return '';
      buf = start(first);
      first = null;
    }
    return decoder.write(buf);
  };
  async function* chunks(): AsyncGenerator<string> {
    let head: Buffer[] | null = opts.sniffed ? null : [];
    let headBytes = 0;
    for await (const chunk of stream) {
      let buf: Buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
      bytes += buf.length;
      if (head) {
        head.push(buf);
        headBytes += buf.length;
        if (headBytes < SNIFF_BYTES) continue;
        const all = Buffer.concat(head);
        head = null;
        checkEncoding(all.subarray(0, SNIFF_BYTES), encoding, file, false);
        buf = all;
      }
      const t = text(buf, false);
      if (t) yield t;
    }
    if (head) {
      const all: Buffer = Buffer.concat(head);
      checkEncoding(all, encoding, file, true);
      const t = text(all, true);
      if (t) yield t;
    } else if (first) {
      const t = text(Buffer.alloc(0), true);
      if (t) yield t;
    }
    const rest = decoder.end();
    if (rest) yield rest;
  }
  return {
    chunks: chunks(),
    bytesRead: () => bytes,
    undecodable: (value) => decoder.invalid && codec.undecodable(value),
    get undecodableReason() {
      return `invalid ${showEncoding(codec.name)}`;
    },
    encoding: () => ({ name: codec.name, bom }),
  };
}

/**
 * Refuses a sample (the start of a file) that is clearly not in `encoding`: UTF-16 read as UTF-8,
 * or text where most lines hold bytes that are not UTF-8. `complete`: the sample is the whole file.
 * A byte order mark decides the encoding and passes.
 */
export function checkEncoding(
  sample: Buffer,
  encoding: InputEncoding | undefined,
  file: string,
  complete: boolean,
): void {
  if (encodingName(encoding, file) !== 'utf-8' || sample.length === 0 || bomOf(sample)) return;
  const nuls = countNul(sample);
  if (nuls > Math.max(2, sample.length / 10)) {
    // ASCII in UTF-16: the NULs are the high bytes, second in little-endian, first in big-endian.
    const be = countNul(sample, 0) > countNul(sample, 1);
    throw new InputError(
      file,
      `this file looks like UTF-16${be ? 'BE' : 'LE'} without a byte order mark, not UTF-8: ` +
        `use --encoding utf-16${be ? 'be' : 'le'}`,
    );
  }
  if (isUtf8(sample)) return;
  const text = new TextDecoder('utf-8').decode(sample);
  const lines = text.split('\n');
  // The last line of a cut sample may end in half a character.
  if (!complete && lines.length > 1) lines.pop();
  const counted = lines.filter((l) => l.trim() !== '');
  const bad = counted.filter((l) => l.includes('\uFFFD')).length;
  if (bad * 2 > counted.length) {
    throw new InputError(
      file,
      `this file is mostly not valid UTF-8 (${bad} of the first ${counted.length} lines): if it is text in ` +
        `another encoding, name it, e.g. --encoding windows-1252 (Excel's in western Europe)`,
    );
  }
}

/** NUL bytes in the sample; with `parity`, only at even (0) or odd (1) offsets. */
function countNul(buf: Buffer, parity?: 0 | 1): number {
  let n = 0;
  for (let i = buf.indexOf(0); i !== -1; i = buf.indexOf(0, i + 1)) if (parity === undefined || i % 2 === parity) n++;
  return n;
}
