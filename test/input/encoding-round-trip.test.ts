// The round trip the README promises: an input in any supported encoding → its failed-rows file →
// read back with the same flags gives the same values (encoding, byte order mark, line endings,
// Excel's sep= line and the bytes of a row that did not decode all kept).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import iconv from 'iconv-lite';
import { afterAll, describe, expect, it } from 'vitest';
import type { InputItem } from '../../src/input/input-item.js';
import { openInput } from '../../src/input/open-input.js';
import { textCodec } from '../../src/input/text-codec.js';
import { FailedRowsWriter, styleOf } from '../../src/upload/state/failed-rows-writer.js';
import { drain } from './read-helpers.js';

const dir = mkdtempSync(path.join(tmpdir(), 'bulk-enc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

/** Characters a generated value may hold in each encoding: what the encoding can write. */
function repertoire(name: string): string[] {
  const ascii = [...' abcXYZ019.,;:"\'-=+@#\t'];
  if (name.startsWith('utf')) return [...ascii, ...'äöüßéèçñøåæœ€—“”東京🎉\n\r'];
  if (name === 'shift_jis') return [...ascii, ...'東京日本語カタカナ'];
  const chars = new Set<string>(ascii);
  for (let b = 0xa0; b < 0x100; b++) {
    const ch = iconv.decode(Buffer.from([b]), name);
    if (ch !== '\uFFFD') chars.add(ch);
  }
  return [...chars];
}

interface Case {
  encoding: string;
  label: string;
  bom: boolean;
  eol: '\n' | '\r\n';
  sep: boolean;
}

/** Bytes in an encoding, independently of bulk's codecs (Buffer, iconv-lite). */
function encode(text: string, encoding: string): Buffer {
  if (encoding === 'utf-8') return Buffer.from(text);
  if (encoding === 'utf-16le') return Buffer.from(text, 'utf16le');
  if (encoding === 'utf-16be') return Buffer.from(text, 'utf16le').swap16();
  return iconv.encode(text, encoding);
}

const BOMS: Record<string, number[]> = {
  'utf-8': [0xef, 0xbb, 0xbf],
  'utf-16le': [0xff, 0xfe],
  'utf-16be': [0xfe, 0xff],
};

/** The start of the file: mark, sep line, header. */
function head(c: Case, extra = ''): Buffer {
  const delimiter = c.sep ? ';' : ',';
  const text = `${c.sep ? `sep=;${c.eol}` : ''}${['a', 'b', 'c'].join(delimiter)}${extra ? delimiter + extra : c.eol}`;
  return Buffer.concat([Buffer.from(c.bom ? (BOMS[c.encoding] ?? []) : []), encode(text, c.encoding)]);
}

/** The input file as a spreadsheet or a script would write it (quoted where needed, nothing escaped). */
function writeInput(c: Case, rows: string[][]): string {
  const delimiter = c.sep ? ';' : ',';
  const quote = (v: string) => (/[";,\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  const text = rows.map((r) => r.map(quote).join(delimiter) + c.eol).join('');
  const file = path.join(dir, `in-${n++}.csv`);
  writeFileSync(file, Buffer.concat([head(c), encode(text, c.encoding)]));
  return file;
}

async function readRows(
  file: string,
  label: string,
): Promise<{ items: InputItem[]; src: Awaited<ReturnType<typeof openInput>> }> {
  const src = await openInput(file, { encoding: label });
  const { items, error } = await drain(src, 1000);
  expect(error).toBeNull();
  return { items, src };
}

/** Every row of `file` into its failed-rows file, as a run writes them; returns that file. */
async function failAll(file: string, label: string): Promise<{ failed: string; items: InputItem[] }> {
  const { items, src } = await readRows(file, label);
  const failed = path.join(dir, `failed-${n++}.csv`);
  const writer = new FailedRowsWriter(
    failed,
    'csv',
    src.columns() ?? [],
    undefined,
    styleOf({}, src.delimiter(), src.layout()),
  );
  for (const item of items)
    writer.write({ line: item.line, record: item.kind === 'row' ? item.record : item.record, reason: 'failed' });
  writer.close();
  return { failed, items };
}

const CASES: Case[] = [
  { encoding: 'utf-8', label: 'utf-8', bom: false, eol: '\n', sep: false },
  { encoding: 'utf-8', label: 'utf8', bom: true, eol: '\r\n', sep: true },
  { encoding: 'utf-16le', label: 'utf-16le', bom: true, eol: '\r\n', sep: false },
  { encoding: 'utf-16le', label: 'utf16le', bom: false, eol: '\n', sep: true },
  { encoding: 'utf-16be', label: 'utf-16be', bom: false, eol: '\r\n', sep: false },
  { encoding: 'utf-16be', label: 'utf-8', bom: true, eol: '\n', sep: false },
  { encoding: 'windows-1252', label: 'windows-1252', bom: false, eol: '\r\n', sep: true },
  { encoding: 'windows-1252', label: 'latin1', bom: false, eol: '\n', sep: false },
  { encoding: 'iso-8859-15', label: 'iso-8859-15', bom: false, eol: '\r\n', sep: false },
  { encoding: 'iso-8859-2', label: 'iso-8859-2', bom: false, eol: '\n', sep: true },
  { encoding: 'windows-1251', label: 'cp1251', bom: false, eol: '\n', sep: false },
  { encoding: 'shift_jis', label: 'shift_jis', bom: false, eol: '\r\n', sep: false },
];

describe('encodings through the round trip', () => {
  for (const c of CASES) {
    it(`${c.label}${c.bom ? ' with a byte order mark' : ''}, ${c.eol === '\n' ? 'LF' : 'CRLF'}${c.sep ? ', sep=;' : ''}: input → failed rows → same values, same bytes`, async () => {
      const chars = repertoire(c.encoding);
      const value = fc
        .array(fc.constantFrom(...chars), { maxLength: 8 })
        .map((cs) => cs.join(''))
        // A value that is only spaces, or a whole empty row, is not a row a reader keeps.
        .filter((v) => v.trim() !== '');
      await fc.assert(
        fc.asyncProperty(fc.array(fc.tuple(value, value, value), { minLength: 1, maxLength: 6 }), async (rows) => {
          const input = writeInput(c, rows);
          const { failed, items } = await failAll(input, c.label);
          expect(items.map((i) => i.kind === 'row' && Object.values(i.record))).toEqual(rows);
          const back = await readRows(failed, c.label);
          expect(back.items.map((i) => (i.kind === 'row' ? Object.values(i.record) : i))).toEqual(rows);
          // The file itself is written as the input was: same encoding, mark, line ends and sep line.
          const start = head(c, `_source_line${c.sep ? ';' : ','}_error${c.eol}`);
          expect(readFileSync(failed).subarray(0, start.length)).toEqual(start);
        }),
        { numRuns: 8 },
      );
    });
  }
});

describe('bytes that do not decode', () => {
  it('a UTF-8 row with a Latin-1 byte fails with its values in their columns, and its failed row holds the original bytes', async () => {
    const good = Buffer.from('a,b\nok,1\n');
    const bad = Buffer.concat([Buffer.from('caf'), Buffer.from([0xe9]), Buffer.from(' au lait,2\n')]);
    const input = path.join(dir, 'bad-utf8.csv');
    writeFileSync(input, Buffer.concat([good, bad]));
    const { items, src } = await readRows(input, 'utf-8');
    expect(items[1]).toMatchObject({ kind: 'rejected', line: 3, field: 'a', reason: 'invalid UTF-8' });
    expect(items[1]).toMatchObject({ record: { a: 'caf\uDCE9 au lait', b: '2' } });
    const failed = path.join(dir, 'bad-utf8.failed.csv');
    const writer = new FailedRowsWriter(
      failed,
      'csv',
      ['a', 'b'],
      undefined,
      styleOf({}, src.delimiter(), src.layout()),
    );
    const rejected = items[1] as Extract<InputItem, { kind: 'rejected' }>;
    writer.write({ line: 3, record: rejected.record, reason: rejected.reason, field: rejected.field });
    writer.close();
    expect(readFileSync(failed).includes(bad.subarray(0, bad.length - 1))).toBe(true);
    expect(readFileSync(failed).includes(Buffer.from('\uFFFD'))).toBe(false);
  });

  it('an undefined byte of a single-byte encoding is kept the same way', async () => {
    // 0xA5 is not a character in ISO-8859-3.
    const input = path.join(dir, 'bad-8859-3.csv');
    writeFileSync(input, Buffer.concat([Buffer.from('a,b\nx'), Buffer.from([0xa5]), Buffer.from('y,1\n')]));
    const { items } = await readRows(input, 'iso-8859-3');
    expect(items[0]).toMatchObject({ kind: 'rejected', reason: 'invalid iso-8859-3', record: { a: 'x\uDCA5y' } });
    expect(textCodec('iso-8859-3').encode('x\uDCA5y')).toEqual(Buffer.from([0x78, 0xa5, 0x79]));
  });
});

describe('the codecs against TextDecoder and the WHATWG index', () => {
  it('decode what TextDecoder decodes, except where Node 20 reads windows-1252 as ISO-8859-1', () => {
    for (const name of ['windows-1252', 'iso-8859-15', 'iso-8859-2', 'windows-1251', 'koi8-r']) {
      const codec = textCodec(name);
      const oracle = new TextDecoder(name);
      for (let b = 0; b < 256; b++) {
        const ours = codec.decoder().write(Buffer.from([b]));
        const theirs = oracle.decode(Buffer.from([b]));
        if (name === 'windows-1252' && b >= 0x80 && b <= 0x9f) continue;
        expect(ours, `${name} 0x${b.toString(16)}`).toBe(theirs);
        expect(codec.encode(ours), `${name} 0x${b.toString(16)} back`).toEqual(Buffer.from([b]));
      }
    }
    // The WHATWG index for windows-1252, which Node 20's TextDecoder gets wrong.
    const w = textCodec('windows-1252');
    expect(w.decoder().write(Buffer.from([0x80, 0x93, 0x94, 0x96, 0x9f, 0x81]))).toBe('€“”–Ÿ\u0081');
    expect(w.encode('€“”–Ÿ\u0081')).toEqual(Buffer.from([0x80, 0x93, 0x94, 0x96, 0x9f, 0x81]));
  });

  it('UTF-8 decoded with escapes equals TextDecoder on valid text, cut anywhere', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), fc.integer({ min: 1, max: 7 }), (text, size) => {
        const bytes = Buffer.from(text);
        const d = textCodec('utf-8').decoder();
        let out = '';
        for (let i = 0; i < bytes.length; i += size) out += d.write(bytes.subarray(i, i + size));
        out += d.end();
        expect(out).toBe(new TextDecoder().decode(bytes, { stream: false }).replace(/^\uFEFF/, '\uFEFF'));
        expect(d.invalid).toBe(false);
      }),
      { numRuns: 100 },
    );
  });

  it('any bytes go through UTF-8 decoding and back unchanged', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.integer({ min: 1, max: 7 }), (raw, size) => {
        const bytes = Buffer.from(raw);
        const d = textCodec('utf-8').decoder();
        let out = '';
        for (let i = 0; i < bytes.length; i += size) out += d.write(bytes.subarray(i, i + size));
        out += d.end();
        expect(textCodec('utf-8').encode(out)).toEqual(bytes);
      }),
      { numRuns: 200 },
    );
  });
});
