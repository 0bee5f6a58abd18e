/**
 * Text encodings both ways, exactly: the WHATWG labels Node's TextDecoder knows, decoded as a
 * stream and encoded back (failed-rows files are written in their input's encoding). Bytes that
 * do not decode are kept, not replaced: each becomes a lone surrogate (U+DC80–U+DCFF, as Python's
 * "surrogateescape"), so a row holding them is refused and written back with its original bytes.
 */
import { isUtf8 } from 'node:buffer';
import iconv from 'iconv-lite';
import type { EncodingName, TextCodec } from './codec-types.js';
import { MULTI_BYTE, multiByteCodec, singleByteCodec } from './legacy-codecs.js';

export type { EncodingName, StreamDecoder, TextCodec } from './codec-types.js';

const UTF = new Set(['utf-8', 'utf-16le', 'utf-16be']);
/** What completion offers for --encoding: the ones files come in most. */
export const COMMON_ENCODINGS = [
  'utf-8',
  'utf-16le',
  'utf-16be',
  'windows-1252',
  'iso-8859-15',
  'iso-8859-2',
  'windows-1250',
  'windows-1251',
  'shift_jis',
  'gb18030',
] as const;
/** Labels bulk took before it took WHATWG labels. */
const OLD_LABELS: Record<string, string> = { utf16le: 'utf-16le', utf16be: 'utf-16be', utf16: 'utf-16le' };

/** A label → its canonical name, or why it is refused. */
export function resolveEncoding(label: string): { name: EncodingName } | { error: string } {
  const given = label.trim().toLowerCase();
  let name: string;
  try {
    name = new TextDecoder(OLD_LABELS[given] ?? given).encoding;
  } catch {
    return {
      error:
        `unknown encoding "${label}": use a WHATWG label such as utf-8, utf-16le, utf-16be, ` +
        'windows-1252 (latin1), iso-8859-15, shift_jis',
    };
  }
  if (!UTF.has(name) && !MULTI_BYTE.has(name) && !iconv.encodingExists(name))
    return { error: `encoding "${label}" (${name}) can be read but not written back, so its failed rows could not be` };
  if (name === 'iso-2022-jp') return { error: 'encoding iso-2022-jp is not supported: convert the file to UTF-8' };
  return { name };
}

/** The encoding a byte order mark at the start of `buf` names, and its length. */
export function bomOf(buf: Uint8Array): { name: EncodingName; length: number } | null {
  if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) return { name: 'utf-8', length: 3 };
  if (buf[0] === 0xff && buf[1] === 0xfe) return { name: 'utf-16le', length: 2 };
  if (buf[0] === 0xfe && buf[1] === 0xff) return { name: 'utf-16be', length: 2 };
  return null;
}

/** How a name is said in messages: `UTF-16LE`, `windows-1252`. */
export function showEncoding(name: EncodingName): string {
  return UTF.has(name) ? name.toUpperCase() : name;
}

const codecs = new Map<string, TextCodec>();

/** The codec for a canonical name (see {@link resolveEncoding}). */
export function textCodec(name: EncodingName): TextCodec {
  let codec = codecs.get(name);
  if (!codec) {
    codec =
      name === 'utf-8'
        ? utf8Codec()
        : name === 'utf-16le' || name === 'utf-16be'
          ? utf16Codec(name)
          : MULTI_BYTE.has(name)
            ? multiByteCodec(name)
            : singleByteCodec(name);
    codecs.set(name, codec);
  }
  return codec;
}

/** String.prototype.isWellFormed (Node 20 has it, the TypeScript lib targeted does not): no lone surrogate. */
export function isWellFormed(text: string): boolean {
  return (text as unknown as { isWellFormed(): boolean }).isWellFormed();
}

const notWellFormed = (v: string) => !isWellFormed(v);
const LONE_ESCAPE = /(?<![\uD800-\uDBFF])[\uDC80-\uDCFF]/g;

function utf8Codec(): TextCodec {
  return {
    name: 'utf-8',
    bom: Buffer.from([0xef, 0xbb, 0xbf]),
    undecodable: notWellFormed,
    decoder() {
      let tail: Buffer | null = null;
      let invalid = false;
      return {
        get invalid() {
          return invalid;
        },
        write(buf) {
          const all = tail ? Buffer.concat([tail, buf]) : buf;
          const end = cutCharacterStart(all);
          tail = end < all.length ? Buffer.from(all.subarray(end)) : null;
          const body = all.subarray(0, end);
          if (isUtf8(body)) return body.toString('utf8');
          invalid = true;
          return escapeUtf8(body);
        },
        end() {
          if (!tail) return '';
          invalid = true;
          const text = escapeUtf8(tail);
          tail = null;
          return text;
        },
      };
    },
    encode(text) {
      if (isWellFormed(text)) return Buffer.from(text, 'utf8');
      const parts: Buffer[] = [];
      let at = 0;
      for (const m of text.matchAll(LONE_ESCAPE)) {
        parts.push(Buffer.from(text.slice(at, m.index), 'utf8'), Buffer.from([m[0].charCodeAt(0) - 0xdc00]));
        at = m.index + 1;
      }
      parts.push(Buffer.from(text.slice(at), 'utf8'));
      return Buffer.concat(parts);
    },
  };
}

function sequenceLength(lead: number): number {
  return lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
}

/** Where a multi-byte character that the buffer cuts off begins (buf.length when none is cut). */
function cutCharacterStart(buf: Buffer): number {
  for (let i = buf.length - 1; i >= 0 && i >= buf.length - 3; i--) {
    const byte = buf[i] as number;
    if ((byte & 0xc0) === 0x80) continue;
    return byte >= 0xc0 && buf.length - i < sequenceLength(byte) ? i : buf.length;
  }
  return buf.length;
}

/** The length of the valid UTF-8 sequence at `i`, or 0 when the byte there starts none. */
function validSequence(buf: Buffer, i: number): number {
  const b = buf[i] as number;
  if (b < 0x80) return 1;
  const n = b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
  if (n === 0 || i + n > buf.length) return 0;
  const second = buf[i + 1] as number;
  const lo = b === 0xe0 ? 0xa0 : b === 0xf0 ? 0x90 : 0x80;
  const hi = b === 0xed ? 0x9f : b === 0xf4 ? 0x8f : 0xbf;
  if (second < lo || second > hi) return 0;
  for (let k = 2; k < n; k++) if (((buf[i + k] as number) & 0xc0) !== 0x80) return 0;
  return n;
}

/** Decodes UTF-8 keeping each byte that does not decode as U+DC80+byte. */
function escapeUtf8(buf: Buffer): string {
  let out = '';
  let run = 0;
  let i = 0;
  while (i < buf.length) {
    const n = validSequence(buf, i);
    if (n > 0) {
      i += n;
      continue;
    }
    out += buf.toString('utf8', run, i) + String.fromCharCode(0xdc00 + (buf[i] as number));
    i++;
    run = i;
  }
  return out + buf.toString('utf8', run, buf.length);
}

function swap16(buf: Buffer): Buffer {
  const copy = Buffer.from(buf);
  return copy.swap16();
}

/** UTF-16: JavaScript's own units, so a lone surrogate (text that does not decode) is kept as it was. */
function utf16Codec(name: 'utf-16le' | 'utf-16be'): TextCodec {
  const be = name === 'utf-16be';
  return {
    name,
    bom: be ? Buffer.from([0xfe, 0xff]) : Buffer.from([0xff, 0xfe]),
    undecodable: notWellFormed,
    decoder() {
      let odd: Buffer | null = null;
      let invalid = false;
      let last = '';
      const text = (buf: Buffer) => {
        let s = (be ? swap16(buf) : buf).toString('utf16le');
        // A pair cut between chunks: its high half waits for its low half.
        s = last + s;
        const code = s.charCodeAt(s.length - 1);
        last = code >= 0xd800 && code <= 0xdbff ? s.slice(-1) : '';
        if (last) s = s.slice(0, -1);
        if (!isWellFormed(s)) invalid = true;
        return s;
      };
      return {
        get invalid() {
          return invalid;
        },
        write(buf) {
          const all = odd ? Buffer.concat([odd, buf]) : buf;
          const even = all.length - (all.length % 2);
          odd = even < all.length ? Buffer.from(all.subarray(even)) : null;
          return text(all.subarray(0, even));
        },
        end() {
          let s = last;
          last = '';
          if (s) invalid = true;
          // An odd last byte is half a character: kept as an escaped byte.
          if (odd) {
            s += String.fromCharCode(0xdc00 + (odd[0] as number));
            invalid = true;
          }
          odd = null;
          return s;
        },
      };
    },
    encode(text) {
      const le = Buffer.from(text, 'utf16le');
      return be ? le.swap16() : le;
    },
  };
}
