/**
 * The codecs of legacy encodings: single-byte ones through a table (see below), the multi-byte
 * ones (gbk, gb18030, big5, euc-jp, shift_jis, euc-kr) through iconv-lite.
 */
import iconv from 'iconv-lite';
import type { EncodingName, TextCodec } from './codec-types.js';

/** Multi-byte legacy encodings: iconv-lite both ways; a byte it cannot decode becomes U+FFFD. */
export const MULTI_BYTE = new Set(['gbk', 'gb18030', 'big5', 'euc-jp', 'shift_jis', 'euc-kr']);

/**
 * A single-byte encoding through a table of its 256 bytes: iconv-lite's (Node 20's TextDecoder
 * reads windows-1252's 0x80–0x9F as ISO-8859-1, so € would be lost), with TextDecoder's C1 control
 * where iconv-lite has none (windows-1252's 0x81 is U+0081 in WHATWG), and bytes neither defines
 * escaped as lone surrogates.
 */
export function singleByteCodec(name: EncodingName): TextCodec {
  const whatwg = new TextDecoder(name);
  const table: string[] = [];
  const back = new Map<string, number>();
  for (let b = 0; b < 256; b++) {
    // Every WHATWG single-byte encoding is ASCII below 0x80.
    let ch = b < 0x80 ? String.fromCharCode(b) : iconv.decode(Buffer.from([b]), name);
    if (ch === '\uFFFD') ch = whatwg.decode(Buffer.from([b]));
    if (ch === '\uFFFD' || ch.length !== 1) ch = String.fromCharCode(0xdc00 + b);
    table.push(ch);
    if (!back.has(ch)) back.set(ch, b);
  }
  for (let b = 0x80; b < 256; b++) back.set(String.fromCharCode(0xdc00 + b), b);
  const high = /[\x80-\xff]/g;
  const escaped = /[\uDC80-\uDCFF]/;
  const question = 0x3f;
  return {
    name,
    bom: Buffer.alloc(0),
    undecodable: (v) => escaped.test(v),
    decoder() {
      let invalid = false;
      return {
        get invalid() {
          return invalid;
        },
        write(buf) {
          const text = buf.toString('latin1').replace(high, (c) => table[c.charCodeAt(0)] as string);
          if (!invalid && escaped.test(text)) invalid = true;
          return text;
        },
        end: () => '',
      };
    },
    encode(text) {
      const out = Buffer.allocUnsafe(text.length);
      let n = 0;
      for (const ch of text) {
        const code = ch.charCodeAt(0);
        out[n++] = code < 0x80 ? code : (back.get(ch) ?? question);
      }
      return out.subarray(0, n);
    },
  };
}

/** gbk, gb18030, big5, euc-jp, shift_jis, euc-kr: iconv-lite both ways. */
export function multiByteCodec(name: EncodingName): TextCodec {
  return {
    name,
    bom: Buffer.alloc(0),
    undecodable: (v) => v.includes('\uFFFD'),
    decoder() {
      const decoder = iconv.getDecoder(name);
      let invalid = false;
      const note = (s: string) => {
        if (!invalid && s.includes('\uFFFD')) invalid = true;
        return s;
      };
      return {
        get invalid() {
          return invalid;
        },
        write: (buf) => note(decoder.write(buf)),
        end: () => note(decoder.end() ?? ''),
      };
    },
    encode: (text) => iconv.encode(text, name),
  };
}
