import type { Readable } from 'node:stream';
import { InputError } from './input-error.js';
import type { InputEncoding } from './input-item.js';

export interface TextSource {
  chunks: AsyncIterable<string>;
  bytesRead(): number;
}

const DECODER_LABEL: Record<InputEncoding, string> = { utf8: 'utf-8', utf16le: 'utf-16le', latin1: 'latin1' };

/**
 * Bytes to text in the chosen encoding. Looks at the first chunk to refuse, before anything is
 * sent, a file that is clearly in another encoding. Invalid UTF-8 becomes U+FFFD, which the
 * readers turn into a rejected row with its line.
 */
export function decodeStream(stream: Readable, encoding: InputEncoding, file: string): TextSource {
  let bytes = 0;
  async function* chunks(): AsyncGenerator<string> {
    const decoder = new TextDecoder(DECODER_LABEL[encoding]);
    let first = true;
    for await (const chunk of stream) {
      const buf = chunk as Buffer;
      bytes += buf.length;
      if (first) {
        first = false;
        if (encoding === 'utf8') sniff(buf, file);
      }
      const text = decoder.decode(buf, { stream: true });
      if (text) yield text;
    }
    const rest = decoder.decode();
    if (rest) yield rest;
  }
  return { chunks: chunks(), bytesRead: () => bytes };
}

function sniff(buf: Buffer, file: string): void {
  const looksUtf16 =
    (buf[0] === 0xff && buf[1] === 0xfe) || (buf[0] === 0xfe && buf[1] === 0xff) || countNul(buf) > Math.max(2, buf.length / 10);
  if (looksUtf16) throw new InputError(file, 'this file looks like UTF-16, not UTF-8: use --encoding utf16le');
  const text = new TextDecoder('utf-8').decode(buf.subarray(0, safeUtf8End(buf)));
  let bad = 0;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 0xfffd) bad++;
  if (text.length >= 32 && bad > text.length / 20) {
    throw new InputError(file, `this file is mostly not valid UTF-8 (${bad} bad characters in the first ${text.length}): try --encoding latin1`);
  }
}

function countNul(buf: Buffer): number {
  let n = 0;
  for (let i = 0; i < buf.length; i++) if (buf[i] === 0) n++;
  return n;
}

/** Where to cut a sample so a character split across chunks is not counted as invalid. */
function safeUtf8End(buf: Buffer): number {
  const end = buf.length;
  for (let i = 1; i <= 3 && end - i >= 0; i++) {
    const byte = buf[end - i] as number;
    if ((byte & 0xc0) === 0xc0) return end - i;
    if ((byte & 0x80) === 0) break;
  }
  return end;
}
