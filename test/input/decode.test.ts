import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { checkEncoding, decodeStream, SNIFF_BYTES } from '../../src/input/decode.js';
import { textCodec } from '../../src/input/text-codec.js';
import { InputError } from '../../src/input/input-error.js';
import { readChunks, splitBytes } from './read-helpers.js';

const MIXED = 'ascii, é, —, 東京, 🎉; ';

function validityOf(chunks: Buffer[]): boolean {
  const d = textCodec('utf-8').decoder();
  for (const c of chunks) d.write(c);
  d.end();
  return d.invalid;
}

describe('the UTF-8 decoder', () => {
  it('finds valid text valid however it is cut', () => {
    const data = Buffer.from(MIXED.repeat(5));
    for (let size = 1; size <= 9; size++) expect(validityOf(splitBytes(data, size)), `chunks of ${size}`).toBe(false);
  });

  it('finds an invalid byte, a stray continuation byte, an overlong form and a cut-off end', () => {
    const good = Buffer.from(MIXED);
    for (const bad of [[0xe9, 0x20], [0x80], [0xc0, 0xaf], [0xed, 0xa0, 0x80]]) {
      const data = Buffer.concat([good, Buffer.from(bad), good]);
      for (const size of [1, 2, 3, 64])
        expect(validityOf(splitBytes(data, size)), `${bad} in chunks of ${size}`).toBe(true);
    }
    expect(validityOf([Buffer.from('ok '), Buffer.from([0xf0, 0x9f, 0x8e])])).toBe(true);
  });
});

describe('decodeStream', () => {
  it('past the first 64 KiB, a character cut across chunks is not a bad row', async () => {
    const header = 'a,b\n';
    const filler = 'x,y\n'.repeat(SNIFF_BYTES / 4 + 100);
    const text = `${header}${filler}1,"${MIXED}"\n2,ok\n`;
    for (const size of [1, 2, 3, 4096]) {
      const chunks = [Buffer.from(header + filler), ...splitBytes(`1,"${MIXED}"\n2,ok\n`, size)];
      const { items, error } = await readChunks(chunks, 'csv');
      expect(error).toBeNull();
      expect(
        items.filter((i) => i.kind === 'rejected'),
        `chunks of ${size}`,
      ).toEqual([]);
    }
    expect(text.length).toBeGreaterThan(SNIFF_BYTES);
  });

  it('past the first 64 KiB, an invalid byte still fails only its row', async () => {
    const filler = 'x,y\n'.repeat(SNIFF_BYTES / 4 + 100);
    const chunks = [
      Buffer.from(`a,b\n${filler}`),
      Buffer.from('1,caf'),
      Buffer.from([0xe9]),
      Buffer.from(' au lait\n2,ok\n'),
    ];
    const { items } = await readChunks(chunks, 'csv');
    const lines = SNIFF_BYTES / 4 + 100 + 1;
    expect(items.slice(-2).map((i) => [i.kind, i.line])).toEqual([
      ['rejected', lines + 1],
      ['row', lines + 2],
    ]);
  });

  it('counts bytes as they are read', async () => {
    const src = decodeStream(Readable.from([Buffer.from('abc'), Buffer.from('déf')]), 'utf8', 'x');
    let text = '';
    for await (const t of src.chunks) text += t;
    expect(text).toBe('abcdéf');
    expect(src.bytesRead()).toBe(7);
  });
});

describe('checkEncoding', () => {
  const refuse = (bytes: Buffer) => {
    try {
      checkEncoding(bytes, 'utf8', 'f.csv', true);
      return null;
    } catch (err) {
      expect(err).toBeInstanceOf(InputError);
      return (err as Error).message;
    }
  };
  it('refuses UTF-16 without a byte order mark by its NULs, naming its byte order; one with a mark passes', () => {
    expect(refuse(Buffer.from('a,b\n1,2\n', 'utf16le'))).toMatch(/UTF-16LE.*--encoding utf-16le/);
    expect(refuse(Buffer.from('a,b\n1,2\n', 'utf16le').swap16())).toMatch(/UTF-16BE.*--encoding utf-16be/);
    expect(refuse(Buffer.from([0xfe, 0xff, 0, 0x61]))).toBeNull();
  });
  it('refuses a file where most lines are not UTF-8, not one with a bad line among good ones', () => {
    const latin = Buffer.from('a,b\ncafé,1\nnaïve,2\n', 'latin1');
    expect(refuse(latin)).toMatch(/mostly not valid UTF-8 \(2 of the first 3 lines\).*--encoding windows-1252/);
    const oneBad = Buffer.concat([
      Buffer.from('a,b\nx,1\n'),
      Buffer.from('caf\xe9,2\n', 'latin1'),
      Buffer.from('y,3\n'),
    ]);
    expect(refuse(oneBad)).toBeNull();
  });
  it('does not check other encodings', () => {
    expect(() => checkEncoding(Buffer.from('a,b\n', 'utf16le'), 'utf16le', 'f', true)).not.toThrow();
  });
});
