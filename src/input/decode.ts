// Bytes to text for the readers: the input's encoding decoded as a stream, a wrong encoding
// refused before any row goes out, and invalid UTF-8 told apart from a real U+FFFD.
import { isUtf8 } from 'node:buffer';
import type { Readable } from 'node:stream';
import { InputError } from './input-error.js';
import type { InputEncoding } from './input-item.js';

export interface TextSource {
  chunks: AsyncIterable<string>;
  bytesRead(): number;
  /**
   * Whether a U+FFFD in the text may stand for bytes that could not be decoded. False while every
   * byte so far was valid UTF-8, so a file that really holds U+FFFD characters keeps them.
   */
  replacementMeansInvalid(): boolean;
}

/** How much of the start of a file is looked at to refuse a wrong encoding. */
export const SNIFF_BYTES = 64 * 1024;

// TextDecoder's 'latin1' is windows-1252, as in browsers and spreadsheets: it differs from
// ISO-8859-1 only in 0x80–0x9F, where real files hold €, curly quotes and dashes, not controls.
const DECODER_LABEL: Record<InputEncoding, string> = { utf8: 'utf-8', utf16le: 'utf-16le', latin1: 'latin1' };

/**
 * Bytes to text in the chosen encoding. Unless `sniffed`, the first 64 KiB are gathered and checked
 * before any text is produced, so a file clearly in another encoding is refused before a row goes
 * out. Invalid UTF-8 becomes U+FFFD, which the readers turn into a rejected row with its line.
 */
export function decodeStream(
  stream: Readable,
  encoding: InputEncoding,
  file: string,
  opts: { sniffed?: boolean } = {},
): TextSource {
  let bytes = 0;
  const validity = encoding === 'utf8' ? new Utf8Validity() : null;
  async function* chunks(): AsyncGenerator<string> {
    const decoder = new TextDecoder(DECODER_LABEL[encoding]);
    const decode = (buf: Buffer) => {
      validity?.check(buf);
      return decoder.decode(buf, { stream: true });
    };
    let head: Buffer[] | null = opts.sniffed ? null : [];
    let headBytes = 0;
    for await (const chunk of stream) {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
      bytes += buf.length;
      if (head) {
        head.push(buf);
        headBytes += buf.length;
        if (headBytes < SNIFF_BYTES) continue;
        const all = Buffer.concat(head);
        head = null;
        checkEncoding(all.subarray(0, SNIFF_BYTES), encoding, file, false);
        const text = decode(all);
        if (text) yield text;
        continue;
      }
      const text = decode(buf);
      if (text) yield text;
    }
    if (head) {
      const all = Buffer.concat(head);
      checkEncoding(all, encoding, file, true);
      const text = decode(all);
      if (text) yield text;
    }
    validity?.end();
    const rest = decoder.decode();
    if (rest) yield rest;
  }
  return {
    chunks: chunks(),
    bytesRead: () => bytes,
    replacementMeansInvalid: () => (validity ? validity.invalid : true),
  };
}

/**
 * Refuses a sample (the start of a file) that is clearly not in `encoding`: UTF-16 read as UTF-8,
 * or text where most lines hold bytes that are not UTF-8. `complete`: the sample is the whole file.
 */
export function checkEncoding(sample: Buffer, encoding: InputEncoding, file: string, complete: boolean): void {
  if (encoding !== 'utf8' || sample.length === 0) return;
  const bom16 = (sample[0] === 0xff && sample[1] === 0xfe) || (sample[0] === 0xfe && sample[1] === 0xff);
  if (bom16 || countNul(sample) > Math.max(2, sample.length / 10)) {
    const be = sample[0] === 0xfe;
    throw new InputError(
      file,
      `this file looks like UTF-16${be ? ' big-endian' : ''}, not UTF-8: ` +
        `${be ? 'convert it to UTF-8 (only UTF-16LE is read)' : 'use --encoding utf16le'}`,
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
      `this file is mostly not valid UTF-8 (${bad} of the first ${counted.length} ` +
        `lines): if it is text in another encoding, try --encoding latin1`,
    );
  }
}

function countNul(buf: Buffer): number {
  let n = 0;
  for (let i = buf.indexOf(0); i !== -1; i = buf.indexOf(0, i + 1)) n++;
  return n;
}

/** Follows whether a byte stream has held any invalid UTF-8, across chunk boundaries. */
export class Utf8Validity {
  invalid = false;
  /** The start of a character cut off at the end of the previous chunk. */
  private tail: Buffer | null = null;

  check(buf: Buffer): void {
    if (this.invalid) return;
    let start = 0;
    if (this.tail) {
      while (start < 3 && start < buf.length && ((buf[start] as number) & 0xc0) === 0x80) start++;
      const joined = Buffer.concat([this.tail, buf.subarray(0, start)]);
      this.tail = null;
      if (start === buf.length && joined.length < sequenceLength(joined[0] as number)) {
        this.tail = joined;
        return;
      }
      if (!isUtf8(joined)) {
        this.invalid = true;
        return;
      }
    }
    const end = cutCharacterStart(buf, start);
    if (!isUtf8(buf.subarray(start, end))) {
      this.invalid = true;
      return;
    }
    if (end < buf.length) this.tail = Buffer.from(buf.subarray(end));
  }

  /** At the end of the stream a character still cut off is invalid. */
  end(): void {
    if (this.tail) this.invalid = true;
  }
}

function sequenceLength(lead: number): number {
  return lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
}

/** Where a multi-byte character that the buffer cuts off begins (buf.length when none is cut). */
function cutCharacterStart(buf: Buffer, from: number): number {
  for (let i = buf.length - 1; i >= from && i >= buf.length - 3; i--) {
    const byte = buf[i] as number;
    if ((byte & 0xc0) === 0x80) continue;
    return byte >= 0xc0 && buf.length - i < sequenceLength(byte) ? i : buf.length;
  }
  return buf.length;
}
